"""Per-run metrics from small hand-made tables, and Student-t confidence intervals over seeds."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import AnalysisError
from analysis import metrics as m

RUNS = pd.DataFrame(
    {
        "run_id": ["r1", "r2"],
        "scenario": ["demo", "demo"],
        "seed": [1, 2],
        "links.length_km": [10.0, 20.0],
        "simulated_time_s": [2.0, 4.0],
        "wall_time_s": [0.1, 0.1],
    }
)


def _ids(run_ids: list[str]) -> pd.DataFrame:
    """Identifier and parameter columns for rows of the given runs (as the loader makes them)."""
    rows = RUNS.set_index("run_id").loc[run_ids]
    return pd.DataFrame(
        {
            "run_id": run_ids,
            "scenario": rows["scenario"].to_numpy(),
            "seed": rows["seed"].to_numpy(),
            "links.length_km": rows["links.length_km"].to_numpy(),
        }
    )


def _table(run_ids: list[str], **columns) -> pd.DataFrame:
    return pd.concat([_ids(run_ids), pd.DataFrame(columns)], axis=1)


def test_confidence_interval_is_the_student_t_interval():
    """mean ± t_{0.975, n-1} s / sqrt(n) (Student 1908); t_{0.975, 4} = 2.776 from any t table."""
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0]})
    row = m.confidence_interval(frame, "x").iloc[0]
    half_width = 2.7764451 * np.sqrt(2.5) / np.sqrt(5)  # s^2 = 2.5
    assert row["x_mean"] == pytest.approx(3.0)
    assert row["x_std"] == pytest.approx(np.sqrt(2.5))
    assert row["x_ci_low"] == pytest.approx(3.0 - half_width, rel=1e-6)
    assert row["x_ci_high"] == pytest.approx(3.0 + half_width, rel=1e-6)
    assert row["n_samples_x"] == 5
    assert row["confidence_level"] == 0.95
    low, high = stats.t.interval(0.95, df=4, loc=3.0, scale=stats.sem(frame["x"]))
    assert (row["x_ci_low"], row["x_ci_high"]) == pytest.approx((low, high))


def test_confidence_interval_per_group_with_level_missing_values_and_single_samples():
    frame = pd.DataFrame(
        {
            "length_km": [10, 10, 10, 10, 20, 30, 30],
            "rate": [4.0, 6.0, np.nan, 5.0, 7.0, 1.0, 3.0],
            "fidelity": [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3],
        }
    )
    summary = m.confidence_interval(frame, ["rate", "fidelity"], by=["length_km"], level=0.9).set_index("length_km")
    assert list(summary.index) == [10, 20, 30]
    assert summary.loc[10, "n_samples_rate"] == 3  # the NaN is left out
    assert summary.loc[10, "n_samples_fidelity"] == 4
    low, high = stats.t.interval(0.9, df=2, loc=5.0, scale=stats.sem([4.0, 6.0, 5.0]))
    assert (summary.loc[10, "rate_ci_low"], summary.loc[10, "rate_ci_high"]) == pytest.approx((low, high))
    assert summary.loc[20, "rate_mean"] == 7.0
    assert np.isnan(summary.loc[20, "rate_ci_low"]) and np.isnan(summary.loc[20, "rate_ci_high"])
    assert (summary["confidence_level"] == 0.9).all()


def test_ninety_five_percent_intervals_cover_the_true_mean_about_95_percent_of_the_time():
    """Coverage over 4000 normal samples of 5 (seed 11): 0.95 within 4 standard errors (sqrt(.95 .05 / 4000))."""
    rng = np.random.default_rng(11)
    n_groups = 4000
    frame = pd.DataFrame({"group": np.repeat(np.arange(n_groups), 5), "x": rng.normal(2.0, 3.0, 5 * n_groups)})
    summary = m.confidence_interval(frame, "x", by=["group"])
    coverage = ((summary["x_ci_low"] <= 2.0) & (2.0 <= summary["x_ci_high"])).mean()
    assert abs(coverage - 0.95) < 4 * np.sqrt(0.95 * 0.05 / n_groups)


@pytest.mark.parametrize("level", [0.0, 1.0, 95])
def test_a_level_outside_0_1_is_refused(level):
    with pytest.raises(AnalysisError, match="level"):
        m.confidence_interval(pd.DataFrame({"x": [1.0, 2.0]}), "x", level=level)


def test_a_missing_column_is_named():
    with pytest.raises(AnalysisError, match="missing columns \\['y'\\]"):
        m.confidence_interval(pd.DataFrame({"x": [1.0]}), "y")


def test_key_rate_per_pair_counts_served_bits_over_the_simulated_time():
    requests = _table(
        ["r1", "r1", "r1", "r2"],
        src=["a", "a", "a", "a"],
        dst=["b", "b", "b", "b"],
        bits=[256, 256, 512, 1024],
        served=[True, False, True, True],
        latency_s=[0.002, 5.0, 0.004, 0.001],
        key_consumed_bits=[512, 0, 1024, 2048],
    )
    result = m.key_rate_per_pair(requests, RUNS).set_index("run_id")
    assert result.loc["r1", "served_bits"] == 768
    assert result.loc["r1", "key_rate_bps"] == pytest.approx(768 / 2.0)
    assert result.loc["r2", "key_rate_bps"] == pytest.approx(1024 / 4.0)
    assert result.loc["r1", "served_fraction"] == pytest.approx(2 / 3)
    assert result.loc["r1", "mean_latency_s"] == pytest.approx(0.003)  # the unserved request is left out
    assert result.loc["r2", "links.length_km"] == 20.0  # parameters label the rows


def test_link_key_rate_is_secret_bits_over_the_simulated_time():
    link_blocks = _table(
        ["r1", "r1", "r2"], link=["a~b", "a~b", "a~b"], sifted_bits=[30, 30, 30], qber=[0.01, 0.03, 0.02],
        secret_bits=[100, 300, 100],
    )  # fmt: skip
    result = m.link_key_rate(link_blocks, RUNS).set_index("run_id")
    assert result.loc["r1", "key_rate_bps"] == pytest.approx(400 / 2.0)
    assert result.loc["r1", "mean_qber"] == pytest.approx(0.02)
    assert result.loc["r2", "n_blocks"] == 1


def test_link_key_rate_until_full_stops_at_the_last_sample_with_room():
    # 100-bit blocks every 0.1 s; the store (capacity 1000) fills between the samples at 0.5 s and 0.6 s.
    times = [0.1 * (i + 1) for i in range(20)]
    link_blocks = _table(["r1"] * 20, t_s=times, link="a~b", sifted_bits=300, qber=0.02, secret_bits=[100] * 20)
    samples = np.round(np.arange(0, 2.01, 0.1), 10)
    levels = np.minimum(1000, np.round(samples * 1000 * 1.8)).astype(int)  # full from 0.6 s
    pools = pd.concat(
        [
            _table(["r1"] * len(samples), t_s=samples, node="a", peer="b", level_bits=levels, capacity_bits=1000),
            _table(["r1"] * len(samples), t_s=samples, node="c", peer="a", level_bits=0, capacity_bits=1000),
        ],
        ignore_index=True,
    )
    row = m.link_key_rate_until_full(link_blocks, pools, RUNS).iloc[0]
    assert row["window_s"] == pytest.approx(0.5)
    assert row["secret_bits"] == 500  # blocks at 0.1 ... 0.5 s
    assert row["key_rate_bps"] == pytest.approx(1000.0)
    whole = m.link_key_rate(link_blocks, RUNS).iloc[0]
    assert whole["key_rate_bps"] == pytest.approx(2000 / 2.0)


def test_a_link_whose_stores_never_fill_is_measured_over_the_whole_run():
    link_blocks = _table(["r2", "r2"], t_s=[1.0, 3.0], link=["a~b", "a~b"], secret_bits=[100, 100])
    pools = _table(["r2"], t_s=[1.0], node="b", peer="a", level_bits=[100], capacity_bits=[10_000])
    row = m.link_key_rate_until_full(link_blocks, pools, RUNS).iloc[0]
    assert row["window_s"] == 4.0
    assert row["key_rate_bps"] == pytest.approx(200 / 4.0)


def test_pair_metrics_and_path_distance():
    pairs = _table(
        ["r1", "r1", "r1"], src=["n0"] * 3, dst=["n2"] * 3, path=["n0-n1-n2"] * 3, n_hops=[2] * 3,
        fidelity=[0.9, 0.8, 0.85], latency_s=[0.001, 0.003, 0.002],
    )  # fmt: skip
    links = _table(["r1", "r1"], a=["n0", "n2"], b=["n1", "n1"], length_km=[10.0, 15.0])
    result = m.add_path_distance(m.pair_metrics(pairs, RUNS), links).iloc[0]
    assert result["n_pairs"] == 3
    assert result["pair_rate_hz"] == pytest.approx(3 / 2.0)
    assert result["mean_fidelity"] == pytest.approx(0.85)
    assert result["std_fidelity"] == pytest.approx(0.05)
    assert result["distance_km"] == pytest.approx(25.0)  # link n1~n2 listed as (n2, n1): order does not matter
    unknown = m.add_path_distance(pd.DataFrame({"run_id": ["r1", "r2"], "path": ["n0-n9", ""]}), links)
    assert unknown["distance_km"].isna().all()


def test_teleportation_averages_fidelity_and_cost_over_completed_qubits():
    teleportations = _table(
        ["r1"] * 3, scheme=["hop_by_hop"] * 3, src=["a"] * 3, dst=["c"] * 3, n_hops=[2] * 3,
        completed=[True, True, False], fidelity=[0.9, 0.7, np.nan], latency_s=[0.01, 0.03, np.nan],
        n_classical_messages=[2, 2, 1], classical_bits=[4, 4, 2],
    )  # fmt: skip
    row = m.teleportation_by_scheme(teleportations, RUNS).iloc[0]
    assert (row["n_qubits"], row["n_completed"]) == (3, 2)
    assert row["completed_fraction"] == pytest.approx(2 / 3)
    assert row["mean_fidelity"] == pytest.approx(0.8)
    assert row["mean_latency_s"] == pytest.approx(0.02)
    assert row["classical_messages_per_qubit"] == pytest.approx(2.0)


def test_service_demand_met_over_periods():
    periods = _table(
        ["r1"] * 3, t_s=[1.0, 2.0, 3.0], service_id=[0] * 3, src=["a"] * 3, dst=["b"] * 3,
        demand_bits=[100, 100, 0], delivered_bits=[100, 40, 0],
    )  # fmt: skip
    row = m.service_demand_met(periods, RUNS).iloc[0]
    assert (row["n_periods"], row["n_short_periods"]) == (3, 1)
    assert row["demand_met_fraction"] == pytest.approx(140 / 200)
    per_period = m.demand_met_per_period(periods)["demand_met_fraction"].tolist()
    assert per_period[:2] == [1.0, 0.4] and np.isnan(per_period[2])  # no demand: nothing to meet


def test_recovery_stats_give_every_run_every_method_so_runs_without_failures_count_as_zero():
    recoveries = _table(
        ["r1", "r1", "r1"], t_s=[1.0, 2.0, 3.0], method=["OPM", "OPM", "none"], recovered=[True, True, False],
        recovery_time_s=[0.1, 0.3, np.nan], key_lost_bits=[10, 0, 0],
    )  # fmt: skip
    result = m.recovery_stats(recoveries, RUNS).set_index(["run_id", "method"])
    assert len(result) == 4
    assert result.loc[("r1", "OPM"), "n_disruptions"] == 2
    assert result.loc[("r1", "OPM"), "mean_recovery_time_s"] == pytest.approx(0.2)
    assert result.loc[("r1", "OPM"), "max_recovery_time_s"] == pytest.approx(0.3)
    assert result.loc[("r1", "none"), "recovered_fraction"] == 0.0
    assert result.loc[("r2", "OPM"), "n_disruptions"] == 0
    assert np.isnan(result.loc[("r2", "OPM"), "recovered_fraction"])
    assert result.loc[("r2", "OPM"), "links.length_km"] == 20.0
    over_seeds = m.confidence_interval(result.reset_index(), "n_disruptions", by=["method"]).set_index("method")
    assert over_seeds.loc["OPM", "n_disruptions_mean"] == 1.0


def test_per_run_metrics_then_intervals_over_seeds_per_parameter():
    runs = pd.DataFrame(
        {"run_id": ["a", "b", "c"], "scenario": "s", "seed": [1, 2, 1], "length_km": [10.0, 10.0, 20.0]}
    ).assign(simulated_time_s=1.0)
    link_blocks = pd.DataFrame(
        {
            "run_id": ["a", "b", "c"], "scenario": "s", "seed": [1, 2, 1], "length_km": [10.0, 10.0, 20.0],
            "link": "x~y", "sifted_bits": 0, "qber": 0.0, "secret_bits": [100, 300, 50],
        }
    )  # fmt: skip
    per_run = m.link_key_rate(link_blocks, runs)
    assert m.identifier_columns(link_blocks, runs) == ["run_id", "scenario", "seed", "length_km"]
    summary = m.confidence_interval(per_run, "key_rate_bps", by=["length_km"]).set_index("length_km")
    assert summary.loc[10.0, "key_rate_bps_mean"] == 200.0
    assert summary.loc[10.0, "n_samples_key_rate_bps"] == 2
    assert summary.loc[20.0, "key_rate_bps_mean"] == 50.0
