"""Splitting a hybrid network into direct QKD links and repeater segments (qkdn.segments)."""

import pytest

from qkdn.segments import is_hybrid, split_network
from qnetsim.core.errors import ConfigError
from qnetsim.core.hardware import FibreConfig, LinkHardwareConfig, NodeHardwareConfig
from qnetsim.core.spec import LinkSpec, NetworkSpec, NodeSpec


def spec_of(roles: dict[str, str], fibres: list[tuple[str, str, float]], hardware=None) -> NetworkSpec:
    nodes = tuple(NodeSpec(name, role, NodeHardwareConfig()) for name, role in roles.items())  # type: ignore[arg-type]
    links = tuple(LinkSpec(a, b, km, (hardware or {}).get((a, b), LinkHardwareConfig())) for a, b, km in fibres)
    return NetworkSpec(nodes, links)


METRO_ROLES = {
    "alice": "end",
    "rw": "repeater",
    "t1": "trusted_relay",
    "t2": "trusted_relay",
    "t3": "trusted_relay",
    "re": "repeater",
    "bob": "end",
}
METRO_FIBRES = [
    ("alice", "rw", 5.0),
    ("rw", "t1", 6.0),
    ("t1", "t2", 15.0),
    ("t2", "t3", 15.0),
    ("t3", "t1", 22.0),
    ("bob", "re", 5.0),
    ("re", "t3", 5.0),
]


def test_each_repeater_island_between_two_key_holding_nodes_is_one_segment():
    split = split_network(spec_of(METRO_ROLES, METRO_FIBRES))
    assert [(s.name, s.path, s.length_km) for s in split.segments] == [
        ("alice~t1", ("alice", "rw", "t1"), 11.0),
        ("bob~t3", ("bob", "re", "t3"), 10.0),
    ]
    # The QKD view: key-holding nodes only, direct fibres plus one virtual link per segment.
    assert {n.name for n in split.qkd_spec.nodes} == {"alice", "t1", "t2", "t3", "bob"}
    assert sorted(link.name for link in split.qkd_spec.links) == ["alice~t1", "bob~t3", "t1~t2", "t1~t3", "t2~t3"]
    assert split.qkd_spec.graph().edges["alice", "t1"]["length_km"] == 11.0
    # The entanglement view: repeaters, the nodes they touch and their fibres, nothing else.
    assert {n.name for n in split.quantum_spec.nodes} == {"alice", "rw", "t1", "bob", "re", "t3"}
    assert sorted(link.name for link in split.quantum_spec.links) == ["alice~rw", "bob~re", "re~t3", "rw~t1"]
    assert split.link_kind("alice~t1") == "bbm92-segment" and split.link_kind("t1~t2") == "bb84-fast"
    assert [s.name for s in split.segments_of_fibre("t1", "rw")] == ["alice~t1"]
    assert split.segments_of_fibre("t1", "t2") == []
    assert is_hybrid(spec_of(METRO_ROLES, METRO_FIBRES))
    assert not is_hybrid(spec_of({"a": "end", "b": "trusted_relay"}, [("a", "b", 1.0)]))


def test_a_segment_link_has_the_fibre_parameters_of_its_first_fibre():
    slow = LinkHardwareConfig(fibre=FibreConfig(attenuation_db_per_km=0.3))
    split = split_network(spec_of(METRO_ROLES, METRO_FIBRES, {("alice", "rw"): slow}))
    link = next(link for link in split.qkd_spec.links if link.name == "alice~t1")
    assert link.hardware == slow


def test_an_island_with_three_key_holding_neighbours_makes_a_segment_per_pair():
    roles = {"a": "end", "b": "end", "c": "trusted_relay", "r1": "repeater", "r2": "repeater"}
    fibres = [("a", "r1", 5.0), ("r1", "r2", 5.0), ("r2", "b", 5.0), ("r2", "c", 7.0)]
    split = split_network(spec_of(roles, fibres))
    assert [(s.name, s.path) for s in split.segments] == [
        ("a~b", ("a", "r1", "r2", "b")),
        ("a~c", ("a", "r1", "r2", "c")),
        ("b~c", ("b", "r2", "c")),
    ]


def test_a_segment_beside_a_direct_fibre_between_the_same_nodes_is_refused():
    roles = {"a": "end", "r": "repeater", "b": "trusted_relay"}
    with pytest.raises(ConfigError, match="a and b would be joined by two key links, the direct fibre a-b"):
        split_network(spec_of(roles, [("a", "r", 5.0), ("r", "b", 5.0), ("a", "b", 30.0)]))


def test_two_islands_between_the_same_nodes_are_refused():
    roles = {"a": "end", "r1": "repeater", "r2": "repeater", "b": "end"}
    fibres = [("a", "r1", 5.0), ("r1", "b", 5.0), ("a", "r2", 6.0), ("r2", "b", 6.0)]
    with pytest.raises(ConfigError, match=r"a and b border two repeater islands \(r1; r2\)"):
        split_network(spec_of(roles, fibres))


def test_a_segment_route_never_passes_a_key_holding_node():
    """a-r1-b is 40 km; the route a-r2-t-r3-b is shorter but t does not swap, so the segment takes a-r1-b."""
    roles = {"a": "end", "b": "end", "t": "trusted_relay", "r1": "repeater", "r2": "repeater", "r3": "repeater"}
    fibres = [("a", "r1", 20.0), ("r1", "b", 20.0), ("a", "r2", 5.0), ("r2", "t", 5.0), ("t", "r3", 5.0)]
    fibres += [("r3", "b", 5.0)]
    split = split_network(spec_of(roles, fibres))
    assert ("a", "r1", "b") in [segment.path for segment in split.segments]
    assert all("t" not in segment.path[1:-1] for segment in split.segments)


def test_a_repeater_touching_one_key_holding_node_makes_no_segment():
    split = split_network(spec_of({"a": "end", "r": "repeater", "b": "end"}, [("a", "r", 5.0), ("a", "b", 9.0)]))
    assert split.segments == ()
    assert [link.name for link in split.qkd_spec.links] == ["a~b"]
