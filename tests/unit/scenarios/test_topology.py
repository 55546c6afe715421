"""Topology generators in :mod:`scenarios.topology`: names, roles, counts, lengths, determinism."""

import math

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.schema import (
    ChainGenerator,
    EdgesGenerator,
    GridGenerator,
    RingGenerator,
    StarGenerator,
    WaxmanGenerator,
)
from scenarios.topology import Topology, generate


def _roles(topology: Topology) -> dict[str, str]:
    return dict(topology.nodes)


def _check_well_formed(topology: Topology) -> None:
    """Unique node names, links between known distinct nodes, no duplicate links, positive lengths."""
    names = [name for name, _ in topology.nodes]
    assert len(set(names)) == len(names)
    pairs = [frozenset((a, b)) for a, b, _ in topology.links]
    assert len(set(pairs)) == len(pairs)
    for a, b, length_km in topology.links:
        assert a in names and b in names and a != b
        assert isinstance(length_km, float) and length_km > 0


# --- chain ----------------------------------------------------------------------------------


@pytest.mark.parametrize("n_nodes", [2, 3, 7])
def test_chain(n_nodes):
    topology = generate(ChainGenerator(kind="chain", n_nodes=n_nodes, length_km=12.5))
    _check_well_formed(topology)
    assert [name for name, _ in topology.nodes] == [f"n{i}" for i in range(n_nodes)]
    roles = _roles(topology)
    assert roles["n0"] == roles[f"n{n_nodes - 1}"] == "end"
    assert all(roles[f"n{i}"] == "repeater" for i in range(1, n_nodes - 1))
    assert topology.links == tuple((f"n{i}", f"n{i + 1}", 12.5) for i in range(n_nodes - 1))
    graph = topology.graph()
    assert nx.is_isomorphic(graph, nx.path_graph(n_nodes))
    assert nx.dijkstra_path_length(graph, "n0", f"n{n_nodes - 1}", weight="length_km") == 12.5 * (n_nodes - 1)


def test_chain_interior_role():
    topology = generate(ChainGenerator(kind="chain", n_nodes=4, length_km=1.0, interior_role="trusted_relay"))
    assert _roles(topology) == {"n0": "end", "n1": "trusted_relay", "n2": "trusted_relay", "n3": "end"}


# --- ring -----------------------------------------------------------------------------------


@pytest.mark.parametrize("n_nodes", [3, 4, 9])
def test_ring(n_nodes):
    topology = generate(RingGenerator(kind="ring", n_nodes=n_nodes, length_km=3.0, role="repeater"))
    _check_well_formed(topology)
    assert [name for name, _ in topology.nodes] == [f"n{i}" for i in range(n_nodes)]
    assert set(_roles(topology).values()) == {"repeater"}
    assert len(topology.links) == n_nodes
    assert all(length_km == 3.0 for _, _, length_km in topology.links)
    graph = topology.graph()
    assert nx.is_isomorphic(graph, nx.cycle_graph(n_nodes))
    # Neighbours in the ring are consecutive indices, closing n{N-1} - n0.
    pairs = {frozenset((a, b)) for a, b, _ in topology.links}
    assert pairs == {frozenset((f"n{i}", f"n{(i + 1) % n_nodes}")) for i in range(n_nodes)}


# --- star -----------------------------------------------------------------------------------


@pytest.mark.parametrize("n_leaves", [1, 2, 6])
def test_star(n_leaves):
    topology = generate(StarGenerator(kind="star", n_leaves=n_leaves, length_km=4.0))
    _check_well_formed(topology)
    assert [name for name, _ in topology.nodes] == ["hub", *(f"n{i}" for i in range(1, n_leaves + 1))]
    roles = _roles(topology)
    assert roles.pop("hub") == "repeater"
    assert set(roles.values()) == {"end"}
    assert topology.links == tuple(("hub", f"n{i}", 4.0) for i in range(1, n_leaves + 1))


def test_star_roles():
    topology = generate(
        StarGenerator(kind="star", n_leaves=2, length_km=1.0, hub_role="trusted_relay", leaf_role="end")
    )
    assert _roles(topology) == {"hub": "trusted_relay", "n1": "end", "n2": "end"}


# --- grid -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("rows", "cols"), [(1, 1), (1, 4), (2, 3), (4, 4)])
def test_grid(rows, cols):
    topology = generate(GridGenerator(kind="grid", rows=rows, cols=cols, length_km=2.0, role="repeater"))
    _check_well_formed(topology)
    expected_names = [f"n{r}_{c}" for r in range(rows) for c in range(cols)]
    assert [name for name, _ in topology.nodes] == expected_names
    assert set(_roles(topology).values()) == {"repeater"}
    assert len(topology.links) == rows * (cols - 1) + (rows - 1) * cols
    for a, b, length_km in topology.links:
        (ra, ca), (rb, cb) = (tuple(map(int, name[1:].split("_"))) for name in (a, b))
        assert abs(ra - rb) + abs(ca - cb) == 1  # 4-neighbours only
        assert length_km == 2.0
    graph = topology.graph()
    assert nx.is_isomorphic(graph, nx.grid_2d_graph(rows, cols))
    assert nx.is_connected(graph)


# --- edges ----------------------------------------------------------------------------------


def test_edges_keep_file_order():
    config = EdgesGenerator(
        kind="edges",
        edges=[("zeta", "alpha", 5), ("alpha", "mid", 2.5), ("beta", "zeta", 1.0), ("mid", "beta", 7)],
        role="trusted_relay",
    )
    topology = generate(config)
    _check_well_formed(topology)
    # Nodes in order of first mention, links exactly as listed, lengths as floats.
    assert topology.nodes == tuple((name, "trusted_relay") for name in ("zeta", "alpha", "mid", "beta"))
    assert topology.links == (
        ("zeta", "alpha", 5.0),
        ("alpha", "mid", 2.5),
        ("beta", "zeta", 1.0),
        ("mid", "beta", 7.0),
    )


@given(
    st.lists(
        st.tuples(st.sampled_from("abcdefgh"), st.sampled_from("abcdefgh"), st.floats(min_value=0.1, max_value=1e3)),
        min_size=1,
        max_size=12,
    )
)
def test_edges_keep_any_order(edges):
    topology = generate(EdgesGenerator(kind="edges", edges=edges))
    assert topology.links == tuple((a, b, float(length)) for a, b, length in edges)
    first_mentions = list(dict.fromkeys(name for a, b, _ in edges for name in (a, b)))
    assert [name for name, _ in topology.nodes] == first_mentions
    assert set(_roles(topology).values()) == {"end"}


# --- waxman ---------------------------------------------------------------------------------


def _waxman(n_nodes=20, domain_km=100.0, alpha=0.4, beta=0.4, topology_seed=None, seed=0) -> Topology:
    config = WaxmanGenerator(
        kind="waxman", n_nodes=n_nodes, domain_km=domain_km, alpha=alpha, beta=beta, topology_seed=topology_seed
    )
    return generate(config, seed=seed)


def test_waxman_is_deterministic_for_a_seed_and_differs_for_another():
    assert _waxman(seed=1) == _waxman(seed=1)
    assert _waxman(seed=1).links != _waxman(seed=2).links
    assert _waxman(topology_seed=7) == _waxman(topology_seed=7)
    assert _waxman(topology_seed=7).links != _waxman(topology_seed=8).links


def test_waxman_topology_seed_overrides_the_scenario_seed():
    assert _waxman(topology_seed=7, seed=1) == _waxman(topology_seed=7, seed=2)


def test_waxman_names_and_roles():
    config = WaxmanGenerator(kind="waxman", n_nodes=12, domain_km=50.0, role="repeater", topology_seed=3)
    topology = generate(config)
    assert topology.nodes == tuple((f"n{i}", "repeater") for i in range(12))


def _positions(n_nodes, domain_km, alpha, beta, topology_seed) -> tuple[nx.Graph, dict[int, tuple[float, float]]]:
    """networkx's own Waxman graph for the same parameters (the generator draws its positions from it)."""
    raw = nx.waxman_graph(
        n_nodes, beta=beta, alpha=alpha, domain=(0.0, 0.0, domain_km, domain_km), seed=topology_seed % (2**32)
    )
    return raw, nx.get_node_attributes(raw, "pos")


@settings(max_examples=80, deadline=None)
@given(
    n_nodes=st.integers(min_value=2, max_value=25),
    domain_km=st.floats(min_value=1.0, max_value=1000.0),
    alpha=st.floats(min_value=0.01, max_value=1.0),
    beta=st.floats(min_value=0.01, max_value=1.0),
    topology_seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_waxman_is_connected_with_euclidean_lengths_inside_the_domain(n_nodes, domain_km, alpha, beta, topology_seed):
    topology = _waxman(n_nodes, domain_km, alpha, beta, topology_seed)
    _check_well_formed(topology)
    graph = topology.graph()
    assert graph.number_of_nodes() == n_nodes
    assert nx.is_connected(graph)

    raw, positions = _positions(n_nodes, domain_km, alpha, beta, topology_seed)
    for x, y in positions.values():
        assert 0.0 <= x <= domain_km and 0.0 <= y <= domain_km
    for a, b, length_km in topology.links:
        u, v = int(a[1:]), int(b[1:])
        # Euclidean distance; co-located nodes still get a positive (1 m) fibre.
        assert length_km == pytest.approx(max(math.dist(positions[u], positions[v]), 1e-3), rel=1e-12)
        assert length_km <= domain_km * math.sqrt(2) + 1e-9
    # Every Waxman edge is kept, and components are joined with as few extra links as possible.
    links = {frozenset((int(a[1:]), int(b[1:]))) for a, b, _ in topology.links}
    assert {frozenset(edge) for edge in raw.edges} <= links
    assert len(links) - raw.number_of_edges() == nx.number_connected_components(raw) - 1


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=2, max_value=25), st.integers(min_value=0, max_value=2**63 - 1))
def test_waxman_with_a_derived_seed_is_connected(n_nodes, seed):
    topology = _waxman(n_nodes=n_nodes, alpha=0.05, beta=0.1, seed=seed)  # sparse: usually many components
    assert nx.is_connected(topology.graph())
    assert topology == _waxman(n_nodes=n_nodes, alpha=0.05, beta=0.1, seed=seed)


# --- dispatch -------------------------------------------------------------------------------


def test_unknown_generator_config_is_a_type_error():
    with pytest.raises(TypeError, match="no topology generator for dict"):
        generate({"kind": "chain"})


def test_topology_graph_carries_lengths():
    topology = generate(EdgesGenerator(kind="edges", edges=[("a", "b", 2.0), ("b", "c", 3.0)]))
    graph = topology.graph()
    assert sorted(graph.nodes) == ["a", "b", "c"]
    assert graph.edges["a", "b"]["length_km"] == 2.0 and graph.edges["c", "b"]["length_km"] == 3.0
