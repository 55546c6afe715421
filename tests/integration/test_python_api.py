"""``qnetsim.run``, ``sweep`` and ``compare`` from Python: the same code and results as the commands."""

import json

import pandas as pd
import pytest

import analysis
import qnetsim
from qnetsim.core.errors import ConfigError
from scenarios.results import OutputError
from scenarios.runner import run as run_scenario
from tests.conftest import chain_scenario


def _same_tables(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame]) -> None:
    assert list(left) == list(right)
    for name in left:
        pd.testing.assert_frame_equal(left[name], right[name], obj=name)


@pytest.fixture(scope="module")
def chain_run():
    """The API's run of a small chain with both overrides, and the scenario as overridden."""
    base = chain_scenario(seed=1, duration_s=0.05)
    return qnetsim.run(base, seed=5, duration_s=0.03), chain_scenario(seed=5, duration_s=0.03)


def test_run_with_overrides_gives_the_runners_tables_for_the_overridden_scenario(chain_run):
    results, overridden = chain_run
    assert (results.manifest["seed"], results.manifest["simulated_time_s"]) == (5, 0.03)
    _same_tables(results.tables, run_scenario(overridden).tables)


def test_a_dict_runs_as_its_scenario_would(chain_run):
    results, overridden = chain_run
    data = overridden.model_dump(mode="json", exclude_unset=True)
    assert qnetsim.from_dict(data) == overridden
    assert qnetsim.run(data).manifest["run_id"] == results.manifest["run_id"]


def test_output_writes_the_folder_analysis_loads_back_as_the_results_in_memory(chain_run, tmp_path):
    results, overridden = chain_run
    written = qnetsim.run(overridden, output=tmp_path / "run")
    from_folder = analysis.load(tmp_path / "run")
    in_memory = analysis.load(written)
    _same_tables(from_folder.tables, in_memory.tables)
    assert from_folder.runs.drop(columns="folder").equals(in_memory.runs.drop(columns="folder"))
    _same_tables(in_memory.tables, analysis.load(results).tables)


def test_a_folder_qnetsim_did_not_write_is_refused_before_the_run(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OutputError):
        qnetsim.run(chain_scenario(), output=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: qnetsim.run("entanglement-chain", seed=-1), "seed (from seed=): must be >= 0; got -1"),
        (lambda: qnetsim.run("entanglement-chain", memory_budget_gb=0), "memory_budget_gb: must be > 0; got 0"),
        (lambda: qnetsim.run(3.5), "scenario: expected a Scenario, a dict, a file path or a built-in name; got float"),
        (lambda: qnetsim.load("entanglement-chian"), "did you mean 'entanglement-chain'?"),
        (lambda: qnetsim.sweep("entanglement-chain", {"links.lenght_km": [1, 2]}), "params links.lenght_km:"),
        (lambda: qnetsim.sweep("entanglement-chain", seeds=[1, 1]), "seeds=: seeds must be distinct"),
        (lambda: qnetsim.sweep("entanglement-chain", workers=0), "workers=: must be >= 1; got 0"),
        (lambda: qnetsim.sweep("entanglement-chain", seeds=True), "seeds=: expected a count N or a list of seeds"),
        (lambda: qnetsim.compare(settings={"bbm92_duration": 5}), "settings: unknown field 'bbm92_duration'"),
    ],
)
def test_bad_input_is_refused_with_the_keyword_named(call, message):
    with pytest.raises(ConfigError) as raised:
        call()
    assert message in str(raised.value)


def test_a_run_displays_its_scenario_seed_tables_and_summary(chain_run):
    results, _ = chain_run
    text = repr(results)
    lines = text.splitlines()
    assert lines[0] == "qnetsim run: test-chain, seed 5, 0.03 s simulated"
    assert f"pairs ({len(results.tables['pairs'])} rows)" in lines[2]
    assert lines[3] == "  entanglement requests:"
    html = results._repr_html_()
    assert html.startswith("<div><strong>qnetsim run: test-chain, seed 5, 0.03 s simulated</strong>")
    assert html.count("<table") == 1


def test_a_sweep_runs_every_point_into_its_folder_and_resumes(tmp_path):
    folder = tmp_path / "sweep"
    sweep = qnetsim.sweep(
        chain_scenario(duration_s=0.02), {"links.length_km": "10:20:10"}, seeds=[3], output=folder, workers=1
    )
    assert sweep.kind == "sweep" and sweep.parameters == ("links.length_km",)
    assert sweep.runs[["seed", "links.length_km"]].values.tolist() == [[3, 10.0], [3, 20.0]]
    assert set(sweep.tables["pairs"]["links.length_km"]) <= {10.0, 20.0}
    manifests = sorted(folder.glob("points/*/manifest.json"))
    assert [json.loads(m.read_text())["sweep"]["params"] for m in manifests] == [
        {"links.length_km": 10.0, "seed": 3},
        {"links.length_km": 20.0, "seed": 3},
    ]
    stamps = [m.stat().st_mtime_ns for m in manifests]
    again = qnetsim.sweep(
        chain_scenario(duration_s=0.02), {"links.length_km": "10:20:10"}, seeds=[3], output=folder, workers=1
    )
    assert [m.stat().st_mtime_ns for m in manifests] == stamps  # nothing ran again
    _same_tables(again.tables, sweep.tables)


@pytest.mark.slow
def test_compare_gives_a_comparison_that_displays_loads_and_reports(tmp_path):
    comparison = qnetsim.compare(
        "compare-chain", duration_s=0.2, hybrid=False, settings={"bbm92_duration_s": 5, "n_teleportations": 10}
    )
    assert comparison.designs == ["trusted_relay", "quantum_repeater"]
    text = repr(comparison)
    assert text.startswith("qnetsim comparison: compare-chain, trusted_relay, quantum_repeater; seed 1")
    assert "... more row" not in text  # every figure is shown
    loaded = analysis.load(comparison)
    assert loaded.kind == "compare" and set(loaded.tables["link_blocks"]["design"]) >= {"trusted_relay-saturating"}
    from analysis.report import write_report

    report = write_report(comparison, tmp_path / "report")
    assert "results in memory" in report.read_text()


def test_the_examples_in_the_api_docstrings_run():
    import doctest

    import qnetsim.api

    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    failed, attempted = doctest.testmod(qnetsim.api, extraglobs={"qnetsim": qnetsim}, optionflags=flags)
    assert (failed, attempted >= 3) == (0, True)
