"""The network view of the HTML report: the topology, coloured by a metric over simulated time.

For one run it draws every node (marker shape by role: user ``end``, trusted relay,
repeater) and every link (solid: a direct QKD link, dotted: a fibre carrying heralded
entanglement; grey and dashed while the link is down), coloured by a chosen metric in
each time window of the run, with a slider (and a play button) over the windows:

- ``key rate``: secret key the link delivered in the window (bit/s, ``link_blocks``);
- ``pool level``: key left in the lower of the link's two sending stores at the
  window's end (kbit, ``pools``);
- ``pair fidelity``: mean fidelity of the end-to-end pairs delivered in the window
  whose path crossed the link (``pairs``);
- ``use``: deliveries routed over the link in the window, per second (served key
  requests, key-service periods with key delivered, pairs, completed teleportations).

Beside it: link failures and recoveries on a timeline (``outages``, ``recoveries``),
and the requests over time: hovering or clicking one draws its path on the map.

Everything comes from the run's result files: the nodes, roles, lengths and link
kinds from the ``topology`` entry the runner writes into ``manifest.json``; runs
written before it existed fall back to the ``links`` and ``link_blocks`` tables
(roles then unknown).
"""

import html
import math
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from analysis import interactive
from analysis.load import Results

#: Time windows of the slider, at most.
MAX_WINDOWS = 20
#: Runs that get their own view (one per scenario, design or sweep point), at most.
MAX_VIEWS = 12
#: Requests drawn in the request panel, at most (the first ones in time).
MAX_REQUESTS = 3000

ROLE_SYMBOLS = {"end": "circle", "trusted_relay": "square", "repeater": "diamond"}
ROLE_NAMES = {"end": "user (end)", "trusted_relay": "trusted relay", "repeater": "repeater"}
KIND_DASH = {"qkd": "solid", "entanglement": "dot"}
DOWN_COLOUR = "#b0b0b0"


@dataclass(frozen=True)
class Topology:
    """Nodes ``{name: role}`` and links ``{link: (a, b, length_km, kind)}`` of one run."""

    roles: dict[str, str]
    links: dict[str, tuple[str, str, float, str]]
    source: str

    def positions(self) -> dict[str, tuple[float, float]]:
        """Node positions (Kamada-Kawai on link lengths: deterministic, longer links drawn longer)."""
        graph = nx.Graph()
        graph.add_nodes_from(sorted(self.roles))
        for a, b, length_km, _ in self.links.values():
            graph.add_edge(a, b, length_km=max(float(length_km), 1e-3))
        if len(graph) == 1:
            return {name: (0.0, 0.0) for name in graph}
        if nx.is_connected(graph):
            layout = nx.kamada_kawai_layout(graph, weight="length_km")
        else:
            layout = nx.spring_layout(graph, seed=1)
        return {name: (float(x), float(y)) for name, (x, y) in layout.items()}


def topology_of(manifest: dict[str, Any], tables: dict[str, pd.DataFrame]) -> Topology | None:
    """The run's topology from its manifest, else from its ``links`` / ``link_blocks`` tables; ``None`` if neither."""
    record = manifest.get("topology")
    if isinstance(record, dict) and record.get("nodes"):
        roles = {str(node["name"]): str(node.get("role", "unknown")) for node in record["nodes"]}
        recorded = {
            str(link["link"]): (
                str(link["a"]),
                str(link["b"]),
                float(link.get("length_km", 0.0)),
                str(link.get("kind")),
            )
            for link in record.get("links", [])
        }
        return Topology(roles, recorded, "manifest.json (topology)")
    links: dict[str, tuple[str, str, float, str]] = {}
    frame = tables.get("links")
    if frame is not None and len(frame):
        for row in frame.drop_duplicates("link").itertuples(index=False):
            links[str(row.link)] = (str(row.a), str(row.b), float(row.length_km), "entanglement")
    blocks = tables.get("link_blocks")
    if blocks is not None and len(blocks):
        for link in blocks.loc[~blocks["link_kind"].astype(str).str.endswith("end-to-end"), "link"].unique():
            a, _, b = str(link).partition("~")
            links.setdefault(str(link), (a, b, math.nan, "qkd"))
    if not links:
        return None
    roles = {name: "unknown" for a, b, _, _ in links.values() for name in (a, b)}
    return Topology(roles, links, "result tables (roles not recorded)")


def windows(end_s: float) -> np.ndarray:
    """Window edges over ``[0, end_s]``: at most :data:`MAX_WINDOWS` equal windows."""
    return np.linspace(0.0, end_s, MAX_WINDOWS + 1) if end_s > 0 else np.array([0.0, 1.0])


def path_links(path: str) -> list[list[str]]:
    """``"a-b-c | a-d-c"`` -> ``[["a", "b", "c"], ["a", "d", "c"]]`` (paths joined by `` | ``, nodes by ``-``)."""
    return [part.strip().split("-") for part in str(path).split(" | ") if part.strip()]


def _link_names(nodes: list[str]) -> list[str]:
    return ["~".join(sorted(pair)) for pair in zip(nodes, nodes[1:], strict=False)]


def link_metrics(tables: dict[str, pd.DataFrame], topology: Topology, edges: np.ndarray) -> dict[str, pd.DataFrame]:
    """Per metric with data: a frame (rows: windows, columns: links) of the metric's value per window."""
    links = list(topology.links)
    width = np.diff(edges)
    found: dict[str, pd.DataFrame] = {}

    def window_of(times: pd.Series) -> np.ndarray:
        return np.clip(np.searchsorted(edges, times.to_numpy(float), side="right") - 1, 0, len(width) - 1)

    blocks = tables.get("link_blocks")
    if blocks is not None and len(blocks):
        rows = blocks[blocks["link"].isin(links)]
        if len(rows):
            sums = rows.groupby([window_of(rows["t_s"]), rows["link"]])["secret_bits"].sum().unstack(fill_value=0)
            found["key rate (bit/s)"] = _full(sums, links, len(width), 0.0).div(width, axis=0)
    pools = tables.get("pools")
    if pools is not None and len(pools):
        out = pools[pools["direction"] == "out"]
        out = out.assign(link=["~".join(sorted(pair)) for pair in zip(out["node"], out["peer"], strict=True)])
        out = out[out["link"].isin(links)]
        if len(out):
            values = {}
            for index, end in enumerate(edges[1:]):
                upto = out[out["t_s"] <= end + 1e-12]
                if len(upto):
                    last = upto.sort_values("t_s").groupby(["link", "node"])["level_bits"].last()
                    values[index] = last.groupby(level="link").min() / 1e3
            frame = pd.DataFrame(values).T
            found["pool level (kbit, lower end)"] = _full(frame, links, len(width), math.nan)
    pairs = tables.get("pairs")
    if pairs is not None and len(pairs):
        exploded = _explode(pairs)
        if len(exploded):
            means = exploded.groupby([window_of(exploded["t_s"]), exploded["link"]])["fidelity"].mean().unstack()
            found["pair fidelity (mean)"] = _full(means, links, len(width), math.nan)
    used = []
    for name, time_column, keep in (
        ("requests", "t_s", "served"),
        ("service_periods", "t_s", None),
        ("pairs", "t_s", None),
        ("teleportations", "t_s", "completed"),
    ):
        frame = tables.get(name)
        if frame is None or not len(frame):
            continue
        rows = frame[frame[keep].astype(bool)] if keep else frame
        if name == "service_periods":
            rows = rows[rows["delivered_bits"] > 0]
        used.append(_explode(rows.rename(columns={time_column: "t_s"})))
    used = [frame for frame in used if len(frame)]
    if used:
        every = pd.concat(used, ignore_index=True)
        every = every[every["link"].isin(links)]
        counts = every.groupby([window_of(every["t_s"]), every["link"]]).size().unstack(fill_value=0)
        found["use (deliveries routed per s)"] = _full(counts, links, len(width), 0.0).div(width, axis=0)
    return found


def _explode(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (item, link on its path(s)) with the item's other columns."""
    if "path" not in frame.columns or not len(frame):
        return pd.DataFrame(columns=["t_s", "link", "fidelity"])
    frame = frame.assign(link=[sorted({link for nodes in path_links(p) for link in _link_names(nodes)})
                               for p in frame["path"]])  # fmt: skip
    return frame.explode("link").dropna(subset=["link"])


def _full(frame: pd.DataFrame, links: list[str], n_windows: int, fill: float) -> pd.DataFrame:
    """``frame`` with a row per window and a column per link, missing cells ``fill`` (NaN: no data)."""
    return frame.reindex(index=range(n_windows), columns=links).astype(float).fillna(fill)


def down_links(outages: pd.DataFrame | None, edges: np.ndarray) -> list[set[str]]:
    """Per window, the links down at the window's end."""
    if outages is None or not len(outages):
        return [set() for _ in edges[1:]]
    result = []
    for end in edges[1:]:
        up = outages["up_s"].to_numpy(float)
        down = outages[(outages["down_s"] <= end) & ~(np.isfinite(up) & (up <= end))]
        result.append(set(down["link"].astype(str)))
    return result


def map_figure(
    topology: Topology, values: pd.DataFrame, metric: str, edges: np.ndarray, down: list[set[str]]
) -> tuple[go.Figure, int]:
    """The map with one frame per window; returns the figure and the index of its (empty) path-highlight trace."""
    positions = topology.positions()
    links = list(topology.links)
    finite = values.to_numpy(float)[np.isfinite(values.to_numpy(float))]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if "fidelity" in metric:
        low, high = min(low, 0.5), 1.0
    elif low >= 0:
        low = 0.0
    if high <= low:
        high = low + 1.0
    colourscale = "Viridis"

    def edge_traces(window: int) -> list[go.Scatter]:
        traces = []
        for link in links:
            a, b, _, kind = topology.links[link]
            value = values.at[window, link]
            is_down = link in down[window]
            colour = (
                DOWN_COLOUR if is_down or not np.isfinite(value)
                else sample_colorscale(colourscale, [(value - low) / (high - low)])[0]
            )  # fmt: skip
            traces.append(
                go.Scatter(
                    x=[positions[a][0], positions[b][0]], y=[positions[a][1], positions[b][1]], mode="lines",
                    line={"color": colour, "width": 6 if kind == "qkd" else 4,
                          "dash": "dash" if is_down else KIND_DASH.get(kind, "solid")},
                    hoverinfo="skip", showlegend=False,
                )
            )  # fmt: skip
        return traces

    def hover_trace(window: int) -> go.Scatter:
        texts = []
        for link in links:
            a, b, length_km, kind = topology.links[link]
            value = values.at[window, link]
            state = "DOWN" if link in down[window] else "up"
            shown = f"{value:.4g}" if np.isfinite(value) else "no data"
            texts.append(f"<b>{link}</b> ({kind}, {length_km:.4g} km, {state})<br>{metric}: {shown}")
        xs = [(positions[topology.links[k][0]][0] + positions[topology.links[k][1]][0]) / 2 for k in links]
        ys = [(positions[topology.links[k][0]][1] + positions[topology.links[k][1]][1]) / 2 for k in links]
        return go.Scatter(
            x=xs, y=ys, mode="markers", marker={"size": 14, "opacity": 0}, text=texts,
            hovertemplate="%{text}<extra></extra>", showlegend=False,
        )  # fmt: skip

    figure = go.Figure()
    for trace in edge_traces(0):
        figure.add_trace(trace)
    figure.add_trace(hover_trace(0))
    n_dynamic = len(links) + 1
    highlight = len(figure.data)
    figure.add_trace(
        go.Scatter(x=[], y=[], mode="lines", line={"color": "#ff1493", "width": 12}, opacity=0.55,
                   name="selected request's path", hoverinfo="skip")
    )  # fmt: skip
    for role, symbol in [*ROLE_SYMBOLS.items(), ("unknown", "circle-open")]:
        names = sorted(name for name, r in topology.roles.items() if r == role)
        if not names:
            continue
        figure.add_trace(
            go.Scatter(
                x=[positions[n][0] for n in names], y=[positions[n][1] for n in names], mode="markers+text",
                marker={"symbol": symbol, "size": 16, "color": "white", "line": {"color": "black", "width": 2}},
                text=names, textposition="top center", name=ROLE_NAMES.get(role, "role not recorded"),
                hovertemplate="%{text}<extra>" + ROLE_NAMES.get(role, role) + "</extra>",
            )
        )  # fmt: skip
    for kind in sorted({link[3] for link in topology.links.values()}):
        figure.add_trace(
            go.Scatter(x=[None], y=[None], mode="lines", line={"color": "black", "dash": KIND_DASH.get(kind, "solid")},
                       name="QKD link" if kind == "qkd" else "entanglement fibre")
        )  # fmt: skip
    figure.add_trace(
        go.Scatter(
            x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
            marker={"colorscale": colourscale, "cmin": low, "cmax": high, "color": [low], "showscale": True,
                    "colorbar": {"title": {"text": metric, "side": "right"}, "thickness": 14}},
        )
    )  # fmt: skip
    labels = [f"{edges[i]:.3g}–{edges[i + 1]:.3g} s" for i in range(len(edges) - 1)]
    figure.frames = [
        go.Frame(data=[*edge_traces(i), hover_trace(i)], traces=list(range(n_dynamic)), name=labels[i])
        for i in range(len(labels))
    ]
    figure.update_layout(
        sliders=[{
            "active": 0, "currentvalue": {"prefix": "window: "}, "pad": {"t": 30},
            "steps": [{"label": label, "method": "animate",
                       "args": [[label], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                                          "transition": {"duration": 0}}]} for label in labels],
        }],
        updatemenus=[{
            "type": "buttons", "showactive": False, "x": 0.0, "y": -0.08, "xanchor": "right", "yanchor": "top",
            "buttons": [{"label": "▶", "method": "animate",
                         "args": [None, {"frame": {"duration": 600, "redraw": True}, "fromcurrent": True}]}],
        }],
    )  # fmt: skip
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, scaleanchor="x")
    interactive._layout(figure, height=560, legend={"orientation": "h", "y": 1.06})
    return figure, highlight


def request_figure(tables: dict[str, pd.DataFrame]) -> tuple[go.Figure, str] | None:
    """Requests over time (one row per user pair), with their paths for the map; ``None`` when none has a path."""
    for name, served in (("requests", "served"), ("pairs", None), ("teleportations", "completed"),
                         ("service_periods", None)):  # fmt: skip
        frame = tables.get(name)
        if frame is None or not len(frame) or "path" not in frame.columns:
            continue
        frame = frame.sort_values("t_s").head(MAX_REQUESTS)
        ok = frame[served].astype(bool) if served else pd.Series(True, index=frame.index)
        figure = go.Figure()
        for done, colour, label in ((True, "#1f77b4", "served"), (False, "#d62728", "not served")):
            rows = frame[ok == done]
            if not len(rows):
                continue
            pair = rows["src"].astype(str) + "→" + rows["dst"].astype(str)
            reason = rows["reason"].astype(str) if "reason" in rows else pd.Series("", index=rows.index)
            figure.add_trace(
                go.Scatter(
                    x=rows["t_s"], y=pair, mode="markers", name=f"{label} ({name})",
                    marker={"color": colour, "size": 8, "symbol": "circle" if done else "x"},
                    customdata=np.stack([rows["path"].astype(str), reason], axis=1),
                    hovertemplate="t=%{x:.4g} s, %{y}<br>path: %{customdata[0]}<br>%{customdata[1]}<extra></extra>",
                )
            )  # fmt: skip
        figure.update_xaxes(title="simulated time (s)")
        figure.update_yaxes(title="user pair", type="category")
        n_pairs = (frame["src"].astype(str) + frame["dst"].astype(str)).nunique()
        return interactive._layout(figure, height=max(220, 120 + 40 * n_pairs)), name
    return None


def views(results: Results) -> list[tuple[str, int]]:
    """The runs that get a view: the first seed of each scenario, design or sweep point (``(label, index)``)."""
    runs = results.runs.reset_index(drop=True)
    keys = [column for column in ("scenario", *results.parameters) if column in runs.columns]
    chosen = []
    order = runs.sort_values([*keys, "seed"], kind="stable") if keys else runs
    for _, rows in order.groupby(keys, sort=False, dropna=False) if keys else [((), order)]:
        index = int(rows.index[0])
        run = runs.iloc[index]
        parts = [str(run["scenario"])] + [f"{name} = {run[name]}" for name in results.parameters if name in run]
        chosen.append((f"{', '.join(parts)} (seed {run['seed']}, run {run['run_id']})", index))
    return chosen[:MAX_VIEWS]


def network_view_html(results: Results, prefix: str = "net") -> tuple[str, list[str]]:
    """The HTML of the network view (selectors, map, timeline, requests) and notes on what it could not draw."""
    notes: list[str] = []
    chosen = views(results)
    if len(results.runs) > len(chosen):
        notes.append(
            f"The network view shows one run per scenario, design or sweep point ({len(chosen)} of "
            f"{len(results.runs)} runs: the lowest seed of each)."
        )
    parts: list[str] = []
    options: list[str] = []
    for number, (label, index) in enumerate(chosen):
        run_id = results.runs.iloc[index]["run_id"]
        manifest = results.manifests[index] if index < len(results.manifests) else {}
        tables = {name: frame[frame["run_id"] == run_id] for name, frame in results.tables.items() if "run_id" in frame}
        topology = topology_of(manifest, tables)
        if topology is None:
            notes.append(f"{label}: no topology in its result files; no network view.")
            continue
        block = _run_view(f"{prefix}{number}", topology, tables, manifest, label, shown=not parts)
        if block is None:
            notes.append(f"{label}: no link metric to colour the map with.")
            continue
        options.append(f'<option value="{prefix}{number}">{html.escape(label)}</option>')
        parts.append(block)
    if not parts:
        return "", notes
    chooser = (
        f'<label>Run: <select class="view-select" data-prefix="{prefix}">{"".join(options)}</select></label>'
        if len(parts) > 1
        else ""
    )
    return f'<div class="network-view">{chooser}{"".join(parts)}</div>', notes


def _run_view(
    view_id: str,
    topology: Topology,
    tables: dict[str, pd.DataFrame],
    manifest: dict[str, Any],
    label: str,
    *,
    shown: bool = True,
) -> str | None:
    end_s = float(manifest.get("simulated_time_s") or 0.0)
    if not end_s:
        end_s = max((float(f["t_s"].max()) for f in tables.values() if "t_s" in f and len(f)), default=1.0)
    edges = windows(end_s)
    metrics = link_metrics(tables, topology, edges)
    if not metrics:
        return None
    down = down_links(tables.get("outages"), edges)
    positions = topology.positions()
    options, maps = [], []
    for number, (metric, values) in enumerate(metrics.items()):
        figure, highlight = map_figure(topology, values, metric, edges, down)
        div = f"{view_id}-map{number}"
        options.append(f'<option value="{div}">{html.escape(metric)}</option>')
        hidden = "" if number == 0 else ' style="display:none"'
        maps.append(
            f'<div class="map" id="{div}-box" data-highlight="{highlight}"{hidden}>'
            f"{interactive.figure_html(figure, div)}</div>"
        )
    n_windows = len(edges) - 1
    window_s = edges[1] - edges[0]
    parts = [
        f'<div class="run-view" id="{view_id}"{"" if shown else " style=display:none"}>',
        f"<p><b>{html.escape(label)}</b>. Topology from {html.escape(topology.source)}; "
        f"{n_windows} windows of {window_s:.3g} s (use the slider or ▶). Marker: role; line: solid QKD link, "
        "dotted entanglement fibre, grey dashed while down; colour: the chosen metric in the window "
        "(grey: no data).</p>",
        f'<label>Colour links by: <select class="metric-select" data-view="{view_id}">{"".join(options)}</select>'
        "</label>",
        *maps,
    ]
    outages = tables.get("outages")
    if outages is not None and len(outages):
        timeline = interactive.failure_timeline(outages, tables.get("recoveries"), end_s)
        parts.append("<h4>Link failures and recoveries</h4>" + interactive.figure_html(timeline, f"{view_id}-failures"))
    requests = request_figure(tables)
    if requests is not None:
        figure, name = requests
        parts.append(
            f"<h4>Requests ({name}): hover or click one to draw its path on the map</h4>"
            f'<p class="path-line" id="{view_id}-path">path: (none selected)</p>'
            f'<div class="requests" data-view="{view_id}" '
            f"data-positions='{html.escape(interactive.dumps(positions))}'>"
            f"{interactive.figure_html(figure, f'{view_id}-requests')}</div>"
        )
    parts.append("</div>")
    return "".join(parts)


#: Page script of the network view: the selectors, and drawing a request's path on the visible map.
SCRIPT = r"""
function qnsShow(container, selector, id) {
  container.querySelectorAll(selector).forEach(function (el) { el.style.display = (el.id === id) ? '' : 'none'; });
  var shown = document.getElementById(id);
  if (shown) shown.querySelectorAll('.js-plotly-plot').forEach(function (plot) { Plotly.Plots.resize(plot); });
}
document.querySelectorAll('.view-select').forEach(function (select) {
  select.addEventListener('change', function () {
    qnsShow(select.closest('.network-view'), '.run-view', select.value);
  });
});
document.querySelectorAll('.metric-select').forEach(function (select) {
  select.addEventListener('change', function () {
    qnsShow(document.getElementById(select.dataset.view), '.map', select.value + '-box');
  });
});
document.querySelectorAll('.requests').forEach(function (box) {
  var view = box.dataset.view, positions = JSON.parse(box.dataset.positions);
  var plot = box.querySelector('.js-plotly-plot');
  if (!plot) return;
  function draw(event) {
    var point = event.points[0], path = point.customdata[0];
    var xs = [], ys = [];
    path.split(' | ').forEach(function (part) {
      part.split('-').forEach(function (node) {
        if (positions[node]) { xs.push(positions[node][0]); ys.push(positions[node][1]); }
      });
      xs.push(null); ys.push(null);
    });
    document.getElementById(view + '-path').textContent = 'path: ' + path + ' (' + point.y + ', t = ' + point.x + ' s)';
    document.getElementById(view).querySelectorAll('.map').forEach(function (map) {
      var target = map.querySelector('.js-plotly-plot');
      Plotly.restyle(target, {x: [xs], y: [ys]}, [parseInt(map.dataset.highlight)]);
    });
  }
  plot.on('plotly_hover', draw);
  plot.on('plotly_click', draw);
});
"""
