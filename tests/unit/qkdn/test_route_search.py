"""The routing's own Dijkstra (qkdn.route_search) returns networkx's path, ties included, as link states change.

The reference is ``nx.dijkstra_path`` with the weight functions the routing used
before (written out below): the key-aware cost ``1 + bits / residual`` (or the
shortfall penalty) and the fewest-hop cost ``1 + 1e-6 length_km``, hiding links
that are down and links into banned relays. Residual levels are drawn from a few
values so that equally cheap paths (ties) are common: the path must be the one
networkx picks, not just one of the same cost. Each example then changes the
levels and states of some links, as pool reports and failures do, and compares
again on the same graph object.
"""

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qkdn.route_search import cheapest_path, hops_cost, key_aware_cost
from qkdn.routing import key_aware, route_key, shortest


def _reference_weight(n_bits, short_penalty, dst, banned):
    """The weight function of the routing before its own search: networkx calls it per edge."""
    banned = frozenset(banned) - {dst}

    def weight(u, v, data):
        if not data.get("up", True) or v in banned:
            return None
        if n_bits is None:
            return 1.0 + 1e-6 * float(data.get("length_km", 0.0))
        residual = float(data.get("residual_bits", 0.0))
        if residual < n_bits:
            deficit = (n_bits - max(residual, 0.0)) / n_bits
            return 1.0 + short_penalty * (1.0 + deficit)
        return 1.0 + n_bits / residual

    return weight


def _reference_path(graph, src, dst, n_bits, banned):
    weight = _reference_weight(n_bits, float(graph.number_of_nodes()), dst, banned)
    try:
        return nx.dijkstra_path(graph, src, dst, weight=weight)
    except nx.NetworkXNoPath:
        return None


def _ours(graph, src, dst, n_bits, banned):
    try:
        return cheapest_path(graph, src, dst, n_bits, float(graph.number_of_nodes()), banned)
    except nx.NetworkXNoPath:
        return None


LEVELS = st.sampled_from([0, 100, 256, 1000, 4096, 1_000_000])  # few values: many ties


@st.composite
def networks(draw):
    """A random graph with link states, a request, and a list of later link-state changes."""
    n_nodes = draw(st.integers(2, 12))
    seed = draw(st.integers(0, 10_000))
    graph = nx.gnm_random_graph(n_nodes, draw(st.integers(1, 3 * n_nodes)), seed=seed)
    graph = nx.relabel_nodes(graph, {i: f"n{i}" for i in graph.nodes})
    for u, v in graph.edges:
        graph.edges[u, v].update(
            residual_bits=draw(LEVELS),
            up=draw(st.booleans()) or draw(st.booleans()),
            length_km=draw(st.sampled_from([10.0, 25.0, 50.0])),
        )
    nodes = sorted(graph.nodes)
    src, dst = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
    banned = draw(st.lists(st.sampled_from(nodes), max_size=3))
    n_bits = draw(st.sampled_from([None, 1, 256, 4096]))
    edges = sorted(graph.edges)
    changes = draw(st.lists(st.tuples(st.sampled_from(edges), LEVELS, st.booleans()), max_size=6)) if edges else []
    return graph, src, dst, n_bits, banned, changes


@settings(max_examples=300, deadline=None, derandomize=True)
@given(networks())
def test_the_same_path_as_networkx_before_and_after_link_states_change(case):
    graph, src, dst, n_bits, banned, changes = case
    assert _ours(graph, src, dst, n_bits, banned) == _reference_path(graph, src, dst, n_bits, banned)
    for (u, v), level, up in changes:  # pool reports and failures change the live graph the controller routes on
        graph.edges[u, v]["residual_bits"] = level
        graph.edges[u, v]["up"] = up
        assert _ours(graph, src, dst, n_bits, banned) == _reference_path(graph, src, dst, n_bits, banned)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_waxman_networks_with_every_pool_full_tie_everywhere_and_still_agree(seed):
    """All links full: every key-aware cost is equal, so the tie-breaking alone picks the path."""
    graph = nx.waxman_graph(60, beta=0.4, alpha=0.2, seed=seed)
    graph = nx.relabel_nodes(graph, {i: f"n{i}" for i in graph.nodes})
    for u, v in graph.edges:
        graph.edges[u, v].update(residual_bits=1_000_000, up=True, length_km=30.0)
    nodes = sorted(graph.nodes)
    for src, dst in zip(nodes[:20], nodes[20:40], strict=True):
        for n_bits in (None, 256):
            assert _ours(graph, src, dst, n_bits, ()) == _reference_path(graph, src, dst, n_bits, ())


def test_costs_are_the_documented_formulas():
    """key_aware_cost: 1 + n/residual with enough key, 1 + penalty (1 + deficit) without; hops_cost: 1 + 1e-6 km."""
    assert key_aware_cost({"residual_bits": 1024}, 256, 10.0) == pytest.approx(1.25)
    assert key_aware_cost({"residual_bits": 128}, 256, 10.0) == pytest.approx(1.0 + 10.0 * 1.5)
    assert key_aware_cost({}, 256, 10.0) == pytest.approx(1.0 + 10.0 * 2.0)
    assert hops_cost({"length_km": 50.0}) == pytest.approx(1.00005)


def test_the_strategies_and_route_key_use_it():
    graph = nx.path_graph(["a", "b", "c"])
    nx.add_path(graph, ["a", "d", "c"])
    for u, v in graph.edges:
        graph.edges[u, v].update(residual_bits=5000, up=True, length_km=10.0)
    graph.edges["a", "b"]["residual_bits"] = 100  # short of key: the other way
    assert key_aware(graph, "a", "c", 256) == [(["a", "d", "c"], 256)]
    graph.edges["a", "d"]["up"] = False
    assert route_key("key_aware", graph, "a", "c", 256) == [(["a", "b", "c"], 256)]
    assert shortest(graph, "a", "c", 256) == [(["a", "b", "c"], 256)]
    assert route_key("shortest", graph, "a", "c", 256, untrusted=["b"]) is None
