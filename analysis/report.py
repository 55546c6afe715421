"""``write_report``: a self-contained HTML or Markdown report of a run, a sweep or several runs.

The report folder holds the report (``report.html`` or ``report.md``), its
figures (``figures/*.png``) and ``report.json`` (what was reported, and the
``qnetsim_result`` marker that lets a later report replace this one), nothing
fetched from the network, so it can be zipped, mailed or committed as is. It is
written to a hidden sibling and swapped in whole (:mod:`analysis.outputs`); a
folder that is not a report qnetsim wrote is never replaced. It shows the figures and summaries that fit
the tables present (see :mod:`analysis.report_sections`) and the provenance of
every run (scenario, seed, parameters, package versions, wall time).
"""

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.errors import AnalysisError, OutputFolderError
from analysis.load import Results, load
from analysis.outputs import check_target, files_in, result_marker
from analysis.report_compare import comparison_section
from analysis.report_render import CodeBlock, Section, TableBlock, Text, render_html, render_markdown
from analysis.report_sections import SECTIONS, ReportContext
from analysis.staging import staged_folder

REPORT_FILES = {"html": "report.html", "markdown": "report.md"}
RECORD_FILE = "report.json"
FIGURE_FOLDER = "figures"
MAX_RUN_ROWS = 200

#: The report's output folder cannot be used (the error every output folder check raises).
ReportFolderError = OutputFolderError


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
        out_path: the report folder (created; a report qnetsim wrote there before is replaced).
        format: ``"html"`` or ``"markdown"``.
        reference: analytic key-rate curves to draw under the simulated key rate
            against distance (columns of ``qnetsim keyrate --format csv``).
        level: confidence level of the intervals over seeds.

    Raises:
        ResultFolderError: ``source`` holds no readable results.
        ReportFolderError: ``out_path`` is a file, a link to nothing, cannot be written, or
            a non-empty folder that is not a report qnetsim wrote (checked before reading ``source``).
        AnalysisError: a bad ``format``, ``level`` or ``reference``.
    """
    if format not in REPORT_FILES:
        raise AnalysisError(f"format: must be one of {', '.join(REPORT_FILES)}; got {format!r}")
    if not 0.0 < level < 1.0:
        raise AnalysisError(f"level: must be between 0 and 1; got {level!r}")
    check_target(out_path, "report", "report folder")
    results = source if isinstance(source, Results) else load(source)
    with staged_folder(out_path, "report", "report folder") as folder:
        context = ReportContext(results, folder / FIGURE_FOLDER, f"{FIGURE_FOLDER}/", level, reference)
        sections = [overview_section(results)]
        if (compared := comparison_section(context)) is not None:
            sections.append(compared)
        sections += [section for build in SECTIONS if (section := build(context)) is not None]
        sections.append(provenance_section(results))
        title = f"qnetsim report: {', '.join(_scenario_names(results))}"
        text = render_html(title, sections) if format == "html" else render_markdown(title, sections)
        (folder / REPORT_FILES[format]).write_text(text, encoding="utf-8")
        record = {
            "source": str(results.folder.resolve()),
            "format": format,
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "qnetsim_result": result_marker("report", [*files_in(folder), RECORD_FILE]),
        }
        (folder / RECORD_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return Path(out_path) / REPORT_FILES[format]


def _scenario_names(results: Results) -> list[str]:
    """The scenarios reported on, in order of appearance (of the runs, then of the comparisons)."""
    names = [str(name) for name in results.runs.get("scenario", pd.Series(dtype=object)).dropna().unique()]
    names += [c.scenario for c in results.comparisons if c.scenario not in names]
    return names or ["(no runs)"]


def overview_section(results: Results) -> Section:
    """What was loaded: the kind of folder, runs, parameters, missing sweep points, tables."""
    n_runs = len(results.runs)
    kinds = {
        "run": "one run",
        "sweep": f"a sweep: {n_runs} completed point{'s' * (n_runs != 1)}",
        "compare": f"a comparison of designs: {n_runs} run{'s' * (n_runs != 1)}",
        "runs": f"{n_runs} runs",
    }
    n_compared = len(results.comparisons)
    also = (
        f", {n_compared} comparison{'s' * (n_compared != 1)} of designs"
        if results.kind == "runs" and n_compared
        else ""
    )
    blocks: list[Any] = [Text(f"Source: {results.folder.resolve()} ({kinds[results.kind]}{also}).")]
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
