"""Loading result folders (Parquet tables + ``manifest.json``) into pandas.

Three kinds of folder are recognised by what they hold:

- a run folder: ``manifest.json`` plus one Parquet file per table;
- a sweep folder: ``sweep.json``; every run folder below it whose manifest has a
  ``sweep`` entry is one completed point, and its ``sweep.params`` become
  columns;
- a folder of run folders (several runs of one scenario, e.g. one per seed):
  the scenario fields that differ between the runs become columns.

:func:`load` reads any of them into one :class:`Results` whose tables are
concatenated over runs, identifiers first (``run_id``, ``scenario``, ``seed``,
then the parameters), so a ``groupby`` over a parameter gives a curve.
"""

import json
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from analysis.errors import ResultFolderError
from analysis.parameters import varied_scenario_fields

__all__ = ["Results", "ResultFolderError", "Run", "load", "load_run", "load_runs", "load_sweep", "load_table"]

logger = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"
SWEEP_FILE = "sweep.json"
#: Identifier columns that lead every table.
ID_COLUMNS = ("run_id", "scenario", "seed")
#: Manifest fields copied into :attr:`Results.runs` (when present).
RUN_FIELDS = ("simulated_time_s", "wall_time_s", "events_executed", "fidelity_level", "qkd_link_model", "started_utc")


@dataclass(frozen=True)
class Run:
    """One run read back from disk: its tables and its manifest."""

    folder: Path
    tables: dict[str, pd.DataFrame]
    manifest: dict[str, Any]


@dataclass(frozen=True)
class Results:
    """The tables of one run, of a sweep's completed points, or of several runs, concatenated.

    Attributes:
        folder: the folder that was loaded.
        kind: ``"run"``, ``"sweep"`` or ``"runs"`` (a folder of run folders).
        tables: table name -> rows of every run, identifiers and parameters first.
        manifests: one manifest per run, in the order of :attr:`runs`.
        parameters: parameter columns that follow ``seed`` in every table (swept
            parameters, or scenario fields that differ between runs).
        runs: one row per run: identifiers, parameters, simulated and wall time,
            events executed and the run's folder.
        sweep: the content of ``sweep.json`` (sweeps only).
        missing_points: sweep points listed in ``sweep.json`` with no readable result.
    """

    folder: Path
    kind: Literal["run", "sweep", "runs"]
    tables: dict[str, pd.DataFrame]
    manifests: list[dict[str, Any]]
    parameters: tuple[str, ...]
    runs: pd.DataFrame
    sweep: dict[str, Any] | None = None
    missing_points: tuple[str, ...] = field(default=())

    def table(self, name: str) -> pd.DataFrame | None:
        """Table ``name``, or ``None`` when no run wrote it."""
        return self.tables.get(name)


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST_FILE
    if not path.is_file():
        raise ResultFolderError(f"{folder} is not a qnetsim result folder: no {MANIFEST_FILE}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ResultFolderError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("tables"), dict):
        raise ResultFolderError(f"{path}: no 'tables' section")
    return manifest


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as error:
        raise ResultFolderError(f"{path}: cannot read table ({error})") from None


def load_table(folder: str | Path, name: str) -> pd.DataFrame:
    """One table of a result folder as a DataFrame."""
    folder = Path(folder)
    tables = _manifest(folder)["tables"]
    if name not in tables:
        raise ResultFolderError(f"{folder} has no table {name!r}; it has {', '.join(sorted(tables))}")
    return _read_parquet(folder / tables[name]["file"])


def load_run(folder: str | Path) -> Run:
    """Every table of a result folder, with its manifest."""
    folder = Path(folder)
    manifest = _manifest(folder)
    tables = {name: _read_parquet(folder / entry["file"]) for name, entry in manifest["tables"].items()}
    return Run(folder=folder, tables=tables, manifest=manifest)


def load(path: str | Path) -> Results:
    """A run folder, a sweep folder or a folder of run folders, as one :class:`Results`.

    Raises:
        ResultFolderError: ``path`` does not exist or holds no qnetsim results.
    """
    folder = Path(path)
    if not folder.exists():
        raise ResultFolderError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise ResultFolderError(f"{folder} is not a folder")
    if (folder / SWEEP_FILE).is_file():
        return load_sweep(folder)
    if (folder / MANIFEST_FILE).is_file():
        run = load_run(folder)
        return _combine(folder, "run", [run], [_sweep_parameters(run.manifest)])
    children = sorted(child for child in folder.iterdir() if _is_run_folder(child))
    if not children:
        raise ResultFolderError(
            f"{folder} holds no qnetsim results: no {MANIFEST_FILE}, no {SWEEP_FILE} and no result folders in it"
        )
    return load_runs(children, folder=folder)


def load_runs(folders: Sequence[str | Path], *, folder: str | Path | None = None) -> Results:
    """Several run folders as one :class:`Results`.

    When every run is of the same scenario, the scenario fields that differ
    between runs (other than the seed) become parameter columns, named by their
    dotted path (``network.generator.length_km``). A run whose ``run_id`` was
    already loaded (the same scenario and seed: identical results) is skipped.
    """
    if not folders:
        raise ResultFolderError("no result folders given")
    runs, seen = [], set()
    for path in folders:
        run = load_run(path)
        if run.manifest.get("run_id") in seen:
            logger.warning("skipping %s: run %s is already loaded", path, run.manifest.get("run_id"))
            continue
        seen.add(run.manifest.get("run_id"))
        runs.append(run)
    names = {run.manifest.get("scenario_name") for run in runs}
    scenarios = [run.manifest.get("scenario", {}) for run in runs]
    parameters = varied_scenario_fields(scenarios) if len(names) == 1 else {}
    values = [{name: column[index] for name, column in parameters.items()} for index in range(len(runs))]
    root = Path(folder) if folder is not None else Path(folders[0]).parent
    return _combine(root, "runs", runs, values)


def load_sweep(folder: str | Path) -> Results:
    """Every completed point of a sweep folder as one :class:`Results`.

    A point is any run folder below ``folder`` whose manifest has a ``sweep``
    entry; its ``sweep.params`` become columns after ``seed``. Points listed in
    ``sweep.json`` (``points[].point_id``) without a readable result folder are
    reported in :attr:`Results.missing_points`, not treated as errors.
    """
    folder = Path(folder)
    try:
        sweep = json.loads((folder / SWEEP_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ResultFolderError(f"{folder / SWEEP_FILE}: not valid JSON ({error})") from None
    runs, unreadable = [], []
    for manifest_path in sorted(folder.rglob(MANIFEST_FILE)):
        point = manifest_path.parent
        if any(part.startswith(".") for part in point.relative_to(folder).parts):
            continue  # a result folder still being written (or an old one being replaced)
        try:
            run = load_run(point)
        except ResultFolderError as error:
            unreadable.append(str(error))
            continue
        if isinstance(run.manifest.get("sweep"), dict):
            runs.append(run)
    for problem in unreadable:
        logger.warning("sweep %s: skipping an unreadable point: %s", folder, problem)
    loaded = {str(run.manifest["sweep"].get("point_id")) for run in runs}
    missing = tuple(point for point in _listed_points(sweep) if point not in loaded)
    if not runs:
        raise ResultFolderError(f"sweep {folder} has no completed points yet")
    return _combine(folder, "sweep", runs, [_sweep_parameters(run.manifest) for run in runs], sweep, missing)


def _is_run_folder(path: Path) -> bool:
    return path.is_dir() and not path.name.startswith(".") and (path / MANIFEST_FILE).is_file()


def _sweep_parameters(manifest: dict[str, Any]) -> dict[str, Any]:
    sweep = manifest.get("sweep")
    params = sweep.get("params") if isinstance(sweep, dict) else None
    return dict(params) if isinstance(params, dict) else {}


def _listed_points(sweep: Any) -> list[str]:
    points = sweep.get("points") if isinstance(sweep, dict) else None
    if not isinstance(points, list):
        return []
    return [str(point["point_id"]) for point in points if isinstance(point, dict) and "point_id" in point]


def _combine(
    folder: Path,
    kind: Literal["run", "sweep", "runs"],
    runs: list[Run],
    values: list[dict[str, Any]],
    sweep: dict[str, Any] | None = None,
    missing: tuple[str, ...] = (),
) -> Results:
    parameters: list[str] = []
    for point in values:
        parameters.extend(name for name in point if name not in ID_COLUMNS and name not in parameters)
    names: list[str] = []
    for run in runs:
        names.extend(name for name in run.tables if name not in names)
    tables = {}
    for name in names:
        frames = [
            _with_parameters(run.tables[name], point, parameters)
            for run, point in zip(runs, values, strict=True)
            if name in run.tables
        ]
        tables[name] = _concat(frames)
    rows = [_run_row(run, point, parameters) for run, point in zip(runs, values, strict=True)]
    return Results(
        folder=folder,
        kind=kind,
        tables=tables,
        manifests=[run.manifest for run in runs],
        parameters=tuple(parameters),
        runs=pd.DataFrame(rows),
        sweep=sweep,
        missing_points=missing,
    )


def _with_parameters(frame: pd.DataFrame, point: dict[str, Any], parameters: list[str]) -> pd.DataFrame:
    """``frame`` with identifier and parameter columns first (added when the run did not write them)."""
    frame = frame.copy()
    for name in parameters:
        if name not in frame.columns:
            frame[name] = [point.get(name)] * len(frame)
    leading = [column for column in (*ID_COLUMNS, *parameters) if column in frame.columns]
    return frame[leading + [column for column in frame.columns if column not in leading]]


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    filled = [frame for frame in frames if len(frame)]
    if not filled:
        return frames[0].reset_index(drop=True)
    if len(filled) == 1:
        return filled[0].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # all-NA parameter columns of old pandas
        return pd.concat(filled, ignore_index=True)


def _run_row(run: Run, point: dict[str, Any], parameters: list[str]) -> dict[str, Any]:
    manifest = run.manifest
    row: dict[str, Any] = {
        "run_id": manifest.get("run_id"),
        "scenario": manifest.get("scenario_name"),
        "seed": manifest.get("seed"),
    }
    row.update({name: point.get(name) for name in parameters})
    row.update({name: manifest.get(name) for name in RUN_FIELDS})
    row["folder"] = str(run.folder)
    return row
