"""Standard figures drawn from tidy tables (pandas in, PNG out).

Plotting works on DataFrames with the project's column names; it never touches
the simulator. Figures are written with matplotlib's non-interactive Agg backend.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

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
    missing = {"protocol", "distance_km", "key_rate_per_pulse"} - set(table.columns)
    if missing:
        raise ValueError(f"key-rate table lacks columns {sorted(missing)}")
    figure, axes = plt.subplots(figsize=(7.0, 4.5), dpi=120)
    for protocol, rows in table.groupby("protocol", sort=False):
        rows = rows.sort_values("distance_km")
        rate = rows["key_rate_per_pulse"].to_numpy(dtype=float)
        visible = np.isfinite(rate) & (rate > 0)
        style = "--" if protocol in BOUND_PROTOCOLS else "-"
        axes.plot(rows["distance_km"].to_numpy()[visible], rate[visible], style, label=str(protocol))
    axes.set_yscale("log")
    axes.set_xlabel("distance (km)")
    axes.set_ylabel("secret key rate (bits per pulse)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    if title:
        axes.set_title(title)
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
