"""Checks of hybrid scenarios (key traffic on a network with repeaters), found before running.

The split into direct QKD links and repeater segments (:mod:`qkdn.segments`)
must work; key traffic must end at key-holding nodes (repeaters are not part of
the QKD network); entanglement traffic runs on the repeaters' fibres only; and the
segments' memories must fit the nodes. Every fidelity level runs segments: at the
network level the engine runs first on its own loop and each distilled frame's
key reaches the QKD network's pools at its time on SeQUeNCe's timeline (key only
flows from the segments to the pools, never back).
"""

import networkx as nx

from qkdn.segments import HybridSplit, is_hybrid, split_network
from qnetsim.core.errors import ConfigError
from scenarios.checks import ResolvedTopology
from scenarios.hardware_spec import network_spec
from scenarios.schema import Scenario

_KEY_KINDS = ("key", "service", "vkp")
_QUANTUM_KINDS = ("entanglement", "teleportation", "bbm92")


def hybrid_problems(scenario: Scenario, topology: ResolvedTopology) -> list[str]:
    """Every problem of a hybrid scenario (none for other scenarios); each names its field."""
    spec = network_spec(scenario, topology)
    has_key_traffic = scenario.kaas is not None or any(item.kind in _KEY_KINDS for item in scenario.traffic)
    if not has_key_traffic or not is_hybrid(spec):
        return []
    # Key traffic at a repeater is refused by the role checks (scenarios.role_checks) before this.
    problems: list[str] = []
    try:
        split = split_network(spec, scenario.entanglement.routing)
    except ConfigError as error:
        return [*problems, str(error)]
    problems += _quantum_traffic_problems(scenario, split)
    problems += _memory_problems(scenario, topology, split)
    return problems


def _quantum_traffic_problems(scenario: Scenario, split: HybridSplit) -> list[str]:
    graph = split.quantum_spec.graph()
    problems = []
    for i, item in enumerate(scenario.traffic):
        if item.kind not in _QUANTUM_KINDS:
            continue
        if item.src not in graph or item.dst not in graph or not nx.has_path(graph, item.src, item.dst):
            problems.append(
                f"traffic[{i}]: in a hybrid network {item.kind} traffic runs on the fibres of the repeaters only"
                f" (fibres between key-holding nodes are QKD links), and they join no path from {item.src} to"
                f" {item.dst}; got {item.src!r} and {item.dst!r}"
            )
    return problems


def _memory_problems(scenario: Scenario, topology: ResolvedTopology, split: HybridSplit) -> list[str]:
    per_segment = scenario.qkd.segments.n_memories
    needed: dict[str, list[str]] = {}
    for segment in split.segments:
        for position, node in enumerate(segment.path):
            n_sides = 1 if position in (0, len(segment.path) - 1) else 2
            needed.setdefault(node, []).extend([segment.name] * n_sides)
    template_of = {node.name: node.template for node in topology.nodes}
    problems = []
    for node, uses in needed.items():
        available = scenario.templates.node_template(template_of[node]).n_memories
        if len(uses) * per_segment > available:
            problems.append(
                f"qkd.segments.n_memories: node {node} would reserve {len(uses) * per_segment} memories for its"
                f" repeater segments ({len(uses)} x {per_segment}: {', '.join(sorted(set(uses)))}), but its"
                f" template {template_of[node]!r} has {available}; got {per_segment}"
            )
    return problems
