"""The ``qnetsim`` command line: every subcommand registered on the app of :mod:`scenarios.cli_app`.

The subcommands live in ``scenarios.cli_*`` modules and import only
:mod:`scenarios.cli_app` (the app, consoles, exit codes, shared options and
error handling); this module assembles them, in the order ``qnetsim --help``
lists them.
"""

from scenarios.cli_app import app
from scenarios.cli_compare import compare
from scenarios.cli_export import export
from scenarios.cli_keyrate import keyrate
from scenarios.cli_report import report
from scenarios.cli_run import run
from scenarios.cli_scenarios import list_scenarios, show, validate
from scenarios.cli_schema import schema
from scenarios.cli_serve import serve
from scenarios.cli_sweep import sweep

__all__ = ["app", "main"]

app.command("run")(run)
app.command("validate")(validate)
app.command("list")(list_scenarios)
app.command("show")(show)
app.command("keyrate")(keyrate)
app.command("report")(report)
app.command("compare")(compare)
app.command("schema")(schema)
app.command("sweep")(sweep)
app.command("serve")(serve)
app.command("export")(export)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="qnetsim")
