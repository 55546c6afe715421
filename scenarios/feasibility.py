"""Requests that no amount of waiting can serve, found before running.

A request whose target fidelity is above what purification can ever give on a
link of its route would keep SeQUeNCe purifying (and discarding) pairs until
the run ends, never delivering one. The recurrence of the chosen protocol
(:mod:`qtn.analytic.recurrence`) gives the highest fidelity reachable from a
link's raw fidelity with its nodes' gate and measurement errors (and within the
scenario's number of rounds); a target above it is reported as bad input.
This checks the links of the route only (a necessary condition: swapped pairs
are purified with the same errors, so their limit is no higher).
"""

import networkx as nx

from qtn.analytic.recurrence import max_reachable_fidelity, recurrence
from scenarios.checks import ResolvedTopology
from scenarios.schema import Scenario


def _reachable(
    protocol: str, raw: float, rounds: int | None, gate: tuple[float, float], meas: tuple[float, float]
) -> float:
    if rounds is None:
        return max_reachable_fidelity(
            protocol,
            raw,
            gate_fidelity_a=gate[0],
            gate_fidelity_b=gate[1],
            measurement_fidelity_a=meas[0],
            measurement_fidelity_b=meas[1],
        )
    trajectory = recurrence(
        protocol,
        raw,
        rounds,
        gate_fidelity_a=gate[0],
        gate_fidelity_b=gate[1],
        measurement_fidelity_a=meas[0],
        measurement_fidelity_b=meas[1],
    )
    return float(max(state[0] for state in trajectory.states))


def _route(graph: nx.Graph, src: str, dst: str) -> list[str] | None:
    """The shortest path by fibre length (None if either end is missing or they are not connected)."""
    try:
        return list(nx.shortest_path(graph, src, dst, weight="length_km"))
    except (nx.NodeNotFound, nx.NetworkXNoPath):
        return None


def target_problems(scenario: Scenario, topology: ResolvedTopology) -> list[str]:
    """One problem per traffic item whose target fidelity no link purification can reach."""
    if not any(item.kind in ("entanglement", "teleportation", "bbm92") for item in scenario.traffic):
        return []  # key relay has no fidelity target: no graph to build
    graph = topology.graph()
    template_of = {node.name: scenario.templates.node_template(node.template) for node in topology.nodes}
    settings = scenario.entanglement
    problems = []
    cache: dict[tuple[object, ...], float] = {}
    paths: dict[tuple[str, str], list[str] | None] = {}  # many requests share a pair: one search each
    # No link needs purification for a target at or below the lowest raw fidelity of any link,
    # so such a request needs no route: the usual case costs no search at all.
    lowest_raw = min(
        (
            min(template_of[link.a].memory.raw_fidelity, template_of[link.b].memory.raw_fidelity)
            for link in topology.links
        ),
        default=1.0,
    )
    for i, item in enumerate(scenario.traffic):
        if item.kind not in ("entanglement", "teleportation", "bbm92"):
            continue  # key relay has no fidelity target
        if item.target_fidelity <= lowest_raw:
            continue
        if (item.src, item.dst) not in paths:
            paths[item.src, item.dst] = _route(graph, item.src, item.dst)
        path = paths[item.src, item.dst]
        if path is None:
            continue  # reported by the cross-reference checks
        for a, b in zip(path, path[1:], strict=False):
            ha, hb = template_of[a], template_of[b]
            raw = min(ha.memory.raw_fidelity, hb.memory.raw_fidelity)
            if item.target_fidelity <= raw:
                continue  # the heralded pair already reaches it: no purification needed
            gate = (ha.gate_fidelity, hb.gate_fidelity)
            meas = (ha.measurement_fidelity, hb.measurement_fidelity)
            key = (settings.purification, raw, settings.purification_rounds, gate, meas)
            if key not in cache:
                cache[key] = _reachable(settings.purification, raw, settings.purification_rounds, gate, meas)
            best = cache[key]
            if item.target_fidelity > best + 1e-12:
                rounds = settings.purification_rounds
                limit = f"{rounds} round(s)" if rounds is not None else "any number of rounds"
                problems.append(
                    f"traffic[{i}].target_fidelity: {settings.purification} purification with {limit} reaches at most"
                    f" {best:.4f} on link {a}-{b} (raw fidelity {raw:g}, gate fidelities {gate[0]:g}/{gate[1]:g},"
                    f" measurement fidelities {meas[0]:g}/{meas[1]:g}); got {item.target_fidelity:g}"
                )
                break
    return problems
