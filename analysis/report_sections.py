"""The content of a report: one section per kind of table present, each with its summary and figures.

Summaries are per-run metrics (:mod:`analysis.metrics`) averaged over seeds with a
Student-t confidence interval, grouped by scenario (when several), the swept
parameters and the metric's keys; :mod:`analysis.honest` withholds the interval
below three runs and cuts it at the quantity's bounds, and every figure and table
names the runs and seeds behind it. Time series are drawn for one run. In the HTML
report figures are interactive (:mod:`analysis.interactive`); in Markdown, PNGs.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import honest, interactive, metrics, plots, plots_time
from analysis.errors import AnalysisError
from analysis.load import Results
from analysis.parameters import distance_parameter
from analysis.report_render import FigureBlock, InteractiveBlock, Section, TableBlock, Text, cell

#: Summary tables longer than this are cut (the tables themselves hold every row).
MAX_TABLE_ROWS = 60


@dataclass(frozen=True)
class ReportContext:
    """What every section needs: the results, where figures go, the confidence level, reference curves."""

    results: Results
    figure_folder: Path
    figure_prefix: str
    level: float = 0.95
    reference: pd.DataFrame | None = None
    interactive: bool = False

    def by(self, *keys: str) -> list[str]:
        """Grouping over seeds: scenario (when several), the parameters, then ``keys``."""
        several = self.results.runs["scenario"].nunique() > 1
        return [*(["scenario"] if several else []), *self.results.parameters, *keys]

    def filled(self, name: str) -> pd.DataFrame | None:
        """Table ``name`` when some run wrote rows to it."""
        frame = self.results.tables.get(name)
        return frame if frame is not None and len(frame) else None

    def first_run(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, str]:
        """Rows of the first run that has any, and a phrase naming that run."""
        run_id = frame["run_id"].iloc[0]
        run = self.results.runs[self.results.runs["run_id"] == run_id].iloc[0]
        values = ", ".join(f"{name} = {cell(run[name])}" for name in self.results.parameters)
        return frame[frame["run_id"] == run_id], f"run {run_id} (seed {run['seed']}{', ' + values if values else ''})"


def summary_table(per_run: pd.DataFrame, by: list[str], values: list[str], level: float, caption: str) -> TableBlock:
    """Mean [confidence interval] of ``values`` per group (see :mod:`analysis.honest`), one formatted cell per value."""
    by = [column for column in by if column in per_run.columns]
    summary = honest.summarise(per_run, values, by, level=level)
    shown = summary[by].copy()
    shown["runs"] = summary["n_runs"]
    for value in values:
        shown[value] = [honest.cell_text(row, value, cell) for _, row in summary.iterrows()]
    note = honest.interval_note(summary, values, level)
    note += f"; {honest.runs_behind(per_run)}"
    if len(shown) > MAX_TABLE_ROWS:
        note += f"; the first {MAX_TABLE_ROWS} of {len(shown)} rows"
        shown = shown.head(MAX_TABLE_ROWS)
    return TableBlock(f"{caption} ({note}).", shown)


def figure(
    context: ReportContext,
    name: str,
    caption: str,
    draw: Callable[..., Path],
    *args: Any,
    behind: pd.DataFrame | None = None,
    live: Callable[[], Any] | None = None,
    **kwargs: Any,
) -> FigureBlock | InteractiveBlock | Text:
    """One figure: interactive (``live()``, a Plotly figure) in HTML, else a PNG drawn by ``draw``.

    ``behind`` is the table the figure draws on: the caption names its runs and seeds.
    A figure that cannot be drawn becomes a note.
    """
    if behind is not None:
        caption = f"{caption} Behind it: {honest.runs_behind(behind)}."
    try:
        if context.interactive and live is not None:
            return InteractiveBlock(interactive.figure_html(live(), f"figure-{name}"), caption)
        draw(*args, context.figure_folder / f"{name}.png", **kwargs)
    except AnalysisError as error:
        return Text(f"Figure '{caption}' not drawn: {error}")
    return FigureBlock(f"{context.figure_prefix}{name}.png", caption)


def curve(
    context: ReportContext,
    per_run: pd.DataFrame,
    value: str,
    x: str,
    *,
    extra: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, str | None]:
    """Mean of ``value`` against ``x`` with confidence intervals, one curve per scenario, other parameter and ``extra``.

    Returns the summary and the name of its curve-label column (``None``: one curve).
    """
    wanted = [*context.by(), *extra]
    others = [column for column in wanted if column not in (x, *exclude) and column in per_run.columns]
    summary = honest.summarise(per_run, value, [*others, x], level=context.level)
    if not others:
        return summary, None
    labels = summary[others].apply(lambda row: ", ".join(f"{name}={cell(row[name])}" for name in others), axis=1)
    return summary.assign(curve=labels.to_numpy()), "curve"


def _varies(frame: pd.DataFrame, column: str) -> bool:
    return column in frame.columns and frame[column].dropna().nunique() > 1


def entanglement_section(context: ReportContext) -> Section | None:
    """Pairs delivered: rate, fidelity (against distance and hops) and latency."""
    pairs = context.filled("pairs")
    if pairs is None:
        return None
    per_run = metrics.pair_metrics(pairs, context.results.runs)
    links = context.filled("links")
    keys = ["src", "dst", "n_hops"]
    if links is not None:
        per_run = metrics.add_path_distance(per_run, links)
        keys.append("distance_km")
    values = ["pair_rate_hz", "mean_fidelity", "mean_latency_s"]
    section = Section("Entangled pairs", [summary_table(per_run, context.by(*keys), values, context.level, "Pairs")])
    distance = distance_parameter(context.results.parameters)
    for x, name, label in (
        ("distance_km", "fidelity_vs_distance", "end-to-end distance"),
        ("n_hops", "fidelity_vs_hops", "hops"),
    ):
        if _varies(per_run, x):
            summary, group = curve(context, per_run, "mean_fidelity", x, exclude=(distance,) if distance else ())
            draw = plots.plot_fidelity_vs_distance if x == "distance_km" else plots.plot_fidelity_vs_hops
            caption = (
                f"Mean pair fidelity against {label} "
                f"({honest.interval_note(summary, ['mean_fidelity'], context.level)}; over runs and paths)."
            )
            xlabel = "end-to-end distance (km)" if x == "distance_km" else "hops (links on the path)"
            live = functools.partial(
                interactive.curves, summary, x, "mean_fidelity", group=group, xlabel=xlabel, ylabel="fidelity"
            )
            section.blocks.append(
                figure(context, name, caption, draw, summary, group=group, behind=per_run, live=live)
            )
    split = "n_hops" if _varies(pairs, "n_hops") else None
    caption = "Latency of delivered pairs (time the initiator's memory waited), all runs."
    section.blocks.append(
        figure(
            context, "pair_latency", caption, plots.plot_latency_distribution, pairs, group=split, behind=pairs,
            live=lambda: interactive.latency(pairs, group=split),
        )
    )  # fmt: skip
    return section


def teleportation_section(context: ReportContext) -> Section | None:
    """Teleported qubits per scheme: completion, fidelity, latency, classical cost."""
    teleportations = context.filled("teleportations")
    if teleportations is None:
        return None
    per_run = metrics.teleportation_by_scheme(teleportations, context.results.runs)
    values = ["completed_fraction", "mean_fidelity", "mean_latency_s", "classical_messages_per_qubit"]
    by = context.by("scheme", "src", "dst", "n_hops")
    section = Section("Teleportation", [summary_table(per_run, by, values, context.level, "Teleported qubits")])
    done = teleportations[teleportations["completed"].astype(bool)]
    caption = "Latency of completed teleportations (qubit ready to correction applied), by scheme, all runs."
    section.blocks.append(
        figure(
            context,
            "teleport_latency",
            caption,
            plots.plot_latency_distribution,
            done,
            group="scheme",
            behind=done,
            live=lambda: interactive.latency(done, group="scheme"),
        )  # fmt: skip
    )
    if _varies(per_run, "n_hops"):
        summary, group = curve(context, per_run, "mean_fidelity", "n_hops", extra=("scheme",))
        caption = (
            f"Teleportation fidelity against hops ({honest.interval_note(summary, ['mean_fidelity'], context.level)})."
        )
        section.blocks.append(
            figure(
                context,
                "teleport_fidelity_vs_hops",
                caption,
                plots.plot_fidelity_vs_hops,
                summary,
                group=group,
                behind=per_run,
                live=lambda: interactive.curves(
                    summary,
                    "n_hops",
                    "mean_fidelity",
                    group=group,
                    xlabel="hops (links on the path)",
                    ylabel="fidelity",
                ),
            )  # fmt: skip
        )
    return section


def qkd_link_section(context: ReportContext) -> Section | None:
    """Secret key made by each QKD link, and key rate against link length when it was swept."""
    blocks = context.filled("link_blocks")
    if blocks is None:
        return None
    runs = context.results.runs
    whole = metrics.link_key_rate(blocks, runs)
    section = Section(
        "QKD links",
        [
            summary_table(
                whole,
                context.by("link"),
                ["key_rate_bps", "mean_qber"],
                context.level,
                "Secret key per link over the whole run",
            )
        ],
    )
    pools = context.filled("pools")
    capacity = metrics.link_key_rate_until_full(blocks, pools, runs) if pools is not None else whole.iloc[0:0]
    if len(capacity):
        caption = "Secret key per link while its key stores had room; a full store stops the link"
        section.blocks.append(
            summary_table(capacity, context.by("link"), ["key_rate_bps", "window_s"], context.level, caption)
        )
    distance = distance_parameter(context.results.parameters)
    if distance is not None and _varies(runs, distance):
        rates, what = (capacity, "while its key stores had room") if len(capacity) else (whole, "over the whole run")
        summary, group = curve(context, rates, "key_rate_bps", distance)
        caption = f"Secret key rate per link {what} against {distance}"
        caption += f" ({honest.interval_note(summary, ['key_rate_bps'], context.level)}; over links and seeds)"
        caption += "; lines: analytic reference curves." if context.reference is not None else "."
        section.blocks.append(
            figure(
                context, "key_rate_vs_distance", caption, plots.plot_measured_key_rate_vs_distance, summary,
                distance=distance, group=group, reference=context.reference, behind=rates,
                live=lambda: interactive.curves(
                    summary, distance, "key_rate_bps", group=group, ylabel="secret key rate (bit/s)", log_y=True,
                    reference=context.reference,
                ),
            )
        )  # fmt: skip
    return section


def key_request_section(context: ReportContext) -> Section | None:
    """Key requests per source-destination pair: served share, key rate, latency."""
    requests = context.filled("requests")
    if requests is None:
        return None
    per_run = metrics.key_rate_per_pair(requests, context.results.runs)
    values = ["served_fraction", "key_rate_bps", "mean_latency_s"]
    caption = "Key requests per pair; key_rate_bps is served key over the simulated time"
    section = Section(
        "Key requests", [summary_table(per_run, context.by("src", "dst"), values, context.level, caption)]
    )
    served = requests[requests["served"].astype(bool)].assign(pair=lambda frame: frame["src"] + "→" + frame["dst"])
    split = "pair" if 1 < served["pair"].nunique() <= 8 else None
    caption = "Latency of served key requests, all runs."
    section.blocks.append(
        figure(
            context,
            "key_request_latency",
            caption,
            plots.plot_latency_distribution,
            served,
            group=split,
            behind=requests,
            live=lambda: interactive.latency(served, group=split),
        )  # fmt: skip
    )
    return section


def pool_section(context: ReportContext) -> Section | None:
    """Key-store levels over time (one run)."""
    pools = context.filled("pools")
    if pools is None:
        return None
    rows, which = context.first_run(pools)
    caption = f"Key in each node's sending store over time, {which}"
    if context.interactive:
        live, note = interactive.pool_levels(rows)
        caption += f"; one panel per link, both ends' sending stores, capacity dashed{'; ' + note if note else ''}."
        return Section("Key pools", [figure(context, "pool_levels", caption, plots_time.plot_pool_levels, rows,
                                            behind=rows, live=lambda: live)])  # fmt: skip
    caption += "."
    return Section(
        "Key pools", [figure(context, "pool_levels", caption, plots_time.plot_pool_levels, rows, behind=rows)]
    )


def service_section(context: ReportContext) -> Section | None:
    """Key services: demand met, recoveries after link failures, and one run's periods through outages."""
    periods = context.filled("service_periods")
    if periods is None:
        return None
    runs = context.results.runs
    per_run = metrics.service_demand_met(periods, runs)
    values = ["demand_met_fraction", "n_short_periods"]
    section = Section(
        "Key services and recovery",
        [
            summary_table(
                per_run, context.by("service_id", "src", "dst"), values, context.level, "Demand met per service"
            )
        ],
    )
    recoveries = context.filled("recoveries")
    if recoveries is not None:
        with_services = runs[runs["run_id"].isin(periods["run_id"].unique())]
        stats = metrics.recovery_stats(recoveries, with_services)
        values = ["n_disruptions", "recovered_fraction", "mean_recovery_time_s", "key_lost_bits"]
        section.blocks.append(summary_table(stats, context.by("method"), values, context.level, "Recoveries by method"))
    rows, which = context.first_run(periods)
    run_id = rows["run_id"].iloc[0]
    outages, recoveries = (_of_run(context.filled(name), run_id) for name in ("outages", "recoveries"))
    caption = f"Share of each service's demand delivered per period, link outages shaded, {which}."
    section.blocks.append(
        figure(
            context,
            "recovery",
            caption,
            plots_time.plot_recovery,
            rows,
            outages=outages,
            recoveries=recoveries,
            behind=rows,
            live=lambda: interactive.recovery(rows, outages=outages, recoveries=recoveries),
        )  # fmt: skip
    )
    return section


def _of_run(frame: pd.DataFrame | None, run_id: str) -> pd.DataFrame | None:
    return None if frame is None else frame[frame["run_id"] == run_id]


def kaas_section(context: ReportContext) -> Section | None:
    """Key as a service: virtual key pool requests per service (all runs)."""
    vkp = context.filled("vkp")
    if vkp is None:
        return None
    summary = (
        vkp.groupby(["service", "event"], sort=True)
        .agg(
            n_events=("served", "size"),
            n_served=("served", "sum"),
            bits_requested=("bits_requested", "sum"),
            bits_allocated=("bits_allocated", "sum"),
            bits_destroyed=("bits_destroyed", "sum"),
        )
        .reset_index()
    )
    return Section("Key as a service", [TableBlock("Virtual key pool events per service, summed over runs.", summary)])


SECTIONS = (
    entanglement_section,
    teleportation_section,
    qkd_link_section,
    key_request_section,
    pool_section,
    service_section,
    kaas_section,
)
