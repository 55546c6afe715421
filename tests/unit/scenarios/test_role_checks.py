"""Validation of node roles: each node is asked only what its role can do (scenarios.role_checks)."""

import copy

import pytest

from scenarios.checks import check_scenario
from scenarios.errors import ScenarioError
from scenarios.loader import from_dict
from scenarios.role_checks import role_warnings


def listed(roles: dict[str, str], edges: list[tuple[str, str]], traffic: list[dict], **extra: object) -> dict:
    """Listed nodes of the given roles joined by 10 km links."""
    return {
        "name": "t",
        "duration_s": 1.0,
        "network": {
            "nodes": [{"name": name, "role": role} for name, role in roles.items()],
            "links": [{"a": a, "b": b, "length_km": 10.0} for a, b in edges],
        },
        "traffic": traffic,
        **extra,
    }


LINE = {"a": "end", "r1": "repeater", "b": "end"}
LINE_EDGES = [("a", "r1"), ("r1", "b")]


def problems_of(data: dict) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        from_dict(copy.deepcopy(data))
    return caught.value.problems


def warnings_of(data: dict) -> list[str]:
    scenario = from_dict(copy.deepcopy(data))
    topology, problems = check_scenario(scenario)
    assert problems == []
    return role_warnings(scenario, topology)


def test_consistent_roles_give_no_problem_and_no_warning():
    assert warnings_of(listed(LINE, LINE_EDGES, [{"src": "a", "dst": "b"}])) == []
    relays = {"a": "end", "t": "trusted_relay", "b": "end"}
    assert warnings_of(listed(relays, [("a", "t"), ("t", "b")], [{"kind": "key", "src": "a", "dst": "t"}])) == []


@pytest.mark.parametrize("kind", ["key", "service"])
def test_key_traffic_at_a_repeater_is_refused(kind):
    extra = {"key_rate_bps": 100.0} if kind == "service" else {}
    assert problems_of(listed(LINE, LINE_EDGES, [{"kind": kind, "src": "r1", "dst": "b", **extra}])) == [
        f"traffic[0].src: 'r1' is a repeater; {kind} traffic needs an end or trusted_relay node"
        " (repeater: memories and entanglement swapping; never holds a key in the clear)"
    ]


@pytest.mark.parametrize("kind", ["entanglement", "bbm92", "teleportation"])
def test_entanglement_traffic_at_a_repeater_is_refused(kind):
    assert problems_of(listed(LINE, LINE_EDGES, [{"kind": kind, "src": "a", "dst": "r1"}])) == [
        f"traffic[0].dst: 'r1' is a repeater; {kind} traffic needs an end or trusted_relay node"
        " (repeater: memories and entanglement swapping; never holds a key in the clear)"
    ]


def test_a_repeater_without_memories_is_refused_with_its_role_field():
    data = listed(LINE, LINE_EDGES, [], templates={"nodes": {"qkd_only": {"n_memories": 0}}})
    data["network"]["nodes"][1]["template"] = "qkd_only"
    assert problems_of(data) == [
        "network.nodes[1].role: repeater 'r1' has no memories (n_memories: 0 in node template 'qkd_only');"
        " a repeater stores and swaps entanglement"
    ]


def test_generated_nodes_name_the_generator_field_that_gave_the_role():
    data = {
        "name": "t",
        "duration_s": 1.0,
        "templates": {"nodes": {"default": {"n_memories": 0}}},
        "network": {"generator": {"kind": "chain", "n_nodes": 3, "length_km": 10}},
    }
    assert problems_of(data) == [
        "network.generator.interior_role: repeater 'n1' has no memories (n_memories: 0 in node template"
        " 'default'); a repeater stores and swaps entanglement"
    ]
    data["network"]["node_roles"] = {"n1": "repeater"}
    assert problems_of(data)[0].startswith("network.node_roles.n1: repeater 'n1' has no memories")


def test_qkd_only_ends_may_have_no_memories_but_not_for_entanglement():
    data = listed(
        {"a": "end", "t": "trusted_relay", "b": "end"},
        [("a", "t"), ("t", "b")],
        [{"kind": "key", "src": "a", "dst": "b"}],
        templates={"nodes": {"default": {"n_memories": 0}}},
    )
    assert warnings_of(data) == []
    data["traffic"] = [{"kind": "entanglement", "src": "a", "dst": "t"}]
    assert problems_of(data) == [
        "traffic[0].src: 'a' has no memories (n_memories: 0 in node template 'default'); entanglement traffic"
        " needs memories at both ends",
        "traffic[0].dst: 't' has no memories (n_memories: 0 in node template 'default'); entanglement traffic"
        " needs memories at both ends",
    ]


def test_key_pools_need_key_holders():
    data = listed(
        LINE, LINE_EDGES, [], kaas={"period_s": 1.0, "slot_s": 0.1, "n_bits_per_slot": 8, "pairs": [["a", "r1"]]}
    )
    assert problems_of(data) == [
        "kaas.pairs[0]: 'r1' is a repeater; a key pool needs end or trusted_relay nodes at both ends"
    ]


def test_a_trusted_relay_in_the_middle_of_an_entanglement_path_is_a_warning():
    relays = {"a": "end", "t": "trusted_relay", "b": "end"}
    assert warnings_of(listed(relays, [("a", "t"), ("t", "b")], [{"src": "a", "dst": "b"}])) == [
        "traffic[0]: no path from 'a' to 'b' through repeaters only, so this entanglement request cannot be"
        " served: the shortest path a-t-b passes trusted_relay 't' (cannot swap); the run refuses it"
    ]


def test_a_teleportation_with_no_path_through_repeaters_is_refused():
    relays = {"a": "end", "t": "trusted_relay", "b": "end"}
    data = listed(relays, [("a", "t"), ("t", "b")], [{"kind": "teleportation", "src": "a", "dst": "b"}])
    assert problems_of(data) == [
        "traffic[0]: no path from 'a' to 'b' through repeaters only, so this teleportation request cannot be"
        " served: the shortest path a-t-b passes trusted_relay 't' (cannot swap); a teleportation needs a path"
        " through repeaters only"
    ]


def test_key_paths_blocked_by_roles_and_by_untrusted_nodes_say_which():
    roles = {"a": "end", "t": "trusted_relay", "x": "end", "b": "end"}
    edges = [("a", "t"), ("t", "x"), ("x", "b")]
    data = listed(roles, edges, [{"kind": "key", "src": "a", "dst": "b"}], qkd={"untrusted_nodes": ["t"]})
    assert warnings_of(data) == [
        "traffic[0]: no path from 'a' to 'b' through trusted relays only, so this key request cannot be served:"
        " the shortest path a-t-x-b passes trusted_relay 't' (in qkd.untrusted_nodes), end 'x' (never forwards"
        " keys); the run refuses it"
    ]


def test_long_blocked_paths_are_abbreviated():
    names = [f"e{i}" for i in range(10)]
    data = listed(dict.fromkeys(names, "end"), list(zip(names, names[1:], strict=False)), [{"src": "e0", "dst": "e9"}])
    (warning,) = warnings_of(data)
    assert "the shortest path e0-...-e9 (9 links) passes end 'e1' (cannot swap)" in warning
    assert warning.endswith("end 'e4' (cannot swap) and 4 more; the run refuses it")
