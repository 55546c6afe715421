"""Path metrics for entanglement routing and per-link timing, from the network spec alone.

Routers forward reservations along static shortest paths. The metric decides
what "shortest" means: fibre length, number of hops, or the expected time to
generate one pair on each link (so the path with the highest generation rates
wins). The expected time per link, E[T] = period / p, comes from the same
hardware numbers SeQUeNCe simulates (:mod:`qtn.analytic.heralded_generation`).

Paths follow the node roles (:mod:`qnetsim.core.roles`): only repeaters swap, so a path
passes through repeaters only; ends and trusted relays may only be its two ends.
A pair of nodes that no such path joins has no route.

:class:`Routes` finds the route of each pair asked for with one Dijkstra search
from its source that stops at its destination, and keeps it: what the engines
use, so that the work grows with the requests, not with the square of the
network. :func:`next_hops` fills every router's forwarding table, for SeQUeNCe,
which forwards reservations hop by hop. Following those tables gives the route
:class:`Routes` finds, except where two routes cost exactly the same and
floating-point sums taken from different nodes tip the tie differently; then
either is a shortest route (the library's networks have no such pair; tested).
"""

import functools
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
    return _success_probability(
        link.length_km,
        link.hardware.fibre.attenuation_db_per_km,
        math.sqrt(memory_a.efficiency * memory_b.efficiency),
        bsm.detector.efficiency,
        bsm.success_probability,
    )


# The two formulas below are pure functions of a few numbers, asked once per link and
# direction by routing, generation and the links table; networks repeat the same links
# (a grid has one kind), so each distinct case is computed once.


@functools.lru_cache(maxsize=4096)
def _success_probability(
    length_km: float, attenuation_db_per_km: float, memory_efficiency: float, detector_efficiency: float, q_bsm: float
) -> float:
    return float(
        single_heralded_success_probability(
            length_km, attenuation_db_per_km, memory_efficiency, detector_efficiency, q_bsm
        )
    )


@functools.lru_cache(maxsize=4096)
def _attempt_period_s(
    length_km: float,
    speed_km_per_s: float,
    requester_is_primary: bool,
    memory_frequency_hz: float,
    classical_delay_s: float | None,
) -> float:
    return float(
        single_heralded_attempt_period_s(
            length_km,
            speed_km_per_s,
            requester_is_primary=requester_is_primary,
            memory_frequency_hz=memory_frequency_hz,
            classical_delay_s=classical_delay_s,
        )
    )


def link_attempt_period_s(
    spec: NetworkSpec, link: LinkSpec, *, requester_is_primary: bool, classical_delay_s: float | None = None
) -> float:
    """SeQUeNCe's retry period of ``link`` (see the analytic module for the two cases)."""
    frequency_hz = min(spec.node(link.a).hardware.memory.frequency_hz, spec.node(link.b).hardware.memory.frequency_hz)
    return _attempt_period_s(
        link.length_km, link.hardware.fibre.speed_km_per_s, requester_is_primary, frequency_hz, classical_delay_s
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


def _transit_weight(no_transit: frozenset[str] | set[str], source: str) -> Callable[[str, str, dict], float | None]:
    """Edge weights for a search from ``source``: only ``source`` and swapping nodes forward; unusable links hidden."""

    def weight(u: str, v: str, data: dict) -> float | None:
        if (u != source and u in no_transit) or not math.isfinite(data["weight"]):
            return None
        return float(data["weight"])

    return weight


class Routes:
    """Routes for ``metric`` between the pairs asked for, each found once by one search from its source.

    A route is :func:`networkx.dijkstra_path` from the source with the node
    roles applied (the source may start it; only repeaters carry it on), the
    same search :func:`next_hops` runs from every node, stopped at the
    destination. Nothing is computed for pairs nobody asks about.
    It is the route the forwarding tables give up to exact ties (see the module).

    >>> from qnetsim.core.hardware import LinkHardwareConfig, NodeHardwareConfig
    >>> nodes = tuple(NodeSpec(n, "repeater", NodeHardwareConfig()) for n in "abc")
    >>> links = (LinkSpec("a", "b", 10.0, LinkHardwareConfig()), LinkSpec("b", "c", 10.0, LinkHardwareConfig()))
    >>> routes = Routes(NetworkSpec(nodes, links))
    >>> routes.route("a", "c"), routes.cached_pairs()
    (['a', 'b', 'c'], [('a', 'c')])

    Attributes:
        spec: the network.
        metric: one of :data:`METRICS`.
        graph: :func:`routing_graph` of the network for ``metric``.
    """

    def __init__(self, spec: NetworkSpec, metric: str = "shortest") -> None:
        self.spec = spec
        self.metric = metric
        self.graph = routing_graph(spec, metric)
        self._no_transit = non_swappers(role_map(spec))
        self._routes: dict[tuple[str, str], tuple[str, ...] | None] = {}

    def route(self, src: str, dst: str) -> list[str] | None:
        """The route from ``src`` to ``dst`` (None if the roles or unusable links leave none)."""
        key = (src, dst)
        if key not in self._routes:
            self._routes[key] = self._search(src, dst)
        found = self._routes[key]
        return list(found) if found is not None else None

    def cached_pairs(self) -> list[tuple[str, str]]:
        """The ``(src, dst)`` pairs searched so far, in the order they were first asked for."""
        return list(self._routes)

    def no_route_reason(self, src: str, dst: str) -> str:
        """Why :meth:`route` finds no path from ``src`` to ``dst`` (see :func:`no_route_reason`)."""
        return _no_route_reason(self.graph, role_map(self.spec), src, dst)

    def _search(self, src: str, dst: str) -> tuple[str, ...] | None:
        if src == dst:
            return (src,)
        try:
            path = nx.dijkstra_path(self.graph, src, dst, weight=_transit_weight(self._no_transit, src))
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            return None
        return tuple(path)


def next_hops(spec: NetworkSpec, metric: str = "shortest") -> dict[str, dict[str, str]]:
    """Forwarding tables: ``source -> destination -> next hop`` on shortest paths for ``metric``.

    Links that can never succeed (infinite weight) are not used, and a path
    passes only through nodes that swap (repeaters): from any other node only
    its own paths leave. Each node's table comes from its own search, and the
    tail of a shortest allowed path is a shortest allowed path of the node it
    starts at, so following the tables hop by hop gives the source's path.
    One search per node over the whole network: for SeQUeNCe's forwarding tables
    only (the hardware and fast levels); the engines ask :class:`Routes`.
    """
    graph = routing_graph(spec, metric)
    no_transit = non_swappers(role_map(spec))
    tables: dict[str, dict[str, str]] = {}
    for source in graph.nodes:
        paths = nx.single_source_dijkstra_path(graph, source, weight=_transit_weight(no_transit, source))
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

    Pass ``tables`` (from :func:`next_hops`) to follow them; without, the route is
    found by one search (:class:`Routes`), which gives the same path up to exact ties.
    """
    if tables is None:
        return Routes(spec, metric).route(src, dst)
    path = [src]
    while path[-1] != dst:
        hop = tables.get(path[-1], {}).get(dst)
        if hop is None or hop in path:
            return None
        path.append(hop)
    return path


def no_route_reason(spec: NetworkSpec, src: str, dst: str, metric: str = "shortest") -> str:
    """Why :func:`route` finds no path from ``src`` to ``dst`` (for the requests table's ``reason``)."""
    return _no_route_reason(routing_graph(spec, metric), role_map(spec), src, dst)


def _no_route_reason(graph: nx.Graph, roles: dict[str, str], src: str, dst: str) -> str:
    usable = nx.subgraph_view(graph, filter_edge=lambda u, v: math.isfinite(graph.edges[u, v]["weight"]))
    if not nx.has_path(usable, src, dst):
        return f"no path from {src} to {dst} of links that can generate pairs"
    path = nx.dijkstra_path(usable, src, dst, weight="weight")
    no_transit = non_swappers(roles)
    blockers = ", ".join(f"{roles[name]} {name}" for name in path[1:-1] if name in no_transit)
    return (
        f"no path from {src} to {dst} through repeaters only (only repeaters swap; ends and trusted relays"
        f" may only end a path): the shortest path {'-'.join(path)} passes {blockers}"
    )
