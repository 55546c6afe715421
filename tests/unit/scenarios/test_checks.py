"""Cross-reference checks: problems that need the whole scenario, each with its path and bad value.

The scenarios here are structurally valid, so every problem comes from
:func:`scenarios.checks.check_scenario`; they are fed through
:func:`scenarios.loader.from_dict`, the path every scenario takes.
"""

import copy

import pytest

from scenarios.checks import check_scenario
from scenarios.errors import ScenarioError
from scenarios.loader import from_dict
from scenarios.tables import TABLES
from scenarios.validation import validate_structure


def listed(*links: tuple[str, str], nodes: tuple[str, ...] = ("alice", "bob", "carol"), **extra: object) -> dict:
    """A scenario with explicitly listed nodes and 10 km links."""
    return {
        "name": "t",
        "duration_s": 1.0,
        "network": {
            "nodes": [{"name": name} for name in nodes],
            "links": [{"a": a, "b": b, "length_km": 10.0} for a, b in links],
        },
        **extra,
    }


def chain(n_nodes: int = 3, **extra: object) -> dict:
    """A generated chain n0 ... n{N-1}."""
    network = {"generator": {"kind": "chain", "n_nodes": n_nodes, "length_km": 10.0}}
    network.update(extra.pop("network", {}))
    return {"name": "t", "duration_s": 1.0, "network": network, **extra}


CHAIN_ABC = (("alice", "bob"), ("bob", "carol"))


def problems_of(data: dict) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        from_dict(copy.deepcopy(data))
    return caught.value.problems


def test_valid_scenarios_have_no_problems():
    """Positive control: the builders give valid scenarios, and the topology is resolved."""
    topology, problems = check_scenario(
        validate_structure(listed(*CHAIN_ABC, traffic=[{"src": "alice", "dst": "carol"}]))
    )
    assert problems == []
    assert [node.name for node in topology.nodes] == ["alice", "bob", "carol"]
    assert [(link.a, link.b) for link in topology.links] == list(CHAIN_ABC)
    topology, problems = check_scenario(validate_structure(chain(4, traffic=[{"src": "n0", "dst": "n3"}])))
    assert problems == []
    assert [(node.name, node.role) for node in topology.nodes] == [
        ("n0", "end"),
        ("n1", "repeater"),
        ("n2", "repeater"),
        ("n3", "end"),
    ]


# --- nodes and links ---------------------------------------------------------------------


def test_link_to_missing_node_suggests_the_close_one():
    assert problems_of(listed(("alice", "bob"), ("bob", "carl"))) == [
        "network.links[1].b: must name a node in network.nodes; got 'carl'; did you mean 'carol'?"
    ]


def test_link_to_missing_node_without_close_match_lists_the_nodes():
    assert problems_of(listed(("zed", "bob"))) == [
        "network.links[0].a: must name a node in network.nodes; got 'zed'; choose from alice, bob, carol"
    ]


def test_duplicate_node():
    data = listed(*CHAIN_ABC, nodes=("alice", "bob", "alice", "carol"))
    assert problems_of(data) == [
        "network.nodes[2].name: duplicate node name, already used by network.nodes[0]; got 'alice'"
    ]


def test_duplicate_link_either_way_round():
    data = listed(("alice", "bob"), ("bob", "carol"), ("bob", "alice"))
    assert problems_of(data) == [
        "network.links[2]: duplicate link, joins the same two nodes as network.links[0]; got 'bob' - 'alice'"
    ]


def test_self_loop():
    data = listed(("alice", "bob"), ("carol", "carol"))
    assert problems_of(data) == ["network.links[1]: a link must join two different nodes; got 'carol' - 'carol'"]


def test_duplicate_and_self_loop_in_edge_list_generator():
    data = {
        "name": "t",
        "duration_s": 1.0,
        "network": {"generator": {"kind": "edges", "edges": [["a", "b", 1.0], ["b", "a", 2.0], ["c", "c", 1.0]]}},
    }
    assert problems_of(data) == [
        "network.generator.edges[1]: duplicate link, joins the same two nodes as network.generator.edges[0]; "
        "got 'b' - 'a'",
        "network.generator.edges[2]: a link must join two different nodes; got 'c' - 'c'",
    ]


# --- templates ---------------------------------------------------------------------------


def test_unknown_node_and_link_templates_in_listed_network():
    data = listed(*CHAIN_ABC, templates={"nodes": {"router": {}}, "links": {"fibre": {}}})
    data["network"]["nodes"][0]["template"] = "routr"
    data["network"]["links"][1]["template"] = "fibr"
    assert problems_of(data) == [
        "network.nodes[0].template: must name a node template in templates.nodes (available: default, router); "
        "got 'routr'; did you mean 'router'?",
        "network.links[1].template: must name a link template in templates.links (available: default, fibre); "
        "got 'fibr'; did you mean 'fibre'?",
    ]


def test_unknown_templates_in_generated_network_are_reported_once():
    """All generated nodes share node_template; its problem is one line, not one per node."""
    data = chain(5, network={"node_template": "quantum", "link_template": "fiber", "node_templates": {"n2": "hub"}})
    assert problems_of(data) == [
        "network.node_template: must name a node template in templates.nodes (available: default); got 'quantum'",
        "network.node_templates.n2: must name a node template in templates.nodes (available: default); got 'hub'",
        "network.link_template: must name a link template in templates.links (available: default); got 'fiber'",
    ]


def test_default_template_always_exists():
    scenario = from_dict(chain(3, network={"node_template": "default", "link_template": "default"}))
    assert scenario.network.node_template == "default"


# --- traffic -----------------------------------------------------------------------------


def test_traffic_to_unknown_nodes():
    data = chain(3, traffic=[{"src": "n0", "dst": "n9"}, {"src": "nn2", "dst": "n0"}])
    assert problems_of(data) == [
        "traffic[0].dst: must name a node of the network; got 'n9'; choose from n0, n1, n2",
        "traffic[1].src: must name a node of the network; got 'nn2'; did you mean 'n2'?",
    ]


def test_traffic_to_a_node_named_only_by_a_bad_link_is_unknown():
    """A node that only a faulty link mentions is no node: traffic to it is reported too."""
    data = listed(("alice", "bob"), ("bob", "dave"), traffic=[{"src": "alice", "dst": "dave"}])
    assert problems_of(data) == [
        "network.links[1].b: must name a node in network.nodes; got 'dave'; choose from alice, bob, carol",
        "traffic[0].dst: must name a node of the network; got 'dave'; choose from alice, bob, carol",
    ]


def test_traffic_src_equals_dst():
    assert problems_of(chain(3, traffic=[{"src": "n0", "dst": "n0"}])) == [
        "traffic[0].dst: must differ from src; got 'n0'"
    ]


def test_link_to_missing_node_does_not_also_report_a_disconnected_pair():
    data = listed(("alice", "bob"), ("bob", "carl"), traffic=[{"src": "alice", "dst": "carol"}])
    assert problems_of(data) == [
        "network.links[1].b: must name a node in network.nodes; got 'carl'; did you mean 'carol'?"
    ]


def test_disconnected_request_pair():
    data = listed(
        ("alice", "bob"),
        ("carol", "dave"),
        nodes=("alice", "bob", "carol", "dave"),
        traffic=[{"src": "alice", "dst": "bob"}, {"src": "alice", "dst": "dave"}],
    )
    assert problems_of(data) == [
        "traffic[1]: src and dst must be connected, but the network falls into 2 separate parts; got 'alice' and 'dave'"
    ]


def test_isolated_node_cannot_be_reached():
    data = listed(("alice", "bob"), traffic=[{"src": "alice", "dst": "carol"}])
    assert problems_of(data) == [
        "traffic[0]: src and dst must be connected, but the network falls into 2 separate parts; "
        "got 'alice' and 'carol'"
    ]


def test_end_beyond_duration():
    assert problems_of(chain(3, traffic=[{"src": "n0", "dst": "n2", "end_s": 2.5}])) == [
        "traffic[0].end_s: must be <= duration_s (1); got 2.5"
    ]


def test_start_not_before_end():
    data = chain(3, traffic=[{"src": "n0", "dst": "n2", "start_s": 0.5, "end_s": 0.5}])
    assert problems_of(data) == ["traffic[0].start_s: must be < end_s (0.5); got 0.5"]


def test_start_not_before_duration_when_end_is_implicit():
    data = chain(3, traffic=[{"src": "n0", "dst": "n2", "start_s": 3.0}])
    assert problems_of(data) == ["traffic[0].start_s: must be < duration_s (1), as end_s is not given; got 3"]


def test_start_exactly_before_end_is_fine():
    scenario = from_dict(chain(3, traffic=[{"src": "n0", "dst": "n2", "start_s": 0.25, "end_s": 1.0}]))
    assert scenario.traffic[0].start_s == 0.25


# --- network shape -----------------------------------------------------------------------


def test_both_generator_and_nodes():
    data = chain(3)
    data["network"]["nodes"] = [{"name": "a"}]
    assert problems_of(data) == [
        "network: give either 'generator' or 'nodes' and 'links', not both; got 'generator' and 'nodes'"
    ]


def test_both_generator_and_nodes_and_links():
    data = chain(3)
    data["network"].update(listed(("a", "b"), nodes=("a", "b"))["network"])
    assert problems_of(data) == [
        "network: give either 'generator' or 'nodes' and 'links', not both; got 'generator' and 'nodes' and 'links'"
    ]


def test_neither_generator_nor_nodes():
    data = {"name": "t", "duration_s": 1.0, "network": {}}
    assert problems_of(data) == ["network: needs a 'generator' or a list of 'nodes'; got neither"]


def test_links_without_nodes():
    data = {"name": "t", "duration_s": 1.0, "network": {"links": [{"a": "a", "b": "b", "length_km": 1.0}]}}
    assert problems_of(data) == ["network: needs a 'generator' or a list of 'nodes'; got 'links' without 'nodes'"]


def test_node_roles_naming_a_node_the_generator_does_not_make():
    data = chain(3, network={"node_roles": {"n3": "repeater", "n1": "end"}, "node_templates": {"hub": "default"}})
    assert problems_of(data) == [
        "network.node_roles.n3: the generator makes no node of that name; got 'n3'; choose from n0, n1, n2",
        "network.node_templates.hub: the generator makes no node of that name; got 'hub'; choose from n0, n1, n2",
    ]


def test_node_roles_apply_to_generated_networks_only():
    data = listed(*CHAIN_ABC)
    data["network"]["node_roles"] = {"bob": "repeater"}
    assert problems_of(data) == [
        "network.node_roles: applies to generated networks only; set 'role' on each listed node; "
        "got {'bob': 'repeater'}"
    ]


# --- outputs -----------------------------------------------------------------------------

AVAILABLE = ", ".join(TABLES)


def test_unknown_output_tables():
    data = chain(3, outputs={"tables": ["pair", "entanglement_requests", "keys"]})
    assert problems_of(data) == [
        f"outputs.tables[0]: must name a table (available: {AVAILABLE}); got 'pair'; did you mean 'pairs'?",
        f"outputs.tables[2]: must name a table (available: {AVAILABLE}); got 'keys'",
    ]


# --- all together ------------------------------------------------------------------------


def test_every_cross_reference_problem_is_reported_together():
    """All problems at once; traffic[0] is not called disconnected, as a bad link makes that unknowable."""
    data = listed(
        ("alice", "bob"),
        ("bob", "bob"),
        ("alice", "eve"),
        nodes=("alice", "bob", "alice", "carol"),
        traffic=[{"src": "alice", "dst": "carol"}, {"src": "bob", "dst": "bob", "end_s": 5.0}],
        outputs={"tables": ["pairz"]},
    )
    assert problems_of(data) == [
        "network.nodes[2].name: duplicate node name, already used by network.nodes[0]; got 'alice'",
        "network.links[2].b: must name a node in network.nodes; got 'eve'; choose from alice, bob, carol",
        "network.links[1]: a link must join two different nodes; got 'bob' - 'bob'",
        "traffic[1].dst: must differ from src; got 'bob'",
        "traffic[1].end_s: must be <= duration_s (1); got 5",
        f"outputs.tables[0]: must name a table (available: {AVAILABLE}); got 'pairz'; did you mean 'pairs'?",
    ]
