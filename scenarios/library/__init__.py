"""The scenarios shipped with the package (``qnetsim list``)."""

from pathlib import Path

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
    import yaml  # only when a command reads the scenarios (``qnetsim --help`` does not)

    data = yaml.safe_load(path(name).read_text(encoding="utf-8"))
    return str(data.get("description", "")).strip() if isinstance(data, dict) else ""


def suggest(name: str) -> str:
    """``"; did you mean 'x'?"`` among built-in names, or ``""``."""
    import difflib

    close = difflib.get_close_matches(name, names(), n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


def text(name: str) -> str:
    """The YAML of built-in scenario ``name`` as shipped, or, when it reads a GraphML file, with that file's
    nodes and links listed (so the printed scenario stands alone wherever it is saved)."""
    import yaml

    raw = path(name).read_text(encoding="utf-8")
    data = yaml.safe_load(raw)
    network = data.get("network") if isinstance(data, dict) else None
    if not isinstance(network, dict) or not network.get("graphml"):
        return raw
    from scenarios.graphml import expand_graphml

    expanded = expand_graphml(data, _HERE)
    header = f"# network.nodes and network.links: read from {network['graphml']} (shipped with qnetsim)\n"
    return header + yaml.safe_dump(expanded, sort_keys=False, allow_unicode=True, width=100)
