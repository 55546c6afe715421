"""``qnetsim export``: a scenario's resolved topology as GraphML or as a SeQUeNCe topology file."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from qnetsim.core.errors import ConfigError

FORMATS = ("graphml", "sequence-json")


def export(
    scenario: Annotated[str, typer.Argument(help="Scenario file or built-in name.", metavar="scenario")],
    output_format: Annotated[str, typer.Option("--format", help="graphml or sequence-json.")] = "graphml",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: standard output).")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Write the scenario's topology (roles, lengths, hardware) as GraphML or as SeQUeNCe RouterNetTopo JSON."""
    from scenarios.cli_app import reported_errors

    with reported_errors(debug):
        if output_format not in FORMATS:
            raise ConfigError(f"--format: must be one of {', '.join(FORMATS)}; got {output_format!r}")
        from scenarios.export import export_text, write_export

        if output is None:
            sys.stdout.write(export_text(scenario, output_format))
            return
        written = write_export(scenario, output_format, output)
        print(f"wrote {written}", file=sys.stderr)
