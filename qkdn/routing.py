"""Key routing in a trusted-relay QKD network: which path(s) a key takes.

Every strategy is a function of a graph whose edges carry the network's view of
each link (``residual_bits``: key available for this direction of use,
``key_rate_bps``, ``length_km``, ``up``) and returns a list of ``(path, n_bits)``
shares of the key. The graph algorithms are networkx's (Dijkstra, Yen's
k-shortest simple paths, max-flow); nothing is rewritten here.

Strategies (seed document 004, section III; Yang, Zhang, Su, China
Communications 15(2), 33 (2018) for key-aware routing):

* ``shortest``: fewest hops (ties broken by fibre length).
* ``key_aware``: Dijkstra with edge cost ``1 + bits / residual_bits``, so paths
  through links with little key left are avoided; links with less key than
  needed are used only when no path has enough key everywhere (the key then
  waits there for fresh key until its deadline).
* ``k_shortest``: the first of the ``k`` shortest paths (by hops) whose every link
  holds enough key now, else the shortest.
* ``multipath``: the key is split over the paths of a maximum flow whose edge
  capacities are the link key rates; the end-to-end capacity is the max-flow value.

Nodes marked untrusted are never used as relays (they may still be the
source or destination), and failed links are never used. The network passes
as untrusted every node whose role never relays keys (ends and repeaters,
:mod:`qnetsim.core.roles`) besides those the scenario declares untrusted.
"""

import itertools
from collections.abc import Callable, Iterable

import networkx as nx

from qkdn.route_search import cheapest_path, hops_cost

Share = tuple[list[str], int]
STRATEGIES = ("shortest", "key_aware", "k_shortest", "multipath")


def usable_graph(graph: nx.Graph, src: str, dst: str, untrusted: Iterable[str] = ()) -> nx.Graph:
    """The subgraph of links that are up, without untrusted relays (src and dst stay)."""
    banned = set(untrusted) - {src, dst}
    nodes = [n for n in graph.nodes if n not in banned]
    view = graph.subgraph(nodes)
    return nx.subgraph_view(view, filter_edge=lambda u, v: bool(view.edges[u, v].get("up", True)))


def _hops_then_length(u: str, v: str, data: dict) -> float:
    return hops_cost(data)


def shortest(graph: nx.Graph, src: str, dst: str, n_bits: int, k: int = 3, banned: Iterable[str] = ()) -> list[Share]:
    """One share over the path with fewest hops (links down and ``banned`` relays skipped).

    The path is networkx's ``dijkstra_path`` with cost ``1 + 1e-6 length_km``
    per link, searched by :func:`qkdn.route_search.cheapest_path` (the same steps, faster).
    """
    return [(cheapest_path(graph, src, dst, None, banned=banned), n_bits)]


def key_aware(graph: nx.Graph, src: str, dst: str, n_bits: int, k: int = 3, banned: Iterable[str] = ()) -> list[Share]:
    """One share over the cheapest path, cost 1 + bits / residual per link.

    A link holding less key than the request needs still carries the route, but at
    a cost above any path whose links all hold enough (a penalty of one to two hops
    per node in the graph, growing with the shortfall): the key then waits on that
    link for fresh key until its deadline, instead of the request failing at once
    because the pools are still filling. The cost is :func:`qkdn.route_search.key_aware_cost`;
    the path is networkx's ``dijkstra_path`` with it, searched by
    :func:`qkdn.route_search.cheapest_path` (the same steps, faster).
    """
    short_penalty = float(graph.number_of_nodes())
    return [(cheapest_path(graph, src, dst, n_bits, short_penalty, banned), n_bits)]


def k_shortest(graph: nx.Graph, src: str, dst: str, n_bits: int, k: int = 3) -> list[Share]:
    """The first of the k shortest simple paths with enough key on every link, else the shortest."""
    paths = list(itertools.islice(nx.shortest_simple_paths(graph, src, dst, weight=_hops_then_length), k))
    for path in paths:
        if all(graph.edges[u, v].get("residual_bits", 0) >= n_bits for u, v in itertools.pairwise(path)):
            return [(path, n_bits)]
    return [(paths[0], n_bits)]


def max_flow_paths(
    graph: nx.Graph, src: str, dst: str, capacity: str = "key_rate_bps"
) -> tuple[float, list[tuple[list[str], float]]]:
    """Maximum flow from ``src`` to ``dst`` with edge capacities ``capacity``, decomposed into paths.

    Returns the flow value (the end-to-end capacity) and ``(path, flow)`` pairs.
    """
    directed = nx.DiGraph()
    for u, v, data in graph.edges(data=True):
        directed.add_edge(u, v, capacity=float(data.get(capacity, 0.0)))
        directed.add_edge(v, u, capacity=float(data.get(capacity, 0.0)))
    if src not in directed or dst not in directed:
        return 0.0, []  # an end without working links
    value, flow = nx.maximum_flow(directed, src, dst)
    remaining = {u: dict(targets) for u, targets in flow.items()}
    paths: list[tuple[list[str], float]] = []
    while True:
        support = nx.DiGraph((u, v) for u, targets in remaining.items() for v, f in targets.items() if f > 1e-12)
        if src not in support or dst not in support or not nx.has_path(support, src, dst):
            break
        path = nx.shortest_path(support, src, dst)
        amount = min(remaining[u][v] for u, v in itertools.pairwise(path))
        for u, v in itertools.pairwise(path):
            remaining[u][v] -= amount
        paths.append((path, amount))
    return value, paths


def multipath(graph: nx.Graph, src: str, dst: str, n_bits: int, k: int = 3) -> list[Share]:
    """Shares of the key over the max-flow paths, in proportion to each path's flow (at least one bit each)."""
    value, paths = max_flow_paths(graph, src, dst)
    if value <= 0 or not paths:
        return shortest(graph, src, dst, n_bits)
    shares: list[Share] = []
    assigned = 0
    for index, (path, amount) in enumerate(paths):
        bits = n_bits - assigned if index == len(paths) - 1 else int(n_bits * amount / value)
        if bits > 0:
            shares.append((path, bits))
            assigned += bits
    return shares


_DIJKSTRA_ROUTERS = ("shortest", "key_aware")
ROUTERS: dict[str, Callable[..., list[Share]]] = {
    "shortest": shortest,
    "key_aware": key_aware,
    "k_shortest": k_shortest,
    "multipath": multipath,
}


def route_key(
    strategy: str, graph: nx.Graph, src: str, dst: str, n_bits: int, untrusted: Iterable[str] = (), k: int = 3
) -> list[Share] | None:
    """Shares ``(path, bits)`` for a key of ``n_bits`` from ``src`` to ``dst``, or None if no route."""
    if src not in graph or dst not in graph:
        return None
    try:
        if strategy in _DIJKSTRA_ROUTERS:  # they skip unusable links themselves, faster than on a filtered view
            return ROUTERS[strategy](graph, src, dst, n_bits, k=k, banned=set(untrusted) - {src, dst})
        return ROUTERS[strategy](usable_graph(graph, src, dst, untrusted), src, dst, n_bits, k=k)
    except nx.NetworkXNoPath:
        return None


#: The reason of a key request refused for want of working links or declared-trusted relays.
NO_PATH_REASON = "no path of working links through trusted nodes"


def refusal_reason(graph: nx.Graph, src: str, dst: str, untrusted: Iterable[str], no_relay: Iterable[str]) -> str:
    """Why no route joins ``src`` and ``dst``: links and declared-untrusted nodes, or the node roles.

    ``untrusted`` are the nodes the scenario declares untrusted; ``no_relay`` adds
    the nodes whose role never relays keys (ends and repeaters).
    """
    declared = usable_graph(graph, src, dst, untrusted)
    if src not in declared or dst not in declared or not nx.has_path(declared, src, dst):
        return NO_PATH_REASON
    role_banned = set(no_relay) - set(untrusted) - {src, dst}
    path = nx.dijkstra_path(declared, src, dst, weight=_hops_then_length)
    blockers = ", ".join(name for name in path[1:-1] if name in role_banned)
    return (
        f"no path of working links through trusted relays (ends and repeaters never relay keys):"
        f" the shortest path {'-'.join(path)} passes {blockers}"
    )
