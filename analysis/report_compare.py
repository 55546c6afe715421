"""The report's section on comparisons of designs (``qnetsim compare`` folders).

For each comparison: the side-by-side summary of ``comparison.parquet`` (one
column per design and user pair, one row per quantity, including ``source``
when the table says where each figure comes from) and the key rate against
distance of ``distance.parquet``. The designs' own runs are reported by the
other sections, with ``design`` as a parameter.
"""

import pandas as pd

from analysis.compare_plots import plot_design_comparison
from analysis.load import ComparisonResult
from analysis.report_render import Block, Section, TableBlock, Text
from analysis.report_sections import ReportContext, figure

#: Columns that name a row of the summary rather than a quantity.
KEY_COLUMNS = ("design", "pair")


def comparison_section(context: ReportContext) -> Section | None:
    """Each comparison's side-by-side table and distance figure, or ``None`` when no comparison was loaded."""
    comparisons = context.results.comparisons
    if not comparisons:
        return None
    blocks: list[Block] = []
    for index, comparison in enumerate(comparisons):
        where = f" ({comparison.folder.name})" if len(comparisons) > 1 else ""
        blocks.append(
            TableBlock(
                f"{comparison.scenario}{where}: the designs side by side (comparison.parquet).",
                side_by_side(comparison.summary),
            )
        )
        if "source" in comparison.summary.columns:
            blocks.append(
                Text(
                    "source: where each design's figures come from: simulated (event by event), "
                    "model (sampled from a calibrated model) or formula (closed form, here on simulated data)."
                )
            )
        blocks += _distance_figure(context, comparison, index if len(comparisons) > 1 else None)
    return Section("Designs compared", blocks)


def side_by_side(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per quantity, one column per design (and user pair, when there are several)."""
    if "design" not in summary.columns or summary.empty:
        return summary
    if {"metric", "value"} <= set(summary.columns):
        return _long_side_by_side(summary)
    several_pairs = "pair" in summary.columns and summary["pair"].nunique() > 1
    labels = [
        f"{row['design']} ({row['pair']})" if several_pairs else str(row["design"]) for _, row in summary.iterrows()
    ]
    quantities = [column for column in summary.columns if column not in KEY_COLUMNS]
    if "pair" in summary.columns and not several_pairs:
        quantities.insert(0, "pair")
    table = summary[quantities].astype(object).T
    table.columns = labels
    return table.rename_axis("quantity").reset_index()


def _long_side_by_side(summary: pd.DataFrame) -> pd.DataFrame:
    """The long summary (a row per design, pair and metric) as one row per pair and quantity.

    Each cell is the design's value, with its 95 % interval over seeds when there were
    several; the ``source`` column says where the row's figures come from.
    """
    designs = list(dict.fromkeys(summary["design"]))
    several_pairs = summary["pair"].nunique() > 1
    rows = []
    for (pair, _metric), group in summary.groupby(["pair", "metric"], sort=False):
        first = group.iloc[0]
        unit = first.get("unit", "")
        label = str(first.get("label", first["metric"]))
        row: dict[str, object] = {"quantity": f"{label} ({unit})" if unit else label}
        if several_pairs:
            row["pair"] = pair
        by_design = {r["design"]: r for _, r in group.iterrows()}
        for design in designs:
            row[design] = _cell(by_design[design]) if design in by_design else "-"
        if "source" in group.columns:
            row["source"] = " / ".join(dict.fromkeys(str(s) for s in group["source"]))
        rows.append(row)
    return pd.DataFrame(rows)


def _cell(row: pd.Series) -> str:
    value = f"{row['value']:.4g}"
    n_seeds = row.get("n_seeds", 1)
    low, high = row.get("ci_low"), row.get("ci_high")
    if n_seeds is not None and n_seeds > 1 and pd.notna(low) and pd.notna(high):
        return f"{value} [{low:.4g}, {high:.4g}]"
    return value


def _distance_figure(context: ReportContext, comparison: ComparisonResult, index: int | None) -> list[Block]:
    distance = comparison.distance
    if distance is None or distance.empty:
        return []
    missing = {"design", "distance_km", "key_rate_bps"} - set(distance.columns)
    if missing:
        return [Text(f"Key rate against distance not drawn: distance.parquet lacks columns {sorted(missing)}.")]
    name = "key_rate_vs_distance" + (f"_{index}" if index is not None else "")
    caption = f"{comparison.scenario}: end-to-end key rate against total distance, one line per design."
    return [figure(context, name, caption, plot_design_comparison, distance, title=comparison.scenario)]
