"""Standard figures drawn from tidy tables (pandas in, PNG out).

Plotting works on DataFrames with the project's column names; it never touches
the simulator. Curves take either per-run rows (one point per row) or the output
of :func:`analysis.metrics.confidence_interval` (``v_mean`` with ``v_ci_low`` /
``v_ci_high`` drawn as error bars). Time series (pool levels, recovery) are in
:mod:`analysis.plots_time`.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from analysis.figures import new_figure, require, save

BOUND_PROTOCOLS = ("plob", "tgw")


def plot_key_rate_vs_distance(table: pd.DataFrame, path: str | Path, *, title: str | None = None) -> Path:
    """Key rate per pulse against distance, one line per protocol, bounds dashed.

    Args:
        table: rows with ``protocol``, ``distance_km`` and ``key_rate_per_pulse``
            (the output of ``qnetsim keyrate --format csv`` or
            :func:`qkdn.keyrate.keyrate_table`).
        path: PNG file to write.
        title: figure title.

    Returns:
        The path written.
    """
    require(table, ["protocol", "distance_km", "key_rate_per_pulse"], "key-rate table")
    figure, (axes,) = new_figure()
    _draw_reference(axes, table, "key_rate_per_pulse")
    axes.set_yscale("log")
    axes.set_xlabel("distance (km)")
    axes.set_ylabel("secret key rate (bits per pulse)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    return save(figure, path, title)


def plot_measured_key_rate_vs_distance(
    summary: pd.DataFrame,
    path: str | Path,
    *,
    distance: str = "distance_km",
    value: str = "key_rate_bps",
    group: str | None = None,
    reference: pd.DataFrame | None = None,
    title: str | None = None,
) -> Path:
    """Simulated key rate (bit/s, log scale) against distance, optionally over analytic curves.

    Args:
        summary: per-run rows with ``distance`` and ``value`` columns, or the
            output of ``confidence_interval(..., value, by=[distance, ...])``.
        path: PNG file to write.
        distance: the distance column (km), e.g. a swept ``links.length_km``.
        value: the key-rate column (bit/s).
        group: column with one curve per value (e.g. ``link``); none: one curve.
        reference: analytic curves with the key-rate table's columns (``protocol``,
            ``distance_km``, ``key_rate_bps``), e.g. decoy BB84 and PLOB from
            ``qnetsim keyrate --format csv``; bounds (PLOB, TGW) are dashed.
        title: figure title.
    """
    check_curves(summary, distance, value, group)
    if reference is not None:
        require(reference, ["protocol", "distance_km", "key_rate_bps"], "reference curves")
    figure, (axes,) = new_figure()
    draw_curves(axes, summary, distance, value, group, label="simulated")
    if reference is not None:
        low, high = _x_range(summary, distance)
        shown = reference[(reference["distance_km"] >= low) & (reference["distance_km"] <= high)]
        _draw_reference(axes, shown, "key_rate_bps")
    axes.set_yscale("log")
    axes.set_xlabel(_axis_label(distance, "distance (km)"))
    axes.set_ylabel("secret key rate (bit/s)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    return save(figure, path, title)


def plot_metric_vs(
    summary: pd.DataFrame,
    x: str,
    value: str,
    path: str | Path,
    *,
    group: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    log_y: bool = False,
    title: str | None = None,
) -> Path:
    """Any per-run metric (or its mean with confidence interval) against a parameter."""
    check_curves(summary, x, value, group)
    figure, (axes,) = new_figure()
    draw_curves(axes, summary, x, value, group)
    axes.set_xlabel(xlabel or _axis_label(x, x))
    axes.set_ylabel(ylabel or value)
    if log_y:
        axes.set_yscale("log")
    if pd.api.types.is_integer_dtype(summary[x]):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(True, which="both", alpha=0.3)
    if axes.get_legend_handles_labels()[0]:
        axes.legend(fontsize="small")
    return save(figure, path, title)


def plot_fidelity_vs_distance(
    summary: pd.DataFrame,
    path: str | Path,
    *,
    distance: str = "distance_km",
    value: str = "mean_fidelity",
    group: str | None = None,
    title: str | None = None,
) -> Path:
    """Mean fidelity of delivered pairs (or teleported qubits) against end-to-end distance."""
    return plot_metric_vs(
        summary, distance, value, path, group=group, xlabel=_axis_label(distance, "distance (km)"),
        ylabel="fidelity", title=title,
    )  # fmt: skip


def plot_fidelity_vs_hops(
    summary: pd.DataFrame,
    path: str | Path,
    *,
    value: str = "mean_fidelity",
    group: str | None = None,
    title: str | None = None,
) -> Path:
    """Mean fidelity against the number of hops (links) of the path."""
    return plot_metric_vs(
        summary, "n_hops", value, path, group=group, xlabel="hops (links on the path)", ylabel="fidelity", title=title
    )


def plot_latency_distribution(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    value: str = "latency_s",
    group: str | None = None,
    title: str | None = None,
) -> Path:
    """Latency as a histogram (left) and an empirical CDF (right), in milliseconds.

    Args:
        frame: one row per request, pair or qubit with a latency column (seconds).
        path: PNG file to write.
        value: the latency column, in seconds.
        group: column with one distribution per value (e.g. ``scheme``, ``src``).
        title: figure title.
    """
    require(frame, [value, *([group] if group else [])], "latency distribution")
    figure, (histogram, ecdf) = new_figure(2)
    samples = {label: rows[value].dropna().to_numpy(float) * 1e3 for label, rows in _groups(frame, group)}
    samples = {label: values for label, values in samples.items() if len(values)}
    if samples:
        everything = np.concatenate(list(samples.values()))
        n_bins = min(40, max(10, int(np.sqrt(len(everything)))))
        bins = np.histogram_bin_edges(everything, bins=n_bins).tolist()
        for label, values in samples.items():
            histogram.hist(values, bins=bins, histtype="step", linewidth=1.5, label=label)
            ordered = np.sort(values)
            ecdf.step(ordered, np.arange(1, len(ordered) + 1) / len(ordered), where="post", label=label)
    histogram.set_xlabel("latency (ms)")
    histogram.set_ylabel("count")
    ecdf.set_xlabel("latency (ms)")
    ecdf.set_ylabel("fraction at most this latency")
    ecdf.set_ylim(0, 1.02)
    for axes in (histogram, ecdf):
        axes.grid(True, alpha=0.3)
    if group and samples:
        ecdf.legend(fontsize="small")
    return save(figure, path, title)


def draw_curves(
    axes: Axes, summary: pd.DataFrame, x: str, value: str, group: str | None = None, label: str | None = None
) -> None:
    """One line per group of ``value`` against ``x``, with confidence bars when the summary has them."""
    mean, low, high = f"{value}_mean", f"{value}_ci_low", f"{value}_ci_high"
    summarised = mean in summary.columns
    check_curves(summary, x, value, group)
    for name, rows in _groups(summary, group, label):
        rows = rows.sort_values(x)
        xs = rows[x].to_numpy(float)
        if not summarised:
            axes.plot(xs, rows[value].to_numpy(float), "o", alpha=0.7, label=name)
            continue
        ys = rows[mean].to_numpy(float)
        errors = None
        if low in rows.columns and high in rows.columns:
            below = np.nan_to_num(ys - rows[low].to_numpy(float), nan=0.0)
            above = np.nan_to_num(rows[high].to_numpy(float) - ys, nan=0.0)
            errors = np.vstack([below, above])
        axes.errorbar(xs, ys, yerr=errors, marker="o", capsize=3, label=name)


def check_curves(summary: pd.DataFrame, x: str, value: str, group: str | None = None) -> None:
    """Raise :class:`AnalysisError` unless ``summary`` has what :func:`draw_curves` needs."""
    shown = f"{value}_mean" if f"{value}_mean" in summary.columns else value
    require(summary, [x, shown, *([group] if group else [])], f"{value} against {x}")


def _draw_reference(axes: Axes, table: pd.DataFrame, column: str) -> None:
    for protocol, rows in table.groupby("protocol", sort=False):
        rows = rows.sort_values("distance_km")
        rate = rows[column].to_numpy(dtype=float)
        visible = np.isfinite(rate) & (rate > 0)
        style = "--" if protocol in BOUND_PROTOCOLS else "-"
        axes.plot(rows["distance_km"].to_numpy()[visible], rate[visible], style, label=str(protocol))


def _groups(frame: pd.DataFrame, group: str | None, single: str | None = None):  # type: ignore[no-untyped-def]
    """``(label, rows)`` per value of ``group``; without a group, all rows labelled ``single``."""
    if group is None:
        yield single, frame
        return
    for key, rows in frame.groupby(group, sort=True, dropna=False):
        yield f"{group}={key}" if not isinstance(key, str) else key, rows


def _x_range(frame: pd.DataFrame, x: str) -> tuple[float, float]:
    values = frame[x].to_numpy(float)
    values = values[np.isfinite(values)]
    return (float(values.min()), float(values.max())) if len(values) else (-np.inf, np.inf)


def _axis_label(column: str, default: str) -> str:
    """``network.generator.length_km`` -> ``network.generator.length (km)``."""
    for suffix, unit in (("_km", "km"), ("_s", "s"), ("_hz", "Hz"), ("_bps", "bit/s")):
        if column.endswith(suffix):
            return f"{column[: -len(suffix)].replace('_', ' ')} ({unit})"
    return default
