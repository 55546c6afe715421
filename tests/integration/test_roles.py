"""Node roles in whole runs: keys never pass a repeater or an end, entanglement is swapped only at repeaters.

Each network offers a short path through a node whose role forbids it and a
longer allowed one; a run that ignored roles would take the short one, so these
tests fail if a key is relayed through a repeater (or an end) or if an end or a
trusted relay swaps. Where only the forbidden path exists, the request is
refused with the reason in its row.
"""

import itertools

import pytest

from qkdn.routing import STRATEGIES
from qnetsim.core.roles import path_role_problem
from qtn.sequence_backed import adapter
from scenarios import from_dict, run
from scenarios.build import network_spec, qkd_network
from scenarios.checks import check_scenario
from scenarios.role_checks import role_warnings


def network(roles: dict[str, str], edges: list[tuple[str, str, float]]) -> dict:
    return {
        "nodes": [{"name": name, "role": role} for name, role in roles.items()],
        "links": [{"a": a, "b": b, "length_km": km} for a, b, km in edges],
    }


#: a-x-b is the short way (two 10 km links), a-t1-t2-b the long way through trusted relays.
KEY_EDGES = [("a", "x", 10.0), ("x", "b", 10.0), ("a", "t1", 10.0), ("t1", "t2", 10.0), ("t2", "b", 10.0)]


def key_scenario(role_of_x: str, routing: str = "shortest", edges=KEY_EDGES) -> dict:
    roles = {"a": "end", "b": "end", "x": role_of_x, "t1": "trusted_relay", "t2": "trusted_relay"}
    roles = {name: role for name, role in roles.items() if any(name in edge[:2] for edge in edges)}
    qkd: dict = {"routing": routing, "block_bits": 1024}
    extra: dict = {}
    if role_of_x == "repeater":
        # a-x-b is then also a repeater segment a~b (a BBM92-fed key link, see docs/hybrid-networks.md):
        # two memories per segment fit x's four, and its 2,048-bit frames take longer than the run,
        # so the keys go the long way; either way no key is ever relayed through x.
        qkd["segments"] = {"n_memories": 2}
        extra["fidelity_level"] = "network"
    return extra | {
        "name": "roles-key",
        "seed": 3,
        "duration_s": 1.0,
        "qkd": qkd,
        "network": network(roles, edges),
        "traffic": [{"kind": "key", "src": "a", "dst": "b", "bits": 256, "n_requests": 4, "deadline_s": 0.5}],
    }


def relay_paths(requests) -> list[list[str]]:
    return [share.split("-") for paths in requests["path"] for share in paths.split(" | ") if share]


@pytest.mark.parametrize(("role_of_x", "routing"), [*(("repeater", s) for s in STRATEGIES), ("end", "shortest")])
def test_keys_are_never_relayed_through_a_repeater_or_an_end(role_of_x, routing):
    scenario = from_dict(key_scenario(role_of_x, routing))
    roles = {node.name: node.role for node in scenario.network.nodes}
    requests = run(scenario).tables["requests"]
    if role_of_x == "repeater" and routing == "shortest":
        # The shortest way is the segment a~b: the keys wait for its first frame there, never passing x.
        assert set(requests["path"]) <= {"a-b", ""}, set(requests["path"])
        return
    assert requests["served"].sum() >= 3  # the long way works: the check below is not vacuous
    paths = relay_paths(requests)
    assert paths
    for path in paths:
        assert path_role_problem(path, roles, "key") == ""
        assert all(roles[node] == "trusted_relay" for node in path[1:-1]), path
        assert "x" not in path


def test_the_relay_hops_themselves_hold_keys():
    """Every hop of every relay session (the nodes that decrypt and re-encrypt) holds keys in the clear."""
    scenario = from_dict(key_scenario("repeater"))
    topology, _ = check_scenario(scenario)
    spec = network_spec(scenario, topology)
    timeline = adapter.new_timeline(scenario.duration_s)
    qkd = qkd_network(scenario, spec, timeline)
    adapter.run_timeline(timeline)
    roles = {node.name: node.role for node in spec.nodes}
    hops = [hop for session in qkd.sessions.values() for hop in session.hops]
    assert hops
    assert {roles[hop.node] for hop in hops} <= {"end", "trusted_relay"}
    assert {roles[hop.next_node] for hop in hops} <= {"end", "trusted_relay"}
    assert all(hop.node == "a" or roles[hop.node] == "trusted_relay" for hop in hops)
    # No key link ends at the repeater: its two fibres make no key.
    assert not any("x" in name.split("~") for name in qkd.fast_links)


#: Only an end: a repeater there makes a segment a~b, a key link (tests/integration/test_hybrid.py).
@pytest.mark.parametrize("role_of_x", ["end"])
def test_a_key_request_with_no_allowed_path_is_refused_with_the_reason(role_of_x):
    scenario = from_dict(key_scenario(role_of_x, edges=KEY_EDGES[:2]))
    topology, _ = check_scenario(scenario)
    (warning,) = role_warnings(scenario, topology)
    assert warning.startswith("traffic[0]: no path from 'a' to 'b' through trusted relays only")
    assert f"passes {role_of_x} 'x'" in warning
    requests = run(scenario).tables["requests"]
    assert len(requests) == 4 and not requests["served"].any()
    assert set(requests["reason"]) == {
        "no path of working links through trusted relays (ends and repeaters never relay keys):"
        " the shortest path a-x-b passes x"
    }


#: a-x-b is the short way (two 10 km links), a-r1-r2-b the long way through repeaters.
PAIR_EDGES = [("a", "x", 10.0), ("x", "b", 10.0), ("a", "r1", 10.0), ("r1", "r2", 10.0), ("r2", "b", 10.0)]


def pair_scenario(role_of_x: str, level: str, edges=PAIR_EDGES) -> dict:
    roles = {"a": "end", "b": "end", "x": role_of_x, "r1": "repeater", "r2": "repeater"}
    roles = {name: role for name, role in roles.items() if any(name in edge[:2] for edge in edges)}
    return {
        "name": "roles-pairs",
        "seed": 5,
        "duration_s": 0.01,
        "fidelity_level": level,
        "network": network(roles, edges),
        "traffic": [{"src": "a", "dst": "b", "n_memories": 1}],
    }


@pytest.mark.parametrize(("role_of_x", "level"), list(itertools.product(("trusted_relay", "end"), ("fast", "network"))))
def test_entanglement_is_swapped_only_at_repeaters(role_of_x, level):
    requests = run(from_dict(pair_scenario(role_of_x, level))).tables["entanglement_requests"]
    (row,) = requests.itertuples()
    assert row.approved and row.path == "a-r1-r2-b"
    assert row.n_pairs > 0


@pytest.mark.parametrize(("role_of_x", "level"), list(itertools.product(("trusted_relay", "end"), ("fast", "network"))))
def test_an_entanglement_request_with_no_path_through_repeaters_is_refused(role_of_x, level):
    scenario = from_dict(pair_scenario(role_of_x, level, edges=PAIR_EDGES[:2]))
    topology, _ = check_scenario(scenario)
    (warning,) = role_warnings(scenario, topology)
    assert f"passes {role_of_x} 'x' (cannot swap)" in warning
    (row,) = run(scenario).tables["entanglement_requests"].itertuples()
    assert not row.approved and row.n_pairs == 0
    assert row.reason == (
        "no path from a to b through repeaters only (only repeaters swap; ends and trusted relays may only"
        f" end a path): the shortest path a-x-b passes {role_of_x} x"
    )
