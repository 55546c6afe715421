"""Classical delays found pair by pair equal those of a whole single-source search (qnetsim.core.fibre_delays).

The delay of two routers is that of the fastest fibre route (SeQUeNCe's router mesh).
:class:`FibreDelays` takes it from a link, from a noted fastest route, or from one
stopped search; each way must give exactly the integer picoseconds the whole
search gives, on networks with detours faster than a direct link and with ties.
"""

import itertools
import random

import networkx as nx
import pytest

from qnetsim.core.fibre_delays import FibreDelays, channel_delay_ps, fastest_routes_from


def waxman_with_delays(seed: int) -> nx.Graph:
    """A connected Waxman graph whose links take 1 to 60 us (whole us: many ties), a few much slower."""
    rng = random.Random(seed)
    graph = nx.waxman_graph(40, beta=0.4, alpha=0.3, seed=seed)
    graph.add_edges_from(itertools.pairwise(sorted(graph.nodes)))  # connected
    for u, v in graph.edges:
        graph.edges[u, v]["delay_s"] = rng.choice([rng.randint(1, 6) * 1e-5, rng.randint(1, 60) * 1e-6])
    return nx.relabel_nodes(graph, {node: f"r{node}" for node in graph.nodes})


def whole_search_ps(graph: nx.Graph) -> dict[str, dict[str, int]]:
    return {
        src: {
            dst: channel_delay_ps(delay)
            for dst, delay in nx.single_source_dijkstra_path_length(graph, src, weight="delay_s").items()
        }
        for src in graph.nodes
    }


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_every_pair_matches_the_whole_search(seed):
    graph = waxman_with_delays(seed)
    expected = whole_search_ps(graph)
    delays = FibreDelays(graph)
    rng = random.Random(seed)
    nodes = sorted(graph.nodes)
    for _ in range(6):  # routes the engine would note: fastest ones and others
        src, dst = rng.sample(nodes, 2)
        delays.note_route(nx.dijkstra_path(graph, src, dst, weight="delay_s"))
        delays.note_route(nx.shortest_path(graph, src, dst))  # fewest hops: often not the fastest
    for src, dst in itertools.product(nodes, nodes):
        assert delays.delay_ps(src, dst) == expected[src][dst], (src, dst)


def test_a_slow_route_is_not_taken_for_delays():
    """Triangle: a-b direct 50 us, a-c-b 10 + 10 us. The route a-b is not the fastest, so a-b takes 20 us."""
    graph = nx.Graph()
    graph.add_edge("a", "b", delay_s=5e-5)
    graph.add_edge("a", "c", delay_s=1e-5)
    graph.add_edge("c", "b", delay_s=1e-5)
    delays = FibreDelays(graph)
    assert not delays.note_route(["a", "b"])
    assert delays.delay_ps("a", "b") == 20_000_000
    assert delays.note_route(["a", "c", "b"])
    assert delays.delay_ps("b", "a") == 20_000_000


def test_pairs_on_a_noted_route_need_no_search():
    """A 40-hop chain: one check of the route, then every pair along it comes from the route."""
    graph = nx.path_graph([f"n{i}" for i in range(41)])
    nx.set_edge_attributes(graph, 4e-5, "delay_s")
    delays = FibreDelays(graph)
    assert delays.note_route([f"n{i}" for i in range(41)])
    for i, j in itertools.product(range(0, 41, 5), range(0, 41, 3)):
        assert delays.delay_ps(f"n{i}", f"n{j}") == max(1, round(abs(i - j) * 4e-5 * 1e12))
    assert delays.n_searches == 1


def test_the_mesh_helper_is_the_single_source_search():
    graph = waxman_with_delays(5)
    delays_s, paths = fastest_routes_from(graph, "r0")
    assert delays_s == nx.single_source_dijkstra_path_length(graph, "r0", weight="delay_s")
    assert all(path[0] == "r0" and path[-1] == node for node, path in paths.items())
