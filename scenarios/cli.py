"""The ``qnetsim`` command line.

Exit codes: 0 ok, 1 the run failed, 2 bad input (scenario, arguments, output
folder). Bad input gets one line per problem on stderr; a traceback only with
``--debug``.
"""

import logging
import os
import sys
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from qnetsim.core.errors import ConfigError, QNetSimError
from scenarios import library
from scenarios.cli_compare import compare
from scenarios.cli_keyrate import keyrate
from scenarios.cli_report import report
from scenarios.cli_schema import schema
from scenarios.cli_sweep import sweep
from scenarios.cli_types import integer, number
from scenarios.errors import ScenarioError
from scenarios.loader import from_dict, load, load_checked
from scenarios.results import Results, check_output_folder
from scenarios.role_checks import role_warnings
from scenarios.schema import Scenario
from scenarios.summary import (
    kaas_summary,
    key_request_summary,
    request_summary,
    segment_summary,
    service_summary,
    teleportation_summary,
)

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

app = typer.Typer(
    name="qnetsim",
    help="Quantum network simulation on SeQUeNCe: run scenarios, get tidy tables.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
# Piped output gets a wide console so summary tables are not squeezed to 80 columns.
stdout = Console() if sys.stdout.isatty() else Console(width=140)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

_DEBUG_HINT = "(run with --debug for a traceback)"

DebugOption = Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")]
AllowLargeOption = Annotated[
    bool,
    typer.Option("--allow-large", help="Run even if the estimated memory or events exceed the budget."),
]
MemoryBudgetOption = Annotated[
    float | None,
    typer.Option("--memory-budget-gb", help="Memory a run may use (default: half of this machine's memory)."),
]


def _report(error: BaseException, hint: str = "") -> None:
    """Bad input or a failed run as one line per problem on stderr (``hint`` ends the line)."""
    suffix = f" {hint}" if hint else ""
    if isinstance(error, ScenarioError):
        where = f"{error.source}: " if error.source else ""
        lines = [f"{where}{problem}" for problem in error.problems]
    elif isinstance(error, QNetSimError):
        lines = [str(error)]
    else:
        lines = [f"{type(error).__name__}: {error}"]
    for line in lines:
        stderr.print(f"error: {line}{suffix}", markup=False)


def _fail(error: BaseException, exit_code: int, debug: bool, hint: str = "") -> NoReturn:
    """Report ``error`` (with its traceback under ``--debug``) and exit with ``exit_code``."""
    if debug:
        traceback.print_exception(error)
    _report(error, "" if debug else hint)
    raise typer.Exit(exit_code) from None


@contextmanager
def reported_errors(debug: bool) -> Iterator[None]:
    """Turn the project's errors into one-line messages and exit codes."""
    try:
        yield
    except ConfigError as error:
        _fail(error, EXIT_BAD_INPUT, debug)
    except QNetSimError as error:
        _fail(error, EXIT_FAILED, debug, _DEBUG_HINT)
    except BrokenPipeError:
        # The reader of our output went away (``| head``): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(EXIT_OK) from None
    except KeyboardInterrupt:
        stderr.print("interrupted; nothing was written", markup=False)
        exit_at_once(EXIT_INTERRUPTED)
    except (typer.Exit, typer.Abort):
        raise
    except Exception as error:  # an unexpected failure is a failed run, not bad input
        _fail(error, EXIT_FAILED, debug, _DEBUG_HINT)


def exit_at_once(code: int) -> NoReturn:
    """Flush our output and end the process now, without freeing the run's objects one by one.

    After Ctrl-C the interpreter would otherwise free every object of the
    interrupted run before exiting: for a run that built millions of objects
    that took longer than the run had (9 s after the message for 10^9 memories
    refused by no budget). Files are already closed or removed by then (result
    folders are written atomically), so nothing is lost by skipping it.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass  # a closed pipe: nothing more to say
    os._exit(code)


def _configure_logging(debug: bool) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if debug:
        for name in ("qtn", "qkdn", "scenarios"):
            logging.getLogger(name).setLevel(logging.DEBUG)


def _with_overrides(scenario: Scenario, seed: int | None, duration_s: float | None, source: str) -> Scenario:
    """``scenario`` with the command line's ``--seed`` and ``--duration-s``, validated again."""
    overrides = {field: value for field, value in (("seed", seed), ("duration_s", duration_s)) if value is not None}
    if not overrides:
        return scenario
    data = scenario.model_dump(mode="json", exclude_unset=True) | overrides
    try:
        return from_dict(data, source)
    except ScenarioError as error:
        problems = [_name_option(problem, overrides) for problem in error.problems]
        raise ScenarioError(problems, source) from None


def _name_option(problem: str, overrides: Mapping[str, object]) -> str:
    """``seed: must be >= 0; got -1`` -> ``seed (from --seed): ...`` when the seed came from the command line."""
    field, separator, rest = problem.partition(": ")
    if separator and field in overrides:
        return f"{field} (from --{field.replace('_', '-')}): {rest}"
    return problem


@app.command()
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
    _configure_logging(debug)
    with reported_errors(debug):
        from scenarios.budget import budget_from_options, check_budget  # imports the simulator: only when needed

        budget = budget_from_options(allow_large, memory_budget_gb)
        name = scenario or library.DEFAULT
        loaded = _with_overrides(load(name), seed, duration_s, name)
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


def _print_summary(results: Results, folder: Path) -> None:
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


@app.command()
def validate(
    files: Annotated[list[str], typer.Argument(help="Scenario files or built-in names.")],
    debug: DebugOption = False,
) -> None:
    """Check scenario files; report every problem with its field path and value.

    Requests that the node roles leave without any path are valid but get a
    warning: the run refuses them, with the reason in their table row.
    """
    from scenarios.budget import Budget, budget_problems, estimate

    _configure_logging(debug)
    n_bad = 0
    for name in files:
        try:
            scenario, topology = load_checked(name)
        except ConfigError as error:
            if debug:
                traceback.print_exception(error)
            _report(error)
            n_bad += 1
            continue
        cost = estimate(scenario, topology)
        stdout.print(
            f"ok: {name} ({len(topology.nodes)} nodes, {len(topology.links)} links, "
            f"{len(scenario.traffic)} traffic items, {scenario.duration_s:g} s)",
            markup=False,
            highlight=False,
        )
        stdout.print(f"  estimated cost: {cost.summary()}", markup=False, highlight=False)
        for problem in budget_problems(cost, Budget.default()):
            stderr.print(f"warning: {name}: {problem}", markup=False)
        for warning in role_warnings(scenario, topology):
            stdout.print(f"warning: {name}: {warning}", markup=False, highlight=False, soft_wrap=True)
    if n_bad:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command("list")
def list_scenarios() -> None:
    """List the scenarios shipped with the package."""
    table = Table(show_edge=False)
    table.add_column("name")
    table.add_column("description")
    for name in library.names():
        marker = " (default)" if name == library.DEFAULT else ""
        table.add_row(name + marker, library.describe(name).split(". ")[0].rstrip(".") + ".")
    stdout.print(table)


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="Built-in scenario name.")],
    debug: DebugOption = False,
) -> None:
    """Print a built-in scenario's YAML (a starting point for your own)."""
    with reported_errors(debug):
        if name not in library.names():
            raise ConfigError(f"no built-in scenario called {name!r}{library.suggest(name)}")
        sys.stdout.write(library.path(name).read_text(encoding="utf-8"))


app.command("keyrate")(keyrate)
app.command("report")(report)
app.command("compare")(compare)
app.command("schema")(schema)
app.command("sweep")(sweep)


def _version_callback(value: bool) -> None:
    if value:
        from importlib.metadata import version

        stdout.print(f"qnetsim {version('qnetsim')} (sequence {version('sequence')})")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Show versions.")
    ] = False,
) -> None:
    """Quantum network simulation on SeQUeNCe: run scenarios, get tidy tables."""


def main() -> None:
    """Console-script entry point."""
    app(prog_name="qnetsim")
