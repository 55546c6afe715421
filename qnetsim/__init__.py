"""qnetsim: one layered quantum-network simulation stack on SeQUeNCe.

The top-level package holds the project's public Python API and, in ``qnetsim.core``,
the SeQUeNCe-free kernel every layer imports. It imports nothing heavy at import time,
so the layers (``qtn``, ``qkdn``, ``scenarios``, ``analysis``) can import the core
without a cycle: the entry points below are loaded from :mod:`qnetsim.api` on first
use (PEP 562), after checking that no local file shadows a layer
(:mod:`qnetsim.shadowing`)::

    import qnetsim
    results = qnetsim.run("entanglement-chain", seed=3, duration_s=0.2)
    results.tables["pairs"]          # a pandas DataFrame

See ``docs/python-api.md``.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qnetsim.api import compare, from_dict, load, run, sweep

    __version__: str

__all__ = ["__version__", "compare", "from_dict", "load", "run", "sweep"]

#: Entry points loaded from :mod:`qnetsim.api` on first use.
_API = frozenset(__all__) - {"__version__"}


def __getattr__(name: str) -> Any:
    if name == "__version__":  # read on first use: importlib.metadata takes longer to import than the command line
        return _installed_version()
    if name in _API:
        from qnetsim.shadowing import check_layers

        check_layers()  # before the layers are imported: a shadowing file is named, not run
        from qnetsim import api

        return getattr(api, name)
    raise AttributeError(f"module 'qnetsim' has no attribute {name!r}")


def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("qnetsim")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
