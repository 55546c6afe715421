"""Key-supply forecast (scenarios.ml.forecast): labels, baseline, scores, and learned vs baseline on fixed seeds.

The telemetry in tests/data/ml/ is the library scenario qkd-pool-forecast run for
seeds 1-8 (training) and 101-104 (held out), written by
``python bench/forecast_key_supply.py --write-test-data``.
"""

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qnetsim.core.errors import ConfigError
from scenarios.ml.forecast import (
    SCORE_HEADER,
    ForecastSettings,
    baseline_alarms,
    choose_baseline_window,
    forecast_frame,
    learned_alarms,
    score,
    score_row,
    train_forecaster,
)

DATA = Path(__file__).resolve().parents[3] / "data" / "ml"
ROOT = Path(__file__).resolve().parents[4]


def telemetry(prefix: str) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(DATA / f"{prefix}-{name}.parquet") for name in ("pools", "link_blocks", "outages")}


def one_store(levels: list[float], step_s: float = 1.0, outages: list[tuple[float, float]] = ()) -> pd.DataFrame:
    """Forecast rows of one store a>b with the given levels, one sample per ``step_s``."""
    t = np.arange(len(levels)) * step_s
    pools = pd.DataFrame({"seed": 0, "t_s": t, "node": "a", "peer": "b", "direction": "out",
                          "level_bits": levels, "capacity_bits": 1000})  # fmt: skip
    blocks = pd.DataFrame({"seed": [0], "t_s": [0.5], "link": ["a~b"], "secret_bits": [100], "qber": [0.02]})
    spans = pd.DataFrame({"seed": 0, "link": "a~b", "down_s": [d for d, _ in outages], "up_s": [u for _, u in outages]})
    return forecast_frame(pools, blocks, spans, ForecastSettings(horizon_s=2.0, dry_bits=100))


def test_labels_onsets_and_features_of_a_hand_made_store():
    frame = one_store([500, 400, 300, 200, 50, 300, 400, 500, 600, 700], outages=[(2.0, 4.5)])
    # dry (< 100) only at t = 4: rows at t = 2, 3 see it within 2 s; rows past t = 7 have no known answer
    assert frame["dry_now"].tolist() == [False] * 4 + [True] + [False] * 5
    assert frame["label"].tolist()[:8] == [0, 0, 1, 1, 0, 0, 0, 0] and frame["label"].iloc[8:].isna().all()
    assert frame["onset"].tolist() == [False] * 4 + [True] + [False] * 5
    assert frame["slope_1s_bps"].tolist()[:4] == [0.0, -100.0, -100.0, -100.0]
    assert frame["link_down"].tolist()[:6] == [0, 0, 1, 1, 1, 0]
    assert frame["down_for_s"].tolist()[2:5] == [0.0, 1.0, 2.0]
    assert frame["up_for_s"].tolist()[5:7] == [0.5, 1.5]
    assert frame["delivered_2s_bps"].tolist()[:3] == [0.0, 50.0, 50.0]  # 100 bits at 0.5 s over a 2 s window
    assert math.isnan(frame["block_qber_5s"].iloc[0]) and frame["block_qber_5s"].iloc[1] == 0.02


def test_baseline_is_level_over_drain_and_its_score():
    frame = one_store([500, 400, 300, 200, 50, 300, 400, 500, 600, 700])
    # level 300, drain 100 bits/s over 1 s: dry (100) in 2 s <= horizon 2 s -> alarm at t = 2 and 3, not at t = 1
    alarms = baseline_alarms(frame, ForecastSettings(horizon_s=2.0, dry_bits=100), 1.0)
    assert alarms.tolist() == [False, False, True, True, True, False, False, False, False, False]
    result = score(frame, alarms)
    assert (result.precision, result.recall, result.n_onsets, result.onset_recall) == (1.0, 1.0, 1, 1.0)
    assert result.median_lead_time_s == 2.0  # first alarm at t = 2, onset at t = 4
    with pytest.raises(ConfigError, match="window_s: must be one of"):
        baseline_alarms(frame, ForecastSettings(), 3.0)


def test_bad_settings_and_tables_are_named():
    with pytest.raises(ConfigError, match="horizon_s: must be a number > 0; got -1"):
        ForecastSettings(horizon_s=-1)
    with pytest.raises(ConfigError, match=r"pools: missing columns \['level_bits'\]"):
        forecast_frame(pd.DataFrame(columns=["seed", "t_s", "node", "peer", "direction", "capacity_bits"]),
                       pd.DataFrame(), pd.DataFrame(), ForecastSettings())  # fmt: skip


def test_learned_forecast_beats_the_baseline_on_heldout_runs():
    # Simulated telemetry (fast model links) of qkd-pool-forecast, seeds 1-8 to train, 101-104 held out.
    settings = ForecastSettings()
    train = forecast_frame(**telemetry("forecast-train"), settings=settings)
    test = forecast_frame(**telemetry("forecast-test"), settings=settings)
    assert sorted(test["seed"].unique()) == [101, 102, 103, 104]
    window = choose_baseline_window(train, settings)
    baseline = score(test, baseline_alarms(test, settings, window))
    learned = score(test, learned_alarms(train_forecaster(train, seed=1), test))
    assert learned.n_onsets == baseline.n_onsets >= 20
    assert learned.precision > baseline.precision and learned.recall > baseline.recall
    # docs/machine-learning.md quotes these rows (bench/forecast_key_supply.py prints them)
    page = (ROOT / "docs" / "machine-learning.md").read_text(encoding="utf-8")
    assert SCORE_HEADER in page
    assert score_row(f"baseline (level / drain over {window:g} s)", baseline) in page
    assert score_row("learned (gradient-boosted trees)", learned) in page


@pytest.mark.slow
def test_stored_telemetry_is_what_the_scenario_writes():
    sys.path.insert(0, str(ROOT / "bench"))
    from forecast_key_supply import telemetry as run_telemetry

    fresh = run_telemetry([101])
    for name, stored in telemetry("forecast-test").items():
        expected = stored[stored["seed"] == 101].reset_index(drop=True)
        pd.testing.assert_frame_equal(fresh[name].reset_index(drop=True), expected, check_dtype=False)
