"""Path metrics for entanglement routing and per-link timing, from the network spec alone.

Routers forward reservations along static shortest paths. The metric decides
what "shortest" means: fibre length, number of hops, or the expected time to
generate one pair on each link (so the path with the highest generation rates
wins). The expected time per link, E[T] = period / p, comes from the same
hardware numbers SeQUeNCe simulates (:mod:`qtn.analytic.heralded_generation`).

Paths follow the node roles (:mod:`qnetsim.core.roles`): only repeaters swap, so a path
passes through repeaters only; ends and trusted relays may only be its two ends.
A pair of nodes that no such path joins has no route.
"""

import math
from collections.abc import Callable

import networkx as nx

from qnetsim.core.bookkeeping import delay_graph
from qnetsim.core.errors import ConfigError
from qnetsim.core.roles import non_swappers, role_map
from qnetsim.core.spec import LinkSpec, NetworkSpec
from qtn.analytic.heralded_generation import (
    single_heralded_attempt_period_s,
    single_heralded_success_probability,
)

METRICS = ("shortest", "fewest_hops", "highest_rate")


def link_success_probability(spec: NetworkSpec, link: LinkSpec) -> float:
    """Per-attempt success probability of ``link`` (memories of both ends, station, fibre)."""
    memory_a = spec.node(link.a).hardware.memory
    memory_b = spec.node(link.b).hardware.memory
    bsm = link.hardware.bsm
    return float(
        single_heralded_success_probability(
            link.length_km,
            link.hardware.fibre.attenuation_db_per_km,
            math.sqrt(memory_a.efficiency * memory_b.efficiency),
            bsm.detector.efficiency,
            bsm.success_probability,
        )
    )


def link_attempt_period_s(
    spec: NetworkSpec, link: LinkSpec, *, requester_is_primary: bool, classical_delay_s: float | None = None
) -> float:
    """SeQUeNCe's retry period of ``link`` (see the analytic module for the two cases)."""
    frequency_hz = min(spec.node(link.a).hardware.memory.frequency_hz, spec.node(link.b).hardware.memory.frequency_hz)
    return float(
        single_heralded_attempt_period_s(
            link.length_km,
            link.hardware.fibre.speed_km_per_s,
            requester_is_primary=requester_is_primary,
            memory_frequency_hz=frequency_hz,
            classical_delay_s=classical_delay_s,
        )
    )


def link_expected_time_s(spec: NetworkSpec, link: LinkSpec) -> float:
    """Expected time to one heralded pair on ``link``: period / p (infinite if p = 0)."""
    probability = link_success_probability(spec, link)
    if probability <= 0:
        return math.inf
    return link_attempt_period_s(spec, link, requester_is_primary=False) / probability


def _weights(spec: NetworkSpec, metric: str) -> dict[tuple[str, str], float]:
    weight_of: Callable[[LinkSpec], float]
    if metric == "shortest":
        weight_of = lambda link: link.length_km  # noqa: E731
    elif metric == "fewest_hops":
        weight_of = lambda link: 1.0  # noqa: E731
    elif metric == "highest_rate":
        weight_of = lambda link: link_expected_time_s(spec, link)  # noqa: E731
    else:
        raise ConfigError(f"routing: must be one of {', '.join(METRICS)}; got {metric!r}")
    return {(link.a, link.b): weight_of(link) for link in spec.links}


def routing_graph(spec: NetworkSpec, metric: str = "shortest") -> nx.Graph:
    """The network graph with a ``weight`` per link for ``metric`` and a ``delay_s``."""
    graph = delay_graph(spec)
    weights = _weights(spec, metric)
    for link in spec.links:
        graph.edges[link.a, link.b]["weight"] = weights[(link.a, link.b)]
    return graph


def next_hops(spec: NetworkSpec, metric: str = "shortest") -> dict[str, dict[str, str]]:
    """Forwarding tables: ``source -> destination -> next hop`` on shortest paths for ``metric``.

    Links that can never succeed (infinite weight) are not used, and a path
    passes only through nodes that swap (repeaters): from any other node only
    its own paths leave. Each node's table comes from its own search, and the
    tail of a shortest allowed path is a shortest allowed path of the node it
    starts at, so following the tables hop by hop gives the source's path.
    """
    graph = routing_graph(spec, metric)
    no_transit = non_swappers(role_map(spec))
    tables: dict[str, dict[str, str]] = {}
    for source in graph.nodes:

        def weight(u: str, v: str, data: dict, source: str = source) -> float | None:
            if (u != source and u in no_transit) or not math.isfinite(data["weight"]):
                return None
            return float(data["weight"])

        paths = nx.single_source_dijkstra_path(graph, source, weight=weight)
        tables[source] = {dst: path[1] for dst, path in paths.items() if dst != source}
    return tables


def route(
    spec: NetworkSpec,
    src: str,
    dst: str,
    metric: str = "shortest",
    tables: dict[str, dict[str, str]] | None = None,
) -> list[str] | None:
    """The hop-by-hop path the forwarding tables give from ``src`` to ``dst`` (None if none).

    Pass ``tables`` (from :func:`next_hops`) to avoid recomputing them per call.
    """
    tables = tables if tables is not None else next_hops(spec, metric)
    path = [src]
    while path[-1] != dst:
        hop = tables.get(path[-1], {}).get(dst)
        if hop is None or hop in path:
            return None
        path.append(hop)
    return path


def no_route_reason(spec: NetworkSpec, src: str, dst: str, metric: str = "shortest") -> str:
    """Why :func:`route` finds no path from ``src`` to ``dst`` (for the requests table's ``reason``)."""
    graph = routing_graph(spec, metric)
    usable = nx.subgraph_view(graph, filter_edge=lambda u, v: math.isfinite(graph.edges[u, v]["weight"]))
    if not nx.has_path(usable, src, dst):
        return f"no path from {src} to {dst} of links that can generate pairs"
    roles = role_map(spec)
    path = nx.dijkstra_path(usable, src, dst, weight="weight")
    blockers = ", ".join(f"{roles[name]} {name}" for name in path[1:-1] if name in non_swappers(roles))
    return (
        f"no path from {src} to {dst} through repeaters only (only repeaters swap; ends and trusted relays"
        f" may only end a path): the shortest path {'-'.join(path)} passes {blockers}"
    )
