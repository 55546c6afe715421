"""Classical delays between routers: the fastest fibre route, one definition for both entanglement levels.

SeQUeNCe's routers message each other directly (a swapping result goes from a
repeater to both ends), over one classical channel per pair of routers delayed
by the fastest fibre route between them. The hardware and fast levels build all
those channels (:func:`fastest_routes_from` per router, in
:mod:`qtn.sequence_backed.adapter`; ``qnetsim export`` writes them too); the
network level (:mod:`qtn.netscale`) asks :class:`FibreDelays` only for the pairs
its protocol steps message, which lie on the routes of its requests.

:class:`FibreDelays` finds each pair once, searching as little as it can:

* two neighbours whose link is faster than any detour could be (a detour takes
  at least the fastest other link out of one and into the other) take the link;
* a pair on a route already known to be a fastest route between its ends takes
  its delay from that route: a part of a fastest route is a fastest route
  between its own ends (one bidirectional search checks each route, once);
* any other pair gets one Dijkstra search from its source that stops at its
  destination: the same search, in the same order, as a whole single-source
  search, so the delay is the same number.

Delays are summed hop by hop from the source, as Dijkstra's algorithm sums them.

>>> import networkx as nx
>>> graph = nx.path_graph(["a", "b", "c"])
>>> nx.set_edge_attributes(graph, 1e-5, "delay_s")
>>> delays = FibreDelays(graph)
>>> delays.note_route(["a", "b", "c"]), delays.delay_ps("c", "b")
(True, 10000000)
"""

import math
from collections.abc import Sequence
from itertools import pairwise

import networkx as nx

from qnetsim.core.units import s_to_ps

__all__ = ["FibreDelays", "channel_delay_ps", "fastest_routes_from"]

#: Relative tolerance when comparing a route's delay with the fastest one (sums of
#: hundreds of hops differ by far less in floating point; real detours by far more).
_ROUNDING = 1e-12


def channel_delay_ps(delay_s: float) -> int:
    """A classical channel's delay in SeQUeNCe's integer picoseconds: ``delay_s`` rounded, at least 1 ps.

    >>> channel_delay_ps(4e-5), channel_delay_ps(0.0)
    (40000000, 1)
    """
    return max(1, s_to_ps(delay_s))


def fastest_routes_from(graph: nx.Graph, src: str) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Delays (s) and fastest routes from ``src`` to every router it reaches, by edge attribute ``delay_s``.

    For building a channel to every router (the hardware level's router mesh).

    >>> graph = nx.path_graph(["a", "b"])
    >>> nx.set_edge_attributes(graph, 2e-5, "delay_s")
    >>> fastest_routes_from(graph, "a")
    ({'a': 0, 'b': 2e-05}, {'a': ['a'], 'b': ['a', 'b']})
    """
    delays_s, paths = nx.single_source_dijkstra(graph, src, weight="delay_s")
    return delays_s, paths


def _sum_from(edge_delays_s: Sequence[float]) -> float:
    """Sum in order from the source, as Dijkstra's algorithm accumulates a distance (0 + d1 + d2 + ...)."""
    total: float = 0
    for delay_s in edge_delays_s:
        total += delay_s
    return total


class _Route:
    """A fastest route between its ends: its nodes, each node's position and each hop's delay."""

    __slots__ = ("edge_delays_s", "nodes", "position")

    def __init__(self, nodes: Sequence[str], edge_delays_s: list[float]) -> None:
        self.nodes = tuple(nodes)
        self.position = {node: index for index, node in enumerate(nodes)}
        self.edge_delays_s = edge_delays_s

    def delay_s(self, src: str, dst: str) -> float | None:
        """Delay from ``src`` to ``dst`` along this route (None if either is not on it)."""
        i, j = self.position.get(src), self.position.get(dst)
        if i is None or j is None:
            return None
        if i <= j:
            return _sum_from(self.edge_delays_s[i:j])
        return _sum_from(self.edge_delays_s[j:i][::-1])


class FibreDelays:
    """Delays of the fastest fibre routes between the router pairs asked for, each found once.

    Args:
        graph: the network with each link's fibre delay as edge attribute ``delay_s``
            (:func:`qnetsim.core.bookkeeping.delay_graph`).

    Attributes:
        n_searches: Dijkstra searches run so far (each stops at its destination).
    """

    def __init__(self, graph: nx.Graph) -> None:
        self.graph = graph
        self.n_searches = 0
        self._ps: dict[str, dict[str, int]] = {}
        self._routes_through: dict[str, list[_Route]] = {}
        self._noted: dict[tuple[str, ...], bool] = {}

    def delay_ps(self, src: str, dst: str) -> int:
        """Delay from ``src`` to ``dst`` in integer picoseconds, at least 1 (:func:`channel_delay_ps`)."""
        table = self._ps.get(src)
        if table is None:
            table = self._ps[src] = {}
        delay_ps = table.get(dst)
        if delay_ps is None:
            delay_ps = table[dst] = channel_delay_ps(self.delay_s(src, dst))
        return delay_ps

    def delay_s(self, src: str, dst: str) -> float:
        """Delay (s) of the fastest fibre route from ``src`` to ``dst``.

        Raises:
            networkx.NetworkXNoPath: no fibre joins them.
        """
        direct_s = self._unbeatable_link_s(src, dst)
        if direct_s is not None:
            return direct_s
        for route in self._routes_through.get(src, ()):
            delay_s = route.delay_s(src, dst)
            if delay_s is not None:
                return delay_s
        return self._search(src, dst)

    def note_route(self, path: Sequence[str]) -> bool:
        """Remember ``path`` for later look-ups if it is a fastest route between its ends; whether it is.

        One search from its first node to its last decides it; a route noted
        before is not searched again.
        """
        key = tuple(path)
        if key in self._noted:
            return self._noted[key]
        if len(key) < 2:
            return False
        edge_delays_s = [float(self.graph.edges[u, v]["delay_s"]) for u, v in pairwise(key)]
        self.n_searches += 1
        fastest_s, _ = nx.bidirectional_dijkstra(self.graph, key[0], key[-1], weight="delay_s")
        # Equal up to rounding: the two halves of a bidirectional search are summed apart.
        fastest = _sum_from(edge_delays_s) <= float(fastest_s) * (1.0 + _ROUNDING)
        self._noted[key] = fastest
        if fastest:
            route = _Route(key, edge_delays_s)
            for node in key:
                self._routes_through.setdefault(node, []).append(route)
        return fastest

    def _unbeatable_link_s(self, src: str, dst: str) -> float | None:
        """The delay of the link ``src``-``dst`` if no detour can be as fast, else None.

        A detour has at least two hops: one leaving ``src`` and one reaching ``dst``
        by other links, so it takes at least the fastest of each. Most links (all
        of a grid's) are faster than that, and need no search.
        """
        neighbours = self.graph.adj.get(src)
        if src == dst or neighbours is None or dst not in neighbours:
            return None
        direct_s = float(neighbours[dst]["delay_s"])
        leave_s = min((float(data["delay_s"]) for node, data in neighbours.items() if node != dst), default=math.inf)
        reach_s = min(
            (float(data["delay_s"]) for node, data in self.graph.adj[dst].items() if node != src), default=math.inf
        )
        return direct_s if direct_s < leave_s + reach_s else None

    def _search(self, src: str, dst: str) -> float:
        self.n_searches += 1
        return float(nx.dijkstra_path_length(self.graph, src, dst, weight="delay_s"))
