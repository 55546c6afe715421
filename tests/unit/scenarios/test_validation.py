"""Structural validation: every bad scenario gets one clear line per problem, with path and value.

Each test feeds one kind of structural mistake through the public entry points
(:func:`scenarios.loader.loads` for YAML text, :func:`scenarios.loader.from_dict`
for mappings) and asserts the exact lines of the resulting
:class:`~scenarios.errors.ScenarioError`, in the house form
``<dotted.path>: <what is wrong>; got <value>``.
"""

import copy
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qnetsim.core.errors import ConfigError
from scenarios.errors import ScenarioError
from scenarios.loader import from_dict, loads
from scenarios.schema import Scenario
from scenarios.validation import did_you_mean, format_location, show_bound

VALID_YAML = """\
name: t
duration_s: 0.1
network:
  generator: {kind: chain, n_nodes: 3, length_km: 10}
traffic:
  - {src: n0, dst: n2}
"""

VALID = {
    "name": "t",
    "duration_s": 0.1,
    "network": {"generator": {"kind": "chain", "n_nodes": 3, "length_km": 10}},
    "traffic": [{"src": "n0", "dst": "n2"}],
}

LISTED = {
    "name": "t",
    "duration_s": 0.1,
    "network": {
        "nodes": [{"name": "a"}, {"name": "b"}],
        "links": [{"a": "a", "b": "b", "length_km": 10}],
    },
}


def problems_of_yaml(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        loads(text)
    return caught.value.problems


def problems_of(data: object) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        from_dict(data)
    return caught.value.problems


def edited(base: dict, **changes: object) -> dict:
    """A deep copy of ``base`` with top-level ``changes``."""
    data = copy.deepcopy(base)
    data.update(changes)
    return data


def test_valid_scenarios_pass():
    """Positive control: the bases the other tests spoil are themselves valid."""
    assert isinstance(loads(VALID_YAML), Scenario)
    assert from_dict(copy.deepcopy(VALID)).network.generator.n_nodes == 3
    assert [node.name for node in from_dict(copy.deepcopy(LISTED)).network.nodes] == ["a", "b"]


def test_scenario_error_is_config_error_and_names_source():
    with pytest.raises(ConfigError) as caught:
        loads("name: t\n", source="my.yaml")
    error = caught.value
    assert isinstance(error, ScenarioError)
    assert error.source == "my.yaml"
    assert str(error) == (
        "my.yaml: 2 problems\n  duration_s: required field is missing\n  network: required field is missing"
    )


# --- YAML ----------------------------------------------------------------------------------


def test_malformed_yaml_reports_line_and_column():
    text = "name: t\nduration_s: [1, 2\nnetwork: {}\n"
    assert problems_of_yaml(text) == [
        "malformed YAML: line 3, column 8: did not find expected ',' or ']' "
        "(while parsing a flow sequence started at line 2, column 13)"
    ]


def test_unclosed_quote_says_where_it_opened():
    text = 'name: "t\nduration_s: 1\n'
    assert problems_of_yaml(text) == [
        "malformed YAML: line 3, column 1: found unexpected end of stream "
        "(while scanning a quoted scalar started at line 1, column 7)"
    ]


def test_bad_indentation_reports_line_and_column():
    text = "name: t\n  duration_s: 1\n"
    assert problems_of_yaml(text) == [
        "malformed YAML: line 2, column 13: mapping values are not allowed in this context"
    ]


def test_tab_indentation_reports_line_and_column():
    text = "name: t\n\tduration_s: 1\n"
    assert problems_of_yaml(text) == [
        "malformed YAML: line 2, column 1: found a tab character that violates indentation"
        " (while scanning a plain scalar started at line 1, column 7)"
    ]


def test_duplicate_top_level_key_is_an_error():
    text = VALID_YAML + "name: u\n"
    assert problems_of_yaml(text) == ["name: duplicate key (first given on line 1) (line 7, column 1)"]


def test_duplicate_nested_key_is_an_error():
    text = VALID_YAML.replace("{kind: chain,", "{kind: chain, kind: ring,")
    assert problems_of_yaml(text) == [
        "network.generator.kind: duplicate key (first given on line 4) (line 4, column 28)"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "- name: t\n- duration_s: 1\n",
            "a scenario must be a mapping of fields; got [{'name': 't'}, {'duration_s': 1}]",
        ),
        ("just some words\n", "a scenario must be a mapping of fields; got 'just some words'"),
        ("42\n", "a scenario must be a mapping of fields; got 42"),
        ("", "the scenario is empty; it needs at least 'name', 'duration_s' and 'network'"),
        ("# only a comment\n", "the scenario is empty; it needs at least 'name', 'duration_s' and 'network'"),
    ],
    ids=["list", "text", "number", "empty", "comment-only"],
)
def test_top_level_must_be_a_mapping(text, expected):
    assert problems_of_yaml(text) == [expected]


def test_non_text_top_level_key():
    data = edited(VALID)
    data[1] = 2
    assert problems_of(data) == ["1: field names must be text; got 1"]


# --- missing and unknown fields --------------------------------------------------------------


def test_missing_duration_is_reported():
    data = edited(VALID)
    del data["duration_s"]
    assert problems_of(data) == ["duration_s: required field is missing"]


def test_missing_name_and_network_are_both_reported():
    assert problems_of({"duration_s": 1.0}) == [
        "name: required field is missing",
        "network: required field is missing",
    ]


def test_missing_nested_field_is_reported():
    data = edited(LISTED)
    del data["network"]["links"][0]["length_km"]
    assert problems_of(data) == ["network.links[0].length_km: required field is missing"]


def test_unknown_top_level_field_suggests_the_close_one():
    assert problems_of(edited(VALID, durations=3)) == ["durations: unknown field; did you mean 'duration_s'?"]


def test_unknown_field_without_close_match_lists_allowed_fields():
    data = edited(VALID)
    data["network"]["generator"]["colour"] = "red"
    assert problems_of(data) == [
        "network.generator.colour: unknown field; allowed here: n_nodes, length_km, interior_role"
    ]


def test_misspelt_link_length_suggests_length_km_once():
    """The typo explains the missing length_km, so only the typo is reported."""
    data = edited(LISTED)
    link = data["network"]["links"][0]
    link["lenght_km"] = link.pop("length_km")
    assert problems_of(data) == ["network.links[0].lenght_km: unknown field; did you mean 'length_km'?"]


def test_typo_in_one_link_does_not_hide_a_missing_length_in_another():
    data = edited(LISTED)
    data["network"]["nodes"].append({"name": "c"})
    data["network"]["links"] = [{"a": "a", "b": "b"}, {"a": "b", "b": "c", "lenght_km": 3.0}]
    assert problems_of(data) == [
        "network.links[0].length_km: required field is missing",
        "network.links[1].lenght_km: unknown field; did you mean 'length_km'?",
    ]


def test_misspelt_hardware_field_suggests_unit_suffixed_name():
    data = edited(VALID, templates={"nodes": {"x": {"memory": {"coherence_time": 1.0}}}})
    assert problems_of(data) == [
        "templates.nodes.x.memory.coherence_time: unknown field; did you mean 'coherence_time_s'?"
    ]


def test_misspelt_generator_field_suggests_through_the_kind_union():
    data = edited(VALID)
    generator = data["network"]["generator"]
    generator["n_node"] = generator.pop("n_nodes")
    assert problems_of(data) == ["network.generator.n_node: unknown field; did you mean 'n_nodes'?"]


def test_unknown_traffic_field_lists_allowed_fields():
    data = edited(VALID)
    data["traffic"][0]["priority"] = 1
    assert problems_of(data) == [
        "traffic[0].priority: unknown field; allowed here: "
        "src, dst, start_s, end_s, n_memories, target_fidelity, hold_s"
    ]


# --- values -------------------------------------------------------------------------------


def test_negative_link_length():
    data = edited(LISTED)
    data["network"]["links"][0]["length_km"] = -5.0
    assert problems_of(data) == ["network.links[0].length_km: must be > 0; got -5.0"]


def test_zero_generator_length():
    data = edited(VALID)
    data["network"]["generator"]["length_km"] = 0
    assert problems_of(data) == ["network.generator.length_km: must be > 0; got 0"]


def test_negative_length_in_edge_list():
    data = edited(VALID)
    data["network"]["generator"] = {"kind": "edges", "edges": [["a", "b", 1.0], ["b", "c", -2.5]]}
    data["traffic"] = []
    assert problems_of(data) == ["network.generator.edges[1][2]: must be > 0; got -2.5"]


def test_edge_without_length():
    data = edited(VALID)
    data["network"]["generator"] = {"kind": "edges", "edges": [["a", "b"]]}
    data["traffic"] = []
    assert problems_of(data) == ["network.generator.edges[0]: item 2 is missing; got ['a', 'b']"]


@given(length_km=st.floats(max_value=0.0, allow_nan=False, allow_infinity=False))
def test_every_non_positive_length_names_path_and_value(length_km):
    data = edited(LISTED)
    data["network"]["links"][0]["length_km"] = length_km
    assert problems_of(data) == [f"network.links[0].length_km: must be > 0; got {length_km!r}"]


def test_negative_seed_and_duration():
    assert problems_of(edited(VALID, seed=-3, duration_s=-1.0)) == [
        "seed: must be >= 0; got -3",
        "duration_s: must be > 0; got -1.0",
    ]


def test_nan_duration_is_called_nan():
    assert problems_of(edited(VALID, duration_s=math.nan)) == ["duration_s: must be a finite number; got nan"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"duration_s": "abc"}, "duration_s: must be a number; got 'abc'"),
        ({"duration_s": None}, "duration_s: must be a number; got None"),
        ({"seed": 1.5}, "seed: must be an integer; got 1.5"),
        ({"description": 5}, "description: must be text; got 5"),
        ({"traffic": {"src": "n0"}}, "traffic: must be a list; got {'src': 'n0'}"),
        ({"network": 3}, "network: must be a mapping; got 3"),
        ({"outputs": {"tables": "pairs"}}, "outputs.tables: must be a list; got 'pairs'"),
        ({"outputs": {"csv": "maybe"}}, "outputs.csv: must be true or false; got 'maybe'"),
    ],
    ids=[
        "text-duration",
        "null-duration",
        "float-seed",
        "number-description",
        "mapping-traffic",
        "number-network",
        "text-tables",
        "text-csv",
    ],
)
def test_wrong_type(change, expected):
    assert problems_of(edited(VALID, **change)) == [expected]


def test_wrong_type_nested():
    data = edited(VALID)
    data["network"]["generator"]["n_nodes"] = "three"
    assert problems_of(data) == ["network.generator.n_nodes: must be an integer; got 'three'"]


def test_nodes_given_as_mapping():
    data = edited(LISTED)
    data["network"]["nodes"] = {"a": {}, "b": {}}
    assert problems_of(data) == ["network.nodes: must be a list; got {'a': {}, 'b': {}}"]


@pytest.mark.parametrize("name", ["1abc", "b-c", "has space", "_x"])
def test_bad_node_name_pattern(name):
    data = edited(LISTED)
    data["network"]["nodes"][0]["name"] = name
    assert problems_of(data) == [
        f"network.nodes[0].name: must start with a letter and use only letters, digits and '_'; got {name!r}"
    ]


def test_numeric_node_name_is_not_text():
    data = edited(LISTED)
    data["network"]["nodes"][0]["name"] = 12
    assert problems_of(data) == ["network.nodes[0].name: must be text; got 12"]


def test_bad_scenario_name():
    assert problems_of(edited(VALID, name="my scenario!")) == [
        "name: must start with a letter or digit and use only letters, digits, '_', '.' and '-'; got 'my scenario!'"
    ]


def test_unknown_generator_kind():
    data = edited(VALID)
    data["network"]["generator"] = {"kind": "tree", "n_nodes": 3}
    assert problems_of(data) == [
        "network.generator.kind: must be one of 'chain', 'ring', 'star', 'grid', 'waxman', 'edges'; got 'tree'"
    ]


def test_misspelt_generator_kind_suggests_the_close_one():
    data = edited(VALID)
    data["network"]["generator"]["kind"] = "chian"
    assert problems_of(data) == [
        "network.generator.kind: must be one of 'chain', 'ring', 'star', 'grid', 'waxman', 'edges'; "
        "got 'chian'; did you mean 'chain'?"
    ]


def test_generator_without_kind():
    data = edited(VALID)
    del data["network"]["generator"]["kind"]
    assert problems_of(data) == [
        "network.generator.kind: required field is missing; "
        "must be one of 'chain', 'ring', 'star', 'grid', 'waxman', 'edges'"
    ]


def test_generator_given_as_a_word():
    data = edited(VALID)
    data["network"]["generator"] = "chain"
    assert problems_of(data) == ["network.generator: must be a mapping; got 'chain'"]


def test_misspelt_role_suggests_the_close_one():
    data = edited(LISTED)
    data["network"]["nodes"][0]["role"] = "repeter"
    assert problems_of(data) == [
        "network.nodes[0].role: must be 'end', 'repeater' or 'trusted_relay'; got 'repeter'; did you mean 'repeater'?"
    ]


def test_unknown_traffic_kind():
    data = edited(VALID)
    data["traffic"][0]["kind"] = "teleport"
    assert problems_of(data) == [
        "traffic[0].kind: must be one of 'entanglement', 'teleportation', 'key', 'service', 'vkp', 'bbm92'; "
        "got 'teleport'; did you mean 'teleportation'?"
    ]


@pytest.mark.parametrize(
    ("templates", "expected"),
    [
        (
            {"nodes": {"x": {"memory": {"efficiency": 1.5}}}},
            "templates.nodes.x.memory.efficiency: must be <= 1; got 1.5",
        ),
        (
            {"nodes": {"x": {"memory": {"raw_fidelity": 0.3}}}},
            "templates.nodes.x.memory.raw_fidelity: must be >= 0.5; got 0.3",
        ),
        (
            {"nodes": {"x": {"memory": {"coherence_time_s": 0}}}},
            "templates.nodes.x.memory.coherence_time_s: must be > 0; got 0",
        ),
        ({"nodes": {"x": {"n_memories": -1}}}, "templates.nodes.x.n_memories: must be >= 0; got -1"),
        ({"nodes": {"x": {"gate_fidelity": 1.01}}}, "templates.nodes.x.gate_fidelity: must be <= 1; got 1.01"),
        (
            {"links": {"y": {"bsm": {"detector": {"efficiency": -0.1}}}}},
            "templates.links.y.bsm.detector.efficiency: must be >= 0; got -0.1",
        ),
        (
            {"links": {"y": {"fibre": {"attenuation_db_per_km": -0.2}}}},
            "templates.links.y.fibre.attenuation_db_per_km: must be >= 0; got -0.2",
        ),
        (
            {"links": {"y": {"bsm": {"success_probability": 0}}}},
            "templates.links.y.bsm.success_probability: must be > 0; got 0",
        ),
    ],
    ids=[
        "memory-efficiency",
        "raw-fidelity",
        "coherence-time",
        "n-memories",
        "gate-fidelity",
        "detector-efficiency",
        "attenuation",
        "bsm-success",
    ],
)
def test_out_of_range_hardware(templates, expected):
    assert problems_of(edited(VALID, templates=templates)) == [expected]


def test_numeric_template_name_is_reported_as_a_key():
    assert problems_of(edited(VALID, templates={"nodes": {1: {}}})) == ["templates.nodes.1: must be text; got 1"]


# --- all problems together ---------------------------------------------------------------


def test_every_problem_is_reported_together_with_its_path():
    text = """\
name: several
duration_s: -1
seeds: 3
templates:
  nodes:
    router:
      memory: {efficiency: 1.5, coherence_time: 2}
network:
  nodes:
    - {name: a, role: router}
    - {name: 2b}
  links:
    - {a: a, b: 2b, length_km: -5.0}
    - {a: a, b: c, lenght_km: 3}
traffic:
  - {src: a, dst: c, n_memories: 0}
"""
    assert problems_of_yaml(text) == [
        "duration_s: must be > 0; got -1",
        "templates.nodes.router.memory.efficiency: must be <= 1; got 1.5",
        "templates.nodes.router.memory.coherence_time: unknown field; did you mean 'coherence_time_s'?",
        "network.nodes[0].role: must be 'end', 'repeater' or 'trusted_relay'; got 'router'",
        "network.nodes[1].name: must start with a letter and use only letters, digits and '_'; got '2b'",
        "network.links[0].b: must start with a letter and use only letters, digits and '_'; got '2b'",
        "network.links[0].length_km: must be > 0; got -5.0",
        "network.links[1].lenght_km: unknown field; did you mean 'length_km'?",
        "traffic[0].n_memories: must be >= 1; got 0",
        "seeds: unknown field; did you mean 'seed'?",
    ]


# --- helpers ------------------------------------------------------------------------------


def test_format_location_drops_union_tags_and_writes_keys_and_positions():
    assert format_location(("network", "generator", "edges", "edges", 1, 2)) == "network.generator.edges[1][2]"
    assert format_location(("network", "links", 3, "length_km")) == "network.links[3].length_km"
    assert format_location(("templates", "nodes", 7, "[key]")) == "templates.nodes.7"
    assert format_location(("network", "node_roles", "n1")) == "network.node_roles.n1"


def test_show_bound_writes_whole_numbers_without_decimals():
    assert [show_bound(b) for b in (0.0, 1.0, 0.5, 864000.0, 2**63, 1e20)] == [
        "0",
        "1",
        "0.5",
        "864000",
        "9223372036854775808",
        "1e+20",
    ]


def test_did_you_mean_only_for_close_words():
    assert did_you_mean("lenght_km", ["length_km", "template"]) == "; did you mean 'length_km'?"
    assert did_you_mean("colour", ["length_km", "template"]) == ""


def test_infinite_length_is_rejected():
    data = edited(VALID)
    data["network"] = {"generator": {"kind": "chain", "n_nodes": 3, "length_km": math.inf}}
    assert problems_of(data) == ["network.generator.length_km: must be a finite number; got inf"]
