"""The scenarios shipped with the package (``qnetsim list``)."""

from pathlib import Path

import yaml

_HERE = Path(__file__).parent

#: The scenario ``qnetsim run`` runs when given none.
DEFAULT = "entanglement-chain"


def names() -> list[str]:
    """Names of every built-in scenario."""
    return sorted(p.stem for p in _HERE.glob("*.yaml"))


def path(name: str) -> Path:
    """File of built-in scenario ``name`` (KeyError if there is none)."""
    candidate = _HERE / f"{name}.yaml"
    if not candidate.is_file():
        raise KeyError(name)
    return candidate


def describe(name: str) -> str:
    """The ``description`` field of built-in scenario ``name``."""
    data = yaml.safe_load(path(name).read_text(encoding="utf-8"))
    return str(data.get("description", "")).strip() if isinstance(data, dict) else ""


def suggest(name: str) -> str:
    """``"; did you mean 'x'?"`` among built-in names, or ``""``."""
    import difflib

    close = difflib.get_close_matches(name, names(), n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""
