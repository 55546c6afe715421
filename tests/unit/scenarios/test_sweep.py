"""Sweeps without running anything: values, seeds, parameter paths, the grid, the folder, the tidy tables.

Nothing here imports SeQUeNCe: points are checked as scenarios, and the tidy
tables are gathered from result folders written with :class:`Results` from
tables made by :func:`to_frame`.
"""

import json
import shutil

import pandas as pd
import pytest

from qnetsim.core.errors import ConfigError
from scenarios import ScenarioError, from_dict
from scenarios.results import MANIFEST_FILE, Results
from scenarios.sweep import (
    MAX_POINTS,
    format_path,
    parse_path,
    parse_seeds,
    parse_values,
    plan_sweep,
    resolve,
)
from scenarios.sweep_folder import (
    SWEEP_FILE,
    check_folder,
    combine_tables,
    is_complete,
    open_folder,
    point_folder,
    save_record,
)
from scenarios.tables import ID_COLUMNS, LINKS, to_frame
from tests.conftest import chain_scenario


def _explicit_links_scenario():
    return from_dict(
        {
            "name": "explicit",
            "duration_s": 0.01,
            "network": {
                "nodes": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
                "links": [{"a": "a", "b": "b", "length_km": 5}, {"a": "b", "b": "c", "length_km": 7}],
            },
            "traffic": [{"src": "a", "dst": "c"}],
        }
    )


# --- values and seeds -----------------------------------------------------------------------


def test_integer_range_includes_its_stop():
    assert parse_values("x", "10:150:10") == list(range(10, 151, 10))


def test_decimal_range_has_no_float_noise():
    assert parse_values("x", "0.1:0.5:0.1") == [0.1, 0.2, 0.3, 0.4, 0.5]


def test_range_stopping_between_steps_ends_below_stop():
    assert parse_values("x", "0:1:0.3") == [0.0, 0.3, 0.6, 0.9]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.1,0.2,0.5", [0.1, 0.2, 0.5]),
        ("10, 12.5", [10.0, 12.5]),
        ("3", [3]),
        ("fast,hardware", ["fast", "hardware"]),
        ("true,false", [True, False]),
        ("1e-3,2e-3", [0.001, 0.002]),
    ],
)
def test_lists_and_single_values(text, expected):
    values = parse_values("x", text)
    assert values == expected
    assert [type(v) for v in values] == [type(v) for v in expected]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10:5:1", "stop must be >= start"),
        ("1:2:0", "step must be > 0"),
        ("1:2", "expected 'start:stop:step'"),
        ("a:b:c", "expected 'start:stop:step'"),
        ("0:inf:1", "expected 'start:stop:step'"),
        ("1,,2", "empty value"),
        ("1,a", "must all be numbers"),
        ("1,true", "must all be numbers"),
        ("0.5,0.5", "listed twice: 0.5"),
        ("0:1e9:1", "more than"),
    ],
)
def test_bad_values_name_the_parameter(text, message):
    with pytest.raises(ConfigError, match=message) as caught:
        parse_values("links.length_km", text)
    assert str(caught.value).startswith("--param links.length_km: ")


def test_seed_count_and_lists():
    assert parse_seeds("5") == [0, 1, 2, 3, 4]
    assert parse_seeds("3,7,11") == [3, 7, 11]
    assert parse_seeds("7,") == [7]


@pytest.mark.parametrize("text", ["0", "-2", "x", "1,1", "-1,2", "", f"{MAX_POINTS + 1}"])
def test_bad_seeds(text):
    with pytest.raises(ConfigError, match="--seeds"):
        parse_seeds(text)


# --- paths ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("duration_s", ("duration_s",)),
        ("network.links[*].length_km", ("network", "links", "*", "length_km")),
        ("traffic[0].target_fidelity", ("traffic", 0, "target_fidelity")),
        ("network.generator.edges[*][2]", ("network", "generator", "edges", "*", 2)),
        (
            "templates.links.smf_10km.bsm.detector.efficiency",
            ("templates", "links", "smf_10km", "bsm", "detector", "efficiency"),
        ),
    ],
)
def test_paths_parse_and_print_back(text, tokens):
    assert parse_path(text) == tokens
    assert format_path(tokens) == text


@pytest.mark.parametrize("text", ["", "a..b", "a[x]", "a[-1]", "[0]", "a b", "a.[0]"])
def test_malformed_paths(text):
    with pytest.raises(ConfigError, match="not a parameter path"):
        parse_path(text)


def test_link_length_alias_on_a_generator():
    full = chain_scenario().model_dump(mode="json")
    assert resolve("links.length_km", full) == [("network", "generator", "length_km")]


def test_link_length_alias_on_listed_links_sets_every_link():
    full = _explicit_links_scenario().model_dump(mode="json")
    assert resolve("links.length_km", full) == [("network", "links", i, "length_km") for i in (0, 1)]
    assert resolve("network.links[*].length_km", full) == resolve("links.length_km", full)


def test_link_length_alias_on_an_edge_list():
    data = _explicit_links_scenario().model_dump(mode="json", exclude_unset=True)
    data["network"] = {"generator": {"kind": "edges", "edges": [["a", "b", 3.0], ["b", "c", 4.0]]}}
    full = from_dict(data).model_dump(mode="json")
    assert resolve("links.length_km", full) == [("network", "generator", "edges", i, 2) for i in (0, 1)]


def test_link_length_alias_refused_for_waxman():
    data = chain_scenario().model_dump(mode="json", exclude_unset=True)
    data["network"] = {"generator": {"kind": "waxman", "n_nodes": 6, "domain_km": 50}}
    data["traffic"] = []
    with pytest.raises(ConfigError, match="waxman generator sets no common link length"):
        resolve("links.length_km", from_dict(data).model_dump(mode="json"))


def test_fields_left_at_their_default_can_be_swept():
    base = chain_scenario()
    assert "entanglement" not in base.model_dump(mode="json", exclude_unset=True)
    plan = plan_sweep(base, ["entanglement.cutoff_s=0.5,0.25"], None)
    assert [point.data["entanglement"] for point in plan.points] == [{"cutoff_s": 0.5}, {"cutoff_s": 0.25}]
    assert [from_dict(point.data).entanglement.cutoff_s for point in plan.points] == [0.5, 0.25]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("network.generatr.length_km", "network has no field 'generatr'; did you mean 'generator'?"),
        ("links.lenght_km", "the scenario has no field 'links'; did you mean 'links.length_km'?"),
        ("templates.nodes.routr.n_memories", "templates.nodes has no field 'routr'; did you mean 'router'?"),
        ("traffic[4].target_fidelity", "traffic has 1 item(s); got index 4"),
        ("network.generator", "network.generator is a section, not a value"),
        ("network.links[*].length_km", "network.links is an empty list"),
        ("network[0]", "network is a section; cannot take [0]"),
        ("duration_s.value", "duration_s is a value; cannot take field 'value'"),
        ("kaas.period_s", "kaas is not set; cannot take field 'period_s'"),
    ],
)
def test_paths_that_lead_nowhere_say_where_they_stop(path, message):
    full = chain_scenario().model_dump(mode="json")
    with pytest.raises(ConfigError) as caught:
        resolve(path, full)
    assert str(caught.value) == f"--param {path}: {message}"


# --- the grid -------------------------------------------------------------------------------


def test_grid_is_the_cartesian_product_times_seeds():
    plan = plan_sweep(
        chain_scenario(),
        ["links.length_km=10,20,30", "traffic[0].target_fidelity=0.6,0.7"],
        [0, 1],
    )
    assert len(plan.points) == 3 * 2 * 2
    assert [p.point_id for p in plan.points] == [f"{i:04d}" for i in range(12)]
    expected = [
        {"links.length_km": length, "traffic[0].target_fidelity": fidelity, "seed": seed}
        for length in (10.0, 20.0, 30.0)
        for fidelity in (0.6, 0.7)
        for seed in (0, 1)
    ]
    assert [p.params for p in plan.points] == expected
    for point in plan.points:
        scenario = from_dict(point.data)
        assert scenario.network.generator.length_km == point.params["links.length_km"]
        assert scenario.traffic[0].target_fidelity == point.params["traffic[0].target_fidelity"]
        assert scenario.seed == point.params["seed"]


def test_points_change_only_the_swept_fields():
    base = chain_scenario()
    plan = plan_sweep(base, ["templates.nodes.router.memory.efficiency=0.5"], None)
    (point,) = plan.points
    expected = base.model_dump(mode="json")
    expected["templates"]["nodes"]["router"]["memory"]["efficiency"] = 0.5
    assert from_dict(point.data).model_dump(mode="json") == expected
    assert point.params == {"templates.nodes.router.memory.efficiency": 0.5, "seed": base.seed}


def test_wildcard_sets_every_listed_link():
    plan = plan_sweep(_explicit_links_scenario(), ["network.links[*].length_km=12.5"], None)
    assert [link.length_km for link in from_dict(plan.points[0].data).network.links] == [12.5, 12.5]


def chain_for_n_nodes_sweep():
    """The test chain with n2, the request's far end, an end node whatever ``n_nodes`` is swept to.

    On a longer chain n2 would otherwise be an interior repeater, which cannot end a request.
    """
    data = chain_scenario().model_dump(mode="json", exclude_unset=True)
    data["network"]["node_roles"] = {"n2": "end"}
    return from_dict(data)


def test_whole_numbers_for_a_decimal_field_give_a_decimal_column():
    plan = plan_sweep(chain_for_n_nodes_sweep(), ["links.length_km=10:30:10", "network.generator.n_nodes=3,4"], None)
    assert [(p.name, p.dtype) for p in plan.parameters] == [
        ("links.length_km", "float64"),
        ("network.generator.n_nodes", "int64"),
    ]
    assert plan.parameters[0].values == (10.0, 20.0, 30.0)


def test_every_bad_point_is_reported_before_anything_runs():
    with pytest.raises(ScenarioError) as caught:
        plan_sweep(chain_scenario(), ["links.length_km=-5,10,0", "traffic[0].target_fidelity=0.5,1.5"], [0, 1])
    problems = caught.value.problems
    assert (
        "links.length_km=-5.0, traffic[0].target_fidelity=0.5: network.generator.length_km: must be > 0; got -5.0"
        in problems
    )
    assert any(line.startswith("links.length_km=0.0, ") and "must be > 0; got 0.0" in line for line in problems)
    assert any(
        line.startswith("links.length_km=10.0, traffic[0].target_fidelity=1.5: traffic[0].target_fidelity:")
        for line in problems
    )
    assert len(problems) == len(set(problems))  # the second seed repeats nothing


@pytest.mark.parametrize(
    ("assignments", "message"),
    [
        (["links.length_km=1", "links.length_km=2"], "given twice"),
        (["links.length_km=10", "network.generator.length_km=5"], "which --param links.length_km sets too"),
        (["seed=1,2"], "use --seeds"),
        (["length_km=1"], "the scenario has no field .length_km."),
        (["links.length_km"], "expected PATH=VALUES"),
        (["duration_s=1:400:1", "links.length_km=1:300:1"], "the grid has 120000 points; at most 100000"),
    ],
)
def test_bad_grids(assignments, message):
    with pytest.raises(ConfigError, match=message):
        plan_sweep(chain_scenario(), assignments, None)


def test_sweep_id_depends_on_base_values_and_seeds_only():
    base = chain_scenario()
    first = plan_sweep(base, ["links.length_km=10,20"], [0, 1])
    assert plan_sweep(base, ["links.length_km = 10, 20"], [0, 1]).sweep_id == first.sweep_id
    assert plan_sweep(base, ["links.length_km=10,30"], [0, 1]).sweep_id != first.sweep_id
    assert plan_sweep(base, ["links.length_km=10,20"], [0, 2]).sweep_id != first.sweep_id
    assert plan_sweep(chain_scenario(duration_s=0.02), ["links.length_km=10,20"], [0, 1]).sweep_id != first.sweep_id


# --- the folder and the tidy tables -----------------------------------------------------------


def _write_point(root, plan, point, n_links=2):
    """A result folder for ``point`` as a worker writes it (tables from to_frame, sweep entry in the manifest)."""
    scenario = from_dict(point.data)
    ids = {"run_id": f"run{point.point_id}", "scenario": scenario.name, "seed": scenario.seed}
    records = [
        {
            "link": f"l{i}",
            "a": "n0",
            "b": "n1",
            "length_km": scenario.network.generator.length_km,
            "link_mode": "hardware",
            "n_attempts": 10 * (i + 1),
            "n_successes": i,
            "success_probability": i / (10 * (i + 1)),
            "model_success_probability": 0.1,
            "attempt_period_s": 1e-4,
            "segment": "",
        }
        for i in range(n_links)
    ]
    manifest = {"sweep": {"sweep_id": plan.sweep_id, "point_id": point.point_id, "params": point.params}}
    Results(scenario, {"links": to_frame(LINKS, records, ids)}, manifest).write(point_folder(root, point.point_id))


def test_new_folder_lists_every_point_pending(tmp_path):
    plan = plan_sweep(chain_scenario(), ["links.length_km=10,20"], [0, 1])
    record = open_folder(plan, tmp_path / "out", overwrite=False)
    on_disk = json.loads((tmp_path / "out" / SWEEP_FILE).read_text())
    assert on_disk["sweep_id"] == plan.sweep_id == record["sweep_id"]
    assert on_disk["grid"] == {
        "links.length_km": {"paths": ["network.generator.length_km"], "values": [10.0, 20.0], "dtype": "float64"}
    }
    assert [(e["point_id"], e["status"], e["attempts"], e["error"]) for e in on_disk["points"]] == [
        (f"{i:04d}", "pending", 0, None) for i in range(4)
    ]
    assert on_disk["points"][3]["params"] == {"links.length_km": 20.0, "seed": 1}


def test_reopening_reads_completion_from_the_point_folders(tmp_path):
    root = tmp_path / "out"
    plan = plan_sweep(chain_scenario(), ["links.length_km=10,20,30"], None)
    record = open_folder(plan, root, overwrite=False)
    _write_point(root, plan, plan.points[1])
    record["points"][2]["status"] = "done"  # claimed in sweep.json but never written: not done
    save_record(root, record)
    leftover = root / "points" / ".0000.k2j4h5g6.partial"  # a point being written when the sweep was killed
    leftover.mkdir()
    (leftover / ".qnetsim-partial").touch()  # the lock file every staging folder holds (no process holds it now)
    (leftover / "pairs.parquet").write_bytes(b"half")
    shutil.copy(point_folder(root, "0001") / MANIFEST_FILE, leftover / MANIFEST_FILE)  # even with its manifest
    unproven = root / "points" / ".0002.zzzzzzzz.partial"  # the same name, but nothing proves qnetsim made it
    unproven.mkdir()
    (unproven / "notes.txt").write_text("mine")
    reopened = open_folder(plan, root, overwrite=False)
    assert [entry["status"] for entry in reopened["points"]] == ["pending", "done", "pending"]
    assert not leftover.exists()
    assert (unproven / "notes.txt").read_text() == "mine"


def test_a_folder_of_another_sweep_is_not_complete(tmp_path):
    plan = plan_sweep(chain_scenario(), ["links.length_km=10,20"], None)
    other = plan_sweep(chain_scenario(), ["links.length_km=10,25"], None)
    _write_point(tmp_path, plan, plan.points[0])
    assert is_complete(tmp_path, "0000", plan.sweep_id)
    assert not is_complete(tmp_path, "0000", other.sweep_id)
    assert not is_complete(tmp_path, "0001", plan.sweep_id)


def test_another_sweep_is_refused_unless_overwritten(tmp_path):
    root = tmp_path / "out"
    first = plan_sweep(chain_scenario(), ["links.length_km=10,20"], None)
    open_folder(first, root, overwrite=False)
    _write_point(root, first, first.points[0])
    second = plan_sweep(chain_scenario(), ["links.length_km=15"], None)
    with pytest.raises(ConfigError, match="holds another sweep; use --overwrite"):
        check_folder(second, root, overwrite=False)
    record = open_folder(second, root, overwrite=True)
    assert record["sweep_id"] == second.sweep_id
    assert [entry["status"] for entry in record["points"]] == ["pending"]
    assert not point_folder(root, "0000").exists()


def test_a_folder_that_is_not_a_sweep_is_never_touched(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    plan = plan_sweep(chain_scenario(), [], None)
    for overwrite in (False, True):
        with pytest.raises(ConfigError, match="holds no qnetsim sweep"):
            check_folder(plan, tmp_path, overwrite=overwrite)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_sweep_json_qnetsim_did_not_write_is_never_replaced(tmp_path):
    (tmp_path / "sweep.json").write_text('{"sweep_id": "mine", "points": []}')
    (tmp_path / "points").mkdir()
    (tmp_path / "points" / "data.csv").write_text("mine")
    plan = plan_sweep(chain_scenario(), [], None)
    for overwrite in (False, True):
        with pytest.raises(ConfigError, match="holds a sweep.json that qnetsim did not write"):
            check_folder(plan, tmp_path, overwrite=overwrite)
    assert (tmp_path / "points" / "data.csv").read_text() == "mine"


def test_overwriting_a_sweep_keeps_and_refuses_over_files_qnetsim_did_not_write(tmp_path):
    root = tmp_path / "out"
    first = plan_sweep(chain_scenario(), ["links.length_km=10,20"], None)
    open_folder(first, root, overwrite=False)
    _write_point(root, first, first.points[0])
    (root / "notes.md").write_text("mine")
    (root / "points" / "0000" / "extra.csv").write_text("mine")
    second = plan_sweep(chain_scenario(), ["links.length_km=15"], None)
    with pytest.raises(ConfigError, match=r"holds files qnetsim did not write \(notes.md, points/0000/extra.csv\)"):
        open_folder(second, root, overwrite=True)
    assert (root / "notes.md").read_text() == "mine" and (root / "points" / "0000" / "extra.csv").is_file()


def test_tidy_tables_put_the_parameters_after_the_identifiers(tmp_path):
    root = tmp_path / "out"
    plan = plan_sweep(chain_for_n_nodes_sweep(), ["links.length_km=10,20", "network.generator.n_nodes=3,4"], [5])
    record = open_folder(plan, root, overwrite=False)
    for point in plan.points[:3]:
        _write_point(root, plan, point)
    record = open_folder(plan, root, overwrite=False)  # statuses from disk: the last point is not done
    written = combine_tables(root, record)
    assert written == {"links": {"file": "sweep_links.parquet", "rows": 6}}
    table = pd.read_parquet(root / "sweep_links.parquet")
    assert list(table.columns) == [*ID_COLUMNS, "links.length_km", "network.generator.n_nodes", *LINKS.columns]
    assert table["links.length_km"].dtype == "float64"
    assert table["network.generator.n_nodes"].dtype == "int64"
    assert table["seed"].dtype == "int64"
    for point in plan.points[:3]:
        rows = table[table["run_id"] == f"run{point.point_id}"]
        assert len(rows) == 2
        assert (rows["links.length_km"] == point.params["links.length_km"]).all()
        assert (rows["network.generator.n_nodes"] == point.params["network.generator.n_nodes"]).all()
        assert (rows["length_km"] == point.params["links.length_km"]).all()
    assert not (table["run_id"] == "run0003").any()
