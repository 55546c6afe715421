"""Topologies from GraphML files and networkx graphs: ``network: {graphml: FILE}`` and :func:`scenario_with_graph`.

A GraphML file (or an undirected networkx graph) gives the nodes and links of a
scenario; the scenario's templates give their hardware. Read from the graph:

- node names: the GraphML node ids (names must match ``[A-Za-z0-9_.-]``, as everywhere);
- node ``role`` (``end``, ``trusted_relay`` or ``repeater``; default ``end``, as for
  listed nodes) and optional ``template``;
- edge ``length_km`` (required, > 0) and optional ``template``.

Other attributes (coordinates, labels, the hardware ``qnetsim export`` writes) are
ignored. Loading expands the file into the scenario's ``network.nodes`` and
``network.links`` and keeps ``network.graphml`` as the name of the file they came
from, so the manifest of a run holds the whole topology and a re-validated
scenario (a sweep point) does not read the file again: when ``nodes`` are already
listed beside ``graphml``, they are the ones used.

A relative ``graphml`` path is relative to the scenario file's folder (for a
built-in scenario, the library folder; for a mapping, the working directory).
"""

import copy
import math
from pathlib import Path
from typing import Any

import networkx as nx

from scenarios.errors import ScenarioError

__all__ = ["graph_network", "expand_graphml", "read_graphml", "scenario_with_graph"]

#: Largest GraphML file read (bytes): a topology file, not a data set.
MAX_GRAPHML_BYTES = 20_000_000


def read_graphml(path: str | Path) -> nx.Graph:
    """Read a GraphML file as an undirected graph; a clear :class:`ScenarioError` when it cannot be read."""
    path = Path(path)
    where = "network.graphml"
    if not path.is_file():
        raise ScenarioError([f"{where}: no such file: {path}"], str(path))
    if path.stat().st_size > MAX_GRAPHML_BYTES:
        raise ScenarioError([f"{where}: {path} is larger than {MAX_GRAPHML_BYTES} bytes"], str(path))
    try:
        graph = nx.read_graphml(path)
    except (nx.NetworkXError, ValueError, KeyError, SyntaxError, OSError) as error:  # ParseError is a SyntaxError
        raise ScenarioError([f"{where}: {path} is not readable GraphML ({error})"], str(path)) from None
    if graph.is_directed():
        graph = graph.to_undirected()
    return nx.Graph(graph)  # a multigraph's parallel edges would be two links between one pair: one here


def graph_network(graph: nx.Graph, source: str = "graph") -> dict[str, list[dict[str, Any]]]:
    """``{"nodes": [...], "links": [...]}`` entries of ``network`` for ``graph`` (see the module for attributes).

    Raises:
        ScenarioError: an edge without a positive ``length_km``, a self-loop, or no nodes.
    """
    problems = []
    if graph.number_of_nodes() == 0:
        problems.append(f"{source}: the graph has no nodes")
    nodes = []
    for name, attributes in graph.nodes(data=True):
        entry: dict[str, Any] = {"name": str(name)}
        for key in ("role", "template"):
            if attributes.get(key) not in (None, ""):
                entry[key] = str(attributes[key])
        nodes.append(entry)
    links = []
    for a, b, attributes in graph.edges(data=True):
        if a == b:
            problems.append(f"{source}: edge {a}-{b} is a self-loop")
            continue
        length = attributes.get("length_km")
        try:
            length_km = float(length)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            length_km = math.nan
        if not (math.isfinite(length_km) and length_km > 0):
            problems.append(f"{source}: edge {a}-{b} needs a positive 'length_km'; got {length!r}")
            continue
        entry = {"a": str(a), "b": str(b), "length_km": length_km}
        if attributes.get("template") not in (None, ""):
            entry["template"] = str(attributes["template"])
        links.append(entry)
    if problems:
        raise ScenarioError(problems, source)
    return {"nodes": nodes, "links": links}


def expand_graphml(data: Any, base_folder: Path | None = None) -> Any:
    """Scenario data with ``network.graphml`` read into ``network.nodes`` and ``network.links`` (a new mapping).

    Data without ``network.graphml``, or whose nodes are already listed, is returned as is.
    """
    network = data.get("network") if isinstance(data, dict) else None
    if not isinstance(network, dict) or network.get("graphml") in (None, ""):
        return data
    if network.get("nodes"):
        return data  # already expanded (the scenario as run, re-validated)
    file = network["graphml"]
    if not isinstance(file, str):
        raise ScenarioError([f"network.graphml: must be a file name; got {file!r}"])
    if network.get("generator") is not None or network.get("links"):
        got = " and ".join(repr(key) for key in ("generator", "links") if network.get(key))
        raise ScenarioError([f"network: give either 'graphml' or {got}, not both"])
    path = Path(file)
    if not path.is_absolute():
        path = (base_folder or Path.cwd()) / path
    expanded = copy.deepcopy(data)
    expanded["network"].update(_with_templates(graph_network(read_graphml(path), f"network.graphml ({file})"), network))
    return expanded


def _with_templates(
    entries: dict[str, list[dict[str, Any]]], network: dict[str, Any]
) -> dict[str, list[dict[str, Any]]]:
    """Nodes and links without a template of their own take the network's ``node_template`` / ``link_template``."""
    for field, key in (("nodes", "node_template"), ("links", "link_template")):
        if network.get(key):
            for entry in entries[field]:
                entry.setdefault("template", network[key])
    return entries


def scenario_with_graph(base: Any, graph: nx.Graph, *, source: str = "graph"):  # type: ignore[no-untyped-def]
    """A scenario on the nodes and links of a networkx ``graph``, with everything else from ``base``.

    Args:
        base: a :class:`~scenarios.schema.Scenario`, a scenario mapping, or anything
            :func:`scenarios.load` accepts (file or built-in name): its templates,
            traffic and settings are kept; its network's nodes, links and generator
            are replaced (``node_roles`` and templates named per node are dropped).
        graph: undirected graph; node ``role``/``template``, edge ``length_km``/``template``
            attributes as in a GraphML file.
        source: how errors name the graph.

    Returns:
        The validated :class:`~scenarios.schema.Scenario`.

    Example:
        >>> import networkx as nx
        >>> graph = nx.path_graph(["a", "r", "b"])
        >>> nx.set_edge_attributes(graph, 25.0, "length_km")
        >>> graph.nodes["r"]["role"] = "trusted_relay"
        >>> scenario = scenario_with_graph("qkd-trusted-relay-chain", nx.relabel_nodes(graph, {"a": "n0", "b": "n5"}))
        >>> [(node.name, node.role) for node in scenario.network.nodes]
        [('n0', 'end'), ('r', 'trusted_relay'), ('n5', 'end')]
    """
    from scenarios.loader import from_dict, load
    from scenarios.schema import Scenario

    if isinstance(base, Scenario):
        data = base.model_dump(mode="json", exclude_unset=True)
    elif isinstance(base, dict):
        data = copy.deepcopy(base)
    else:
        data = load(base).model_dump(mode="json", exclude_unset=True)
    network = {
        key: value
        for key, value in data.get("network", {}).items()
        if key not in ("generator", "nodes", "links", "graphml", "node_roles", "node_templates")
    }
    network.update(_with_templates(graph_network(graph, source), network))
    data["network"] = network
    return from_dict(data, source)
