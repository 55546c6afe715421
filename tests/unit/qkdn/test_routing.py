"""Key routing strategies on hand-made graphs: which path(s) a key takes and how its bits are split."""

import itertools

import networkx as nx
import pytest

from qkdn.routing import STRATEGIES, k_shortest, key_aware, max_flow_paths, multipath, route_key, shortest


def graph(*edges: tuple[str, str, float, float, float], down: tuple[tuple[str, str], ...] = ()) -> nx.Graph:
    """Edges ``(u, v, length_km, residual_bits, key_rate_bps)``; links in ``down`` have failed."""
    result = nx.Graph()
    for u, v, length_km, residual_bits, key_rate_bps in edges:
        result.add_edge(u, v, length_km=length_km, residual_bits=residual_bits, key_rate_bps=key_rate_bps, up=True)
    for u, v in down:
        result.edges[u, v]["up"] = False
    return result


# Two routes a -> d: short (a-b-d) and long (a-c-e-d); b-d has little key left.
TWO_ROUTES = graph(
    ("a", "b", 10, 10_000, 1000),
    ("b", "d", 10, 300, 1000),
    ("a", "c", 10, 10_000, 1000),
    ("c", "e", 10, 10_000, 1000),
    ("e", "d", 10, 10_000, 1000),
)


def test_shortest_takes_fewest_hops_whatever_the_key_left():
    assert route_key("shortest", TWO_ROUTES, "a", "d", 1000) == [(["a", "b", "d"], 1000)]


def test_shortest_breaks_ties_by_fibre_length():
    square = graph(("a", "b", 30, 1, 1), ("b", "d", 30, 1, 1), ("a", "c", 20, 1, 1), ("c", "d", 20, 1, 1))
    assert shortest(square, "a", "d", 8) == [(["a", "c", "d"], 8)]


def test_key_aware_avoids_links_without_enough_key():
    assert route_key("key_aware", TWO_ROUTES, "a", "d", 1000) == [(["a", "c", "e", "d"], 1000)]
    assert route_key("key_aware", TWO_ROUTES, "a", "d", 200) == [(["a", "b", "d"], 200)]


def test_key_aware_prefers_the_path_with_more_key_left():
    """Equal hops; cost 1 + n/residual per link is lower on the better-stocked path."""
    square = graph(
        ("a", "b", 10, 1000, 1), ("b", "d", 10, 1000, 1), ("a", "c", 10, 50_000, 1), ("c", "d", 10, 50_000, 1)
    )
    assert key_aware(square, "a", "d", 500) == [(["a", "c", "d"], 500)]


def test_key_aware_still_routes_when_every_path_is_short_of_key():
    """The key waits for fresh key on the way; the path with the smaller shortfall wins.

    a-b-d: deficits 0.5 and 0.985 on 2 links; a-c-e-d: 0.5 on 3 links, so a-b-d costs less.
    """
    assert route_key("key_aware", TWO_ROUTES, "a", "d", 20_000) == [(["a", "b", "d"], 20_000)]


def test_key_aware_routes_over_empty_pools_at_start():
    """At t = 0 no link holds key yet: the request must get a path, not a 'no path' failure."""
    empty = graph(("a", "b", 10, 0, 1000), ("b", "c", 10, 0, 1000))
    assert route_key("key_aware", empty, "a", "c", 256) == [(["a", "b", "c"], 256)]


def test_key_aware_prefers_any_stocked_path_to_a_shorter_one_short_of_key():
    chain = graph(("a", "z", 10, 0, 1000), *[(f"n{i}", f"n{i + 1}", 10, 10_000, 1000) for i in range(5)])
    chain.add_edge("a", "n0", length_km=10, residual_bits=10_000, key_rate_bps=1000, up=True)
    chain.add_edge("n5", "z", length_km=10, residual_bits=10_000, key_rate_bps=1000, up=True)
    assert route_key("key_aware", chain, "a", "z", 256)[0][0] == ["a", "n0", "n1", "n2", "n3", "n4", "n5", "z"]


def test_k_shortest_takes_the_first_path_with_enough_key():
    assert route_key("k_shortest", TWO_ROUTES, "a", "d", 1000, k=2) == [(["a", "c", "e", "d"], 1000)]
    assert k_shortest(TWO_ROUTES, "a", "d", 200, k=2) == [(["a", "b", "d"], 200)]


def test_k_shortest_falls_back_to_the_shortest():
    assert route_key("k_shortest", TWO_ROUTES, "a", "d", 1000, k=1) == [(["a", "b", "d"], 1000)]
    assert route_key("k_shortest", TWO_ROUTES, "a", "d", 50_000, k=3) == [(["a", "b", "d"], 50_000)]


def test_multipath_splits_bits_in_proportion_to_max_flow():
    """Disjoint routes with bottleneck rates 3000 and 1000 b/s: a 1000-bit key splits 750 / 250."""
    two = graph(
        ("a", "b", 10, 0, 3000),
        ("b", "d", 10, 0, 5000),
        ("a", "c", 10, 0, 1000),
        ("c", "d", 10, 0, 4000),
    )
    value, paths = max_flow_paths(two, "a", "d")
    assert value == pytest.approx(4000) == nx.maximum_flow_value(two, "a", "d", capacity="key_rate_bps")
    shares = dict((tuple(p), bits) for p, bits in multipath(two, "a", "d", 1000))
    assert shares == {("a", "b", "d"): 750, ("a", "c", "d"): 250}


@pytest.mark.parametrize("seed", range(6))
def test_max_flow_value_equals_networkx_and_paths_carry_it(seed):
    """On random graphs: flow value = networkx's maximum_flow_value of the link rates; paths decompose it."""
    random_graph = nx.gnm_random_graph(9, 18, seed=seed)
    random_graph = nx.relabel_nodes(random_graph, {n: f"n{n}" for n in random_graph})
    rates = nx.utils.create_random_state(seed)
    for u, v in random_graph.edges:
        random_graph.edges[u, v].update(key_rate_bps=float(rates.randint(1, 100)) * 1000, up=True, residual_bits=0)
    src, dst = "n0", "n8"
    if not nx.has_path(random_graph, src, dst):
        pytest.skip("disconnected draw")
    expected = nx.maximum_flow_value(random_graph, src, dst, capacity="key_rate_bps")
    value, paths = max_flow_paths(random_graph, src, dst)
    assert value == pytest.approx(expected)
    assert sum(amount for _, amount in paths) == pytest.approx(expected)
    used: dict[tuple[str, str], float] = {}
    for path, amount in paths:
        assert path[0] == src and path[-1] == dst and len(set(path)) == len(path) and amount > 0
        for u, v in itertools.pairwise(path):
            assert random_graph.has_edge(u, v)
            used[(u, v)] = used.get((u, v), 0.0) + amount
    for (u, v), flow in used.items():
        assert flow <= random_graph.edges[u, v]["key_rate_bps"] * (1 + 1e-9)
    shares = multipath(random_graph, src, dst, 4096)
    assert sum(bits for _, bits in shares) == 4096 and all(bits > 0 for _, bits in shares)
    for path, bits in shares:
        amount = dict((tuple(p), a) for p, a in paths)[tuple(path)]
        assert abs(bits - 4096 * amount / value) <= len(paths)


def test_untrusted_nodes_never_relay_but_may_be_endpoints():
    assert route_key("shortest", TWO_ROUTES, "a", "d", 100, untrusted=["b"]) == [(["a", "c", "e", "d"], 100)]
    assert route_key("shortest", TWO_ROUTES, "b", "d", 100, untrusted=["b"]) == [(["b", "d"], 100)]
    assert route_key("shortest", TWO_ROUTES, "a", "d", 100, untrusted=["a", "d"]) == [(["a", "b", "d"], 100)]
    assert route_key("shortest", TWO_ROUTES, "a", "d", 100, untrusted=["b", "e"]) is None


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_no_strategy_uses_an_untrusted_relay(strategy):
    mesh = graph(
        ("a", "b", 5, 90_000, 9000),
        ("b", "d", 5, 90_000, 9000),
        ("a", "c", 10, 50_000, 1000),
        ("c", "d", 10, 50_000, 1000),
        ("a", "e", 20, 50_000, 1000),
        ("e", "d", 20, 50_000, 1000),
    )
    shares = route_key(strategy, mesh, "a", "d", 1000, untrusted=["b"])
    assert shares and sum(bits for _, bits in shares) == 1000
    assert all("b" not in path for path, _ in shares)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_no_strategy_uses_a_failed_link(strategy):
    mesh = graph(
        ("a", "b", 5, 90_000, 9000),
        ("b", "d", 5, 90_000, 9000),
        ("a", "c", 10, 50_000, 1000),
        ("c", "d", 10, 50_000, 1000),
        ("a", "e", 20, 50_000, 1000),
        ("e", "d", 20, 50_000, 1000),
        down=(("b", "d"), ("c", "d")),
    )
    shares = route_key(strategy, mesh, "a", "d", 1000)
    assert shares == [(["a", "e", "d"], 1000)]
    all_down = graph(("a", "b", 5, 90_000, 9000), ("b", "d", 5, 90_000, 9000), down=(("a", "b"),))
    assert route_key(strategy, all_down, "a", "d", 10) is None


def test_no_route_between_disconnected_nodes():
    apart = graph(("a", "b", 1, 10, 10), ("c", "d", 1, 10, 10))
    for strategy in STRATEGIES:
        assert route_key(strategy, apart, "a", "d", 5) is None
