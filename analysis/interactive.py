"""Interactive figures of the HTML report (Plotly): zoom, pan and hover on every curve and time series.

Each builder takes the same tidy tables as its PNG counterpart in :mod:`analysis.plots`
and :mod:`analysis.plots_time` and returns a :class:`plotly.graph_objects.Figure`.
Crowded figures become small multiples (one panel per link or service) rather than
many lines on one axis. :func:`figure_html` turns a figure into an HTML fragment
that needs the Plotly library once on the page (:func:`plotly_script`), so a report
with any number of figures embeds the library once and works offline.

Intervals come from :func:`analysis.honest.summarise`: none for fewer than three
runs (the individual values are drawn instead), cut at the quantity's bounds.
"""

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from analysis.metrics import demand_met_per_period

#: Panels in a small-multiples figure, at most (the lowest, i.e. most pressed, first).
MAX_PANELS = 24
PANEL_COLUMNS = 3
BOUND_PROTOCOLS = ("plob", "tgw")
_CONFIG = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"format": "png", "scale": 2}}


def plotly_script() -> str:
    """The Plotly library, to inline once in the page's ``<head>``."""
    return get_plotlyjs()


def figure_html(figure: go.Figure, div_id: str) -> str:
    """An HTML fragment drawing ``figure`` into ``<div id=div_id>`` (the page must hold the Plotly library)."""
    return figure.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=_CONFIG, auto_play=False)


def _layout(figure: go.Figure, *, height: int = 420, **kwargs: Any) -> go.Figure:
    settings: dict[str, Any] = {
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
        "template": "plotly_white",
        "hovermode": "closest",
        "legend": {"font": {"size": 11}},
    }
    figure.update_layout(**{**settings, **kwargs})
    return figure


def curves(
    summary: pd.DataFrame,
    x: str,
    value: str,
    *,
    group: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    log_y: bool = False,
    reference: pd.DataFrame | None = None,
) -> go.Figure:
    """Mean of ``value`` against ``x`` per group, with the intervals :func:`analysis.honest.summarise` allows.

    Points with an interval get error bars; points without (fewer than three runs)
    show each run's value as a hollow marker beside the mean. Hover names the runs behind a point.
    """
    figure = go.Figure()
    for index, (name, rows) in enumerate(_groups(summary, group)):
        rows = rows.sort_values(x)
        colour = _colour(index)
        ys = rows[f"{value}_mean"].to_numpy(float)
        low = rows[f"{value}_ci_low"].to_numpy(float)
        high = rows[f"{value}_ci_high"].to_numpy(float)
        has = np.isfinite(low) & np.isfinite(high)
        text = [
            f"{n} run{'s' * (n != 1)} (seeds {seeds}); interval: {kind}"
            for n, seeds, kind in zip(rows["n_runs"], rows["seeds"], rows[f"{value}_interval"], strict=True)
        ]
        figure.add_trace(
            go.Scatter(
                x=rows[x], y=ys, mode="lines+markers", name=name or value, line={"color": colour},
                error_y={"type": "data", "symmetric": False, "array": np.where(has, high - ys, np.nan),
                         "arrayminus": np.where(has, ys - low, np.nan), "visible": bool(has.any())},
                text=text, hovertemplate=f"{x}=%{{x}}<br>{value}=%{{y:.4g}}<br>%{{text}}<extra>{name or ''}</extra>",
            )
        )  # fmt: skip
        singles_x, singles_y = [], []
        for x_value, values, kind in zip(rows[x], rows[f"{value}_values"], rows[f"{value}_interval"], strict=True):
            if kind == "none" and len(values) > 1:
                singles_x += [x_value] * len(values)
                singles_y += list(values)
        if singles_x:
            figure.add_trace(
                go.Scatter(
                    x=singles_x, y=singles_y, mode="markers", name=f"{name + ': ' if name else ''}single runs",
                    marker={"symbol": "circle-open", "color": colour, "size": 8}, legendgroup=name,
                    hovertemplate=f"{x}=%{{x}}<br>{value}=%{{y:.4g}} (one run)<extra></extra>",
                )
            )  # fmt: skip
    if reference is not None:
        _reference(figure, reference, summary[x])
    figure.update_xaxes(title=xlabel or axis_label(x, x))
    figure.update_yaxes(title=ylabel or value, type="log" if log_y else None)
    return _layout(figure)


def _reference(figure: go.Figure, reference: pd.DataFrame, xs: pd.Series) -> None:
    low, high = float(np.nanmin(xs.to_numpy(float))), float(np.nanmax(xs.to_numpy(float)))
    shown = reference[(reference["distance_km"] >= low) & (reference["distance_km"] <= high)]
    for protocol, rows in shown.groupby("protocol", sort=False):
        rows = rows.sort_values("distance_km")
        rate = rows["key_rate_bps"].to_numpy(float)
        visible = np.isfinite(rate) & (rate > 0)
        figure.add_trace(
            go.Scatter(
                x=rows["distance_km"].to_numpy()[visible], y=rate[visible], mode="lines",
                name=f"{protocol} (formula)", line={"dash": "dash" if protocol in BOUND_PROTOCOLS else "solid"},
            )
        )  # fmt: skip


def latency(frame: pd.DataFrame, *, value: str = "latency_s", group: str | None = None) -> go.Figure:
    """Latency (ms): histogram (left) and empirical CDF (right), one colour per group; click the legend to filter."""
    figure = make_subplots(rows=1, cols=2, subplot_titles=("histogram", "empirical CDF"))
    for index, (name, rows) in enumerate(_groups(frame, group)):
        values = np.sort(rows[value].dropna().to_numpy(float) * 1e3)
        if not len(values):
            continue
        colour, label = _colour(index), name or "all"
        figure.add_trace(
            go.Histogram(x=values, name=label, legendgroup=label, marker={"color": colour}, opacity=0.6,
                         hovertemplate="%{x} ms: %{y}<extra>" + label + "</extra>"),
            row=1, col=1,
        )  # fmt: skip
        cdf = np.arange(1, len(values) + 1) / len(values)
        figure.add_trace(
            go.Scatter(x=values, y=cdf, mode="lines", line={"shape": "hv", "color": colour}, name=label,
                       legendgroup=label, showlegend=False,
                       hovertemplate="≤ %{x:.4g} ms: %{y:.1%}<extra>" + label + "</extra>"),
            row=1, col=2,
        )  # fmt: skip
    figure.update_layout(barmode="overlay", showlegend=group is not None)
    figure.update_xaxes(title="latency (ms)")
    figure.update_yaxes(title="count", row=1, col=1)
    figure.update_yaxes(title="fraction at most this latency", range=[0, 1.02], row=1, col=2)
    return _layout(figure)


def pool_levels(pools: pd.DataFrame, *, direction: str = "out") -> tuple[go.Figure, str]:
    """Key in store (kbit) over time: one panel per link (both ends' sending stores), capacity dashed.

    Returns the figure and a note naming the links left out (at most :data:`MAX_PANELS`
    panels, those whose stores ran lowest on average).
    """
    rows = pools[pools["direction"] == direction] if direction else pools
    rows = rows.assign(link=["~".join(sorted(pair)) for pair in zip(rows["node"], rows["peer"], strict=True)])
    order = rows.groupby("link")["level_bits"].mean().sort_values(kind="stable")
    shown = sorted(order.index[:MAX_PANELS])
    note = "" if len(order) <= MAX_PANELS else f"the {MAX_PANELS} links of lowest mean level of {len(order)}"
    n_rows = max(1, math.ceil(len(shown) / PANEL_COLUMNS))
    figure = make_subplots(
        rows=n_rows, cols=PANEL_COLUMNS, shared_xaxes=True, shared_yaxes=True, subplot_titles=shown,
        vertical_spacing=min(0.08, 0.5 / n_rows), horizontal_spacing=0.04,
    )  # fmt: skip
    capacity = rows["capacity_bits"].max() / 1e3 if len(rows) else None
    for index, link in enumerate(shown):
        row, col = index // PANEL_COLUMNS + 1, index % PANEL_COLUMNS + 1
        for side, (store, data) in enumerate(rows[rows["link"] == link].groupby(["node", "peer"], sort=True)):
            data = data.sort_values("t_s")
            label = f"{store[0]}→{store[1]}"
            figure.add_trace(
                go.Scatter(x=data["t_s"], y=data["level_bits"] / 1e3, mode="lines", name=label, showlegend=False,
                           line={"color": _colour(side), "width": 1.4},
                           hovertemplate="t=%{x:.3g} s<br>%{y:.4g} kbit<extra>" + label + "</extra>"),
                row=row, col=col,
            )  # fmt: skip
        if capacity is not None and rows["capacity_bits"].nunique() == 1:
            figure.add_hline(y=capacity, line={"dash": "dash", "color": "grey", "width": 1}, row=row, col=col)
    figure.update_yaxes(rangemode="tozero")
    figure.update_yaxes(title="kbit", col=1)
    figure.update_xaxes(title="simulated time (s)", row=n_rows)
    return _layout(figure, height=max(300, 200 * n_rows)), note


def recovery(
    periods: pd.DataFrame, *, outages: pd.DataFrame | None = None, recoveries: pd.DataFrame | None = None
) -> go.Figure:
    """Share of each service's demand met per period: one panel per service, outages shaded, failures marked."""
    met = demand_met_per_period(periods)
    services = list(met.groupby(["service_id", "src", "dst"], sort=True))
    titles = [f"service {service}: {src}→{dst}" for (service, src, dst), _ in services]
    figure = make_subplots(rows=max(1, len(services)), cols=1, shared_xaxes=True, subplot_titles=titles,
                           vertical_spacing=min(0.1, 0.4 / max(1, len(services))))  # fmt: skip
    for index, ((service, _src, _dst), rows) in enumerate(services):
        rows = rows.sort_values("t_s")
        figure.add_trace(
            go.Scatter(x=rows["t_s"], y=100 * rows["demand_met_fraction"], mode="lines+markers",
                       line={"shape": "vh"}, name=titles[index], showlegend=False,
                       hovertemplate="period ending %{x:.3g} s: %{y:.1f} % met<extra></extra>"),
            row=index + 1, col=1,
        )  # fmt: skip
        if recoveries is not None and len(recoveries):
            hits = recoveries[recoveries["service_id"] == service] if "service_id" in recoveries else recoveries
            for done, symbol in ((True, "triangle-down"), (False, "triangle-down-open")):
                marks = hits[hits["recovered"].astype(bool) == done]
                if len(marks):
                    figure.add_trace(
                        go.Scatter(
                            x=marks["t_s"], y=[106] * len(marks), mode="markers", showlegend=False,
                            marker={"symbol": symbol, "color": "black", "size": 10},
                            text=[_recovery_text(r) for r in marks.itertuples(index=False)],
                            hovertemplate="%{text}<extra></extra>",
                        ),
                        row=index + 1, col=1,
                    )  # fmt: skip
    end_s = float(met["t_s"].max()) if len(met) else 1.0
    if outages is not None:
        for outage in outages.itertuples(index=False):
            if outage.down_s >= end_s:
                continue
            up_s = min(outage.up_s, end_s) if np.isfinite(outage.up_s) else end_s
            figure.add_vrect(x0=outage.down_s, x1=up_s, fillcolor="red", opacity=0.08, line_width=0)
    figure.update_xaxes(range=[0, end_s])
    figure.update_yaxes(range=[-3, 112], title="% met")
    figure.update_xaxes(title="simulated time (s)", row=max(1, len(services)))
    return _layout(figure, height=max(300, 190 * len(services)))


def _recovery_text(row: Any) -> str:
    state = "recovered" if row.recovered else "not recovered"
    method = getattr(row, "method", "")
    return f"{row.link} failed at {row.t_s:.4g} s: {state} ({method})"


def design_comparison(frame: pd.DataFrame) -> go.Figure:
    """End-to-end key rate against total distance, one line (formula) or marker set (simulated) per design."""
    figure = go.Figure()
    for design, rows in frame.groupby("design", sort=False):
        rows = rows[rows["key_rate_bps"] > 0].sort_values("distance_km")
        simulated = "source" in rows and len(rows) and (rows["source"] == "simulated").all()
        source = "simulated" if simulated else str(rows["source"].iloc[0]) if "source" in rows and len(rows) else ""
        figure.add_trace(
            go.Scatter(
                x=rows["distance_km"], y=rows["key_rate_bps"], mode="markers" if simulated else "lines",
                name=f"{design} ({source})" if source else str(design),
                hovertemplate="%{x:.4g} km: %{y:.4g} bit/s<extra>" + str(design) + "</extra>",
            )
        )  # fmt: skip
    figure.update_xaxes(title="end-to-end distance (km)")
    figure.update_yaxes(title="end-to-end secret key rate (bit/s)", type="log")
    return _layout(figure)


def failure_timeline(outages: pd.DataFrame, recoveries: pd.DataFrame | None, end_s: float) -> go.Figure:
    """Link failures and recoveries on a timeline: one bar per outage (down to up), one row per link."""
    figure = go.Figure()
    outages = outages.sort_values(["link", "down_s"])
    ups = [min(up, end_s) if np.isfinite(up) else end_s for up in outages["up_s"]]
    text = [
        f"{link}: down at {down:.4g} s, " + (f"up at {up:.4g} s" if np.isfinite(up) else "not repaired in the run")
        for link, down, up in zip(outages["link"], outages["down_s"], outages["up_s"], strict=True)
    ]
    figure.add_trace(
        go.Bar(
            y=outages["link"], x=np.array(ups) - outages["down_s"].to_numpy(float), base=outages["down_s"],
            orientation="h", marker={"color": "#d62728", "opacity": 0.6}, name="link down", text=text,
            textposition="none", hovertemplate="%{text}<extra></extra>",
        )
    )  # fmt: skip
    if recoveries is not None and len(recoveries):
        done = recoveries["recovered"].astype(bool)
        for ok, symbol, label in ((True, "circle", "service recovered"), (False, "x", "service not recovered")):
            marks = recoveries[done == ok]
            if len(marks):
                figure.add_trace(
                    go.Scatter(
                        x=marks["t_s"], y=marks["link"], mode="markers", name=label,
                        marker={"symbol": symbol, "size": 10, "color": "black" if ok else "#d62728"},
                        text=[_recovery_text(r) for r in marks.itertuples(index=False)],
                        hovertemplate="%{text}<extra></extra>",
                    )
                )  # fmt: skip
    figure.update_xaxes(title="simulated time (s)", range=[0, end_s])
    figure.update_yaxes(title="link", type="category")
    n_links = outages["link"].nunique()
    return _layout(figure, height=max(220, 60 + 40 * n_links), barmode="overlay")


def _groups(frame: pd.DataFrame, group: str | None):  # type: ignore[no-untyped-def]
    if group is None:
        yield None, frame
        return
    for key, rows in frame.groupby(group, sort=True, dropna=False):
        yield (key if isinstance(key, str) else f"{group}={key}"), rows


_PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def _colour(index: int) -> str:
    return _PALETTE[index % len(_PALETTE)]


def axis_label(column: str, default: str) -> str:
    """``network.generator.length_km`` -> ``network.generator.length (km)``."""
    for suffix, unit in (("_km", "km"), ("_s", "s"), ("_hz", "Hz"), ("_bps", "bit/s")):
        if column.endswith(suffix):
            return f"{column[: -len(suffix)].replace('_', ' ')} ({unit})"
    return default


def dumps(value: Any) -> str:
    """JSON for embedding in a ``<script>`` (no ``</`` that would end the script early)."""
    return json.dumps(value, separators=(",", ":"), default=str).replace("</", "<\\/")
