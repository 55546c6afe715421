"""Results in memory, read as :func:`analysis.load` reads folders.

``analysis`` imports no simulator package (an import-linter contract), so the objects
are recognised by what they hold, not by their class:

- one run: an object with ``tables`` (table name -> DataFrame) and ``manifest`` (a
  mapping, as in ``manifest.json``), such as the results ``qnetsim.run`` returns;
- a comparison of designs: an object with ``results`` (run name -> run) and
  ``summary`` (a DataFrame), such as ``qnetsim.compare`` returns; each run's name
  becomes its ``design``, as when the comparison's folder is loaded;
- a dict of DataFrames: the tables of one run without a manifest; ``run_id``,
  ``scenario`` and ``seed`` are read from the tables' identifier columns, and no
  simulated time is known (per-run rates need it: pass a run with its manifest).

Loaded results have ``folder`` ``None``.
"""

from collections.abc import Mapping
from typing import Any, TypeGuard

import pandas as pd

from analysis.errors import ResultFolderError
from analysis.load import ComparisonResult, Results, Run, _combine, _sweep_parameters

__all__ = ["as_comparison", "as_run", "load_memory"]

_EXPECTED = (
    "expected a result folder, the results of a run (tables and manifest), a comparison, "
    "a dict of DataFrames, or a list of these"
)


def _is_tables(value: Any) -> TypeGuard[Mapping[str, pd.DataFrame]]:
    return (
        isinstance(value, Mapping)
        and all(isinstance(name, str) for name in value)
        and all(isinstance(frame, pd.DataFrame) for frame in value.values())
    )


def _manifest_of(tables: Mapping[str, pd.DataFrame]) -> dict[str, Any]:
    """A manifest from the tables' identifier columns (a value only where every table agrees on one)."""
    manifest: dict[str, Any] = {"tables": {name: {"rows": len(frame)} for name, frame in tables.items()}}
    for column, key in (("run_id", "run_id"), ("scenario", "scenario_name"), ("seed", "seed")):
        values = {value for frame in tables.values() if column in frame for value in frame[column].dropna().unique()}
        if len(values) == 1:
            value = values.pop()
            manifest[key] = value.item() if hasattr(value, "item") else value
    return manifest


def as_run(source: Any) -> Run:
    """One run in memory as a :class:`Run` (``folder`` ``None``).

    Raises:
        ResultFolderError: ``source`` is not one run's results.
    """
    tables, manifest = getattr(source, "tables", None), getattr(source, "manifest", None)
    if _is_tables(tables) and isinstance(manifest, Mapping):
        return Run(folder=None, tables=dict(tables), manifest=dict(manifest))
    if _is_tables(source):
        return Run(folder=None, tables=dict(source), manifest=_manifest_of(source))
    raise ResultFolderError(f"cannot read results from a {type(source).__name__}: {_EXPECTED}")


def as_comparison(source: Any) -> tuple[ComparisonResult, list[tuple[str, Run]]] | None:
    """A comparison in memory and its runs (each named as its folder would be); ``None`` if ``source`` is none."""
    runs, summary = getattr(source, "results", None), getattr(source, "summary", None)
    if not isinstance(runs, Mapping) or not isinstance(summary, pd.DataFrame):
        return None
    scenario = getattr(source, "scenario", None)
    name = str(getattr(scenario, "name", scenario) or "")
    distance = getattr(source, "distance", None)
    distance = distance if isinstance(distance, pd.DataFrame) and len(distance) else None
    settings = getattr(source, "settings", None)
    manifest = {
        "comparison_of": name,
        "designs": list(runs),
        "design_names": list(getattr(source, "designs", [])),
        "seeds": list(getattr(source, "seeds", [])),
        "unavailable": dict(getattr(source, "unavailable", {}) or {}),
        "settings": dict(vars(settings)) if settings is not None and hasattr(settings, "__dict__") else {},
    }
    design_runs = [(str(run_name), as_run(run)) for run_name, run in runs.items()]
    comparison = ComparisonResult(None, name, tuple(runs), summary, distance, manifest)
    return comparison, design_runs


def load_memory(source: Any) -> Results:
    """One run or one comparison in memory as :class:`Results` (``kind`` ``"run"`` or ``"compare"``).

    Raises:
        ResultFolderError: ``source`` holds no results.
    """
    compared = as_comparison(source)
    if compared is not None:
        comparison, design_runs = compared
        runs = [run for _, run in design_runs]
        values = [{"design": design} for design, _ in design_runs]
        return _combine(None, "compare", runs, values, comparisons=(comparison,))
    run = as_run(source)
    return _combine(None, "run", [run], [_sweep_parameters(run.manifest)])
