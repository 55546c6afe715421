"""``qnetsim run``: run a scenario and write its tables and manifest to a folder, with a summary."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from scenarios.cli_app import (
    AllowLargeOption,
    DebugOption,
    MemoryBudgetOption,
    configure_logging,
    reported_errors,
    stdout,
    with_overrides,
)
from scenarios.cli_types import integer, number

if TYPE_CHECKING:
    from scenarios.results import Results


def run(
    scenario: Annotated[
        str | None,
        typer.Argument(help="Scenario file or built-in name (default: the built-in default scenario)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Result folder (default: results/<scenario name>).")
    ] = None,
    seed: Annotated[int | None, typer.Option(parser=integer, help="Override the scenario's seed.")] = None,
    duration_s: Annotated[
        float | None, typer.Option("--duration-s", parser=number, help="Override the simulated duration.")
    ] = None,
    progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="Progress bar (default: on a terminal).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the result folder.")] = False,
    allow_large: AllowLargeOption = False,
    memory_budget_gb: MemoryBudgetOption = None,
    debug: DebugOption = False,
) -> None:
    """Run a scenario and write its tables (Parquet) and manifest to a folder."""
    configure_logging(debug)
    with reported_errors(debug):
        from scenarios import library
        from scenarios.budget import budget_from_options, check_budget  # the scenario checks: only when running
        from scenarios.loader import load
        from scenarios.results import check_output_folder

        budget = budget_from_options(allow_large, memory_budget_gb)
        name = scenario or library.DEFAULT
        loaded = with_overrides(load(name), seed, duration_s, name)
        target = output if output is not None else Path("results") / loaded.name
        check_output_folder(target)  # refuse a bad folder before a long run, not after
        check_budget(loaded, budget, name)  # and a run that cannot fit in memory or time
        from scenarios.runner import run as run_scenario  # imports SeQUeNCe: only when running

        results = run_scenario(loaded, progress=progress)
        written = results.write(target)
        if quiet:
            stdout.print(str(written), markup=False, highlight=False)
        else:
            _print_summary(results, written)


def _print_summary(results: "Results", folder: Path) -> None:
    from rich.table import Table

    from scenarios.summary import (
        kaas_summary,
        key_request_summary,
        request_summary,
        segment_summary,
        service_summary,
        teleportation_summary,
    )

    manifest = results.manifest
    stdout.print(
        f"[bold]{results.scenario.name}[/bold]  seed {manifest['seed']}  "
        f"{manifest['simulated_time_s']:g} s simulated in {manifest['wall_time_s']:.1f} s wall "
        f"({manifest['events_executed']:,} events)"
    )
    summaries = (
        request_summary(results.tables),
        teleportation_summary(results.tables),
        key_request_summary(results.tables),
        segment_summary(results.tables),
        service_summary(results.tables),
        kaas_summary(results.tables),
    )
    for summary in summaries:
        if summary is not None and len(summary):
            table = Table(show_edge=False)
            for column in summary.columns:
                table.add_column(column, justify="left" if summary[column].dtype == object else "right")
            for row in summary.itertuples(index=False):
                table.add_row(*(str(value) for value in row))
            stdout.print(table)
    files = ", ".join(sorted(p.name for p in folder.iterdir()))
    print(f"Results in {folder}/ ({files})")
    first = next((name for name, frame in results.tables.items() if len(frame)), None)
    if first is not None:
        print(f"Load with pandas: pd.read_parquet('{folder}/{first}.parquet')")
