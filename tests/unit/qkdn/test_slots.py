"""First-Fit slot plans for key-pool assembly (seed document 000, section 3.3)."""

import itertools

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qkdn.slots import SlotGrid, dijkstra_paths, first_fit_slots, kp_pairs, link_key
from qnetsim.core.errors import ConfigError


def chain(n_nodes: int) -> nx.Graph:
    graph = nx.path_graph([f"n{i}" for i in range(n_nodes)])
    nx.set_edge_attributes(graph, 10.0, "length_km")
    return graph


def test_slot_grid_counts_whole_slots_and_places_them():
    assert SlotGrid(1.0, 0.25).n_slots == 4
    assert SlotGrid(0.3, 0.1).n_slots == 3  # 0.3 / 0.1 is 2.9999999999999996 in floating point
    assert SlotGrid(1.0, 0.3).n_slots == 3
    assert SlotGrid(2.0, 0.5).slot_window_s(10.0, 3) == (11.5, 12.0)
    with pytest.raises(ConfigError, match="slot"):
        SlotGrid(2.0, 0.5).slot_window_s(10.0, 4)


@pytest.mark.parametrize(
    ("period_s", "slot_s", "field"), [(1.0, 1.0, "slot_s"), (1.0, 0.0, "slot_s"), (0.0, 0.1, "period_s")]
)
def test_slot_grid_rejects_slots_not_shorter_than_the_period(period_s, slot_s, field):
    with pytest.raises(ConfigError, match=field):
        SlotGrid(period_s, slot_s)


@pytest.mark.parametrize("n_nodes", [1, 2, 3, 4, 7])
def test_there_is_one_key_pool_per_unordered_pair(n_nodes):
    pairs = kp_pairs(f"n{i}" for i in range(n_nodes))
    assert len(pairs) == n_nodes * (n_nodes - 1) // 2
    assert len({frozenset(p) for p in pairs}) == len(pairs)
    assert all(a < b for a, b in pairs)


def plan_chain(n_nodes: int, n_slots: int):
    graph = chain(n_nodes)
    pairs = kp_pairs(graph.nodes)
    paths = dijkstra_paths(graph, pairs)
    return first_fit_slots([(s, d, p) for (s, d), p in zip(pairs, paths, strict=True)], n_slots)


def test_first_fit_on_a_four_node_chain_by_hand():
    """Chain n0-n1-n2-n3, links L01 L12 L23, three slots, pairs in name order.

    n0-n1 (L01) -> 0; n0-n2 (L01 L12) -> 1; n0-n3 (all) -> 2; n1-n2 (L12 has 1, 2) -> 0;
    n1-n3 (L12 full) -> blocked; n2-n3 (L23 has 2) -> 0.
    """
    plan = plan_chain(4, 3)
    assert [(a.src, a.dst) for a in plan] == kp_pairs(["n0", "n1", "n2", "n3"])
    assert [a.slot for a in plan] == [0, 1, 2, 0, None, 0]
    assert [a.n_hops for a in plan] == [1, 2, 3, 1, 2, 1]
    blocked = plan[4]
    assert not blocked.assigned and "no slot free" in blocked.reason and blocked.path == ("n1", "n2", "n3")


def test_first_fit_blocks_more_when_slots_run_out():
    """Two slots: n0-n3 finds L01 full (0, 1) and is blocked; n1-n3 finds L12 full; the others fit."""
    plan = plan_chain(4, 2)
    assert [a.slot for a in plan] == [0, 1, None, 0, None, 0]
    plan_one = plan_chain(4, 1)
    assert [a.slot for a in plan_one] == [0, None, None, 0, None, 0]


def test_unroutable_pair_is_blocked_with_a_reason():
    (assignment,) = first_fit_slots([("a", "b", None)], 4)
    assert assignment.slot is None and assignment.path == () and "no path" in assignment.reason


def test_dijkstra_minimises_fibre_length_or_hops():
    graph = nx.Graph()
    graph.add_edge("a", "b", length_km=1.0)
    graph.add_edge("b", "c", length_km=1.0)
    graph.add_edge("a", "c", length_km=5.0)
    graph.add_node("z")
    assert dijkstra_paths(graph, [("a", "c"), ("a", "z")]) == [("a", "b", "c"), None]
    assert dijkstra_paths(graph, [("a", "c")], weight=None) == [("a", "c")]


def test_occupied_slots_are_respected_and_updated():
    occupied = {link_key("n0", "n1"): {0, 1}}
    (assignment,) = first_fit_slots([("n0", "n1", ("n0", "n1"))], 4, occupied)
    assert assignment.slot == 2 and occupied[link_key("n0", "n1")] == {0, 1, 2}


@settings(max_examples=60, deadline=None)
@given(
    n_nodes=st.integers(2, 8),
    extra_edges=st.integers(0, 8),
    n_slots=st.integers(1, 5),
    graph_seed=st.integers(0, 10_000),
)
def test_first_fit_never_shares_a_slot_and_always_takes_the_lowest(n_nodes, extra_edges, n_slots, graph_seed):
    """Property: no link serves two assemblies in one slot; every slot is the lowest free; blocks are real."""
    graph = nx.random_labeled_tree(n_nodes, seed=graph_seed) if n_nodes > 1 else nx.empty_graph(1)
    graph = nx.relabel_nodes(graph, {i: f"n{i}" for i in graph.nodes})
    extra = nx.gnm_random_graph(n_nodes, extra_edges, seed=graph_seed)
    graph.add_edges_from((f"n{u}", f"n{v}") for u, v in extra.edges)
    nx.set_edge_attributes(graph, 1.0, "length_km")
    pairs = kp_pairs(graph.nodes)
    plan = first_fit_slots([(s, d, p) for (s, d), p in zip(pairs, dijkstra_paths(graph, pairs), strict=True)], n_slots)
    used: dict[frozenset[str], set[int]] = {}
    for assignment in plan:
        links = [link_key(u, v) for u, v in itertools.pairwise(assignment.path)]
        busy = set().union(*(used.get(link, set()) for link in links))
        free = [j for j in range(n_slots) if j not in busy]
        if assignment.slot is None:
            assert free == []
        else:
            assert assignment.slot == free[0]
            for link in links:
                assert assignment.slot not in used.setdefault(link, set())
                used[link].add(assignment.slot)
    assert all(len(slots) <= n_slots for slots in used.values())
