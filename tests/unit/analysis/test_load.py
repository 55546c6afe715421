"""Loading a run, a sweep (with missing points) and a folder of runs into one set of tables."""

import json

import pandas as pd
import pytest

from analysis import ResultFolderError, load, load_run, load_sweep
from analysis.parameters import distance_parameter, varied_scenario_fields
from tests.unit.analysis.folders import blocks, write_run


def test_a_run_folder_loads_as_one_run(tmp_path):
    write_run(tmp_path / "run", {"link_blocks": blocks([100, 200])}, run_id="r1", seed=4)
    results = load(tmp_path / "run")
    assert results.kind == "run"
    assert results.parameters == ()
    assert list(results.runs["run_id"]) == ["r1"]
    assert results.runs.loc[0, "simulated_time_s"] == 2.0
    table = results.tables["link_blocks"]
    assert list(table.columns[:3]) == ["run_id", "scenario", "seed"]
    assert list(table["secret_bits"]) == [100, 200]
    assert load_run(tmp_path / "run").manifest["run_id"] == "r1"


def _sweep(root, points, *, with_columns=False):
    """A sweep folder: ``points`` maps point id -> (length_km, seed) or None (listed, never run)."""
    root.mkdir()
    listed = []
    for point_id, values in points.items():
        params = None if values is None else {"links.length_km": values[0], "seed": values[1]}
        listed.append({"point_id": point_id, "params": params, "status": "pending" if values is None else "done"})
        if values is None:
            continue
        table = blocks([int(values[0]) * 10])
        if with_columns:  # the sweep writer may already add the parameter columns
            table.insert(0, "links.length_km", values[0])
        write_run(
            root / "points" / point_id,
            {"link_blocks": table},
            run_id=f"run-{point_id}",
            seed=values[1],
            sweep={"sweep_id": "s1", "point_id": point_id, "params": params},
        )
    (root / "sweep.json").write_text(json.dumps({"sweep_id": "s1", "points": listed}))
    return root


@pytest.mark.parametrize("with_columns", [False, True])
def test_a_sweep_concatenates_points_with_parameters_after_the_identifiers(tmp_path, with_columns):
    root = _sweep(tmp_path / "sweep", {"p0": (10.0, 1), "p1": (10.0, 2), "p2": (20.0, 1)}, with_columns=with_columns)
    results = load(root)
    assert results.kind == "sweep"
    assert results.parameters == ("links.length_km",)  # seed is an identifier already
    table = results.tables["link_blocks"]
    assert list(table.columns[:4]) == ["run_id", "scenario", "seed", "links.length_km"]
    assert list(table.columns).count("links.length_km") == 1
    assert table["links.length_km"].dtype == "float64"
    assert dict(zip(table["run_id"], table["links.length_km"], strict=True)) == {
        "run-p0": 10.0,
        "run-p1": 10.0,
        "run-p2": 20.0,
    }
    assert dict(zip(table["run_id"], table["secret_bits"], strict=True)) == {
        "run-p0": 100,
        "run-p1": 100,
        "run-p2": 200,
    }
    assert list(results.runs["links.length_km"]) == [10.0, 10.0, 20.0]
    assert results.missing_points == ()


def test_missing_failed_partial_and_unreadable_points_do_not_stop_a_sweep(tmp_path, caplog):
    root = _sweep(tmp_path / "sweep", {"p0": (10.0, 1), "p1": None, "p2": (20.0, 1), "p3": (30.0, 1)})
    (root / "points" / "p3" / "manifest.json").write_text("{ not json")  # interrupted by hand
    partial = root / "points" / ".p4.abc.partial"  # a point still being written
    write_run(partial, {"link_blocks": blocks([1])}, run_id="partial", seed=9, sweep={"point_id": "p4", "params": {}})
    results = load_sweep(root)
    assert sorted(results.runs["run_id"]) == ["run-p0", "run-p2"]
    assert results.missing_points == ("p1", "p3")
    assert "p3" in caplog.text


def test_a_sweep_with_no_completed_point_is_an_error(tmp_path):
    root = _sweep(tmp_path / "sweep", {"p0": None})
    with pytest.raises(ResultFolderError, match="no completed points"):
        load(root)


def test_a_folder_of_runs_gets_the_scenario_fields_that_differ_as_parameters(tmp_path):
    for index, (length_km, seed) in enumerate([(10.0, 1), (25.0, 2)]):
        scenario = {"name": "demo", "seed": seed, "network": {"generator": {"length_km": length_km, "n_nodes": 3}}}
        write_run(
            tmp_path / f"run{index}", {"link_blocks": blocks([5])}, run_id=f"r{index}", seed=seed, scenario=scenario
        )
    results = load(tmp_path)
    assert results.kind == "runs"
    assert results.parameters == ("network.generator.length_km",)
    assert list(results.tables["link_blocks"]["network.generator.length_km"]) == [10.0, 25.0]


def test_runs_of_different_scenarios_are_told_apart_by_scenario_not_parameters(tmp_path):
    write_run(tmp_path / "a", {"link_blocks": blocks([5])}, run_id="ra", seed=1, scenario={"name": "a", "x": 1})
    write_run(tmp_path / "b", {"pairs": pd.DataFrame({"fidelity": [0.9]})}, run_id="rb", seed=1, scenario={"name": "b"})
    results = load(tmp_path)
    assert results.parameters == ()
    assert set(results.tables) == {"link_blocks", "pairs"}  # tables some runs lack are still loaded
    assert list(results.tables["pairs"]["scenario"]) == ["b"]


def test_the_same_run_twice_is_loaded_once(tmp_path):
    for name in ("copy1", "copy2"):
        write_run(tmp_path / name, {"link_blocks": blocks([5])}, run_id="same", seed=1)
    results = load(tmp_path)
    assert len(results.runs) == 1
    assert len(results.tables["link_blocks"]) == 1


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: None, "no such folder"),
        (lambda path: path.mkdir(), "holds no qnetsim results"),
        (lambda path: path.write_text("x"), "is not a folder"),
    ],
)
def test_folders_without_results_are_named_in_the_error(tmp_path, make, message):
    path = tmp_path / "thing"
    make(path)
    with pytest.raises(ResultFolderError, match=message):
        load(path)


def test_a_broken_manifest_is_reported_with_its_path(tmp_path):
    (tmp_path / "manifest.json").write_text("[1, 2]")
    with pytest.raises(ResultFolderError, match="no 'tables' section"):
        load(tmp_path)


def test_varied_fields_ignore_lists_name_and_seed():
    scenarios = [
        {"name": "a", "seed": 1, "duration_s": 1.0, "traffic": [1], "qkd": {"block_bits": 2048}},
        {"name": "a", "seed": 2, "duration_s": 2.0, "traffic": [2], "qkd": {"block_bits": 2048}},
    ]
    assert varied_scenario_fields(scenarios) == {"duration_s": [1.0, 2.0]}


def test_distance_parameter_is_the_first_length_or_distance_in_km():
    assert distance_parameter(["seed_count", "links.length_km", "distance_km"]) == "links.length_km"
    assert distance_parameter(["memory.coherence_time_s"]) is None
