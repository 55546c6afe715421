"""Finding local files that would shadow the project's packages, before they are imported.

The layers are top-level packages (``qtn``, ``qkdn``, ``scenarios``, ``analysis``). When
the working directory is on ``sys.path`` (a notebook, ``python -m``, ``python -c``), a
file ``analysis.py`` or a folder ``scenarios/`` with an ``__init__.py`` there is found
first, and the project would import the user's file in place of its own package. Both
functions here use only the standard library, so ``qnetsim`` stays light at import.

- :func:`check_layers` finds where each layer would be imported from (without importing
  it) and raises :class:`ImportError` naming the shadowing file and the fix;
- :func:`drop_working_directory` removes the entry ``python -m`` puts first on
  ``sys.path`` (what ``python -P`` does), so ``python -m qnetsim`` is immune.
"""

import importlib.util
import os
import sys
from pathlib import Path

__all__ = ["LAYERS", "check_layers", "drop_working_directory", "home"]

#: The project's top-level packages besides ``qnetsim`` itself.
LAYERS = ("qtn", "qkdn", "scenarios", "analysis")


def home() -> Path:
    """The folder holding the ``qnetsim`` package, where the other layers live too (installed or source tree)."""
    return Path(__file__).resolve().parent.parent


def _origin(name: str) -> str | None:
    """The file ``name`` is (or would be) imported from, without importing it; ``None`` if not found."""
    module = sys.modules.get(name)
    if module is not None:
        return getattr(module, "__file__", None)
    spec = importlib.util.find_spec(name)
    return spec.origin if spec is not None else None


def _shadowing(name: str) -> Path | None:
    """The file or package folder that would be imported as ``name`` instead of the project's package."""
    origin = _origin(name)
    if origin is None or origin in ("namespace", "built-in", "frozen"):
        return None
    path = Path(origin).resolve()
    if path.name == "__init__.py" and path.parent.parent == home():
        return None
    return path.parent if path.name == "__init__.py" else path


def check_layers(layers: tuple[str, ...] = LAYERS) -> None:
    """Raise :class:`ImportError` if a layer would be imported from somewhere other than this installation.

    Raises:
        ImportError: naming each shadowing file or folder and how to fix it.
    """
    found = {name: path for name in layers if (path := _shadowing(name)) is not None}
    if not found:
        return
    lines = [f"'{name}' would be imported from {path} instead of {home() / name}" for name, path in found.items()]
    raise ImportError(
        "qnetsim cannot import its layers: "
        + "; ".join(lines)
        + ". A local file or folder with a package's name shadows it when its folder is on sys.path "
        "(a notebook or `python -m` puts the working directory first). Fix: rename or move "
        + ", ".join(str(path) for path in found.values())
        + " (or start Python in another folder), then restart the interpreter or kernel.",
        name=next(iter(found)),
        path=str(next(iter(found.values()))),
    )


def drop_working_directory() -> None:
    """Remove the working directory that ``python -m`` put first on ``sys.path``.

    Kept when it is the folder the layers are installed in (running from the source
    tree): there, the packages in the working directory are the project's own.
    """
    if not sys.path:
        return
    first = sys.path[0]
    try:
        is_cwd = Path(first or os.curdir).resolve() == Path.cwd().resolve()
    except OSError:
        return
    if is_cwd and Path.cwd().resolve() != home():
        del sys.path[0]
