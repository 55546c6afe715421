"""Honest intervals: none below three runs (the values instead), cut at a quantity's bounds, runs named."""

import math

import pandas as pd
import pytest
from scipy import stats

from analysis.honest import MIN_RUNS_FOR_INTERVAL, bounds, cell_text, interval_note, runs_behind, summarise
from analysis.report_render import cell


def _per_run(values, group="g"):
    return pd.DataFrame(
        {"run_id": [f"r{i}" for i in range(len(values))], "seed": list(range(len(values))), "k": group, "v_s": values}
    )


def test_two_runs_get_no_interval_but_their_values():
    # The example: two latencies whose Student-t interval reaches below zero.
    summary = summarise(_per_run([0.002, 0.030]), "v_s", ["k"])
    row = summary.iloc[0]
    assert math.isnan(row["v_s_ci_low"]) and math.isnan(row["v_s_ci_high"])
    assert row["v_s_interval"] == "none" and row["n_runs"] == 2 and row["seeds"] == "0, 1"
    assert cell_text(row, "v_s", cell) == "0.016 (values 0.002, 0.03)"
    assert "no interval where fewer than 3 runs" in interval_note(summary, ["v_s"], 0.95)


def test_three_runs_get_the_student_t_interval_cut_at_zero_for_a_time():
    values = [0.001, 0.002, 0.090]  # t interval: mean ± t(0.975, 2) s / sqrt(3) reaches below 0
    summary = summarise(_per_run(values), "v_s", ["k"])
    row = summary.iloc[0]
    mean, sd = pd.Series(values).mean(), pd.Series(values).std(ddof=1)
    half = stats.t.ppf(0.975, 2) * sd / math.sqrt(3)
    assert mean - half < 0  # the raw interval would be drawn below zero
    assert row["v_s_ci_low"] == 0.0 and row["v_s_ci_high"] == pytest.approx(mean + half, rel=1e-12)
    assert row["v_s_interval"] == "cut" and cell_text(row, "v_s", cell).endswith("*")
    assert "cut at the quantity's bound" in interval_note(summary, ["v_s"], 0.95)


def test_an_interval_inside_the_bounds_is_the_plain_student_t_interval():
    values = [0.90, 0.92, 0.91, 0.93]
    frame = _per_run(values).rename(columns={"v_s": "mean_fidelity"})
    row = summarise(frame, "mean_fidelity", ["k"]).iloc[0]
    half = stats.t.ppf(0.975, 3) * pd.Series(values).std(ddof=1) / 2
    assert row["mean_fidelity_interval"] == "t"
    assert row["mean_fidelity_ci_low"] == pytest.approx(0.915 - half)
    assert row["mean_fidelity_ci_high"] == pytest.approx(0.915 + half)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("mean_fidelity", (0.0, 1.0)),
        ("served_fraction", (0.0, 1.0)),
        ("key_rate_bps", (0.0, math.inf)),
        ("mean_latency_s", (0.0, math.inf)),
        ("n_short_periods", (0.0, math.inf)),
        ("temperature_offset", (-math.inf, math.inf)),
    ],
)
def test_bounds_follow_the_column_name(name, expected):
    assert bounds(name) == expected


def test_runs_behind_names_runs_and_seeds():
    frame = pd.concat([_per_run([1.0, 2.0, 3.0]), _per_run([4.0])])
    assert runs_behind(frame) == "3 runs, 3 seeds (0, 1, 2)"
    assert runs_behind(_per_run([1.0])) == "1 run, 1 seed (0)"
    assert MIN_RUNS_FOR_INTERVAL == 3
