"""Hostile input: every file of the corpus is refused with exit 2 and a named field, or is valid.

The corpus is ``tests/data/hostile/*.yaml`` (each file says what it expects);
inputs too large to keep in the repository are generated here. No test depends
on wall-clock time: the guards against super-linear work are checked by
counting the work (route searches, topology builds, name-hint searches).
"""

import math
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from scenarios import checks, feasibility, library, loader
from scenarios.cli import app
from scenarios.errors import ScenarioError
from scenarios.loader import from_dict, load, loads, parse_yaml
from scenarios.schema import Scenario
from scenarios.yaml12 import MAX_DEPTH, MAX_TEXT_CHARS, resolve_plain

CORPUS = Path(__file__).resolve().parents[2] / "data" / "hostile"
FILES = sorted(CORPUS.glob("*.yaml"))

HEAD = "name: hostile\nduration_s: 0.01\nnetwork:\n  generator: {kind: chain, n_nodes: 3, length_km: 10}\n"


def expectations(path: Path) -> list[str]:
    return [line.removeprefix("# expect: ") for line in path.read_text().splitlines() if line.startswith("# expect: ")]


def test_the_corpus_is_there():
    assert len(FILES) >= 25
    assert all(expectations(path) for path in FILES), "every corpus file says what it expects"


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_corpus_file_is_refused_with_named_fields_or_valid(path):
    result = CliRunner().invoke(app, ["validate", str(path)])
    expected = expectations(path)
    if expected == ["ok"]:
        assert result.exit_code == 0, result.stderr
        return
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith(f"error: {path}: ") for line in lines)
    for text in expected:
        assert any(text in line for line in lines), f"{text!r} not in {lines}"
    assert "Traceback" not in result.output


def test_merge_keys_give_the_scenario_written_out():
    merged = load(CORPUS / "merge-keys.yaml")
    router = merged.templates.nodes["router"]
    assert router.n_memories == 4 and router.memory.frequency_hz == 2.0e6
    assert [item.start_s for item in merged.traffic] == [0.0, 0.001]
    assert {item.target_fidelity for item in merged.traffic} == {0.6}


def test_yaml_1_1_numbers_are_numbers():
    scenario = load(CORPUS / "yaml11-numbers.yaml")
    assert scenario.duration_s == 0.01 and scenario.seed == 17  # 017 is decimal in YAML 1.2
    assert scenario.templates.nodes["default"].memory.frequency_hz == 2.0e6
    assert scenario.templates.nodes["default"].light_source.frequency_hz == 1.0e9


# --- the YAML 1.2 core schema (YAML 1.2.2, section 10.3.2) -----------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2.0e6", 2.0e6),
        ("1e9", 1.0e9),
        ("-1E-3", -1e-3),
        (".5", 0.5),
        ("20", 20),
        ("+12", 12),
        ("017", 17),
        ("0o17", 15),
        ("0x1F", 31),
        ("true", True),
        ("False", False),
        ("~", None),
        ("null", None),
        ("yes", "yes"),
        ("off", "off"),
        ("1_000", "1_000"),
        ("1:20", "1:20"),
        ("2001-12-14", "2001-12-14"),
        (".inf", math.inf),
        ("-.Inf", -math.inf),
    ],
)
def test_plain_scalars_resolve_by_the_core_schema(text, value):
    assert resolve_plain(text) == value
    assert type(resolve_plain(text)) is type(value)


def test_quoted_scalars_stay_text_and_nan_is_read():
    assert parse_yaml("a: '1e9'\nb: \"true\"\nc: .nan") == {
        "a": "1e9",
        "b": "true",
        "c": pytest.approx(math.nan, nan_ok=True),
    }


def test_explicit_core_tags():
    assert parse_yaml("a: !!float 3\nb: !!str 3\nc: !!int '7'") == {"a": 3.0, "b": "3", "c": 7}
    with pytest.raises(ScenarioError) as caught:
        parse_yaml("a: !!int x")
    assert caught.value.problems == ["a: does not fit tag tag:yaml.org,2002:int; got 'x' (line 1, column 4)"]


def test_merge_key_lists_earlier_mappings_win_and_own_keys_win_over_all():
    text = "a: &a {x: 1, y: 1}\nb: &b {x: 2, z: 2}\nc: {<<: [*a, *b], y: 3}\n"
    assert parse_yaml(text)["c"] == {"x": 1, "y": 3, "z": 2}


def test_an_alias_to_a_list_cannot_be_a_key():
    with pytest.raises(ScenarioError) as caught:
        parse_yaml("a: &l [1]\nb: {*l : 1}")
    assert caught.value.problems == ["b: a key must be a name, not alias *l (line 2, column 5)"]


# --- generated inputs too large to keep ------------------------------------------------------


def test_fifty_thousand_nested_brackets_are_refused_without_recursion():
    text = HEAD + "outputs: {tables: " + "[" * 50_000 + "]" * 50_000 + "}\n"
    with pytest.raises(ScenarioError) as caught:
        loads(text)
    (problem,) = caught.value.problems
    assert problem.startswith("outputs.tables") and f"nested deeper than {MAX_DEPTH} levels" in problem


def test_nesting_just_inside_the_limit_is_read():
    depth = MAX_DEPTH - 1
    value, levels = parse_yaml("[" * depth + "]" * depth), 0
    while value:  # every level is a list holding the next one; the innermost is empty
        assert isinstance(value, list) and len(value) == 1
        value, levels = value[0], levels + 1
    assert value == [] and levels + 1 == depth


def test_text_over_the_size_limit_is_refused_before_parsing():
    with pytest.raises(ScenarioError) as caught:
        parse_yaml("#" * (MAX_TEXT_CHARS + 1))
    assert caught.value.problems == [
        f"the scenario is {MAX_TEXT_CHARS + 1:,} characters long; at most {MAX_TEXT_CHARS:,} are read"
    ]


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as file:
        file.truncate(MAX_TEXT_CHARS * 4 + 1)  # sparse: no disk used
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "at most" in result.stderr and "characters are read" in result.stderr


def test_every_bad_item_of_a_long_list_is_reported():
    n_items = 5_000
    items = "".join(f"  - {{kind: key, src: n0, dst: n2, rate_hz: -{i + 1}}}\n" for i in range(n_items))
    with pytest.raises(ScenarioError) as caught:
        loads(HEAD + "traffic:\n" + items)
    problems = caught.value.problems
    assert len(problems) == n_items
    assert problems[0] == "traffic[0].rate_hz: must be > 0; got -1"
    assert problems[-1] == f"traffic[{n_items - 1}].rate_hz: must be > 0; got -{n_items}"


@pytest.mark.slow
@pytest.mark.parametrize("valid", [True, False])
def test_a_100000_item_traffic_list_is_read_at_once(valid):
    rate_hz, src = (1, "n0") if valid else (-1, "x")
    item = f"  - {{kind: key, src: {src}, dst: n2, rate_hz: {rate_hz}}}\n"
    # The interior node relays key as a trusted relay (by default a chain's interior is a repeater,
    # which never holds key in the clear and would be a refusal of its own).
    head = HEAD.replace("length_km: 10}", "length_km: 10, interior_role: trusted_relay}")
    text = head + "traffic:\n" + item * 100_000
    if valid:
        assert len(loads(text).traffic) == 100_000
    else:
        with pytest.raises(ScenarioError) as caught:
            loads(text)
        assert len(caught.value.problems) == 100_000


@pytest.mark.slow
def test_a_2000_node_waxman_network_validates(tmp_path):
    path = tmp_path / "waxman.yaml"
    path.write_text("name: w\nduration_s: 1\nnetwork:\n  generator: {kind: waxman, n_nodes: 2000, domain_km: 500}\n")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0 and "(2000 nodes," in result.stdout


# --- work that must not grow with the square of the input ------------------------------------


def test_validate_builds_the_topology_once(monkeypatch, tmp_path):
    calls = []
    real = checks.generate
    monkeypatch.setattr(checks, "generate", lambda *args: calls.append(1) or real(*args))
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + "traffic:\n  - {src: n0, dst: n2}\n")
    assert CliRunner().invoke(app, ["validate", str(path)]).exit_code == 0
    assert len(calls) == 1


def test_one_route_search_per_pair_however_many_requests(monkeypatch):
    """Targets above the links' raw fidelity (0.95) need the route; one search per pair. Targets at or
    below it need none: no link of any route has to purify."""
    calls = []
    real = feasibility._route
    monkeypatch.setattr(feasibility, "_route", lambda *args: calls.append(args[1:]) or real(*args))
    above = "target_fidelity: 0.96"
    loads(
        HEAD
        + "traffic:\n"
        + f"  - {{src: n0, dst: n2, {above}}}\n" * 300
        + f"  - {{src: n2, dst: n0, {above}}}\n" * 300
    )
    assert sorted(calls) == [("n0", "n2"), ("n2", "n0")]
    calls.clear()
    loads(HEAD + "traffic:\n" + "  - {src: n0, dst: n2, target_fidelity: 0.95}\n" * 300)
    assert calls == []


def test_one_name_hint_search_per_unknown_name(monkeypatch):
    calls = []
    real = checks._name_hint
    monkeypatch.setattr(checks, "_name_hint", lambda name, names: calls.append(name) or real(name, names))
    with pytest.raises(ScenarioError) as caught:
        loads(HEAD + "traffic:\n" + "  - {src: nx, dst: n2}\n" * 500)
    assert len(caught.value.problems) == 500 and calls == ["nx"]


# --- the library reads as before -------------------------------------------------------------


@pytest.mark.parametrize("name", library.names())
def test_library_scenario_is_the_one_yaml_1_1_and_lax_types_gave(name):
    """The YAML 1.2 loader with strict types gives each library scenario exactly as before."""
    text = library.text(name)  # as shipped; a GraphML scenario with its file's nodes and links listed
    before = Scenario.model_validate(yaml.safe_load(text), strict=False)
    assert load(name) == before


def test_strict_types_still_take_integers_for_numbers():
    scenario = from_dict(
        {"name": "t", "duration_s": 1, "network": {"generator": {"kind": "chain", "n_nodes": 3, "length_km": 20}}}
    )
    assert scenario.duration_s == 1.0 and isinstance(scenario.duration_s, float)
    assert loader.from_dict(scenario.model_dump(mode="json")) == scenario  # tuples written as lists read back


# --- the command line's numeric options --------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--seed", "true"], "Invalid value for '--seed': must be an integer; got 'true'"),
        (["--seed", "1.5"], "Invalid value for '--seed': must be an integer; got '1.5'"),
        (["--duration-s", "true"], "Invalid value for '--duration-s': must be a number; got 'true'"),
        (["--duration-s", "1_0"], "Invalid value for '--duration-s': must be a number; got '1_0'"),
    ],
)
def test_numeric_options_refuse_garbage(arguments, message, tmp_path):
    result = CliRunner().invoke(app, ["run", "repeater-chain-fast", "-o", str(tmp_path / "out"), *arguments])
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())  # the usage box may wrap the line
    assert not (tmp_path / "out").exists()


def test_numeric_options_take_yaml_numbers():
    from scenarios.cli_types import integer, number

    assert integer("42") == 42 and number("2.0e6") == 2.0e6 and number("1e9") == 1.0e9 and number(".5") == 0.5
    assert math.isnan(number("nan"))  # left for validation to name the field
    assert integer(1) == 1 and number(0.95) == 0.95  # defaults of options pass through
