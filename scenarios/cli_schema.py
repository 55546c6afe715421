"""``qnetsim schema``: the scenario file reference (Markdown) or its JSON Schema, from the schema itself."""

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from qtn.errors import ConfigError

FORMATS = ("markdown", "json")


def schema(
    output_format: Annotated[
        str, typer.Option("--format", help="markdown (the reference in docs/) or json (JSON Schema for editors).")
    ] = "markdown",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Print the scenario file reference (every key, type, default and range), generated from the schema."""
    from scenarios.cli import reported_errors

    with reported_errors(debug):
        if output_format not in FORMATS:
            raise ConfigError(f"--format: must be one of {', '.join(FORMATS)}; got {output_format!r}")
        if output_format == "json":
            from scenarios.schema import Scenario

            text = json.dumps(Scenario.model_json_schema(), indent=2) + "\n"
        else:
            from scenarios.schema_docs import schema_markdown

            text = schema_markdown()
        if output is None:
            sys.stdout.write(text)
        else:
            if output.parent and not output.parent.is_dir():
                raise ConfigError(f"--output: folder {str(output.parent)!r} does not exist")
            output.write_text(text)
            print(f"wrote {output}", file=sys.stderr)
