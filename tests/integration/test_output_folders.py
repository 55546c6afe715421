"""Output folders on the command line: nothing qnetsim did not write is replaced, and writes are whole.

The cases of the project's data-loss report: a foreign ``manifest.json`` does not
make a folder replaceable; a comparison killed while replacing an earlier one
leaves the earlier one intact (a real process, killed with SIGKILL at a fixed
point of the write); symbolic links, links to nothing and unwritable places are
handled before the simulation runs; reports read comparison folders and are
written whole.
"""

import json
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis import load
from analysis.outputs import STAGING_MARKER
from analysis.report import write_report
from scenarios.cli import app
from scenarios.compare import Comparison
from scenarios.compare_designs import CompareSettings
from scenarios.results import Results
from scenarios.runner import run
from tests.conftest import chain_scenario

SHORT_S = "0.02"
ROOT = Path(__file__).resolve().parents[2]

#: Run in a subprocess: write a pickled comparison, with SIGKILL at the step named by argv[3].
_KILLED_WRITE = """
import os, pickle, signal, sys
import pandas as pd
import analysis.staging as staging

from types import SimpleNamespace
from scenarios.compare_folder import write_comparison  # what Comparison.write calls, without SeQUeNCe's import

comparison = SimpleNamespace(**pickle.loads(open(sys.argv[1], "rb").read()))
target, step, swap = sys.argv[2], sys.argv[3], sys.argv[4]
die = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
if swap == "two-renames":
    staging._exchange = lambda first, second: False
if step == "comparison.parquet":  # half way: both designs staged, the summary not yet
    original = pd.DataFrame.to_parquet
    def to_parquet(frame, path, *args, **kwargs):
        if os.path.basename(str(path)) == "comparison.parquet":
            die()
        return original(frame, path, *args, **kwargs)
    pd.DataFrame.to_parquet = to_parquet
elif step == "removing-the-old":  # the new folder swapped in, the old one not yet removed
    staging.discard = die
write_comparison(comparison, target)
print("not killed")
"""


def qnetsim(*args: object):
    return CliRunner().invoke(app, [str(arg) for arg in args])


def entries(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture
def no_simulation(monkeypatch):
    """Make any simulation fail loudly: the cases using it must be refused before one starts."""

    def refuse(*args, **kwargs):
        raise AssertionError("the simulation ran although the output place was bad")

    monkeypatch.setattr("scenarios.runner.run", refuse)
    monkeypatch.setattr("scenarios.compare.compare", refuse)


# --- qnetsim run ---------------------------------------------------------------------------


def test_a_folder_with_a_foreign_manifest_is_refused_and_nothing_lost(tmp_path, no_simulation):
    """The report's case: ``webapp/manifest.json`` of another program does not make ``webapp`` a result folder."""
    webapp = tmp_path / "webapp"
    webapp.mkdir()
    (webapp / "manifest.json").write_text('{"name":"x"}\n')
    (webapp / "app.js").write_text("x\n")
    result = qnetsim("run", "--duration-s", SHORT_S, "-o", webapp)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: output folder {webapp} exists, is not empty and holds no qnetsim results; choose another folder\n"
    )
    assert snapshot(webapp) == {"app.js": b"x\n", "manifest.json": b'{"name":"x"}\n'}
    assert entries(tmp_path) == ["webapp"]


def test_a_result_folder_with_files_added_by_hand_is_refused(tmp_path):
    out = tmp_path / "out"
    assert qnetsim("run", "--duration-s", SHORT_S, "-o", out).exit_code == 0
    (out / "notes.md").write_text("my analysis")
    result = qnetsim("run", "--duration-s", SHORT_S, "--seed", "2", "-o", out)
    assert result.exit_code == 2
    assert "holds files qnetsim did not write (notes.md); move them away or choose another folder" in result.stderr
    assert (out / "notes.md").read_text() == "my analysis"
    assert json.loads((out / "manifest.json").read_text())["seed"] != 2


def test_a_result_folder_of_the_previous_version_is_replaced(tmp_path):
    """Folders written before markers existed: recognised by the manifest's own fields."""
    out = tmp_path / "out"
    assert qnetsim("run", "--duration-s", SHORT_S, "--seed", "1", "-o", out).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["qnetsim_result"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    result = qnetsim("run", "--duration-s", SHORT_S, "--seed", "2", "-o", out)
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 2
    assert manifest["qnetsim_result"]["kind"] == "run"
    assert sorted(manifest["qnetsim_result"]["files"]) == entries(out)
    assert entries(tmp_path) == ["out"]


def test_a_symlinked_result_folder_is_replaced_where_it_points(tmp_path):
    real, link = tmp_path / "real", tmp_path / "link"
    real.mkdir()
    link.symlink_to(real)
    for seed in (1, 2):
        result = qnetsim("run", "--duration-s", SHORT_S, "--seed", str(seed), "-o", link, "--quiet")
        assert result.exit_code == 0, result.stderr
        assert result.stdout == f"{link}\n"
    assert link.is_symlink() and link.resolve() == real
    assert json.loads((real / "manifest.json").read_text())["seed"] == 2
    assert entries(tmp_path) == ["link", "real"]  # no stray link or folder beside them


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda tmp: (tmp / "out").symlink_to(tmp / "gone"),
            "output folder {tmp}/out is a symbolic link to {tmp}/gone, which does not exist; "
            "create it or choose another folder",
        ),
        (lambda tmp: (tmp / "file").write_text("x"), "output folder {tmp}/file/out: {tmp}/file is not a folder"),
    ],
    ids=["link-to-nothing", "under-a-file"],
)
def test_a_place_that_cannot_take_results_is_refused_before_the_simulation(tmp_path, no_simulation, make, message):
    make(tmp_path)
    target = tmp_path / "file" / "out" if (tmp_path / "file").exists() else tmp_path / "out"
    before = entries(tmp_path)
    for command in (["run", "--duration-s", SHORT_S], ["compare", "--no-distances"]):
        result = qnetsim(*command, "-o", target)
        assert result.exit_code == 2, result.output
        assert result.stderr == f"error: {message.format(tmp=tmp_path)}\n"
    assert entries(tmp_path) == before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc, where nobody can make folders")
def test_an_unwritable_parent_is_refused_before_the_simulation(no_simulation):
    result = qnetsim("run", "--duration-s", SHORT_S, "-o", "/proc/qnetsim-results")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: output folder /proc/qnetsim-results: cannot write in /proc (No such file or directory)\n"
    )


# --- qnetsim compare: written whole -------------------------------------------------------


@pytest.fixture(scope="module")
def comparisons():
    """Comparisons of two short runs (the writer does not care what was compared); the last with distances."""
    runs = {
        design: run(chain_scenario(duration_s=0.02, seed=seed)) for seed, design in enumerate(["trusted_relay", "b"])
    }
    runs["quantum_repeater"] = runs.pop("b")
    summary = pd.DataFrame(
        {
            "design": ["trusted_relay", "quantum_repeater", "trusted_relay", "quantum_repeater"],
            "pair": ["n0-n2"] * 4,
            "metric": ["key_capacity_bps", "key_capacity_bps", "bb84_link_qber", "pair_fidelity"],
            "label": ["end-to-end key capacity", "end-to-end key capacity", "QBER of BB84 links", "pair fidelity"],
            "value": [1200.0, 35.5, 0.015, 0.91],
            "ci_low": [float("nan")] * 4,
            "ci_high": [float("nan")] * 4,
            "n_seeds": [1] * 4,
            "unit": ["bit/s", "bit/s", "fraction", "fraction"],
            "source": ["simulated", "simulated", "model", "simulated"],
        }
    )
    distance = pd.DataFrame(
        {
            "design": ["trusted_relay", "trusted_relay", "quantum_repeater", "quantum_repeater"],
            "distance_km": [10.0, 40.0, 10.0, 40.0],
            "key_rate_bps": [1e4, 1e3, 50.0, 20.0],
        }
    )
    scenario = runs["trusted_relay"].scenario

    def comparison(tag: str, with_distance: bool = False) -> Comparison:
        results = {
            design: Results(result.scenario, result.tables, {**result.manifest, "run_id": f"{tag}-{design}"})
            for design, result in runs.items()
        }
        return Comparison(
            scenario,
            CompareSettings(duration_s=0.02),
            [scenario.seed],
            results,
            {design: (design, "run", scenario.seed) for design in results},
            pd.DataFrame({"design": list(results), "value": [1.0] * len(results)}),
            summary.assign(tag=tag),
            pd.DataFrame({"design": list(results), "wall_time_s": [0.1] * len(results)}),
            {},
            distance if with_distance else pd.DataFrame(),
        )

    return comparison("old"), comparison("new"), comparison("drawn", with_distance=True)


def _killed_write(comparison: Comparison, target: Path, step: str, swap: str = "exchange") -> None:
    pickled = target.parent / "comparison.pickle"
    fields = ("scenario", "seeds", "results", "run_keys", "measurements", "summary", "timings", "unavailable")
    fields += ("distance", "notes")
    parts = {name: getattr(comparison, name) for name in fields}
    parts |= {"designs": comparison.designs, "settings": SimpleNamespace(**comparison.settings.__dict__)}
    pickled.write_bytes(pickle.dumps(parts))
    try:
        finished = subprocess.run(
            [sys.executable, "-c", _KILLED_WRITE, pickled, target, step, swap],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        pickled.unlink()
    assert finished.returncode == -signal.SIGKILL, finished.stderr
    assert finished.stdout == ""


def _consistent(folder: Path, tag: str) -> None:
    """A whole comparison of one write: its manifest and every design's run are of the same one."""
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["runs"] == {"trusted_relay": f"{tag}-trusted_relay", "quantum_repeater": f"{tag}-quantum_repeater"}
    for design in manifest["designs"]:
        assert json.loads((folder / design / "manifest.json").read_text())["run_id"] == f"{tag}-{design}"
    assert set(pd.read_parquet(folder / "comparison.parquet")["tag"]) == {tag}
    assert sorted(manifest["qnetsim_result"]["files"]) == sorted(snapshot(folder))


def test_a_comparison_killed_half_way_leaves_the_earlier_one_whole(comparisons, tmp_path):
    old, new, _ = comparisons
    target = tmp_path / "cmp"
    old.write(target)
    before = snapshot(target)
    _killed_write(new, target, "comparison.parquet")
    assert snapshot(target) == before  # not one file of the new comparison in it
    leftovers = [name for name in entries(tmp_path) if name != "cmp"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".cmp.") and leftovers[0].endswith(".partial")
    assert (tmp_path / leftovers[0] / STAGING_MARKER).is_file()  # the proof that qnetsim made it
    new.write(target)  # the next write cleans up
    _consistent(target, "new")
    assert entries(tmp_path) == ["cmp"]


def test_a_comparison_killed_after_the_swap_is_whole_and_the_old_one_is_cleaned_later(comparisons, tmp_path):
    """With two renames (where one exchange is not available) the old folder waits as ``.cmp.prev.*.partial``."""
    old, new, _ = comparisons
    target = tmp_path / "cmp"
    old.write(target)
    _killed_write(new, target, "removing-the-old", "two-renames")
    _consistent(target, "new")
    leftovers = [name for name in entries(tmp_path) if name != "cmp"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".cmp.prev.")
    old.write(target)
    _consistent(target, "old")
    assert entries(tmp_path) == ["cmp"]


def test_a_comparison_does_not_replace_a_run(comparisons, tmp_path):
    old, _, _ = comparisons
    target = tmp_path / "out"
    old.results["trusted_relay"].write(target)
    result = qnetsim("compare", "--no-distances", "-o", target)
    assert result.exit_code == 2
    assert result.stderr == f"error: output folder {target} holds a qnetsim run, not a comparison of designs; " + (
        "choose another folder\n"
    )


# --- qnetsim report on comparisons ---------------------------------------------------------


def test_a_report_of_a_comparison_shows_the_designs_side_by_side(comparisons, tmp_path):
    _, _, drawn = comparisons
    drawn.write(tmp_path / "cmp")
    assert (tmp_path / "cmp" / "key_rate_vs_distance.png").is_file()
    result = qnetsim("report", tmp_path / "cmp", "-o", tmp_path / "report", "--format", "markdown")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "report" / "report.md").read_text()
    assert "Source: {} (a comparison of designs: 2 runs).".format((tmp_path / "cmp").resolve()) in text
    assert "## Designs compared" in text
    table = text[text.index("| quantity |") :].split("\n\n")[0].splitlines()
    assert table[0] == "| quantity | trusted_relay | quantum_repeater | source |"
    assert "| end-to-end key capacity (bit/s) | 1200 | 35.5 | simulated |" in table
    assert "| QBER of BB84 links (fraction) | 0.015 | - | model |" in table
    assert "(figures/key_rate_vs_distance.png)" in text
    assert (tmp_path / "report" / "figures" / "key_rate_vs_distance.png").is_file()
    assert "| design |" in text  # the designs' own runs are reported with their design


def test_a_report_of_runs_beside_a_comparison(comparisons, tmp_path):
    """The report's case: a comparison folder among run folders (it used to fail with a TypeError)."""
    old, _, _ = comparisons
    old.write(tmp_path / "results" / "cmp")
    run(chain_scenario(duration_s=0.02, seed=5)).write(tmp_path / "results" / "run5")
    results = load(tmp_path / "results")
    assert results.kind == "runs" and len(results.comparisons) == 1
    assert sorted(results.runs["design"].fillna("-")) == ["-", "quantum_repeater", "trusted_relay"]
    report = write_report(tmp_path / "results", tmp_path / "report", "markdown")
    text = report.read_text()
    assert "(3 runs, 1 comparison of designs)" in text
    assert "| quantity | trusted_relay | quantum_repeater | source |" in text


def test_a_failed_report_leaves_nothing_and_keeps_the_earlier_report(comparisons, tmp_path, monkeypatch):
    old, _, _ = comparisons
    old.write(tmp_path / "cmp")
    write_report(tmp_path / "cmp", tmp_path / "report", "markdown")
    before = snapshot(tmp_path / "report")

    def fail(*args, **kwargs):
        raise OSError("disk full (injected)")

    monkeypatch.setattr("analysis.report.render_markdown", fail)
    result = qnetsim("report", tmp_path / "cmp", "-o", tmp_path / "report", "--format", "markdown")
    assert result.exit_code == 1
    assert result.stderr == "error: OSError: disk full (injected) (run with --debug for a traceback)\n"
    assert snapshot(tmp_path / "report") == before
    result = qnetsim("report", tmp_path / "cmp", "-o", tmp_path / "new", "--format", "markdown")  # fails: no folder
    assert result.exit_code == 1
    assert entries(tmp_path) == ["cmp", "report"]


def test_report_refuses_a_link_to_nothing_and_an_unwritable_place(comparisons, tmp_path):
    old, _, _ = comparisons
    old.write(tmp_path / "cmp")
    (tmp_path / "out").symlink_to(tmp_path / "gone")
    result = qnetsim("report", tmp_path / "cmp", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert f"error: report folder {tmp_path}/out is a symbolic link to {tmp_path}/gone, which does not exist" in (
        result.stderr
    )
    if sys.platform.startswith("linux"):
        result = qnetsim("report", tmp_path / "cmp", "-o", "/proc/qnetsim-report")
        assert result.exit_code == 2
        assert result.stderr == (
            "error: report folder /proc/qnetsim-report: cannot write in /proc (No such file or directory)\n"
        )
    assert entries(tmp_path) == ["cmp", "out"]
