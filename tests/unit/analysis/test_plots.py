"""Every standard figure writes a PNG from small frames; curves carry the numbers they were given."""

import matplotlib.image
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from analysis import AnalysisError, plots, plots_time
from analysis import metrics as m

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _is_png(path) -> bool:
    image = matplotlib.image.imread(path)
    return path.read_bytes()[:8] == PNG_MAGIC and image.shape[0] > 200 and image.shape[1] > 200


def _per_run_rates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "links.length_km": [20.0, 20.0, 40.0, 40.0, 60.0, 60.0],
            "key_rate_bps": [1.1e7, 1.0e7, 4.4e6, 4.2e6, 1.8e6, 1.6e6],
        }
    )


def test_measured_key_rate_against_distance_with_reference_curves(tmp_path):
    summary = m.confidence_interval(_per_run_rates(), "key_rate_bps", by=["links.length_km"])
    reference = pd.DataFrame(
        {
            "protocol": ["decoy-bb84"] * 3 + ["plob"] * 3 + ["decoy-bb84"],
            "distance_km": [20.0, 40.0, 60.0, 20.0, 40.0, 60.0, 500.0],
            "key_rate_bps": [1.0e7, 4.0e6, 1.5e6, 6.9e8, 2.2e8, 8.1e7, 1.0],
        }
    )
    path = plots.plot_measured_key_rate_vs_distance(
        summary, tmp_path / "rate.png", distance="links.length_km", reference=reference
    )
    assert _is_png(path)


def test_key_rate_table_plot_keeps_working(tmp_path):
    table = pd.DataFrame(
        {
            "protocol": ["decoy-bb84", "decoy-bb84", "plob"],
            "distance_km": [0, 50, 50],
            "key_rate_per_pulse": [1e-3, 1e-4, 1e-2],
        }
    )
    assert _is_png(plots.plot_key_rate_vs_distance(table, tmp_path / "table.png"))


def test_curves_carry_means_and_confidence_bars():
    summary = m.confidence_interval(_per_run_rates(), "key_rate_bps", by=["links.length_km"])
    figure, axes = plt.subplots()
    plots.draw_curves(axes, summary, "links.length_km", "key_rate_bps", label="simulated")
    (container,) = axes.containers
    data_line, _caps, (bars,) = container.lines
    assert list(data_line.get_xdata()) == [20.0, 40.0, 60.0]
    assert list(data_line.get_ydata()) == pytest.approx([1.05e7, 4.3e6, 1.7e6])
    segments = bars.get_segments()
    assert segments[0][0][1] == pytest.approx(summary["key_rate_bps_ci_low"].iloc[0])
    assert segments[0][1][1] == pytest.approx(summary["key_rate_bps_ci_high"].iloc[0])
    assert axes.get_legend_handles_labels()[1] == ["simulated"]
    plt.close(figure)


def test_per_run_rows_are_drawn_as_points_one_series_per_group():
    frame = pd.DataFrame(
        {"n_hops": [1, 2, 1, 2], "mean_fidelity": [0.95, 0.9, 0.94, 0.89], "scheme": ["a", "a", "b", "b"]}
    )
    figure, axes = plt.subplots()
    plots.draw_curves(axes, frame, "n_hops", "mean_fidelity", group="scheme")
    assert [line.get_label() for line in axes.lines] == ["a", "b"]
    assert list(axes.lines[1].get_ydata()) == [0.94, 0.89]
    plt.close(figure)


def test_fidelity_against_distance_and_hops(tmp_path):
    per_run = pd.DataFrame(
        {
            "distance_km": [10.0, 10.0, 20.0, 20.0, 40.0, 40.0],
            "n_hops": [1, 1, 2, 2, 4, 4],
            "mean_fidelity": [0.95, 0.94, 0.92, 0.93, 0.88, 0.87],
        }
    )
    by_distance = m.confidence_interval(per_run, "mean_fidelity", by=["distance_km"])
    assert _is_png(plots.plot_fidelity_vs_distance(by_distance, tmp_path / "distance.png"))
    assert _is_png(plots.plot_fidelity_vs_hops(per_run, tmp_path / "hops.png"))


def test_latency_histogram_and_ecdf(tmp_path):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {"latency_s": rng.exponential(0.002, 200), "scheme": np.where(np.arange(200) % 2, "end_to_end", "hop_by_hop")}
    )
    assert _is_png(plots.plot_latency_distribution(frame, tmp_path / "latency.png", group="scheme"))
    assert _is_png(plots.plot_latency_distribution(frame.iloc[0:0], tmp_path / "empty.png"))


def _pools() -> pd.DataFrame:
    rows = []
    for t_s in np.arange(0.0, 10.0, 0.5):
        for node, peer in (("a", "b"), ("b", "a"), ("b", "c"), ("c", "b")):
            for direction in ("out", "in"):
                level = min(10_000, int(3_000 * t_s)) if node == "a" else int(500 * t_s)
                rows.append({"run_id": "r", "t_s": t_s, "node": node, "peer": peer, "direction": direction,
                             "level_bits": level, "capacity_bits": 10_000})  # fmt: skip
    return pd.DataFrame(rows)


def test_pool_levels_over_time(tmp_path):
    assert _is_png(plots_time.plot_pool_levels(_pools(), tmp_path / "pools.png"))
    assert _is_png(plots_time.plot_pool_levels(_pools(), tmp_path / "two.png", max_stores=2, direction=None))


def test_recovery_with_outages_shaded(tmp_path):
    periods = pd.DataFrame(
        {
            "run_id": "r",
            "t_s": np.tile(np.arange(1.0, 11.0), 2),
            "service_id": np.repeat([0, 1], 10),
            "src": np.repeat(["a", "c"], 10),
            "dst": np.repeat(["b", "d"], 10),
            "demand_bits": 1000,
            "delivered_bits": [1000] * 4 + [0, 500] + [1000] * 4 + [1000] * 10,
        }
    )
    outages = pd.DataFrame({"run_id": "r", "link": ["a~b", "c~d"], "down_s": [4.2, 7.0], "up_s": [6.1, np.inf]})
    recoveries = pd.DataFrame({"run_id": "r", "t_s": [4.2, 7.0], "recovered": [True, False]})
    path = plots_time.plot_recovery(periods, tmp_path / "recovery.png", outages=outages, recoveries=recoveries)
    assert _is_png(path)


def test_time_series_of_several_runs_are_refused(tmp_path):
    pools = pd.concat([_pools(), _pools().assign(run_id="other")])
    with pytest.raises(AnalysisError, match="select one run_id"):
        plots_time.plot_pool_levels(pools, tmp_path / "pools.png")


def test_missing_columns_are_named_and_no_figure_is_left_open(tmp_path):
    open_before = plt.get_fignums()
    with pytest.raises(AnalysisError, match="lacks columns \\['key_rate_bps'\\]"):
        plots.plot_measured_key_rate_vs_distance(pd.DataFrame({"distance_km": [1.0]}), tmp_path / "x.png")
    with pytest.raises(AnalysisError, match="lacks columns \\['down_s', 'up_s'\\]"):
        plots_time.plot_recovery(
            m.demand_met_per_period(pd.DataFrame({"t_s": [1.0], "service_id": 0, "src": "a", "dst": "b",
                                                  "demand_bits": 1, "delivered_bits": 1})),
            tmp_path / "y.png",
            outages=pd.DataFrame({"link": ["a~b"]}),
        )  # fmt: skip
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "y.png").exists()
    assert plt.get_fignums() == open_before
