"""Compact displays of a run's results and of a comparison of designs (terminal and notebook).

The headline tables are the summaries ``qnetsim run`` and ``qnetsim compare`` print
(:mod:`scenarios.summary`, the comparison's ``summary``), so a notebook shows what
the command line shows. Layout: :mod:`analysis.display`.
"""

from typing import TYPE_CHECKING

import pandas as pd

from analysis.display import render_html, render_text, table_counts
from scenarios.summary import (
    kaas_summary,
    key_request_summary,
    request_summary,
    segment_summary,
    service_summary,
    teleportation_summary,
)

if TYPE_CHECKING:
    from scenarios.compare import Comparison
    from scenarios.results import Results

#: Rows of a comparison's summary shown (one per figure and user pair: all of them for one or two pairs).
COMPARISON_ROWS = 30

_SUMMARIES = (
    ("entanglement requests", request_summary),
    ("teleportations", teleportation_summary),
    ("key requests", key_request_summary),
    ("repeater segments", segment_summary),
    ("key services", service_summary),
    ("key as a service", kaas_summary),
)


def describe_run(results: "Results") -> tuple[str, list[str], list[tuple[str, pd.DataFrame]]]:
    """Title (scenario, seed, simulated and wall time, events), tables with row counts, headline summaries."""
    manifest = results.manifest
    title = (
        f"qnetsim run: {results.scenario.name}, seed {manifest.get('seed', results.scenario.seed)}, "
        f"{manifest.get('simulated_time_s', results.scenario.duration_s):g} s simulated"
    )
    lines = []
    if "wall_time_s" in manifest and "events_executed" in manifest:
        lines.append(f"{manifest['events_executed']:,} events in {manifest['wall_time_s']:.1f} s wall")
    lines.append(f"tables: {table_counts(results.tables)}")
    frames = []
    for caption, summary in _SUMMARIES:
        frame = summary(results.tables)
        if frame is not None and len(frame):
            frames.append((caption, frame))
    return title, lines, frames


def run_repr(results: "Results", html_form: bool = False) -> str:
    """The text (or HTML) display of one run's results."""
    title, lines, frames = describe_run(results)
    return render_html(title, lines, frames) if html_form else render_text(title, lines, frames)


def _cell(row: pd.Series) -> str:
    """``0.903`` or, over several seeds, ``0.903 ± 0.01`` (half the 95 % interval)."""
    value, low, high = row["value"], row["ci_low"], row["ci_high"]
    text = f"{value:.4g}"
    if low == low and high == high and high > low:  # an interval: several seeds
        text += f" ± {(high - low) / 2:.2g}"
    return text


def comparison_table(comparison: "Comparison") -> pd.DataFrame:
    """The summary side by side: one row per user pair and figure, one column per design, and the source."""
    summary = comparison.summary
    if not len(summary):
        return pd.DataFrame()
    cells = summary.assign(cell=summary.apply(_cell, axis=1), figure=summary["label"] + " (" + summary["unit"] + ")")
    table = cells.pivot_table(index=["pair", "figure"], columns="design", values="cell", aggfunc="first", sort=False)
    sources = cells.groupby(["pair", "figure"], sort=False)["source"].agg(lambda s: " / ".join(dict.fromkeys(s)))
    table = table.reindex(columns=comparison.designs).fillna("-")
    table["source"] = sources
    return table.reset_index()


def comparison_repr(comparison: "Comparison", html_form: bool = False) -> str:
    """The text (or HTML) display of a comparison of designs."""
    seeds = comparison.seeds
    seed_text = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]}-{seeds[-1]} (mean ± 95 % interval)"
    title = f"qnetsim comparison: {comparison.scenario.name}, {', '.join(comparison.designs)}; {seed_text}"
    lines = [f"key runs {comparison.settings.duration_s:g} s, BBM92 {comparison.settings.bbm92_duration_s:g} s"]
    lines += [f"{design}: not run ({reason})" for design, reason in comparison.unavailable.items()]
    lines.append(
        f"runs: {len(comparison.results)}; tables: summary ({len(comparison.summary)} rows), "
        f"measurements ({len(comparison.measurements)} rows), distance ({len(comparison.distance)} rows)"
    )
    frames = [("summary", comparison_table(comparison))]
    render = render_html if html_form else render_text
    return render(title, lines, frames, max_rows=COMPARISON_ROWS)
