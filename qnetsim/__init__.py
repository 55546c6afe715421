"""qnetsim: one layered quantum-network simulation stack on SeQUeNCe.

The top-level package holds the project's public Python API and, in ``qnetsim.core``,
the SeQUeNCe-free kernel every layer imports. It imports nothing heavy at import time,
so the layers (``qtn``, ``qkdn``, ``scenarios``, ``analysis``) can import the core
without a cycle.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("qnetsim")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
