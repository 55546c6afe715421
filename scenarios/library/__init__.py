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
    """The YAML of built-in scenario ``name`` as shipped, or, when it reads a GraphML file or a routing model,
    with that file's nodes and links listed and the model named by its full path (so the printed scenario
    stands alone wherever it is saved)."""
    import yaml

    raw = path(name).read_text(encoding="utf-8")
    data = yaml.safe_load(raw)
    network = data.get("network") if isinstance(data, dict) else None
    qkd = data.get("qkd") if isinstance(data, dict) else None
    graphml = network.get("graphml") if isinstance(network, dict) else None
    model = qkd.get("routing_model") if isinstance(qkd, dict) else None
    model = model if isinstance(model, str) and model and not Path(model).is_absolute() else None
    if not graphml and model is None:
        return raw
    from scenarios.graphml import expand_graphml
    from scenarios.routing_model import resolve_routing_model

    header = ""
    if graphml:
        data = expand_graphml(data, _HERE)
        header += f"# network.nodes and network.links: read from {graphml} (shipped with qnetsim)\n"
    if model is not None:
        data = resolve_routing_model(data, _HERE)
        header += f"# qkd.routing_model: {model} (shipped with qnetsim) by its full path\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
