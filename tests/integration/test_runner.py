"""The runner end to end: scenario in, tidy tables and manifest out, reproducibly."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from analysis import load_run
from scenarios import run
from scenarios.tables import ENTANGLEMENT_TABLES, TABLES
from tests.conftest import chain_scenario


@pytest.fixture(scope="module")
def results():
    return run(chain_scenario(duration_s=0.05, seed=3))


def test_pairs_table_has_declared_columns_and_rows(results):
    pairs = results.tables["pairs"]
    assert list(pairs.columns) == list(TABLES["pairs"].all_columns())
    assert len(pairs) > 10
    assert (pairs["src"] == "n0").all() and (pairs["dst"] == "n2").all()
    assert (pairs["path"] == "n0-n1-n2").all() and (pairs["n_hops"] == 2).all()
    assert pairs["t_s"].is_monotonic_increasing
    assert ((pairs["fidelity"] > 0.5) & (pairs["fidelity"] <= 1.0)).all()
    assert (pairs["latency_s"] > 0).all()
    assert (pairs["t_s"] <= 0.05).all()


def test_requests_table_agrees_with_pairs(results):
    requests = results.tables["entanglement_requests"]
    pairs = results.tables["pairs"]
    assert len(requests) == 1
    row = requests.iloc[0]
    assert bool(row["approved"]) and row["reason"] == ""
    assert row["n_pairs"] == len(pairs)
    assert row["pair_rate_hz"] == pytest.approx(len(pairs) / 0.05)
    assert row["mean_fidelity"] == pytest.approx(pairs["fidelity"].mean())
    assert row["setup_s"] > 0


def test_manifest_records_provenance(results):
    manifest = results.manifest
    assert manifest["seed"] == 3
    assert manifest["scenario"]["name"] == "test-chain"
    assert manifest["packages"]["sequence"] == "1.3.1"
    assert manifest["events_executed"] > 1000
    assert manifest["simulated_time_s"] == 0.05
    assert manifest["wall_time_s"] > 0
    for package in ("qnetsim", "numpy", "pandas", "networkx"):
        assert manifest["packages"][package] != "not installed"


def test_written_tables_read_back_identically(results, tmp_path):
    folder = results.write(tmp_path / "out")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["tables"]) == {spec.name for spec in ENTANGLEMENT_TABLES}
    loaded = load_run(folder)
    for name, frame in results.tables.items():
        pd.testing.assert_frame_equal(loaded.tables[name], frame)
    assert loaded.manifest["tables"]["pairs"]["rows"] == len(results.tables["pairs"])


def test_same_seed_gives_identical_tables():
    first = run(chain_scenario(seed=5))
    second = run(chain_scenario(seed=5))
    for name in first.tables:
        pd.testing.assert_frame_equal(first.tables[name], second.tables[name])


def test_different_seed_gives_different_tables():
    first = run(chain_scenario(seed=5)).tables["pairs"]
    second = run(chain_scenario(seed=6)).tables["pairs"]
    assert len(first) != len(second) or not np.allclose(first["t_s"], second["t_s"])


def test_global_random_state_is_restored_and_ignored():
    """A run neither depends on nor disturbs the caller's global random state."""
    np.random.seed(123)
    before = np.random.get_state()
    first = run(chain_scenario(seed=9)).tables["pairs"]
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]
    np.random.seed(999)
    second = run(chain_scenario(seed=9)).tables["pairs"]
    pd.testing.assert_frame_equal(first, second)


def test_progress_bar_does_not_change_results():
    quiet = run(chain_scenario(seed=4), progress=False).tables["pairs"]
    shown = run(chain_scenario(seed=4), progress=True).tables["pairs"]
    pd.testing.assert_frame_equal(quiet, shown)


_FINGERPRINT = """
import hashlib, sys
sys.path.insert(0, {root!r})
from scenarios import run
from tests.conftest import chain_scenario
pairs = run(chain_scenario(seed=2)).tables["pairs"]
print(hashlib.sha256(pairs.to_csv(index=False).encode()).hexdigest())
"""


def test_same_seed_identical_across_processes(tmp_path):
    """Nothing depends on Python's salted hash(): another PYTHONHASHSEED gives the same table."""
    import pathlib

    root = str(pathlib.Path(__file__).resolve().parents[2])
    code = _FINGERPRINT.format(root=root)
    digests = set()
    for hash_seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": hash_seed, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        )
        digests.add(out.stdout.strip())
    assert len(digests) == 1
