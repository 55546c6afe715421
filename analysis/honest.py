"""Honest summaries over seeds: no interval from fewer than three runs, none drawn past a quantity's bounds.

:func:`analysis.metrics.confidence_interval` gives a Student-t interval for any
group with two or more samples. From two samples that interval is nearly
meaningless (its t quantile is 12.7 at 95 %), and for a quantity that cannot be
negative (a rate, a latency, a count) the symmetric interval may reach below zero,
which no reader should take for a possible value. The report therefore:

- draws no interval for a group of fewer than :data:`MIN_RUNS_FOR_INTERVAL` runs,
  shows the individual values instead and says so;
- cuts an interval at the quantity's physical bound (0 for rates, times, counts;
  0 and 1 for fidelities, error rates and fractions), and says where it did;
- states on every figure and table how many runs (and which seeds) are behind it.

Cutting the t interval at the bound keeps its coverage (the true mean lies within
the bound anyway); the note tells the reader the interval was cut, not computed
that way.
"""

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis import metrics

#: Fewest runs behind a mean for which an interval is drawn.
MIN_RUNS_FOR_INTERVAL = 3

_UNIT_INTERVAL_WORDS = ("fidelity", "fraction", "qber", "probability")
_NON_NEGATIVE_SUFFIXES = ("_bps", "_hz", "_s", "_bits", "_km", "_ms")


def bounds(value: str) -> tuple[float, float]:
    """The range a quantity can take, from its name: fractions and fidelities in [0, 1]; rates, times, counts >= 0."""
    name = value.lower()
    if any(word in name for word in _UNIT_INTERVAL_WORDS):
        return 0.0, 1.0
    if name.endswith(_NON_NEGATIVE_SUFFIXES) or name.startswith("n_") or "rate" in name:
        return 0.0, math.inf
    return -math.inf, math.inf


def summarise(
    per_run: pd.DataFrame, values: str | Sequence[str], by: Sequence[str], *, level: float = 0.95
) -> pd.DataFrame:
    """Mean and interval of each value per group, with the interval withheld or cut as the module explains.

    Returns the columns of :func:`analysis.metrics.confidence_interval` (``v_ci_low``
    and ``v_ci_high`` NaN where no interval is drawn, cut at the bounds otherwise)
    plus, per value ``v``: ``v_values`` (the individual values, in run order),
    ``v_interval`` (``"t"``, ``"cut"`` when a bound cut it, ``"none"`` for fewer
    than three runs) and ``n_runs`` / ``seeds`` of the group.
    """
    values = [values] if isinstance(values, str) else list(values)
    by = [column for column in by if column in per_run.columns]
    summary = metrics.confidence_interval(per_run, values, by, level=level)
    groups = (
        list(per_run.groupby(by, dropna=False, sort=True)) if by else [((), per_run)]
    )  # same order as confidence_interval's
    for value in values:
        low_bound, high_bound = bounds(value)
        low = summary[f"{value}_ci_low"].to_numpy(float).copy()
        high = summary[f"{value}_ci_high"].to_numpy(float).copy()
        n = summary[f"n_samples_{value}"].to_numpy()
        few = n < MIN_RUNS_FOR_INTERVAL
        cut = ~few & ((low < low_bound) | (high > high_bound))
        low[few] = np.nan
        high[few] = np.nan
        summary[f"{value}_ci_low"] = np.clip(low, low_bound, high_bound)
        summary[f"{value}_ci_high"] = np.clip(high, low_bound, high_bound)
        summary[f"{value}_interval"] = np.where(few, "none", np.where(cut, "cut", "t"))
        summary[f"{value}_values"] = [rows[value].dropna().tolist() for _, rows in groups]
    summary["n_runs"] = [rows["run_id"].nunique() if "run_id" in rows else len(rows) for _, rows in groups]
    summary["seeds"] = [_seed_list(rows) for _, rows in groups]
    return summary


def _seed_list(rows: pd.DataFrame) -> str:
    if "seed" not in rows:
        return ""
    return ", ".join(str(seed) for seed in sorted(rows["seed"].dropna().unique()))


def cell_text(summary_row: pd.Series, value: str, formatter) -> str:  # type: ignore[no-untyped-def]
    """One summary cell: ``mean [low, high]``, ``mean [low, high]*`` when cut, or the individual values."""
    mean = summary_row[f"{value}_mean"]
    kind = summary_row[f"{value}_interval"]
    if kind == "none":
        shown = summary_row[f"{value}_values"]
        if len(shown) <= 1:
            return formatter(mean)
        return f"{formatter(mean)} (values {', '.join(formatter(v) for v in shown)})"
    text = (
        f"{formatter(mean)} [{formatter(summary_row[f'{value}_ci_low'])}, {formatter(summary_row[f'{value}_ci_high'])}]"
    )
    return text + ("*" if kind == "cut" else "")


def interval_note(summary: pd.DataFrame, values: Sequence[str], level: float) -> str:
    """The sentence that says which intervals are shown, withheld or cut, and why."""
    kinds = {kind for value in values for kind in summary[f"{value}_interval"]}
    if len(summary) and int(summary["n_runs"].max()) <= 1:
        return "one run per row: no interval"
    parts = []
    if kinds & {"t", "cut"}:
        parts.append(f"mean [{level:.0%} confidence interval, Student t] over runs")
    if "none" in kinds:
        most = int(summary["n_runs"].max()) if len(summary) else 0
        parts.append(
            f"no interval where fewer than {MIN_RUNS_FOR_INTERVAL} runs are behind a mean"
            + (" (the individual values are shown instead)" if most > 1 else "")
        )
    if "cut" in kinds:
        parts.append(
            "* interval cut at the quantity's bound (a rate, time or count cannot be negative; "
            "a fidelity or fraction lies in [0, 1])"
        )
    return "; ".join(parts)


def runs_behind(frame: pd.DataFrame | None, runs: pd.DataFrame | None = None) -> str:
    """``"3 runs, seeds 1, 2, 3"``: the runs a figure or table draws on (from its ``run_id`` and ``seed`` columns)."""
    if frame is None or "run_id" not in frame.columns:
        return "runs not recorded"
    ids = frame["run_id"].dropna().unique()
    seeds = frame["seed"].dropna().unique() if "seed" in frame.columns else []
    if runs is not None and not len(seeds) and "seed" in runs.columns:
        seeds = runs.loc[runs["run_id"].isin(ids), "seed"].unique()
    n = len(ids)
    seed_text = ", ".join(str(seed) for seed in sorted(seeds))
    word = "seed" if len(seeds) == 1 else "seeds"
    return f"{n} run{'s' * (n != 1)}, {len(seeds)} {word}" + (f" ({seed_text})" if seed_text else "")
