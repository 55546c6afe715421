"""``qnetsim report``: an HTML or Markdown report (with figures) of a run, a sweep or a folder of runs."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from qnetsim.core.errors import ConfigError
from scenarios.cli_app import reported_errors
from scenarios.cli_types import number

FORMATS = ("html", "markdown")


def report(
    path: Annotated[Path, typer.Argument(help="Result folder, sweep folder, or a folder of result folders.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Report folder (default: PATH-report next to PATH).")
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="html or markdown.")] = "html",
    reference: Annotated[
        Path | None,
        typer.Option(
            "--reference",
            help="CSV of analytic key rates (qnetsim keyrate --format csv) drawn under the key rate vs distance.",
        ),
    ] = None,
    level: Annotated[
        float, typer.Option("--level", parser=number, help="Confidence level of intervals over seeds.")
    ] = 0.95,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Write a report (summaries with confidence intervals over seeds, figures, provenance) of result files."""
    with reported_errors(debug):
        if output_format not in FORMATS:
            raise ConfigError(f"--format: must be one of {', '.join(FORMATS)}; got {output_format!r}")
        from analysis.errors import AnalysisError  # imports matplotlib: only when reporting
        from analysis.report import write_report

        target = output if output is not None else path.parent / f"{path.resolve().name}-report"
        try:
            curves = _read_reference(reference) if reference is not None else None
            written = write_report(path, target, output_format, reference=curves, level=level)
        except AnalysisError as error:  # unreadable results, unusable output folder, bad options
            raise ConfigError(str(error)) from error
        print(f"wrote {written}", file=sys.stderr)


def _read_reference(path: Path):  # type: ignore[no-untyped-def]
    import pandas as pd

    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as error:
        raise ConfigError(f"--reference {path}: cannot read a CSV ({error})") from None
    missing = {"protocol", "distance_km", "key_rate_bps"} - set(table.columns)
    if missing:
        raise ConfigError(
            f"--reference {path}: lacks columns {sorted(missing)} (expected qnetsim keyrate --format csv)"
        )
    return table
