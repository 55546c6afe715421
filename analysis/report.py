"""``write_report``: a self-contained HTML or Markdown report of a run, a sweep or several runs.

The report folder holds the report (``report.html`` or ``report.md``) and its
figures (``figures/*.png``), nothing fetched from the network, so it can be
zipped, mailed or committed as is. It shows the figures and summaries that fit
the tables present (see :mod:`analysis.report_sections`) and the provenance of
every run (scenario, seed, parameters, package versions, wall time).
"""

import json
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.errors import AnalysisError
from analysis.load import Results, load
from analysis.report_render import CodeBlock, Section, TableBlock, Text, render_html, render_markdown
from analysis.report_sections import SECTIONS, ReportContext

REPORT_FILES = {"html": "report.html", "markdown": "report.md"}
FIGURE_FOLDER = "figures"
MAX_RUN_ROWS = 200


class ReportFolderError(AnalysisError):
    """The report's output folder cannot be used."""


def write_report(
    source: str | Path | Results,
    out_path: str | Path,
    format: str = "html",  # noqa: A002 - the word users type (--format)
    *,
    reference: pd.DataFrame | None = None,
    level: float = 0.95,
) -> Path:
    """Write a report of ``source`` into the folder ``out_path``; return the report file's path.

    Args:
        source: a run folder, a sweep folder, a folder of run folders, or loaded :class:`Results`.
        out_path: the report folder (created; a previous report in it is replaced).
        format: ``"html"`` or ``"markdown"``.
        reference: analytic key-rate curves to draw under the simulated key rate
            against distance (columns of ``qnetsim keyrate --format csv``).
        level: confidence level of the intervals over seeds.

    Raises:
        ResultFolderError: ``source`` holds no readable results.
        ReportFolderError: ``out_path`` is a file, or a non-empty folder that holds no report.
        AnalysisError: a bad ``format``, ``level`` or ``reference``.
    """
    if format not in REPORT_FILES:
        raise AnalysisError(f"format: must be one of {', '.join(REPORT_FILES)}; got {format!r}")
    if not 0.0 < level < 1.0:
        raise AnalysisError(f"level: must be between 0 and 1; got {level!r}")
    results = source if isinstance(source, Results) else load(source)
    folder = _prepare_folder(Path(out_path))
    context = ReportContext(results, folder / FIGURE_FOLDER, f"{FIGURE_FOLDER}/", level, reference)
    sections = [overview_section(results)]
    sections += [section for build in SECTIONS if (section := build(context)) is not None]
    sections.append(provenance_section(results))
    title = f"qnetsim report: {', '.join(results.runs['scenario'].astype(str).unique())}"
    text = render_html(title, sections) if format == "html" else render_markdown(title, sections)
    path = folder / REPORT_FILES[format]
    _write_atomically(path, text)
    return path


def _prepare_folder(folder: Path) -> Path:
    """Create ``folder`` or clear the figures of an earlier report in it."""
    if folder.exists() and not folder.is_dir():
        raise ReportFolderError(f"report folder {folder} exists and is not a folder")
    if (
        folder.is_dir()
        and any(folder.iterdir())
        and not any((folder / name).is_file() for name in REPORT_FILES.values())
    ):
        raise ReportFolderError(
            f"report folder {folder} exists, is not empty and holds no report; choose another folder"
        )
    (folder / FIGURE_FOLDER).mkdir(parents=True, exist_ok=True)
    for old in (folder / FIGURE_FOLDER).glob("*.png"):
        old.unlink()
    return folder


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def overview_section(results: Results) -> Section:
    """What was loaded: the kind of folder, runs, parameters, missing sweep points, tables."""
    n_runs = len(results.runs)
    kinds = {
        "run": "one run",
        "sweep": f"a sweep: {n_runs} completed point{'s' * (n_runs != 1)}",
        "runs": f"{n_runs} runs",
    }
    blocks: list[Any] = [Text(f"Source: {results.folder.resolve()} ({kinds[results.kind]}).")]
    if results.parameters:
        values = "; ".join(f"{name} = {_listed(results.runs[name])}" for name in results.parameters)
        blocks.append(
            Text(f"Parameters: {values}. Seeds: {', '.join(map(str, sorted(results.runs['seed'].unique())))}.")
        )
    if results.missing_points:
        blocks.append(Text(f"Sweep points without results (left out): {', '.join(results.missing_points)}."))
    counts = pd.DataFrame(
        [
            {"table": name, "rows": len(frame), "runs with rows": frame["run_id"].nunique() if "run_id" in frame else 0}
            for name, frame in results.tables.items()
        ]
    )
    blocks.append(TableBlock("Tables loaded.", counts))
    return Section("Overview", blocks)


def _listed(column: pd.Series) -> str:
    """The distinct values of a parameter, in order (numbers numerically)."""
    values = list(column.dropna().unique())
    try:
        values.sort()
    except TypeError:  # mixed types
        values.sort(key=str)
    return ", ".join(str(value) for value in values)


def provenance_section(results: Results) -> Section:
    """Every run's identity and cost, the package versions, the sweep definition and the scenario as run."""
    runs = results.runs.drop(columns=["folder"], errors="ignore")
    caption = "Runs." if len(runs) <= MAX_RUN_ROWS else f"Runs (the first {MAX_RUN_ROWS} of {len(runs)})."
    blocks: list[Any] = [TableBlock(caption, runs.head(MAX_RUN_ROWS))]
    packages = pd.DataFrame(
        [{**manifest.get("packages", {}), "python": manifest.get("python")} for manifest in results.manifests]
    ).drop_duplicates()
    blocks.append(TableBlock("Package versions" + (" (runs differ)" if len(packages) > 1 else "") + ".", packages))
    platforms = sorted({str(manifest.get("platform")) for manifest in results.manifests})
    blocks.append(Text(f"Platform: {'; '.join(platforms)}."))
    if results.sweep is not None:
        definition = {key: value for key, value in results.sweep.items() if key != "points"}
        points = results.sweep.get("points")
        if isinstance(points, list):
            statuses = Counter(str(point.get("status")) for point in points if isinstance(point, dict))
            blocks.append(
                Text(f"Sweep points: {', '.join(f'{n} {status}' for status, n in sorted(statuses.items()))}.")
            )
        blocks.append(CodeBlock("Sweep definition (sweep.json without its points)", json.dumps(definition, indent=2)))
    first = results.manifests[0]
    caption = f"Scenario as run ({first.get('scenario_name')}, run {first.get('run_id')}"
    caption += ", the first of the runs)" if len(results.manifests) > 1 else ")"
    blocks.append(CodeBlock(caption, json.dumps(first.get("scenario", {}), indent=2)))
    return Section("Provenance", blocks)
