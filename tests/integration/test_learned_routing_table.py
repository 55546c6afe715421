"""The learned-routing comparison quoted in README.md and docs/machine-learning.md is the benchmark's own.

``bench/bench_learned_routing.py`` (minutes of simulation, not a test) writes every per-seed
row and the table it printed to ``bench/measured/learned-routing.json``. Here the tables are
recomputed from those rows by the script's own functions and must equal the quoted ones; the
evaluation seeds must be at least ten and none of them a training seed of the models used, and
key-aware routing must block at least 10 % of the requests (the load the comparison is about).
"""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from qkdn.ml.policy import load_policy

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "measured" / "learned-routing.json"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_learned_routing", ROOT / "bench" / "bench_learned_routing.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def document():
    return json.loads(RESULTS.read_text())


def test_quoted_table_is_the_one_the_rows_give(document):
    bench = _bench()
    assert bench.table(document["rows"]) == document["table"]
    assert document["table"] in (ROOT / "docs" / "machine-learning.md").read_text()
    assert bench.readme_table(document["rows"]) in (ROOT / "README.md").read_text()


def test_evaluation_is_on_ten_or_more_seeds_never_trained_on(document):
    bench = _bench()
    seeds = set(document["evaluation_seeds"])
    assert len(seeds) >= 10
    for network in {row["network"] for row in document["rows"]}:
        policy = load_policy(bench.model_path(network))
        assert seeds.isdisjoint(policy.metadata["train_seeds"])
        for strategy in bench.STRATEGIES:
            assert {
                r["seed"] for r in document["rows"] if r["network"] == network and r["strategy"] == strategy
            } == seeds


def test_key_aware_routing_blocks_at_least_a_tenth_at_the_compared_load(document):
    for network in {row["network"] for row in document["rows"]}:
        blocked = [
            r["blocked_fraction"] for r in document["rows"] if r["network"] == network and r["strategy"] == "key_aware"
        ]
        assert np.mean(blocked) >= 0.10
