"""The ``qnetsim`` Typer app and what its subcommands share: consoles, exit codes, options, error handling.

Every subcommand module (``scenarios.cli_*``) imports what it needs from here;
:mod:`scenarios.cli` registers their commands on :data:`app` (in the order
``--help`` lists them) and holds the console-script entry point. Nothing here
imports a subcommand, so subcommands and the app have no import cycle.

Exit codes: 0 ok, 1 the run failed, 2 bad input (scenario, arguments, output
folder), 130 interrupted. Bad input gets one line per problem on stderr; a
traceback only with ``--debug``.
"""

import logging
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

from qnetsim.core.errors import ConfigError, QNetSimError
from scenarios.errors import ScenarioError

if TYPE_CHECKING:
    from scenarios.schema import Scenario

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

app = typer.Typer(
    name="qnetsim",
    help="Quantum network simulation on SeQUeNCe: run scenarios, get tidy tables.",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
# Piped output gets a wide console so summary tables are not squeezed to 80 columns.
stdout = Console() if sys.stdout.isatty() else Console(width=140)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

DEBUG_HINT = "(run with --debug for a traceback)"

DebugOption = Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")]
AllowLargeOption = Annotated[
    bool,
    typer.Option("--allow-large", help="Run even if the estimated memory or events exceed the budget."),
]
MemoryBudgetOption = Annotated[
    float | None,
    typer.Option("--memory-budget-gb", help="Memory a run may use (default: half of this machine's memory)."),
]


def report_error(error: BaseException, hint: str = "") -> None:
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
    report_error(error, "" if debug else hint)
    raise typer.Exit(exit_code) from None


@contextmanager
def reported_errors(debug: bool) -> Iterator[None]:
    """Turn the project's errors into one-line messages and exit codes."""
    try:
        yield
    except ConfigError as error:
        _fail(error, EXIT_BAD_INPUT, debug)
    except QNetSimError as error:
        _fail(error, EXIT_FAILED, debug, DEBUG_HINT)
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
        _fail(error, EXIT_FAILED, debug, DEBUG_HINT)


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


def configure_logging(debug: bool) -> None:
    """Warnings and errors on stderr; with ``--debug`` also the project's debug logs."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if debug:
        for name in ("qtn", "qkdn", "scenarios"):
            logging.getLogger(name).setLevel(logging.DEBUG)


def with_overrides(scenario: "Scenario", seed: int | None, duration_s: float | None, source: str) -> "Scenario":
    """``scenario`` with the command line's ``--seed`` and ``--duration-s``, validated again."""
    from scenarios import overrides  # the loader and schema: only when a command reads a scenario

    return overrides.with_overrides(scenario, seed, duration_s, source, overrides.option_name)


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
