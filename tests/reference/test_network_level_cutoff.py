"""The network level against SeQUeNCe's levels when the cut-off binds.

With a cut-off much shorter than the coherence time, how many pairs survive is
decided by SeQUeNCe's swap and purification handshakes: a refused swap request
leaves the far end that already accepted tied to the abandoned swap until its
memory expires; an expiring swap does not release such a far end (SeQUeNCe
1.3.1 sends its RELEASE_PROTOCOL with the wrong name); results for released
memories are dropped; each end records its own (decohered) fidelity. The
network-scale engine follows these rules (:mod:`qtn.netscale.engine`); before it
did, it delivered 724 pairs where the fast level delivered 399 (6-node nested
chain, 5 ms cut-off, 0.5 s) and 661 where it delivered 198 (sequential).

Scenarios: a 6-node chain of 15 km links, 16 memories per router, coherence
time 1 s, raw fidelity 0.97, n0 asks n5 for 8 memories, cut-off 5 ms, nested
and sequential swapping; and a 7-node chain with purification (BBPSSW, target
0.65, raw fidelity 0.95, coherence 0.1 s, cut-off 30 ms).

Statistics. Pair counts are over-dispersed (a stuck far end stalls a repeater
for up to a cut-off: 0.5 s runs of one level range from 315 to 434 pairs), so
the rate is compared through the seed-to-seed spread: the mean rates of the two
levels agree within 4 standard errors of their difference, with the variance
pooled over both levels' seeds. The network level is cheap, so it runs ten
seeds and SeQUeNCe's levels three. Mean latency and mean fidelity of all
delivered pairs agree within 4 standard errors of their difference.
"""

import math
import statistics

import pytest

from scenarios import from_dict, run

N_SE = 4.0


def chain_scenario(level, seed, duration_s, swapping_order="nested", purification=False):
    """The issue's scenarios: 6-node chain, 5 ms cut-off; or (purification) 7 nodes, 30 ms cut-off."""
    if purification:
        n_nodes, memory, entanglement, target = (
            7,
            {"coherence_time_s": 0.1, "raw_fidelity": 0.95},
            {"swapping_order": swapping_order, "purification": "bbpssw", "cutoff_s": 0.03},
            0.65,
        )
    else:
        n_nodes, memory, entanglement, target = (
            6,
            {"coherence_time_s": 1.0, "raw_fidelity": 0.97},
            {"swapping_order": swapping_order, "cutoff_s": 0.005},
            0.5,
        )
    return from_dict(
        {
            "name": "cutoff-binds",
            "seed": seed,
            "duration_s": duration_s,
            "fidelity_level": level,
            "templates": {"nodes": {"router": {"n_memories": 16, "memory": memory}}},
            "entanglement": entanglement,
            "network": {
                "generator": {"kind": "chain", "n_nodes": n_nodes, "length_km": 15},
                "node_template": "router",
            },
            "traffic": [
                {"src": "n0", "dst": f"n{n_nodes - 1}", "n_memories": 8, "target_fidelity": target},
            ],
        }
    )


def _runs(level, seeds, duration_s, **kwargs):
    return [run(chain_scenario(level, seed, duration_s, **kwargs)).tables["pairs"] for seed in seeds]


def _mean_and_se(values):
    return float(values.mean()), float(values.std()) / math.sqrt(len(values))


def _assert_seed_means_agree(per_seed_a, per_seed_b, what):
    """Two-sample comparison of per-seed values, seed-to-seed variance pooled over both levels, 4 SE."""
    k_a, k_b = len(per_seed_a), len(per_seed_b)
    pooled_var = ((k_a - 1) * statistics.variance(per_seed_a) + (k_b - 1) * statistics.variance(per_seed_b)) / (
        k_a + k_b - 2
    )
    se = math.sqrt(pooled_var * (1 / k_a + 1 / k_b))
    gap = abs(statistics.fmean(per_seed_a) - statistics.fmean(per_seed_b))
    assert gap < N_SE * se, (what, per_seed_a, per_seed_b, se)


def assert_levels_agree(runs_a, runs_b, duration_s):
    """Rates and mean latency per run (two-sample, pooled seed-to-seed variance), mean fidelity (pooled pairs), 4 SE.

    Latency is compared run by run like the rate: a stalled repeater delays every pair of
    its run, so a run's pairs are not independent and a pooled per-pair standard error
    would understate the spread.
    """
    rates = [[len(pairs) / duration_s for pairs in runs] for runs in (runs_a, runs_b)]
    _assert_seed_means_agree(rates[0], rates[1], "pairs per second")
    latencies = [[float(pairs["latency_s"].mean()) for pairs in runs] for runs in (runs_a, runs_b)]
    _assert_seed_means_agree(latencies[0], latencies[1], "mean latency per run")
    for column in ("fidelity",):
        stats = []
        for runs in (runs_a, runs_b):
            values = [v for pairs in runs for v in pairs[column]]
            stats.append((statistics.fmean(values), statistics.stdev(values) / math.sqrt(len(values))))
        (m_a, se_a), (m_b, se_b) = stats
        assert abs(m_a - m_b) < N_SE * math.hypot(se_a, se_b), (column, stats)


SHORT_S = 0.1
NETWORK_SEEDS = tuple(range(1, 11))
SEQUENCE_SEEDS = (1, 2, 3)


def test_network_level_agrees_with_fast_level_when_the_cutoff_binds():
    """6-node nested chain, 5 ms cut-off, 0.1 s (10 seeds network, 3 seeds fast): pairs per second,
    latency and fidelity of the network level agree with the fast level (SeQUeNCe's stack) within
    4 standard errors. (Before the fix: 138-141 pairs per run against 59-88.)"""
    network = _runs("network", NETWORK_SEEDS, SHORT_S)
    fast = _runs("fast", SEQUENCE_SEEDS, SHORT_S)
    assert all(len(pairs) > 10 for pairs in network + fast)
    assert_levels_agree(network, fast, SHORT_S)


@pytest.mark.slow
@pytest.mark.parametrize("level", ["hardware", "fast"])
@pytest.mark.parametrize("order", ["nested", "sequential"])
def test_network_level_agrees_with_sequence_levels_when_the_cutoff_binds(order, level):
    """The same 6-node chain for 0.5 s (10 seeds network, 3 seeds hardware or fast): pairs per
    second, latency and fidelity within 4 standard errors."""
    network = _runs("network", NETWORK_SEEDS, 0.5, swapping_order=order)
    other = _runs(level, SEQUENCE_SEEDS, 0.5, swapping_order=order)
    assert all(len(pairs) > 50 for pairs in network + other)
    assert_levels_agree(network, other, 0.5)


@pytest.mark.slow
@pytest.mark.parametrize("level", ["hardware", "fast"])
def test_network_level_agrees_with_sequence_levels_with_purification_when_the_cutoff_binds(level):
    """7-node nested chain, end-to-end BBPSSW to 0.65, coherence 0.1 s, cut-off 30 ms, 0.5 s (10
    seeds network, 3 seeds hardware or fast): pairs per second, latency and fidelity within 4
    standard errors. (Seed 1 is left out at SeQUeNCe's levels: its purification asserts 'Mismatch
    of entangled memories' on it at the fast level.)"""
    network = _runs("network", NETWORK_SEEDS, 0.5, purification=True)
    other = _runs(level, (2, 3, 4), 0.5, purification=True)
    assert all(len(pairs) > 10 for pairs in network + other)
    assert_levels_agree(network, other, 0.5)
