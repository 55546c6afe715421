"""Forecast of key supply: learned model vs the level / drain-rate baseline on held-out runs.

Runs the library scenario ``qkd-pool-forecast`` (a metro mesh whose pools fill, drain
and run dry under key services, key requests and random link failures) for the
training seeds and the held-out seeds, builds the forecast rows from its telemetry
(``pools``, ``link_blocks``, ``outages``: simulated, fast model links), trains
:func:`scenarios.ml.forecast.train_forecaster` and picks the baseline's window on the
training runs only, and prints precision, recall and lead time of both on the
held-out runs.

``--write-test-data`` also writes the telemetry of the tests' fixed seed set to
``tests/data/ml/`` (the default seed sets: what ``tests/unit/qkdn/ml/test_forecast.py``
reads; a slow test checks that a fresh run reproduces it).

Usage::

    python bench/forecast_key_supply.py                      # 8 training + 4 held-out runs of 120 s
    python bench/forecast_key_supply.py --train-seeds 1 2 3 --test-seeds 101 102
"""

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scenarios import load, run  # noqa: E402
from scenarios.ml.forecast import (  # noqa: E402
    SCORE_HEADER,
    ForecastScore,
    ForecastSettings,
    baseline_alarms,
    choose_baseline_window,
    forecast_frame,
    learned_alarms,
    score,
    score_row,
    train_forecaster,
)
from scenarios.overrides import with_overrides  # noqa: E402

SCENARIO = "qkd-pool-forecast"
TEST_DATA = ROOT / "tests" / "data" / "ml"
#: Columns of the telemetry the forecast reads (and the test data keeps).
COLUMNS = {
    "pools": ["seed", "t_s", "node", "peer", "direction", "level_bits", "capacity_bits"],
    "link_blocks": ["seed", "t_s", "link", "secret_bits", "qber"],
    "outages": ["seed", "link", "down_s", "up_s"],
}


def telemetry(seeds: list[int], scenario_name: str = SCENARIO) -> dict[str, pd.DataFrame]:
    """The forecast's tables of ``scenario_name`` run once per seed, concatenated."""
    base = load(scenario_name)
    tables: dict[str, list[pd.DataFrame]] = {name: [] for name in COLUMNS}
    for seed in seeds:
        start = time.perf_counter()
        results = run(with_overrides(base, seed, None, "--seed"))
        print(f"  ran {scenario_name} seed {seed} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        for name, columns in COLUMNS.items():
            tables[name].append(results.tables[name][columns])
    return {name: pd.concat(frames, ignore_index=True) for name, frames in tables.items()}


def write_telemetry(tables: dict[str, pd.DataFrame], folder: Path, prefix: str) -> None:
    """Each table to ``folder/prefix-<table>.parquet``, atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        path = folder / f"{prefix}-{name}.parquet"
        partial = path.with_suffix(".partial")
        table.to_parquet(partial, index=False)
        os.replace(partial, path)


def read_telemetry(folder: Path, prefix: str) -> dict[str, pd.DataFrame]:
    """Tables written by :func:`write_telemetry`."""
    return {name: pd.read_parquet(folder / f"{prefix}-{name}.parquet") for name in COLUMNS}


def compare(
    train: dict[str, pd.DataFrame], test: dict[str, pd.DataFrame], settings: ForecastSettings, seed: int
) -> tuple[float, dict[str, ForecastScore]]:
    """(baseline window, {forecaster: score on the held-out runs})."""
    train_rows = forecast_frame(train["pools"], train["link_blocks"], train["outages"], settings)
    test_rows = forecast_frame(test["pools"], test["link_blocks"], test["outages"], settings)
    window = choose_baseline_window(train_rows, settings)
    classifier = train_forecaster(train_rows, seed)
    return window, {
        f"baseline (level / drain over {window:g} s)": score(test_rows, baseline_alarms(test_rows, settings, window)),
        "learned (gradient-boosted trees)": score(test_rows, learned_alarms(classifier, test_rows)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-seeds", type=int, nargs="+", default=list(range(1, 9)))
    parser.add_argument("--test-seeds", type=int, nargs="+", default=[101, 102, 103, 104])
    parser.add_argument("--horizon-s", type=float, default=ForecastSettings.horizon_s)
    parser.add_argument("--dry-bits", type=int, default=ForecastSettings.dry_bits)
    parser.add_argument("--write-test-data", action="store_true", help="write the telemetry to tests/data/ml/")
    parser.add_argument("--from-test-data", action="store_true", help="read the telemetry from tests/data/ml/")
    args = parser.parse_args(argv)
    if set(args.train_seeds) & set(args.test_seeds):
        parser.error("--train-seeds and --test-seeds must not share a seed (held-out runs)")
    settings = ForecastSettings(horizon_s=args.horizon_s, dry_bits=args.dry_bits)
    if args.from_test_data:
        train, test = read_telemetry(TEST_DATA, "forecast-train"), read_telemetry(TEST_DATA, "forecast-test")
        args.train_seeds = sorted(int(seed) for seed in train["pools"]["seed"].unique())
        args.test_seeds = sorted(int(seed) for seed in test["pools"]["seed"].unique())
    else:
        train, test = telemetry(args.train_seeds), telemetry(args.test_seeds)
    if args.write_test_data:
        write_telemetry(train, TEST_DATA, "forecast-train")
        write_telemetry(test, TEST_DATA, "forecast-test")
    window, scores = compare(train, test, settings, seed=args.train_seeds[0])
    print(f"scenario {SCENARIO}: training seeds {args.train_seeds}, held-out seeds {args.test_seeds}")
    print(
        f"horizon {settings.horizon_s:g} s, dry below {settings.dry_bits} bits; telemetry simulated (fast model links)"
    )
    print(SCORE_HEADER)
    for name, result in scores.items():
        print(score_row(name, result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
