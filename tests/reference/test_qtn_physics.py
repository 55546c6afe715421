"""QTN simulations (SeQUeNCe hardware models) against published formulas.

Each test runs scenarios through the project's runner and compares the tables
with the formula named in its docstring (implemented independently in
:mod:`qtn.analytic`). Deterministic quantities use a floating-point tolerance;
statistical ones use fixed seeds and a tolerance of 4 standard errors. Most run
at every fidelity level: the network-scale engine (``network``) must meet the
same formulas as SeQUeNCe's hardware and fast modes.
"""

import math

import numpy as np
import pandas as pd
import pytest

from qtn.analytic.decoherence import werner_fidelity_after_storage
from qtn.analytic.heralded_generation import (
    mean_time_to_success_s,
    single_heralded_attempt_period_s,
    single_heralded_herald_delay_s,
    single_heralded_success_probability,
)
from qtn.analytic.purification import bbpssw
from qtn.analytic.recurrence import recurrence
from qtn.analytic.swapping import werner_chain_fidelity
from scenarios import from_dict, run

N_SE = 4.0
LEVELS = ["hardware", "fast", "network"]


def scenario(
    n_nodes=2,
    length_km=5.0,
    duration_s=0.2,
    raw_fidelity=0.9,
    coherence_time_s=None,
    n_memories=1,
    target_fidelity=0.5,
    seed=3,
    level="hardware",
    entanglement=None,
    hold_s=0.0,
    node_memories=None,
):
    return from_dict(
        {
            "name": "qtn-reference",
            "seed": seed,
            "duration_s": duration_s,
            "fidelity_level": level,
            "entanglement": entanglement or {},
            "templates": {
                "nodes": {
                    "r": {
                        "n_memories": node_memories or 2 * n_memories,
                        "memory": {"raw_fidelity": raw_fidelity, "coherence_time_s": coherence_time_s},
                    }
                }
            },
            "network": {
                "generator": {"kind": "chain", "n_nodes": n_nodes, "length_km": length_km},
                "node_template": "r",
            },
            "traffic": [
                {
                    "src": "n0",
                    "dst": f"n{n_nodes - 1}",
                    "n_memories": n_memories,
                    "target_fidelity": target_fidelity,
                    "hold_s": hold_s,
                }
            ],
        }
    )


@pytest.mark.parametrize("level", LEVELS)
def test_stored_pair_decays_as_the_pauli_channel_formula(level):
    """F(t) = 1/4 + (F0 - 1/4) exp(-8 t / (3 T)) for a Werner pair whose two halves idle t
    in depolarising memories of coherence time T (SeQUeNCe's Pauli channel with weights
    1/3; derivation in qtn.analytic.decoherence, cf. Zang et al., arXiv:2305.14573).
    Each pair idles from its emission: herald delay (L/v + 10 ps) plus the storage time."""
    coherence_s, hold_s, length_km = 0.1, 0.02, 5.0
    pairs = run(scenario(coherence_time_s=coherence_s, hold_s=hold_s, duration_s=0.3, level=level)).tables["pairs"]
    assert len(pairs) >= 5
    assert pairs["stored_s"].to_numpy() == pytest.approx(hold_s)
    idle_s = hold_s + float(single_heralded_herald_delay_s(length_km))
    expected = float(werner_fidelity_after_storage(0.9, idle_s, coherence_s))
    assert pairs["fidelity"].to_numpy() == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("level", LEVELS)
def test_bbpssw_fidelity_and_success_probability(level):
    """BBPSSW on two Werner pairs of fidelity F (Bennett et al., PRL 76, 722 (1996)):
    F' = (F^2 + e^2)/(F^2 + 2 F e + 5 e^2), p = F^2 + 2 F e + 5 e^2 with e = (1 - F)/3.
    One round from F = 0.8 gives F' = 0.838150...; no decoherence, so every delivered pair
    has exactly F'; the measured success fraction is binomial (tolerance 4 SE)."""
    outcome = bbpssw(0.8, 0.8)
    run_ = run(
        scenario(
            raw_fidelity=0.8,
            target_fidelity=0.83,
            n_memories=4,
            duration_s=0.3,
            entanglement={"purification_rounds": 1},
            level=level,
        )
    )
    pairs, purifications = run_.tables["pairs"], run_.tables["purifications"]
    assert len(pairs) > 20
    assert pairs["fidelity"].to_numpy() == pytest.approx(float(outcome.fidelity), abs=1e-9)
    assert float(outcome.fidelity) == pytest.approx(0.838150289, abs=1e-9)
    row = purifications.iloc[0]
    p = float(outcome.success_probability)
    se = math.sqrt(p * (1 - p) / row["n_attempts"])
    assert abs(row["success_probability"] - p) < N_SE * se


@pytest.mark.parametrize("level", LEVELS)
def test_dejmps_rounds_follow_the_recurrence_and_beat_bbpssw(level):
    """DEJMPS (Deutsch et al., PRL 77, 2818 (1996)) keeps the Bell-diagonal form, BBPSSW
    twirls to Werner: from F = 0.8, two rounds give different fidelities (0.87358 and 0.94364),
    each equal to the protocol's own recurrence (Duer et al., PRA 59, 169 (1999)). The target
    0.86 lies between the one- and two-round values, so every delivered pair had two rounds."""
    fidelities = {}
    for protocol in ("bbpssw", "dejmps"):
        expected = float(recurrence(protocol, 0.8, 2).states[-1][0])
        pairs = run(
            scenario(
                raw_fidelity=0.8,
                target_fidelity=0.86,
                n_memories=8,
                duration_s=0.3,
                entanglement={"purification": protocol, "purification_rounds": 2},
                level=level,
            )
        ).tables["pairs"]
        assert len(pairs) > 5
        assert pairs["fidelity"].to_numpy() == pytest.approx(expected, abs=1e-9)
        fidelities[protocol] = expected
    assert fidelities["dejmps"] > fidelities["bbpssw"]


@pytest.mark.parametrize("level", LEVELS)
def test_mean_generation_time_is_period_over_success_probability(level):
    """Heralded generation succeeds per attempt with p = q_BSM (eta_mem 10^(-alpha L/20))^2
    eta_det^2 (Barrett & Kok, PRA 71, 060310 (2005) with SeQUeNCe's single-heralded model);
    attempts repeat every period tau, so the time to a pair is tau N, N ~ Geometric(p),
    mean tau/p and standard deviation tau sqrt(1 - p)/p. One memory per end: each pair's
    latency_s is one such time. Both link modes must match it (4 standard errors)."""
    length_km = 10.0
    pairs = run(scenario(length_km=length_km, duration_s=0.8, level=level)).tables["pairs"]
    p = float(single_heralded_success_probability(length_km, 0.2, 0.75, 0.9, 0.5))
    period = float(single_heralded_attempt_period_s(length_km, requester_is_primary=False, memory_frequency_hz=2e6))
    mean = float(mean_time_to_success_s(period, p))
    se = period * math.sqrt(1 - p) / p / math.sqrt(len(pairs))
    assert len(pairs) > 200
    assert abs(pairs["latency_s"].mean() - mean) < N_SE * se


def test_fast_mode_agrees_with_hardware_mode_on_a_chain():
    """Fast link mode vs photon-by-photon on a 3-node chain with decoherence: mean latency and
    mean fidelity of delivered pairs agree within 4 standard errors of their difference."""
    results = {
        level: run(
            scenario(n_nodes=3, length_km=10.0, coherence_time_s=0.05, duration_s=0.6, level=level, n_memories=2)
        )
        for level in ("hardware", "fast")
    }
    hardware, fast = (results[level].tables["pairs"] for level in ("hardware", "fast"))
    assert len(hardware) > 100 and len(fast) > 100
    for column in ("latency_s", "fidelity"):
        se = math.hypot(hardware[column].std() / math.sqrt(len(hardware)), fast[column].std() / math.sqrt(len(fast)))
        assert abs(hardware[column].mean() - fast[column].mean()) < N_SE * se, column
    assert results["fast"].manifest["fidelity_level"] == "fast"
    assert results["fast"].manifest["events_executed"] < results["hardware"].manifest["events_executed"] / 2


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("n_nodes", [4, 5])
def test_sequential_and_nested_swapping_give_the_werner_chain(n_nodes, level):
    """Werner swapping multiplies Werner parameters (Duer et al. 1999), so any swapping order
    delivers F_n = 1/4 + (3/4) w^n on n links; both orders must match it exactly."""
    expected = float(werner_chain_fidelity(0.93, n_nodes - 1))
    for order in ("nested", "sequential"):
        pairs = run(
            scenario(
                n_nodes=n_nodes,
                raw_fidelity=0.93,
                duration_s=0.06,
                entanglement={"swapping_order": order},
                level=level,
            )
        ).tables["pairs"]
        assert len(pairs) > 3, order
        assert pairs["fidelity"].to_numpy() == pytest.approx(expected, abs=1e-9), order


@pytest.mark.parametrize("level", LEVELS)
def test_cutoff_discards_old_pairs(level):
    """With a cut-off c, no stored half is older than c when it is swapped, so every delivered
    pair has at least the fidelity of two links each decayed (both halves) for c:
    F >= F_swap(F(c), F(c)); without a cut-off, older (worse) pairs are delivered too."""
    coherence_s, cutoff_s = 0.05, 0.002
    kwargs = dict(
        n_nodes=3,
        length_km=10.0,
        coherence_time_s=coherence_s,
        duration_s=0.5,
        raw_fidelity=0.95,
        n_memories=2,
        level=level,
    )
    with_cutoff = run(scenario(entanglement={"cutoff_s": cutoff_s}, **kwargs)).tables["pairs"]
    without = run(scenario(**kwargs)).tables["pairs"]
    decayed = float(werner_fidelity_after_storage(0.95, cutoff_s, coherence_s))
    bound = float(werner_chain_fidelity(decayed, 2))
    assert len(with_cutoff) > 10 and len(without) > 10
    assert with_cutoff["fidelity"].min() >= bound - 1e-9
    assert without["fidelity"].min() < bound
    assert np.isfinite(with_cutoff["latency_s"]).all()


def _mean_and_se(values):
    return float(values.mean()), float(values.std()) / math.sqrt(len(values))


def test_network_mode_agrees_with_hardware_mode_on_a_repeater_chain():
    """The network-scale engine vs SeQUeNCe photon by photon, 5-node nested chain with decoherence
    (T = 50 ms): pairs per second (Poisson counts), mean latency and mean fidelity of delivered
    pairs agree within 4 standard errors of their difference, and each link's measured success
    fraction is the model's p (binomial, 4 SE)."""
    kwargs = dict(n_nodes=5, length_km=10.0, coherence_time_s=0.05, duration_s=0.5, n_memories=2, seed=4)
    results = {level: run(scenario(level=level, **kwargs)) for level in ("hardware", "network")}
    hardware, network = (results[level].tables["pairs"] for level in ("hardware", "network"))
    assert len(hardware) > 100 and len(network) > 100
    assert abs(len(hardware) - len(network)) < N_SE * math.sqrt(len(hardware) + len(network))
    for column in ("latency_s", "fidelity"):
        (mean_h, se_h), (mean_n, se_n) = _mean_and_se(hardware[column]), _mean_and_se(network[column])
        assert abs(mean_h - mean_n) < N_SE * math.hypot(se_h, se_n), column
    for row in results["network"].tables["links"].itertuples():
        p = row.model_success_probability
        assert abs(row.success_probability - p) < N_SE * math.sqrt(p * (1 - p) / row.n_attempts), row.link
    assert results["network"].manifest["fidelity_level"] == "network"


def test_network_mode_agrees_with_hardware_mode_with_end_to_end_purification():
    """Swapped pairs below the target are purified end to end (BBPSSW, Bennett et al. 1996):
    raw 0.95 links swap to 0.903 < 0.92, one round gives about 0.93. Mean delivered fidelity
    and the fraction of successful rounds agree within 4 standard errors. (Pair counts are not
    compared: with few memories both modes stall until the cut-off whenever two pairs with
    different round counts wait for partners, SeQUeNCe's pairing rule, or when the two ends of a
    purified pair record fidelities on either side of the target, so counts vary widely; the
    network level, cheap to run, pools seeds 3-6 so that a stall on one seed leaves enough pairs.)"""
    kwargs = dict(
        n_nodes=3,
        length_km=10.0,
        coherence_time_s=0.5,
        raw_fidelity=0.95,
        target_fidelity=0.92,
        n_memories=3,
        node_memories=6,
        duration_s=0.5,
    )
    results = {
        "hardware": [run(scenario(level="hardware", **kwargs))],
        "network": [run(scenario(level="network", seed=seed, **kwargs)) for seed in (3, 4, 5, 6)],
    }
    pairs = {level: pd.concat([r.tables["pairs"] for r in rs]) for level, rs in results.items()}
    assert all(len(p) > 50 for p in pairs.values())
    (mean_h, se_h), (mean_n, se_n) = (_mean_and_se(pairs[level]["fidelity"]) for level in ("hardware", "network"))
    assert mean_n > 0.92 and abs(mean_h - mean_n) < N_SE * math.hypot(se_h, se_n)
    fractions = []
    for rs in results.values():
        table = pd.concat([r.tables["purifications"] for r in rs])
        n, k = int(table["n_attempts"].sum()), int(table["n_successes"].sum())
        fractions.append((k / n, n))
    (f_h, n_h), (f_n, n_n) = fractions
    pooled = (f_h * n_h + f_n * n_n) / (n_h + n_n)
    assert abs(f_h - f_n) < N_SE * math.sqrt(pooled * (1 - pooled) * (1 / n_h + 1 / n_n))
