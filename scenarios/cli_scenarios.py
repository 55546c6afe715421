"""``qnetsim validate``, ``list`` and ``show``: check scenario files, list and print the built-in ones."""

import sys
import traceback
from typing import Annotated

import typer
from rich.table import Table

from qnetsim.core.errors import ConfigError
from scenarios import library
from scenarios.cli_app import (
    EXIT_BAD_INPUT,
    DebugOption,
    configure_logging,
    report_error,
    reported_errors,
    stderr,
    stdout,
)


def validate(
    files: Annotated[list[str], typer.Argument(help="Scenario files or built-in names.")],
    debug: DebugOption = False,
) -> None:
    """Check scenario files; report every problem with its field path and value.

    Requests that the node roles leave without any path are valid but get a
    warning: the run refuses them, with the reason in their table row.
    """
    from scenarios.budget import Budget, budget_problems, estimate
    from scenarios.loader import load_checked
    from scenarios.role_checks import role_warnings

    configure_logging(debug)
    n_bad = 0
    for name in files:
        try:
            scenario, topology = load_checked(name)
        except ConfigError as error:
            if debug:
                traceback.print_exception(error)
            report_error(error)
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


def list_scenarios() -> None:
    """List the scenarios shipped with the package."""
    table = Table(show_edge=False)
    table.add_column("name")
    table.add_column("description")
    for name in library.names():
        marker = " (default)" if name == library.DEFAULT else ""
        table.add_row(name + marker, library.describe(name).split(". ")[0].rstrip(".") + ".")
    stdout.print(table)


def show(
    name: Annotated[str, typer.Argument(help="Built-in scenario name.")],
    debug: DebugOption = False,
) -> None:
    """Print a built-in scenario's YAML (a starting point for your own)."""
    with reported_errors(debug):
        if name not in library.names():
            raise ConfigError(f"no built-in scenario called {name!r}{library.suggest(name)}")
        sys.stdout.write(library.text(name))
