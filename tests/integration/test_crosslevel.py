"""Randomized cross-level agreement (``tests/crosslevel.py``): the comparison itself, then a quick set of cases.

The larger set is ``python bench/crosslevel.py``; its results are in
``docs/validation.md``. Here: the statistics on made-up runs (they must accept
equal distributions and catch a 50 % rate or a 1 % fidelity difference), then a
few random scenarios at ``fast`` vs ``network`` and two tiny ones photon by
photon, each at three seeds.
"""

import numpy as np
import pytest

from tests.crosslevel import (
    ADMISSION,
    K_SIGMA,
    Case,
    LevelRuns,
    RequestOutcome,
    check_case,
    compare,
    draw_cases,
)

SEEDS = [1, 2, 3]


def _case(n_requests: int = 1, n_router_memories: int = 4, cutoff_s: float | None = None) -> Case:
    traffic = [{"src": "n0", "dst": "n2", "n_memories": 2, "target_fidelity": 0.8}] * n_requests
    data = {"templates": {"nodes": {"router": {"n_memories": n_router_memories}}}, "traffic": traffic}
    features = {"cutoff_s": cutoff_s, "coherence_time_s": None, "n_router_memories": n_router_memories}
    return Case("made-up", data, features)


def _runs(
    level: str,
    rate: float,
    fidelity: float,
    rng: np.random.Generator,
    approved: tuple[bool, ...] = (True,),
    fidelity_sd: float = 0.01,
) -> LevelRuns:
    per_seed = []
    for _ in SEEDS:
        outcomes = []
        for served in approved:
            n = int(rng.poisson(rate)) if served else 0
            outcomes.append(
                RequestOutcome(
                    approved=served,
                    path="n0-n1-n2" if served else "",
                    n_memories=2,
                    fidelities=tuple(rng.normal(fidelity, fidelity_sd, n)),
                    latencies_s=tuple(rng.exponential(1e-3, n)),
                )
            )
        per_seed.append(tuple(outcomes))
    return LevelRuns(level, tuple(SEEDS), tuple(per_seed), 0.0)


def test_same_distributions_agree_at_every_generator_seed():
    """40 independent pairs of equal-distribution runs: at k = 4 none may be flagged."""
    for seed in range(40):
        rng = np.random.default_rng(seed)
        result = compare(_case(), _runs("fast", 100, 0.9, rng), _runs("network", 100, 0.9, rng))
        assert result.verdict == "agree", result.describe()
        assert {m.metric for m in result.metrics} == {"pairs_per_run", "fidelity", "latency_s"}


def test_a_rate_or_fidelity_difference_is_caught():
    rng = np.random.default_rng(1)
    slower = compare(_case(), _runs("fast", 100, 0.9, rng), _runs("network", 150, 0.9, rng))
    assert slower.verdict == "disagree"
    assert [m.metric for m in slower.metrics if not m.agree] == ["pairs_per_run"]
    worse = compare(_case(), _runs("fast", 100, 0.90, rng), _runs("network", 100, 0.91, rng))
    assert [m.metric for m in worse.metrics if not m.agree] == ["fidelity"]
    assert worse.metrics[1].z > K_SIGMA


def test_equal_deterministic_fidelities_must_match_exactly():
    rng = np.random.default_rng(2)
    a = _runs("fast", 50, 0.9, rng, fidelity_sd=0.0)
    b = _runs("network", 50, 0.9 + 1e-6, rng, fidelity_sd=0.0)
    assert [m.metric for m in compare(_case(), a, b).metrics if not m.agree] == ["fidelity"]


def test_different_refusals_are_admission_order_only_where_requests_compete():
    rng = np.random.default_rng(3)
    fast = _runs("fast", 50, 0.9, rng, approved=(True, False))
    network = _runs("network", 50, 0.9, rng, approved=(False, True))
    # two requests of 2 memories through n1 need 8 there: more than 4 is a contest, 8 is not
    assert compare(_case(2, n_router_memories=4), fast, network).verdict.startswith(f"by design: {ADMISSION}")
    assert compare(_case(2, n_router_memories=8), fast, network).verdict == "disagree"


def test_pairs_below_the_target_are_reported_and_named_when_only_the_network_level_has_them():
    rng = np.random.default_rng(4)
    below = _runs("network", 100, 0.805, rng)  # a few of N(0.805, 0.01) fall below the 0.8 target
    assert compare(_case(), _runs("fast", 100, 0.9, rng, fidelity_sd=0.001), below).verdict == (
        "known open: network delivers below target"
    )
    assert compare(_case(), _runs("hardware", 100, 0.805, rng), _runs("fast", 100, 0.9, rng)).verdict == "disagree"


# --- a quick set of random scenarios -----------------------------------------------------

# Drawn by the generator, picked for speed and coverage: a 6-node ring with a cut-off and two requests,
# a 3-node grid with decoherence, a 3-node chain with DEJMPS purification (pairs delivered at both levels).
_DRAWN = draw_cases(6, generator_seed=11, duration_s=0.05)
QUICK = [_DRAWN[1], _DRAWN[5], *draw_cases(1, generator_seed=103, duration_s=0.05, max_nodes=4)]
TINY = draw_cases(2, generator_seed=12, duration_s=0.03, max_nodes=3)


@pytest.mark.parametrize("case", QUICK, ids=[c.case_id for c in QUICK])
def test_fast_and_network_levels_agree_on_random_scenarios(case):
    result = check_case(case, "fast", "network", SEEDS)
    assert result.verdict == "agree", result.describe()
    assert result.informative


@pytest.mark.parametrize("case", TINY, ids=[c.case_id for c in TINY])
def test_hardware_and_fast_levels_agree_on_tiny_random_scenarios(case):
    result = check_case(case, "hardware", "fast", SEEDS)
    assert result.verdict == "agree", result.describe()
    assert result.informative
