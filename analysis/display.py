"""Compact displays of results, for a terminal (``repr``) and a notebook (``_repr_html_``).

A result object shows what it is (scenario, seed, simulated time), its tables with
their row counts and a few headline figures, never the full tables: those are one
attribute away (``results.tables["pairs"]``). Pure functions of numbers and
DataFrames; the objects call them from their ``__repr__`` and ``_repr_html_``.
"""

import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from analysis.load import Results

__all__ = ["MAX_ROWS", "describe_loaded", "render_html", "render_text", "table_counts"]

#: Rows of a headline table shown before "... N more rows".
MAX_ROWS = 6


def table_counts(tables: Mapping[str, pd.DataFrame]) -> str:
    """``pairs (120 rows), links (2 rows)``; ``no tables`` when there are none."""
    if not tables:
        return "no tables"
    return ", ".join(f"{name} ({len(frame):,} row{'s' * (len(frame) != 1)})" for name, frame in tables.items())


def _shown(frame: pd.DataFrame, max_rows: int) -> tuple[pd.DataFrame, int]:
    """The first ``max_rows`` rows and how many are left out."""
    return frame.head(max_rows), max(0, len(frame) - max_rows)


def render_text(
    title: str, lines: Sequence[str], frames: Sequence[tuple[str, pd.DataFrame]] = (), max_rows: int = MAX_ROWS
) -> str:
    """A title, indented detail lines and small tables (at most ``max_rows`` rows each), as plain text."""
    parts = [title, *(f"  {line}" for line in lines)]
    for caption, frame in frames:
        head, n_more = _shown(frame, max_rows)
        parts.append(f"  {caption}:")
        parts += [f"    {row}" for row in head.to_string(index=False).splitlines()]
        if n_more:
            parts.append(f"    ... {n_more} more row{'s' * (n_more != 1)}")
    return "\n".join(parts)


def render_html(
    title: str, lines: Sequence[str], frames: Sequence[tuple[str, pd.DataFrame]] = (), max_rows: int = MAX_ROWS
) -> str:
    """The same as :func:`render_text`, as an HTML fragment for a notebook."""
    parts = [f"<div><strong>{html.escape(title)}</strong><ul style='margin:0.2em 0'>"]
    parts += [f"<li>{html.escape(line)}</li>" for line in lines]
    parts.append("</ul>")
    for caption, frame in frames:
        head, n_more = _shown(frame, max_rows)
        more = f" (first {max_rows} of {len(frame)} rows)" if n_more else ""
        parts.append(f"<div><em>{html.escape(caption)}{more}</em>{head.to_html(index=False, border=0)}</div>")
    parts.append("</div>")
    return "".join(parts)


def _values(column: pd.Series) -> str:
    values = list(dict.fromkeys(column.dropna().tolist()))
    shown = ", ".join(str(value) for value in values[:8])
    return shown + (f", ... ({len(values)} values)" if len(values) > 8 else "")


def describe_loaded(results: "Results") -> tuple[str, list[str], list[tuple[str, pd.DataFrame]]]:
    """Title, detail lines and headline tables of loaded results (a run, a sweep, a comparison, several runs)."""
    runs = results.runs
    names = [str(name) for name in runs.get("scenario", pd.Series(dtype=object)).dropna().unique()]
    names += [comparison.scenario for comparison in results.comparisons if comparison.scenario not in names]
    n_runs = len(runs)
    title = f"qnetsim {results.kind}: {', '.join(names) or '(no runs)'} ({n_runs} run{'s' * (n_runs != 1)})"
    lines = [f"from {results.folder}" if results.folder is not None else "in memory"]
    if "seed" in runs and n_runs:
        lines.append(f"seeds: {_values(runs['seed'])}")
    lines += [f"{name}: {_values(runs[name])}" for name in results.parameters if name in runs]
    if "simulated_time_s" in runs and runs["simulated_time_s"].notna().any():
        lines.append(f"simulated: {_values(runs['simulated_time_s'])} s per run")
    lines.append(f"tables: {table_counts(results.tables)}")
    if results.missing_points:
        lines.append(f"missing points (not finished): {', '.join(results.missing_points)}")
    frames = [(f"comparison of {c.scenario}: summary", c.summary) for c in results.comparisons]
    return title, lines, frames


def loaded_repr(results: "Results", html_form: bool = False) -> str:
    """The text (or HTML) display of loaded results."""
    title, lines, frames = describe_loaded(results)
    return render_html(title, lines, frames) if html_form else render_text(title, lines, frames)


def short(value: Any) -> str:
    """A number as a short text (``0.9123``, ``1.2e+04``), anything else as ``str``."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
