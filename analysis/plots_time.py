"""Time-series figures of one run: key-store levels, and key services through link failures."""

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes

from analysis.figures import new_figure, one_run, require, save
from analysis.metrics import demand_met_per_period

_LINE_STYLES = ("-", "--", "-.", ":")


def plot_pool_levels(
    pools: pd.DataFrame,
    path: str | Path,
    *,
    direction: str = "out",
    max_stores: int = 16,
    title: str | None = None,
) -> Path:
    """Key-store levels (kbit) over time, one line per node and peer, capacity dashed.

    Args:
        pools: the ``pools`` table of one run.
        path: PNG file to write.
        direction: which stores to draw (``out``: keys a node sends with; ``in``;
            ``None``: both). Each link's key lands in an ``out`` store at one end and
            the matching ``in`` store at the other, so one direction shows every link.
        max_stores: draw at most this many stores, those with the lowest mean level
            (the ones under pressure); the title says when some were left out.
        title: figure title.
    """
    require(pools, ["t_s", "node", "peer", "direction", "level_bits", "capacity_bits"], "pool levels")
    one_run(pools, "pool levels")
    rows = pools if direction is None else pools[pools["direction"] == direction]
    stores = rows.groupby(["node", "peer"], sort=True)["level_bits"].mean().sort_values(kind="stable")
    shown = stores.index[:max_stores]
    figure, (axes,) = new_figure(widen=1.3)
    if len(shown) > 10:  # tab10 would repeat colours
        axes.set_prop_cycle(color=[colormaps["tab20"](index % 20) for index in range(len(shown))])
    for node, peer in sorted(shown):
        store = rows[(rows["node"] == node) & (rows["peer"] == peer)].sort_values("t_s")
        axes.plot(store["t_s"], store["level_bits"] / 1e3, label=f"{node}→{peer}", linewidth=1.2)
    capacities = rows["capacity_bits"].unique()
    if len(capacities) == 1:
        axes.axhline(capacities[0] / 1e3, color="grey", linestyle="--", linewidth=1, label="capacity")
    axes.set_xlabel("simulated time (s)")
    axes.set_ylabel(f"key in store (kbit{', ' + direction + ' direction' if direction else ''})")
    axes.set_ylim(bottom=0)
    axes.grid(True, alpha=0.3)
    if len(shown):
        axes.legend(fontsize="x-small", ncol=2 if len(shown) > 10 else 1, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if len(stores) > len(shown):
        title = f"{title + ': ' if title else ''}{len(shown)} lowest of {len(stores)} stores"
    return save(figure, path, title)


def plot_recovery(
    service_periods: pd.DataFrame,
    path: str | Path,
    *,
    outages: pd.DataFrame | None = None,
    recoveries: pd.DataFrame | None = None,
    title: str | None = None,
) -> Path:
    """Share of each key service's demand met per supply period, with link outages shaded.

    Args:
        service_periods: the ``service_periods`` table of one run.
        path: PNG file to write.
        outages: the run's ``outages`` (``link``, ``down_s``, ``up_s``): one shaded
            band per outage, one colour per link.
        recoveries: the run's ``recoveries``: each failure that hit a service is
            marked at the top (filled: the service recovered; hollow: it did not).
        title: figure title.
    """
    require(service_periods, ["t_s", "service_id", "src", "dst", "demand_bits", "delivered_bits"], "recovery")
    one_run(service_periods, "recovery")
    if outages is not None:
        require(outages, ["link", "down_s", "up_s"], "outages")
        one_run(outages, "outages")
    if recoveries is not None:
        require(recoveries, ["t_s", "recovered"], "recoveries")
    periods = demand_met_per_period(service_periods)
    figure, (axes,) = new_figure(widen=1.3)
    end_s = float(periods["t_s"].max()) if len(periods) else 1.0
    if outages is not None and len(outages):
        end_s = _shade_outages(axes, outages, end_s)
    services = periods.groupby(["service_id", "src", "dst"], sort=True)
    for index, ((service, src, dst), rows) in enumerate(services):
        rows = rows.sort_values("t_s")
        axes.step(
            rows["t_s"],
            100 * rows["demand_met_fraction"],
            where="pre",
            linestyle=_LINE_STYLES[index % len(_LINE_STYLES)],
            linewidth=max(1.0, 2.6 - 0.5 * index),  # earlier services wider, so equal lines stay visible
            label=f"service {service}: {src}→{dst}",
        )
    if recoveries is not None and len(recoveries):
        _mark_failures(axes, recoveries)
        end_s = max(end_s, float(recoveries["t_s"].max()) * 1.01)
    axes.set_xlim(0, end_s)
    axes.set_ylim(-2, 112)
    axes.set_xlabel("simulated time (s)")
    axes.set_ylabel("demand met in the period (%)")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return save(figure, path, title)


def _shade_outages(axes: Axes, outages: pd.DataFrame, end_s: float) -> float:
    """Shade every outage (ending at ``end_s`` when never repaired); return the time axis end."""
    colours = colormaps["tab10"]
    links = sorted(outages["link"].astype(str).unique())
    for index, link in enumerate(links):
        colour = colours(index % 10)
        for number, outage in enumerate(outages[outages["link"] == link].itertuples(index=False)):
            up_s = outage.up_s if np.isfinite(outage.up_s) else end_s
            axes.axvspan(
                outage.down_s, min(up_s, end_s), color=colour, alpha=0.15, label=f"{link} down" if number == 0 else None
            )
    return end_s


def _mark_failures(axes: Axes, recoveries: pd.DataFrame) -> None:
    recovered = recoveries["recovered"].astype(bool)
    for done, marker_face, label in (
        (True, "black", "failure hit a service (recovered)"),
        (False, "none", "not recovered"),
    ):
        times = recoveries.loc[recovered == done, "t_s"].to_numpy(float)
        if len(times):
            axes.plot(times, np.full(len(times), 106.0), "v", color="black", markerfacecolor=marker_face, label=label)
