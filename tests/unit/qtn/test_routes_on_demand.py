"""Routes are found per request, not for every pair of nodes (qtn.routing.Routes).

A network-level run of a 30 x 30 grid (900 routers) with two requests must search
only around its two routes: the nodes settled by every shortest-path search of the
whole run (checks, build, run and tables) are counted, and must stay below a few
times the network. Forwarding tables for every pair (one search per node over the
whole grid) would settle 900 x 900 = 810,000. The routes found this way are the
ones the hop-by-hop forwarding tables give (SeQUeNCe's routers follow those), up to
ties of exactly equal cost.
"""

import itertools
from fractions import Fraction

import networkx as nx
import pytest
from networkx.algorithms.shortest_paths import weighted

from qnetsim.core.hardware import LinkHardwareConfig, NodeHardwareConfig
from qnetsim.core.spec import LinkSpec, NetworkSpec, NodeSpec
from qtn.routing import METRICS, Routes, next_hops, route
from scenarios import from_dict
from scenarios.runner import run_keeping_networks

SIDE = 30
REQUESTS = [("n0_0", "n29_29"), ("n3_25", "n27_4")]


def grid_scenario() -> dict:
    return {
        "name": "routes-on-demand",
        "duration_s": 0.01,
        "fidelity_level": "network",
        "entanglement": {"routing": "highest_rate"},
        "network": {
            "generator": {"kind": "grid", "rows": SIDE, "cols": SIDE, "length_km": 8, "role": "repeater"},
            "node_roles": {end: "end" for pair in REQUESTS for end in pair},
        },
        "traffic": [{"src": src, "dst": dst, "n_memories": 1, "target_fidelity": 0.8} for src, dst in REQUESTS],
    }


def test_a_run_searches_only_around_its_requests(monkeypatch):
    settled = []
    dijkstra = weighted._dijkstra_multisource

    def counting(*args, **kwargs):
        dist = dijkstra(*args, **kwargs)
        settled.append(len(dist))
        return dist

    def refuse(*args, **kwargs):
        raise AssertionError("an all-pairs search on the network-level path")

    monkeypatch.setattr(weighted, "_dijkstra_multisource", counting)
    for name in ("all_pairs_dijkstra", "all_pairs_dijkstra_path", "all_pairs_dijkstra_path_length"):
        monkeypatch.setattr(nx, name, refuse)
    results, built = run_keeping_networks(from_dict(grid_scenario()))

    requests = results.tables["entanglement_requests"]
    assert list(requests["approved"]) == [True, True]
    routes = built.entanglement._admission.routes
    assert routes.cached_pairs() == REQUESTS
    n_nodes = SIDE * SIDE
    assert sum(settled) < 4 * n_nodes, f"{len(settled)} searches settled {sum(settled)} nodes"


def grid_spec(side: int, ends: set[str]) -> NetworkSpec:
    graph = nx.grid_2d_graph(side, side)
    name = {cell: f"n{cell[0]}_{cell[1]}" for cell in graph.nodes}
    nodes = tuple(
        NodeSpec(name[cell], "end" if name[cell] in ends else "repeater", NodeHardwareConfig())
        for cell in sorted(graph.nodes)
    )
    lengths = itertools.cycle([8.0, 8.0, 12.0, 5.0])  # ties and differences
    links = tuple(LinkSpec(name[u], name[v], next(lengths), LinkHardwareConfig()) for u, v in sorted(graph.edges))
    return NetworkSpec(nodes, links)


def exact_cost(graph: nx.Graph, path: list[str]) -> Fraction:
    """A path's cost summed without rounding."""
    return sum((Fraction(graph.edges[u, v]["weight"]) for u, v in itertools.pairwise(path)), Fraction(0))


@pytest.mark.parametrize("metric", METRICS)
def test_routes_are_the_forwarding_tables_routes(metric):
    """Every pair of a 6 x 6 grid with user sites that may not carry routes: the same path both ways,
    or two paths of exactly the same cost, where floating-point sums in a different order tip a tie."""
    spec = grid_spec(6, {"n0_0", "n2_3", "n5_5", "n3_1", "n1_4"})
    tables = next_hops(spec, metric)
    routes = Routes(spec, metric)
    n_same = 0
    for node_a, node_b in itertools.permutations([node.name for node in spec.nodes], 2):
        found, followed = routes.route(node_a, node_b), route(spec, node_a, node_b, metric, tables)
        assert (found is None) == (followed is None), (node_a, node_b)
        if found == followed:
            n_same += 1
        else:
            assert found is not None and followed is not None
            assert exact_cost(routes.graph, found) == exact_cost(routes.graph, followed), (node_a, node_b)
    assert n_same >= 0.95 * 36 * 35
