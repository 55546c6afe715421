"""Loading result folders (Parquet tables + ``manifest.json``) into pandas.

Four kinds of folder are recognised by what they hold:

- a run folder: ``manifest.json`` plus one Parquet file per table;
- a sweep folder: ``sweep.json``; every run folder below it whose manifest has a
  ``sweep`` entry is one completed point, and its ``sweep.params`` become
  columns;
- a comparison of designs (``qnetsim compare``): ``manifest.json`` of kind
  ``compare``, ``comparison.parquet`` (the side-by-side summary), optionally
  ``distance.parquet``, and one run folder per design; the design's name becomes
  a ``design`` column of the runs' tables;
- a folder of run folders (several runs of one scenario, e.g. one per seed),
  possibly with comparison folders beside them: the scenario fields that differ
  between the plain runs become columns.

:func:`load` reads any of them into one :class:`Results` whose tables are
concatenated over runs, identifiers first (``run_id``, ``scenario``, ``seed``,
then the parameters), so a ``groupby`` over a parameter gives a curve.

Results still in memory are accepted wherever a folder is (:mod:`analysis.memory`):
the object a run returns (anything with ``tables`` and ``manifest``), a comparison
(``results``, ``summary``), a dict of DataFrames, or a list of these; their
``folder`` is ``None``.
"""

import json
import logging
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from analysis.errors import ResultFolderError
from analysis.outputs import record_kind
from analysis.parameters import varied_scenario_fields

if TYPE_CHECKING:  # pandas is imported when tables are read: a run writing its folder imports this package only
    import pandas as pd

__all__ = [
    "ComparisonResult",
    "Results",
    "ResultFolderError",
    "Run",
    "load",
    "load_compare",
    "load_run",
    "load_runs",
    "load_sweep",
    "load_table",
]

logger = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"
SWEEP_FILE = "sweep.json"
#: Identifier columns that lead every table.
ID_COLUMNS = ("run_id", "scenario", "seed")
#: Manifest fields copied into :attr:`Results.runs` (when present).
RUN_FIELDS = ("simulated_time_s", "wall_time_s", "events_executed", "fidelity_level", "qkd_link_model", "started_utc")


@dataclass(frozen=True)
class Run:
    """One run read back from disk (or taken from memory, ``folder`` ``None``): its tables and its manifest."""

    folder: Path | None
    tables: "dict[str, pd.DataFrame]"
    manifest: dict[str, Any]


@dataclass(frozen=True)
class ComparisonResult:
    """One comparison of designs read back from disk (``qnetsim compare``).

    Attributes:
        folder: the comparison's folder (``None``: in memory).
        scenario: the name of the scenario compared.
        designs: the designs, in the order written.
        summary: ``comparison.parquet``, one row per design and user pair.
        distance: ``distance.parquet`` (key rate against distance per design), if written.
        manifest: the comparison's ``manifest.json``.
    """

    folder: Path | None
    scenario: str
    designs: tuple[str, ...]
    summary: "pd.DataFrame"
    distance: "pd.DataFrame | None"
    manifest: dict[str, Any]


@dataclass(frozen=True)
class Results:
    """The tables of one run, of a sweep's completed points, or of several runs, concatenated.

    Attributes:
        folder: the folder that was loaded (``None``: results in memory).
        kind: ``"run"``, ``"sweep"``, ``"compare"`` (a comparison of designs) or ``"runs"``
            (a folder of run folders, comparisons among them).
        tables: table name -> rows of every run, identifiers and parameters first.
        manifests: one manifest per run, in the order of :attr:`runs`.
        parameters: parameter columns that follow ``seed`` in every table (swept
            parameters, or scenario fields that differ between runs).
        runs: one row per run: identifiers, parameters, simulated and wall time,
            events executed and the run's folder.
        sweep: the content of ``sweep.json`` (sweeps only).
        missing_points: sweep points listed in ``sweep.json`` with no readable result.
        comparisons: the comparisons of designs loaded (their designs' runs are among the runs).
    """

    folder: Path | None
    kind: Literal["run", "sweep", "compare", "runs"]
    tables: "dict[str, pd.DataFrame]"
    manifests: list[dict[str, Any]]
    parameters: tuple[str, ...]
    runs: "pd.DataFrame"
    sweep: dict[str, Any] | None = None
    missing_points: tuple[str, ...] = field(default=())
    comparisons: tuple[ComparisonResult, ...] = field(default=())

    def table(self, name: str) -> "pd.DataFrame | None":
        """Table ``name``, or ``None`` when no run wrote it."""
        return self.tables.get(name)

    def __repr__(self) -> str:
        from analysis.display import loaded_repr

        return loaded_repr(self)

    def _repr_html_(self) -> str:
        from analysis.display import loaded_repr

        return loaded_repr(self, html_form=True)


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


def _read_parquet(path: Path) -> "pd.DataFrame":
    import pandas as pd

    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as error:
        raise ResultFolderError(f"{path}: cannot read table ({error})") from None


def _is_path(source: object) -> bool:
    return isinstance(source, str | os.PathLike)


def load_table(folder: "str | Path | Any", name: str) -> "pd.DataFrame":
    """One table of a result folder (or of results in memory) as a DataFrame."""
    if not _is_path(folder):
        tables = load_run(folder).tables
        if name not in tables:
            raise ResultFolderError(f"the results have no table {name!r}; they have {', '.join(sorted(tables))}")
        return tables[name]
    folder = Path(folder)
    tables = _manifest(folder)["tables"]
    if name not in tables:
        raise ResultFolderError(f"{folder} has no table {name!r}; it has {', '.join(sorted(tables))}")
    return _read_parquet(folder / tables[name]["file"])


def load_run(folder: "str | Path | Any") -> Run:
    """Every table of a result folder, with its manifest (or of one run in memory: see :func:`load`)."""
    if not _is_path(folder):
        from analysis.memory import as_run

        return as_run(folder)
    folder = Path(folder)
    manifest = _manifest(folder)
    tables = {name: _read_parquet(folder / entry["file"]) for name, entry in manifest["tables"].items()}
    return Run(folder=folder, tables=tables, manifest=manifest)


def load(path: "str | Path | Any") -> Results:
    """A run folder, a sweep folder or a folder of run folders, as one :class:`Results`.

    ``path`` may also be results in memory: loaded :class:`Results` (returned as they
    are), one run (an object with ``tables`` and ``manifest``, as ``qnetsim.run``
    returns), a comparison (``qnetsim.compare``), a dict of DataFrames (table name ->
    table), or a list of runs, comparisons and folders (as :func:`load_runs`).

    Raises:
        ResultFolderError: ``path`` does not exist or holds no qnetsim results, or is
            an object that holds no results.
    """
    if isinstance(path, Results):
        return path
    if not _is_path(path):
        if isinstance(path, list | tuple):
            return load_runs(path)
        from analysis.memory import load_memory

        return load_memory(path)
    folder = Path(path)
    if not folder.exists():
        raise ResultFolderError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise ResultFolderError(f"{folder} is not a folder")
    if (folder / SWEEP_FILE).is_file():
        return load_sweep(folder)
    if (folder / MANIFEST_FILE).is_file():
        if _is_compare_folder(folder):
            return load_compare(folder)
        run = load_run(folder)
        return _combine(folder, "run", [run], [_sweep_parameters(run.manifest)])
    children = sorted(child for child in folder.iterdir() if _is_run_folder(child))
    if not children:
        raise ResultFolderError(
            f"{folder} holds no qnetsim results: no {MANIFEST_FILE}, no {SWEEP_FILE} and no result folders in it"
        )
    return load_runs(children, folder=folder)


def load_runs(folders: Sequence["str | Path | Any"], *, folder: str | Path | None = None) -> Results:
    """Several run folders (and comparison folders, or runs and comparisons in memory) as one :class:`Results`.

    When every plain run is of the same scenario, the scenario fields that differ
    between them (other than the seed) become parameter columns, named by their
    dotted path (``network.generator.length_km``); the runs of a comparison get
    their ``design`` instead. A run whose ``run_id`` was already loaded (the same
    scenario and seed: identical results) is skipped.
    """
    if not folders:
        raise ResultFolderError("no result folders given")
    runs: list[Run] = []
    values: list[dict[str, Any] | None] = []  # None: a plain run, its parameters found below
    comparisons: list[ComparisonResult] = []
    seen: set[Any] = set()

    def add(run: Run, value: dict[str, Any] | None) -> None:
        if run.manifest.get("run_id") in seen:
            logger.warning("skipping %s: run %s is already loaded", run.folder, run.manifest.get("run_id"))
            return
        seen.add(run.manifest.get("run_id"))
        runs.append(run)
        values.append(value)

    for path in folders:
        if not _is_path(path):
            from analysis.memory import as_comparison

            compared = as_comparison(path)
        else:
            compared = _read_compare(Path(path)) if _is_compare_folder(Path(path)) else None
        if compared is not None:
            comparison, design_runs = compared
            comparisons.append(comparison)
            for design, run in design_runs:
                add(run, {"design": design})
        else:
            add(load_run(path), None)
    plain = [index for index, value in enumerate(values) if value is None]
    names = {runs[index].manifest.get("scenario_name") for index in plain}
    scenarios = [runs[index].manifest.get("scenario", {}) for index in plain]
    parameters = varied_scenario_fields(scenarios) if len(names) == 1 else {}
    for position, index in enumerate(plain):
        values[index] = {name: column[position] for name, column in parameters.items()}
    first = folders[0]
    root = Path(folder) if folder is not None else (Path(first).parent if _is_path(first) else None)
    return _combine(root, "runs", runs, [value or {} for value in values], comparisons=tuple(comparisons))


def load_compare(folder: str | Path) -> Results:
    """A comparison of designs: its summary and distance tables, and each design's run with a ``design`` column."""
    folder = Path(folder)
    comparison, design_runs = _read_compare(folder)
    runs = [run for _, run in design_runs]
    values = [{"design": design} for design, _ in design_runs]
    return _combine(folder, "compare", runs, values, comparisons=(comparison,))


def _read_compare(folder: Path) -> tuple[ComparisonResult, list[tuple[str, Run]]]:
    manifest = _read_manifest(folder)
    tables = manifest.get("tables")
    tables = tables if isinstance(tables, dict) else {}
    summary_file = _table_file(tables, "comparison", "comparison.parquet")
    if not (folder / summary_file).is_file():
        raise ResultFolderError(f"comparison {folder} has no {summary_file}")
    summary = _read_parquet(folder / summary_file)
    distance_file = folder / _table_file(tables, "distance", "distance.parquet")
    distance = _read_parquet(distance_file) if distance_file.is_file() else None
    designs = tuple(
        str(design)
        for design in manifest.get("designs") or []
        if isinstance(design, str) and design and "/" not in design and not design.startswith(".")
    )
    design_runs = [(design, load_run(folder / design)) for design in designs if _is_run_folder(folder / design)]
    scenario = manifest.get("comparison_of")
    if not isinstance(scenario, str):
        scenario = str((manifest.get("scenario") or {}).get("name", folder.name))
    return ComparisonResult(folder, scenario, designs, summary, distance, manifest), design_runs


def _table_file(tables: dict[str, Any], name: str, default: str) -> str:
    entry = tables.get(name)
    file = entry.get("file") if isinstance(entry, dict) else None
    return file if isinstance(file, str) and "/" not in file else default


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


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ResultFolderError(f"{folder / MANIFEST_FILE}: not valid JSON ({error})") from None
    if not isinstance(manifest, dict):
        raise ResultFolderError(f"{folder / MANIFEST_FILE}: not a JSON object")
    return manifest


def _kind_of(folder: Path) -> str | None:
    """``run`` or ``compare`` when qnetsim wrote ``folder``'s manifest (also before markers existed)."""
    try:
        found = record_kind(json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None
    return found[0] if found is not None else None


def _is_compare_folder(folder: Path) -> bool:
    return _kind_of(folder) == "compare"


def _is_run_folder(path: Path) -> bool:
    """A result folder (a run or a comparison) beside others; folders qnetsim did not write are passed over."""
    if not path.is_dir() or path.name.startswith(".") or not (path / MANIFEST_FILE).is_file():
        return False
    if _kind_of(path) in ("run", "compare"):
        return True
    logger.warning("skipping %s: its %s was not written by qnetsim", path, MANIFEST_FILE)
    return False


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
    folder: Path | None,
    kind: Literal["run", "sweep", "compare", "runs"],
    runs: list[Run],
    values: list[dict[str, Any]],
    sweep: dict[str, Any] | None = None,
    missing: tuple[str, ...] = (),
    comparisons: tuple[ComparisonResult, ...] = (),
) -> Results:
    import pandas as pd

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
    columns = [*ID_COLUMNS, *parameters, *RUN_FIELDS, "folder"]
    return Results(
        folder=folder,
        kind=kind,
        tables=tables,
        manifests=[run.manifest for run in runs],
        parameters=tuple(parameters),
        runs=pd.DataFrame(rows, columns=columns),
        sweep=sweep,
        missing_points=missing,
        comparisons=comparisons,
    )


def _with_parameters(frame: "pd.DataFrame", point: dict[str, Any], parameters: list[str]) -> "pd.DataFrame":
    """``frame`` with identifier and parameter columns first (added when the run did not write them)."""
    frame = frame.copy()
    for name in parameters:
        if name not in frame.columns:
            frame[name] = [point.get(name)] * len(frame)
    leading = [column for column in (*ID_COLUMNS, *parameters) if column in frame.columns]
    return frame[leading + [column for column in frame.columns if column not in leading]]


def _concat(frames: "list[pd.DataFrame]") -> "pd.DataFrame":
    import pandas as pd

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
    row["folder"] = str(run.folder) if run.folder is not None else None
    return row
