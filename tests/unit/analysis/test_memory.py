"""analysis reads results in memory as it reads folders: a run object, a comparison, a dict of tables."""

from types import SimpleNamespace

import pandas as pd
import pytest

import analysis
from analysis import ResultFolderError, metrics


def _pairs(run_id: str, seed: int, fidelities: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": run_id,
            "scenario": "s",
            "seed": seed,
            "request_id": 0,
            "src": "n0",
            "dst": "n2",
            "path": "n0-n1-n2",
            "n_hops": 2,
            "fidelity": fidelities,
            "latency_s": 0.001,
            "t_s": [0.1 * k for k in range(len(fidelities))],
        }
    )


def _run(run_id: str, seed: int, fidelities: list[float], duration_s: float = 2.0) -> SimpleNamespace:
    manifest = {
        "run_id": run_id,
        "scenario_name": "s",
        "seed": seed,
        "simulated_time_s": duration_s,
        "scenario": {"name": "s", "seed": seed, "duration_s": duration_s},
    }
    return SimpleNamespace(tables={"pairs": _pairs(run_id, seed, fidelities)}, manifest=manifest)


def test_a_run_in_memory_loads_like_its_folder(tmp_path):
    run = _run("r1", 1, [0.9, 0.8])
    loaded = analysis.load(run)
    assert loaded.kind == "run" and loaded.folder is None
    assert loaded.runs[["run_id", "seed", "simulated_time_s", "folder"]].to_dict("records") == [
        {"run_id": "r1", "seed": 1, "simulated_time_s": 2.0, "folder": None}
    ]
    per_run = metrics.pair_metrics(loaded.tables["pairs"], loaded.runs)
    assert per_run["pair_rate_hz"].tolist() == [1.0]  # 2 pairs in 2 s
    assert per_run["mean_fidelity"].tolist() == pytest.approx([0.85])
    assert analysis.load(loaded) is loaded
    assert analysis.load_table(run, "pairs") is run.tables["pairs"]


def test_several_runs_in_memory_get_the_fields_that_differ_as_parameters():
    loaded = analysis.load([_run("a", 1, [0.9]), _run("b", 2, [0.7], duration_s=4.0)])
    assert loaded.kind == "runs"
    assert loaded.parameters == ("duration_s",)
    assert loaded.tables["pairs"][["run_id", "seed", "duration_s"]].values.tolist() == [["a", 1, 2.0], ["b", 2, 4.0]]


def test_a_dict_of_tables_reads_its_identifiers_from_the_columns():
    loaded = analysis.load({"pairs": _pairs("r9", 5, [0.9])})
    assert loaded.runs[["run_id", "scenario", "seed"]].values.tolist() == [["r9", "s", 5]]
    assert pd.isna(loaded.runs["simulated_time_s"].iloc[0])  # no manifest: no simulated time


def test_a_comparison_in_memory_names_each_run_as_its_design():
    summary = pd.DataFrame({"design": ["trusted_relay"], "pair": ["a-b"], "metric": ["m"], "value": [1.0]})
    comparison = SimpleNamespace(
        results={"trusted_relay-load": _run("t", 1, [0.9]), "quantum_repeater-bbm92": _run("q", 1, [0.8])},
        summary=summary,
        scenario=SimpleNamespace(name="s"),
        designs=["trusted_relay", "quantum_repeater"],
        seeds=[1],
    )
    loaded = analysis.load(comparison)
    assert loaded.kind == "compare" and loaded.comparisons[0].scenario == "s"
    assert loaded.tables["pairs"]["design"].tolist() == ["trusted_relay-load", "quantum_repeater-bbm92"]
    assert loaded.comparisons[0].summary is summary


@pytest.mark.parametrize("source", [42, {"pairs": [1, 2]}, SimpleNamespace(tables={"p": 1}, manifest={})])
def test_an_object_without_results_is_refused_with_what_is_expected(source):
    with pytest.raises(ResultFolderError, match="cannot read results from a .*: expected a result folder"):
        analysis.load(source)


def test_loaded_results_display_compactly():
    loaded = analysis.load([_run("a", 1, [0.9]), _run("b", 2, [0.7, 0.6], duration_s=4.0)])
    text = repr(loaded)
    assert text.splitlines()[:5] == [
        "qnetsim runs: s (2 runs)",
        "  in memory",
        "  seeds: 1, 2",
        "  duration_s: 2.0, 4.0",
        "  simulated: 2.0, 4.0 s per run",
    ]
    assert "tables: pairs (3 rows)" in text
    assert loaded._repr_html_().startswith("<div><strong>qnetsim runs: s (2 runs)</strong>")
