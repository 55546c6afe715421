"""The figure of the design comparison: key rate against distance.

Simulated points are drawn as markers (one per design and distance); analytic
curves as lines, labelled "formula", so a reader never mistakes one for the other.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from analysis.figures import save  # noqa: E402

_STYLE = {
    "trusted_relay": ("trusted relays, simulated (saturating demand)", "", "o"),
    "quantum_repeater": ("quantum repeaters, simulated (BBM92 on delivered pairs)", "", "s"),
    "hybrid": ("hybrid, simulated", "", "^"),
    "trusted_relay_formula": ("trusted relays: slowest hop's decoy-BB84 rate (formula)", "-", None),
    "point_to_point_decoy_bb84": ("point-to-point decoy BB84, no relay (formula)", ":", None),
    "plob": ("PLOB repeaterless bound (formula)", "--", None),
}


def plot_design_comparison(frame: pd.DataFrame, path: str | Path, *, title: str | None = None) -> Path:
    """End-to-end key rate (bit/s, log scale) against total distance, one line per design.

    Args:
        frame: rows with ``design``, ``distance_km``, ``key_rate_bps`` (and ``n_hops``,
            ``source``: ``simulated`` rows are drawn as markers, others as lines).
        path: PNG to write.
        title: figure title.
    """
    missing = {"design", "distance_km", "key_rate_bps"} - set(frame.columns)
    if missing:
        raise ValueError(f"comparison frame lacks columns {sorted(missing)}")
    figure, axes = plt.subplots(figsize=(7.5, 4.8), dpi=120)
    for design, rows in frame.groupby("design", sort=False):
        rows = rows.sort_values("distance_km")
        simulated = "source" in rows and (rows["source"] == "simulated").all()
        label, style, marker = _STYLE.get(
            str(design), (str(design), "" if simulated else "-", "o" if simulated else None)
        )
        visible = rows["key_rate_bps"] > 0
        axes.plot(
            rows.loc[visible, "distance_km"],
            rows.loc[visible, "key_rate_bps"],
            linestyle=style or "none",
            marker=marker,
            label=label,
        )
    axes.set_yscale("log")
    axes.set_xlabel("end-to-end distance (km)")
    axes.set_ylabel("end-to-end secret key rate (bit/s)")
    if "n_hops" in frame and len(frame):
        hops = int(frame["n_hops"].iloc[0])
        axes.set_title(f"{title + ': ' if title else ''}{hops} hop{'s' if hops != 1 else ''}, equal links")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    return save(figure, path)
