"""``qnetsim sweep`` driven for real: worker processes, a killed sweep resumed, retries, a Dask cluster.

Points are the built-in ``entanglement-chain`` with a few milliseconds of
simulated time, so most of the time goes into the workers importing SeQUeNCe.
The Dask test starts a real ``distributed.LocalCluster`` on 127.0.0.1.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis.load import load_run
from scenarios import from_dict, load
from scenarios.cli import app
from scenarios.sweep import plan_sweep
from scenarios.sweep_folder import open_folder, point_folder
from scenarios.tables import ENTANGLEMENT_TABLES, ID_COLUMNS, TABLES

DURATION_S = "0.005"
GRID = ["-p", "links.length_km=10,20", "--seeds", "2"]
PARAMETER = "links.length_km"
ROOT = Path(__file__).resolve().parents[2]


def _sweep(folder: Path, *args: str) -> object:
    command = ["sweep", "entanglement-chain", "--duration-s", DURATION_S, "-o", str(folder), "--no-progress", *args]
    return CliRunner().invoke(app, command)


def _record(folder: Path) -> dict:
    return json.loads((folder / "sweep.json").read_text())


def _manifest_stamps(folder: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime) of every complete point's manifest: unchanged iff the point was not run again.

    Only finished points count: a point being written lives in a hidden staging folder
    (``.<point_id>.*.partial``) until it is renamed into place, and ``Path.glob("*")``
    matches hidden names, so those are skipped (a sweep killed while writing one
    discards it on resuming).
    """
    stamps = {}
    for manifest in sorted((folder / "points").glob("*/manifest.json")):
        if manifest.parent.name.startswith("."):
            continue
        info = manifest.stat()
        stamps[manifest.parent.name] = (info.st_ino, info.st_mtime_ns)
    return stamps


def _assert_every_point_once(folder: Path) -> None:
    """Each complete point's rows appear exactly once in the sweep tables, with its parameters on every row."""
    record = _record(folder)
    points = {entry["point_id"]: entry for entry in record["points"]}
    assert all(entry["status"] == "done" for entry in points.values())
    for spec in ENTANGLEMENT_TABLES:
        combined = pd.read_parquet(folder / f"sweep_{spec.name}.parquet")
        assert list(combined.columns) == [*ID_COLUMNS, *record["grid"], *spec.columns]
        expected = []
        for point_id, entry in points.items():
            run = load_run(point_folder(folder, point_id))
            frame = run.tables[spec.name]
            for offset, name in enumerate(record["grid"]):
                column = pd.Series([entry["params"][name]] * len(frame), dtype=record["grid"][name]["dtype"])
                frame.insert(len(ID_COLUMNS) + offset, name, column)
            expected.append(frame)
        pd.testing.assert_frame_equal(combined, pd.concat(expected, ignore_index=True))
    requests = pd.read_parquet(folder / "sweep_entanglement_requests.parquet")
    assert sorted(requests["run_id"]) == sorted(
        load_run(point_folder(folder, point_id)).manifest["run_id"] for point_id in points
    )


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory):
    """Four points (two lengths x two seeds) run once in two local worker processes."""
    folder = tmp_path_factory.mktemp("sweep") / "out"
    result = _sweep(folder, *GRID, "--workers", "2")
    assert result.exit_code == 0, result.output
    return folder, result


def test_every_point_has_a_result_folder_with_its_parameters(local_sweep):
    folder, result = local_sweep
    record = _record(folder)
    assert [(e["status"], e["attempts"], e["error"]) for e in record["points"]] == [("done", 1, None)] * 4
    assert [e["params"] for e in record["points"]] == [
        {PARAMETER: length, "seed": seed} for length in (10.0, 20.0) for seed in (0, 1)
    ]
    for entry in record["points"]:
        run = load_run(point_folder(folder, entry["point_id"]))
        assert run.manifest["sweep"] == {
            "sweep_id": record["sweep_id"],
            "point_id": entry["point_id"],
            "params": entry["params"],
        }
        scenario = run.manifest["scenario"]
        assert scenario["seed"] == entry["params"]["seed"]
        assert scenario["network"]["generator"]["length_km"] == entry["params"][PARAMETER]
        assert scenario["duration_s"] == float(DURATION_S)
        assert set(run.tables) == {spec.name for spec in ENTANGLEMENT_TABLES}
    assert f"sweep {record['sweep_id']}" in result.output
    assert "4 run now, 0 done before, 0 failed" in result.output


def test_sweep_tables_hold_every_point_once_with_the_parameters(local_sweep):
    folder, _ = local_sweep
    _assert_every_point_once(folder)
    assert _record(folder)["tables"]["links"] == {"file": "sweep_links.parquet", "rows": 8}


def test_the_swept_length_is_the_length_that_was_simulated(local_sweep):
    folder, _ = local_sweep
    links = pd.read_parquet(folder / "sweep_links.parquet")
    assert links[PARAMETER].dtype == "float64"
    assert (links["length_km"] == links[PARAMETER]).all()
    assert sorted(links[PARAMETER].unique()) == [10.0, 20.0]
    # Longer links lose more photons: the model's heralding probability falls with length.
    by_length = links.groupby(PARAMETER)["model_success_probability"].mean()
    assert by_length[20.0] < by_length[10.0]


def test_one_worker_two_workers_and_runs_one_by_one_give_identical_tables(local_sweep, tmp_path):
    """Batches and the rows workers send back change where a point runs, never the sweep's tables."""
    from scenarios.runner import run

    folder = tmp_path / "out"
    result = _sweep(folder, *GRID, "--workers", "1")
    assert result.exit_code == 0, result.output
    local_folder = local_sweep[0]
    record = _record(folder)
    for name in ENTANGLEMENT_TABLES:
        pd.testing.assert_frame_equal(
            pd.read_parquet(folder / f"sweep_{name.name}.parquet"),
            pd.read_parquet(local_folder / f"sweep_{name.name}.parquet"),
        )
    base = load("entanglement-chain").model_dump(mode="json", exclude_unset=True)
    pairs = pd.read_parquet(folder / "sweep_pairs.parquet")
    for entry in record["points"]:  # each point's rows are those of the same scenario run on its own
        length_km, seed = entry["params"][PARAMETER], entry["params"]["seed"]
        data = base | {"duration_s": float(DURATION_S), "seed": seed}
        data["network"] = base["network"] | {"generator": base["network"]["generator"] | {"length_km": length_km}}
        alone = run(from_dict(data), progress=False).tables["pairs"]
        rows = pairs[(pairs[PARAMETER] == length_km) & (pairs["seed"] == seed)].drop(columns=[PARAMETER])
        columns = [c for c in alone.columns if c != "run_id"]
        pd.testing.assert_frame_equal(rows[columns].reset_index(drop=True), alone[columns].reset_index(drop=True))


def test_running_the_same_sweep_again_runs_nothing(local_sweep, tmp_path):
    folder = tmp_path / "out"
    shutil.copytree(local_sweep[0], folder)
    stamps = _manifest_stamps(folder)
    result = _sweep(folder, *GRID, "--workers", "2")
    assert result.exit_code == 0, result.output
    assert "resuming: 4 of 4 points already done" in result.output
    assert "0 run now, 4 done before, 0 failed" in result.output
    assert _manifest_stamps(folder) == stamps
    _assert_every_point_once(folder)


def test_another_sweep_into_the_same_folder_is_refused(local_sweep, tmp_path):
    folder = tmp_path / "out"
    shutil.copytree(local_sweep[0], folder)
    result = _sweep(folder, "-p", "links.length_km=10,30", "--seeds", "2")
    assert result.exit_code == 2
    assert f"error: output folder {folder} holds another sweep; use --overwrite" in result.output
    assert _record(folder)["sweep_id"] == _record(local_sweep[0])["sweep_id"]


def test_bad_points_are_all_reported_and_nothing_runs(tmp_path):
    result = _sweep(tmp_path / "out", "-p", "links.length_km=-5,10", "-p", "traffic[0].target_fidelity=0.9,1.5")
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    short = "network.generator.length_km: must be > 0; got -5.0"
    too_high = "traffic[0].target_fidelity: must be <= 1; got 1.5"
    assert errors == [
        f"error: entanglement-chain: links.length_km=-5.0, traffic[0].target_fidelity=0.9: {short}",
        f"error: entanglement-chain: links.length_km=-5.0, traffic[0].target_fidelity=1.5: {short}",
        f"error: entanglement-chain: links.length_km=-5.0, traffic[0].target_fidelity=1.5: {too_high}",
        f"error: entanglement-chain: links.length_km=10.0, traffic[0].target_fidelity=1.5: {too_high}",
    ]
    assert not (tmp_path / "out").exists()


def test_a_bad_path_names_the_parameter(tmp_path):
    result = _sweep(tmp_path / "out", "-p", "network.generator.lenght_km=10")
    assert result.exit_code == 2
    assert "error: --param network.generator.lenght_km: network.generator has no field 'lenght_km'; " in result.output
    assert "did you mean 'length_km'?" in result.output


def test_a_killed_sweep_resumes_with_only_the_remaining_points(tmp_path):
    folder = tmp_path / "out"
    grid = ["-p", "links.length_km=10:80:10"]
    command = [sys.executable, "-m", "scenarios", "sweep", "entanglement-chain", "--duration-s", "0.02"]
    command += [*grid, "-o", str(folder), "--workers", "1", "--no-progress"]
    process = subprocess.Popen(
        command, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120
        while len(_manifest_stamps(folder) if (folder / "points").is_dir() else {}) < 2:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            assert time.monotonic() < deadline, "no point finished in time"
            time.sleep(0.01)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the coordinator and its worker, as a crash would
        process.wait()
    done_before = _manifest_stamps(folder)
    assert 2 <= len(done_before) < 8, "the sweep must be killed half way"

    result = CliRunner().invoke(
        app,
        ["sweep", "entanglement-chain", "--duration-s", "0.02", *grid, "-o", str(folder), "--workers", "2"],
    )
    assert result.exit_code == 0, result.output
    n_left = 8 - len(done_before)
    assert f"resuming: {len(done_before)} of 8 points already done" in result.output
    assert f"{n_left} run now, {len(done_before)} done before, 0 failed" in result.output
    after = _manifest_stamps(folder)
    assert len(after) == 8
    assert {point: after[point] for point in done_before} == done_before  # finished points were not run again
    assert [e["attempts"] for e in _record(folder)["points"] if e["point_id"] not in done_before] == [1] * n_left
    assert not list((folder / "points").glob(".*"))  # no staging folder left behind
    _assert_every_point_once(folder)


def test_a_failing_point_is_retried_reported_and_run_again_later(tmp_path):
    folder = tmp_path / "out"
    base = load("entanglement-chain")
    base = from_dict(base.model_dump(mode="json", exclude_unset=True) | {"duration_s": float(DURATION_S)})
    plan = plan_sweep(base, ["links.length_km=10,20"], None)
    open_folder(plan, folder, overwrite=False)
    blocker = point_folder(folder, "0001")
    blocker.write_text("a file where the point's result folder goes: every attempt to write it fails")

    result = _sweep(folder, "-p", "links.length_km=10,20", "--retries", "2", "--workers", "2")
    assert result.exit_code == 1, result.output
    assert result.output.count("warning: point 0001 (links.length_km=20.0, seed=7) failed on attempt") == 2
    assert (
        f"error: point 0001 (links.length_km=20.0, seed=7) failed after 3 attempt(s): "
        f"OutputError: output folder {blocker} exists and is not a folder"
    ) in result.output
    record = _record(folder)
    assert record["sweep_id"] == plan.sweep_id
    assert [(e["status"], e["attempts"]) for e in record["points"]] == [("done", 1), ("failed", 3)]
    assert "exists and is not a folder" in record["points"][1]["error"]
    links = pd.read_parquet(folder / "sweep_links.parquet")  # the other point is kept and gathered
    assert links[PARAMETER].unique().tolist() == [10.0]

    blocker.unlink()
    stamps = _manifest_stamps(folder)
    result = _sweep(folder, "-p", "links.length_km=10,20", "--workers", "2")
    assert result.exit_code == 0, result.output
    assert "1 run now, 1 done before, 0 failed" in result.output
    assert _manifest_stamps(folder)["0000"] == stamps["0000"]
    assert [(e["status"], e["attempts"], e["error"]) for e in _record(folder)["points"]] == [
        ("done", 1, None),
        ("done", 4, None),
    ]
    _assert_every_point_once(folder)


def test_dask_cluster_gives_the_same_tables_as_local_workers(local_sweep, tmp_path):
    distributed = pytest.importorskip("distributed")
    folder = tmp_path / "out"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        result = _sweep(folder, *GRID, "--executor", "dask", "--scheduler", cluster.scheduler_address)
    assert result.exit_code == 0, result.output
    assert "4 run now, 0 done before, 0 failed" in result.output
    local_folder = local_sweep[0]
    assert _record(folder)["sweep_id"] == _record(local_folder)["sweep_id"]
    _assert_every_point_once(folder)
    for name in TABLES:
        if (local_folder / f"sweep_{name}.parquet").exists():
            pd.testing.assert_frame_equal(
                pd.read_parquet(folder / f"sweep_{name}.parquet"),
                pd.read_parquet(local_folder / f"sweep_{name}.parquet"),
            )


def test_dask_needs_a_scheduler_address(tmp_path):
    pytest.importorskip("distributed")
    result = _sweep(tmp_path / "out", "--executor", "dask")
    assert result.exit_code == 2
    assert "error: --executor dask: needs --scheduler ADDRESS" in result.output
