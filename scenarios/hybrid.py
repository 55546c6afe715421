"""A hybrid design of a scenario: some relays become quantum repeaters, the others stay trusted.

:func:`hybrid_variant` turns a scenario into a hybrid network on the same
topology, fibre and hardware: the chosen nodes become quantum repeaters, every
other node that is not a user becomes a trusted relay, and the scenario's key
traffic then crosses direct BB84 links and BBM92-fed repeater segments alike
(see :mod:`qkdn.segments` and docs/hybrid-networks.md). It is the third design
beside an all-trusted-relay and an all-repeater network.

Example:
    >>> from scenarios import load
    >>> hybrid = hybrid_variant(load("chain-trusted-relays"))
    >>> [(node.name, node.role) for node in hybrid_nodes(hybrid)]
    [('n0', 'end'), ('n1', 'repeater'), ('n2', 'trusted_relay'), ('n3', 'repeater'), ('n4', 'end')]
"""

import copy
from collections.abc import Iterable
from typing import Any

from qkdn.segments import split_network
from qnetsim.core.errors import ConfigError
from qnetsim.core.spec import NetworkSpec, NodeSpec
from scenarios.build import network_spec
from scenarios.checks import ResolvedNode, check_scenario
from scenarios.errors import ScenarioError
from scenarios.loader import from_dict
from scenarios.schema import Scenario

__all__ = ["hybrid_nodes", "hybrid_variant", "choose_repeaters"]


def hybrid_nodes(scenario: Scenario) -> tuple[ResolvedNode, ...]:
    """The scenario's nodes with their roles after generation and overrides."""
    topology, problems = check_scenario(scenario)
    if problems:
        raise ScenarioError(problems, scenario.name)
    return topology.nodes


def _users(scenario: Scenario) -> set[str]:
    users = {name for item in scenario.traffic for name in (item.src, item.dst)}
    return users | {node.name for node in hybrid_nodes(scenario) if node.role == "end"}


def _with_roles(spec: NetworkSpec, roles: dict[str, str]) -> NetworkSpec:
    nodes = tuple(NodeSpec(n.name, roles[n.name], n.hardware) for n in spec.nodes)  # type: ignore[arg-type]
    return NetworkSpec(nodes, spec.links)


def choose_repeaters(scenario: Scenario) -> list[str]:
    """Relays that can become repeaters, chosen one at a time in name order.

    A node is taken when it is not a user, none of its neighbours is a repeater
    already (every island is one repeater between key-holding nodes), it joins at
    least two key-holding nodes, the split into segments stays valid (no pair of
    nodes joined by two key links, no segment routed through a key-holding node),
    and its memories hold one memory per segment side it would carry.
    """
    spec = network_spec(scenario, check_scenario(scenario)[0])
    users = _users(scenario)
    graph = spec.graph()
    roles = {node.name: ("end" if node.name in users else "trusted_relay") for node in spec.nodes}
    chosen: list[str] = []
    for name in sorted(graph.nodes):
        if name in users or any(roles[peer] == "repeater" for peer in graph[name]):
            continue
        if sum(roles[peer] != "repeater" for peer in graph[name]) < 2:
            continue
        trial = {**roles, name: "repeater"}
        try:
            split = split_network(_with_roles(spec, trial), scenario.entanglement.routing)
        except ConfigError:
            continue
        n_sides = sum(2 for segment in split.segments if name in segment.path[1:-1])
        if n_sides > spec.node(name).hardware.n_memories:
            continue
        roles = trial
        chosen.append(name)
    return chosen


def hybrid_variant(
    scenario: Scenario,
    repeaters: Iterable[str] | None = None,
    *,
    n_memories: int | None = None,
    frame_bits: int | None = None,
) -> Scenario:
    """The scenario as a hybrid network: ``repeaters`` become quantum repeaters, other relays trusted relays.

    Users (the traffic's ends and nodes with the role ``end``) keep the role
    ``end``; the traffic is kept as it is (key traffic crosses both kinds of
    link). Entanglement runs in fast link mode unless the scenario asks for
    ``hardware``.

    Args:
        scenario: the scenario to vary.
        repeaters: the nodes to make repeaters (default: :func:`choose_repeaters`).
        n_memories: memories per segment and node (default: as many as the
            busiest node's memories allow, at most 4).
        frame_bits: sifted bits per BBM92 frame (default: the scenario's
            ``qkd.segments.frame_bits``).

    Raises:
        ScenarioError: the variant is not a valid scenario (e.g. a repeater is a user).
    """
    chosen = set(choose_repeaters(scenario) if repeaters is None else repeaters)
    users = _users(scenario)
    roles = {}
    for node in hybrid_nodes(scenario):
        roles[node.name] = "repeater" if node.name in chosen else "end" if node.name in users else "trusted_relay"
    data: dict[str, Any] = copy.deepcopy(scenario.model_dump(mode="json", exclude_unset=True))
    network = data["network"]
    if network.get("generator") is not None:
        network["node_roles"] = roles
    else:
        for node in network["nodes"]:
            node["role"] = roles[node["name"]]
    data["name"] = f"{scenario.name}.hybrid"
    if scenario.fidelity_level == "network":
        data["fidelity_level"] = "fast"
    else:
        data.setdefault("fidelity_level", "fast")
    segments = data.setdefault("qkd", {}).setdefault("segments", {})
    segments["n_memories"] = n_memories or _memories_per_segment(scenario, roles)
    if frame_bits is not None:
        segments["frame_bits"] = frame_bits
    return from_dict(data, data["name"])


def _memories_per_segment(scenario: Scenario, roles: dict[str, str]) -> int:
    spec = _with_roles(network_spec(scenario, check_scenario(scenario)[0]), roles)
    try:
        split = split_network(spec, scenario.entanglement.routing)
    except ConfigError:
        return 1  # the variant's checks report the problem
    sides: dict[str, int] = {}
    for segment in split.segments:
        for position, node in enumerate(segment.path):
            sides[node] = sides.get(node, 0) + (1 if position in (0, len(segment.path) - 1) else 2)
    fits = [spec.node(node).hardware.n_memories // n for node, n in sides.items()]
    return max(1, min([4, *fits]))
