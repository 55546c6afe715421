"""Shared figure plumbing: a non-interactive backend, one figure size, and writing PNGs."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from analysis.errors import AnalysisError  # noqa: E402

FIGURE_SIZE = (7.0, 4.5)
DPI = 120


def new_figure(n_columns: int = 1, *, widen: float = 1.0) -> tuple[Figure, list[Axes]]:
    """A figure of the standard size with ``n_columns`` side-by-side axes (``widen``: room for a side legend)."""
    width, height = FIGURE_SIZE
    size = (width * widen * (1 + 0.45 * (n_columns - 1)), height)
    figure, axes = plt.subplots(1, n_columns, figsize=size, dpi=DPI)
    return figure, list(axes) if n_columns > 1 else [axes]


#: PNG text entry naming qnetsim as the writer: a PNG that carries it may be replaced by a new figure.
SOFTWARE = f"qnetsim (Matplotlib {matplotlib.__version__})"


def save(figure: Figure, path: str | Path, title: str | None = None) -> Path:
    """Write ``figure`` as PNG to ``path`` (creating its folder) and close it.

    The PNG's ``Software`` entry names qnetsim, so that ``qnetsim keyrate --plot``
    may later replace it (and only it: see :func:`analysis.outputs.check_file_target`).
    """
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    is_png = path.suffix.lower() in (".png", "")
    figure.savefig(path, format="png" if is_png else None, metadata={"Software": SOFTWARE} if is_png else None)
    plt.close(figure)
    return path


def require(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    """Raise :class:`AnalysisError` naming the columns ``frame`` lacks for figure ``what``."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise AnalysisError(f"{what}: the table lacks columns {missing}")


def one_run(frame: pd.DataFrame, what: str) -> None:
    """Raise unless ``frame`` holds rows of at most one run (time series of several runs do not overlay)."""
    if "run_id" in frame.columns and frame["run_id"].nunique() > 1:
        raise AnalysisError(f"{what}: rows of {frame['run_id'].nunique()} runs; select one run_id first")
