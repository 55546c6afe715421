"""Checks that every node is asked only what its role can do (:mod:`qnetsim.core.roles`).

Two kinds of findings, each with its dotted path:

* problems (the scenario is refused, exit code 2): a repeater without memories;
  key traffic (``key``, ``service``, ``vkp``, key-as-a-service pairs) at a node
  that does not hold keys; entanglement traffic (``entanglement``, ``bbm92``,
  ``teleportation``) at a node that cannot end a segment or has no memories; a
  teleportation whose only paths pass a node that cannot swap (it has no table
  row to say so);
* warnings (``qnetsim validate`` prints them; the run refuses the request with
  the reason in its table row): a key request whose every path passes an end or
  a repeater, an entanglement request whose every path passes an end or a
  trusted relay.
"""

from collections.abc import Iterable
from typing import TYPE_CHECKING

import networkx as nx

from qnetsim.core.roles import CAPABILITIES, non_relays, non_swappers, roles_needed
from scenarios.schema import Scenario

if TYPE_CHECKING:  # scenarios.checks calls this module
    from scenarios.checks import ResolvedNode, ResolvedTopology

KEY_KINDS = ("key", "service", "vkp")
_MAX_PATH_SHOWN = 8  # nodes of a blocked path written out in a message
_MAX_BLOCKERS_SHOWN = 4  # blocking nodes named in a message


def _either(roles: Iterable[str]) -> str:
    return " or ".join(roles)


def _memories(scenario: Scenario, node: "ResolvedNode") -> int:
    if node.template not in scenario.templates.node_template_names():
        return 1  # a missing template is reported already
    return scenario.templates.node_template(node.template).n_memories


def role_problems(scenario: Scenario, topology: "ResolvedTopology") -> list[str]:
    """Every role problem of a scenario whose topology resolved (see the module docstring)."""
    nodes = {node.name: node for node in topology.nodes}
    problems = [
        f"{node.role_where}: repeater {node.name!r} has no memories (n_memories: 0 in node template"
        f" {node.template!r}); a repeater stores and swaps entanglement"
        for node in topology.nodes
        if node.role == "repeater" and _memories(scenario, node) == 0
    ]
    for i, item in enumerate(scenario.traffic):
        layer = "key" if item.kind in KEY_KINDS else "entanglement"
        capability = "holds_keys" if layer == "key" else "ends_segment"
        for end in ("src", "dst"):
            node = nodes.get(getattr(item, end))
            if node is None:
                continue  # an unknown node is reported already
            if not getattr(CAPABILITIES[node.role], capability):
                problems.append(
                    f"traffic[{i}].{end}: {node.name!r} is a {node.role}; {item.kind} traffic needs an"
                    f" {_either(roles_needed(capability))} node ({node.role}: {CAPABILITIES[node.role].summary})"
                )
            elif layer == "entanglement" and _memories(scenario, node) == 0:
                problems.append(
                    f"traffic[{i}].{end}: {node.name!r} has no memories (n_memories: 0 in node template"
                    f" {node.template!r}); {item.kind} traffic needs memories at both ends"
                )
    if scenario.kaas is not None:
        for i, pair in enumerate(scenario.kaas.pairs or []):
            for name in pair:
                node = nodes.get(name)
                if node is not None and not CAPABILITIES[node.role].holds_keys:
                    problems.append(
                        f"kaas.pairs[{i}]: {name!r} is a {node.role}; a key pool needs"
                        f" {_either(roles_needed('holds_keys'))} nodes at both ends"
                    )
    problems += [
        f"traffic[{i}]: {message}; a teleportation needs a path through repeaters only"
        for i, message in _unroutable(scenario, topology, ("teleportation",))
    ]
    return problems


def role_warnings(scenario: Scenario, topology: "ResolvedTopology") -> list[str]:
    """Requests the roles leave without any path: the run refuses them, with the reason in their row."""
    kinds = ("key", "service", "entanglement", "bbm92")
    return [f"traffic[{i}]: {message}; the run refuses it" for i, message in _unroutable(scenario, topology, kinds)]


def _segment_edges(graph: nx.Graph, roles: dict[str, str]) -> list[tuple[str, str]]:
    """Pairs of key-holding nodes that a group of repeaters joins: repeater segments, key links of a
    hybrid network (:mod:`qkdn.segments`)."""
    repeaters = [n for n in graph.nodes if not CAPABILITIES[roles[n]].holds_keys]
    edges = []
    for island in nx.connected_components(graph.subgraph(repeaters)):
        ends = sorted({m for n in island for m in graph.neighbors(n) if m not in island})
        edges += [(a, b) for i, a in enumerate(ends) for b in ends[i + 1 :]]
    return edges


def _unroutable(scenario: Scenario, topology: "ResolvedTopology", kinds: tuple[str, ...]) -> list[tuple[int, str]]:
    """``(index, why)`` of each request of ``kinds`` with valid ends that no path allowed by the roles joins."""
    nodes = {node.name: node for node in topology.nodes}
    graph = topology.graph()
    roles = {node.name: node.role for node in topology.nodes}
    found = []
    for i, item in enumerate(scenario.traffic):
        if item.kind not in kinds or item.src not in nodes or item.dst not in nodes or item.src == item.dst:
            continue
        if not nx.has_path(graph, item.src, item.dst):
            continue  # reported as disconnected already
        key = item.kind in KEY_KINDS
        capability = "holds_keys" if key else "ends_segment"
        if not all(getattr(CAPABILITIES[roles[n]], capability) for n in (item.src, item.dst)):
            continue  # reported as a problem already
        banned = set(non_relays(roles) | set(scenario.qkd.untrusted_nodes)) if key else set(non_swappers(roles))
        banned -= {item.src, item.dst}
        allowed = nx.Graph(graph.subgraph(n for n in graph.nodes if n not in banned))
        if key:
            allowed.add_edges_from(_segment_edges(graph, roles))
        if nx.has_path(allowed, item.src, item.dst):
            continue
        path = nx.dijkstra_path(graph, item.src, item.dst, weight="length_km")
        inner = [name for name in path[1:-1] if name in banned]
        via = "trusted relays" if key else "repeaters"
        what = _describe(inner, roles, key, set(scenario.qkd.untrusted_nodes) if key else set())
        shown = "-".join(path) if len(path) <= _MAX_PATH_SHOWN else f"{path[0]}-...-{path[-1]} ({len(path) - 1} links)"
        found.append(
            (
                i,
                f"no path from {item.src!r} to {item.dst!r} through {via} only, so this {item.kind} request"
                f" cannot be served: the shortest path {shown} passes {what}",
            )
        )
    return found


def _describe(names: list[str], roles: dict[str, str], key: bool, untrusted: set[str]) -> str:
    """``trusted_relay 'b' (cannot swap), end 'c' (...)`` for the nodes that block a key or entanglement path."""

    def why(name: str) -> str:
        if name in untrusted:
            return "in qkd.untrusted_nodes"
        if key:
            return "never forwards keys" if CAPABILITIES[roles[name]].holds_keys else "never holds keys"
        return "cannot swap"

    listed = [f"{roles[name]} {name!r} ({why(name)})" for name in names[:_MAX_BLOCKERS_SHOWN]]
    more = f" and {len(names) - _MAX_BLOCKERS_SHOWN} more" if len(names) > _MAX_BLOCKERS_SHOWN else ""
    return ", ".join(listed) + more
