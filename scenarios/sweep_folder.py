"""The folder of a sweep: its record, resuming, and tidy tables across all points.

The folder holds ``sweep.json`` (the sweep's id, base scenario, grid and every
point's status, attempts and last error) and ``points/<point_id>/``, a normal
result folder whose manifest has a ``sweep`` entry (``sweep_id``, ``point_id``,
``params`` with the seed). A point is complete iff its ``manifest.json`` exists
(written last, atomically) and names this sweep, so a sweep killed half way
resumes by running only the points without one; ``sweep.json`` is only a
summary. ``sweep_<table>.parquet`` gathers each table of every complete point,
with the swept parameters as columns after ``run_id, scenario, seed``.

``sweep.json``'s ``qnetsim_sweep`` entry proves that qnetsim made the folder;
replacing a sweep (``--overwrite``) removes only what qnetsim wrote there and is
refused when the folder holds anything else.
"""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.outputs import check_place, claim
from analysis.staging import discard, remove_leftovers, write_file_atomically
from qnetsim.core.errors import ConfigError
from scenarios.results import MANIFEST_FILE, output_errors
from scenarios.sweep import SweepPlan
from scenarios.tables import ID_COLUMNS

SWEEP_FILE = "sweep.json"
POINTS_FOLDER = "points"
TABLE_PREFIX = "sweep_"
FORMAT_VERSION = 1


def point_folder(root: Path, point_id: str) -> Path:
    """Result folder of one point."""
    return root / POINTS_FOLDER / point_id


def is_complete(root: Path, point_id: str, sweep_id: str) -> bool:
    """Whether a point's result folder is complete and belongs to this sweep."""
    try:
        manifest = json.loads((point_folder(root, point_id) / MANIFEST_FILE).read_text(encoding="utf-8"))
        return bool(manifest["sweep"]["sweep_id"] == sweep_id)
    except (OSError, ValueError, KeyError, TypeError):
        return False


def new_record(plan: SweepPlan) -> dict[str, Any]:
    """The content of ``sweep.json`` for a sweep that has not run yet."""
    return {
        "qnetsim_sweep": FORMAT_VERSION,
        "sweep_id": plan.sweep_id,
        "scenario_name": plan.base["name"],
        "created_utc": _now(),
        "updated_utc": _now(),
        "base_scenario": plan.base,
        "grid": {p.name: {"paths": list(p.paths), "values": list(p.values), "dtype": p.dtype} for p in plan.parameters},
        "seeds": list(plan.seeds),
        "points": [
            {"point_id": p.point_id, "params": p.params, "status": "pending", "attempts": 0, "error": None}
            for p in plan.points
        ],
        "tables": {},
    }


def check_folder(plan: SweepPlan, root: Path, *, overwrite: bool) -> bool:
    """Whether ``root`` holds this very sweep (to resume); raise if it cannot take it at all.

    An empty or missing folder takes a new sweep; another sweep's folder only with
    ``overwrite`` and only when it holds nothing qnetsim did not write; any other
    non-empty folder never. A link to nothing, a file, or a place qnetsim cannot
    write in are refused.

    Raises:
        ConfigError: the folder cannot be used for this sweep.
    """
    with output_errors():
        check_place(root)
    if not (root / SWEEP_FILE).is_file():
        if root.is_dir() and any(root.iterdir()):
            raise ConfigError(f"output folder {root} exists, is not empty and holds no qnetsim sweep; choose another")
        return False
    record = _read_record(root)
    if record is None:
        raise ConfigError(f"output folder {root} holds a {SWEEP_FILE} that qnetsim did not write; choose another")
    if record.get("sweep_id") == plan.sweep_id and len(record.get("points") or []) == len(plan.points):
        return True
    if not overwrite:
        raise ConfigError(
            f"output folder {root} holds another sweep; use --overwrite to replace it or choose another folder"
        )
    foreign = _foreign_entries(root)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise ConfigError(
            f"output folder {root} holds files qnetsim did not write ({shown}); move them away or choose another folder"
        )
    return False


def _read_record(root: Path) -> dict[str, Any] | None:
    """``sweep.json`` when qnetsim wrote it (it has the ``qnetsim_sweep`` format entry), else ``None``."""
    try:
        record = json.loads((root / SWEEP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("qnetsim_sweep"), int) else None


def _foreign_entries(root: Path) -> list[str]:
    """What in a sweep folder qnetsim did not write (its record, tables, point folders and their leftovers)."""
    foreign = []
    for entry in sorted(root.iterdir()):
        if entry.name == SWEEP_FILE or (entry.name.startswith(TABLE_PREFIX) and entry.name.endswith(".parquet")):
            continue
        if entry.name != POINTS_FOLDER or entry.is_symlink() or not entry.is_dir():
            foreign.append(entry.name)
            continue
        for point in sorted(entry.iterdir()):
            if point.name.startswith(".") and point.name.endswith(".partial"):
                continue  # a point being written when a sweep was killed: removed with the folder if provably ours
            found = None if point.is_symlink() or not point.is_dir() else claim(point)
            if found is None or found.kind != "run":
                foreign.append(f"{POINTS_FOLDER}/{point.name}")
            else:
                foreign += [f"{POINTS_FOLDER}/{point.name}/{name}" for name in found.foreign]
    return foreign


def open_folder(plan: SweepPlan, root: Path, *, overwrite: bool) -> dict[str, Any]:
    """Prepare ``root`` for ``plan`` (see :func:`check_folder`) and return its record.

    Every point's status is read from disk: done iff its result folder is complete.
    Staging folders left by a killed run are removed (when provably qnetsim's).
    """
    if check_folder(plan, root, overwrite=overwrite):
        record = json.loads((root / SWEEP_FILE).read_text(encoding="utf-8"))
    else:
        _clear(root)
        record = new_record(plan)
    (root / POINTS_FOLDER).mkdir(parents=True, exist_ok=True)
    remove_leftovers(root / POINTS_FOLDER)
    for entry in record["points"]:
        if is_complete(root, entry["point_id"], plan.sweep_id):
            entry.update(status="done", error=None)
        elif entry["status"] == "done":
            entry["status"] = "pending"
    save_record(root, record)
    return record


def _clear(root: Path) -> None:
    """Remove an earlier sweep's files (checked by :func:`check_folder` to be all qnetsim's)."""
    points = root / POINTS_FOLDER
    if points.is_dir():
        remove_leftovers(points)
        for point in points.iterdir():
            if point.is_dir() and not point.is_symlink() and claim(point) is not None:
                discard(point)
        if not any(points.iterdir()):
            points.rmdir()
    for path in [root / SWEEP_FILE, *root.glob(f"{TABLE_PREFIX}*.parquet")]:
        path.unlink(missing_ok=True)


def save_record(root: Path, record: dict[str, Any]) -> None:
    """Write ``sweep.json`` atomically."""
    record["updated_utc"] = _now()
    write_file_atomically(root / SWEEP_FILE, lambda path: path.write_text(json.dumps(record, indent=2) + "\n"))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- tidy tables across the sweep ---------------------------------------------------------


def point_tables(folder: Path, params: dict[str, Any], grid: dict[str, str]) -> dict[str, pd.DataFrame]:
    """One complete point's rows of the sweep tables: its tables with the swept parameters as columns.

    Args:
        folder: the point's result folder.
        params: the point's parameter values (``seed`` among them; the others go in as columns).
        grid: swept parameter -> column dtype, in the grid's order.

    Each table is read back from the folder, as the sweep's own reader would, and the
    parameters go right after ``run_id, scenario, seed``. Local workers call this for
    their own points (:func:`scenarios.executors.run_point`); the coordinator calls it
    for points done before.
    """
    manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    tables = {}
    for name, table in manifest["tables"].items():
        frame = pd.read_parquet(folder / table["file"])
        for offset, (parameter, dtype) in enumerate(grid.items()):
            column = pd.Series([params[parameter]] * len(frame), index=frame.index)
            frame.insert(len(ID_COLUMNS) + offset, parameter, column.astype(dtype))
        tables[name] = frame
    return tables


def combine_tables(
    root: Path, record: dict[str, Any], parts: dict[str, dict[str, pd.DataFrame]] | None = None
) -> dict[str, dict[str, Any]]:
    """Write ``sweep_<table>.parquet`` for every table of the complete points; return what was written.

    Each row gets its point's swept parameters as columns right after
    ``run_id, scenario, seed`` (dtypes from the grid), so the tables concatenate
    and group like the tables of one run. ``parts`` holds the rows workers already
    sent back (point id -> :func:`point_tables`); other points are read from their folders.
    """
    grid = {name: entry["dtype"] for name, entry in record["grid"].items()}
    known = parts or {}
    frames: dict[str, list[pd.DataFrame]] = {}
    for entry in record["points"]:
        if entry["status"] != "done":
            continue
        tables = known.get(entry["point_id"])
        if tables is None:
            tables = point_tables(point_folder(root, entry["point_id"]), entry["params"], grid)
        for name, frame in tables.items():
            frames.setdefault(name, []).append(frame)
    written = {}
    for name, pieces in frames.items():
        combined = pd.concat(pieces, ignore_index=True)
        file = f"{TABLE_PREFIX}{name}.parquet"
        write_file_atomically(root / file, lambda path, frame=combined: frame.to_parquet(path, index=False))
        written[name] = {"file": file, "rows": len(combined)}
    for stale in root.glob(f"{TABLE_PREFIX}*.parquet"):
        if stale.name not in {entry["file"] for entry in written.values()}:
            stale.unlink()
    return written
