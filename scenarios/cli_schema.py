"""``qnetsim schema``: the scenario file reference (Markdown) or its JSON Schema, from the schema itself."""

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from qnetsim.core.errors import ConfigError
from scenarios.cli_app import reported_errors

FORMATS = ("markdown", "json")


def schema(
    output_format: Annotated[
        str, typer.Option("--format", help="markdown (the reference in docs/) or json (JSON Schema for editors).")
    ] = "markdown",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Print the scenario file reference (every key, type, default and range), generated from the schema."""
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
            from analysis.errors import OutputFolderError
            from analysis.outputs import check_file_target
            from analysis.staging import write_file_atomically

            try:  # replaces only a reference qnetsim generated, whole (one rename)
                real = check_file_target(output, "--output", ours=_generated_by_qnetsim)
            except OutputFolderError as error:
                raise ConfigError(str(error)) from None
            write_file_atomically(real, lambda path: path.write_text(text, encoding="utf-8"))
            print(f"wrote {output}", file=sys.stderr)


def _generated_by_qnetsim(path: Path) -> bool:
    """Whether ``path`` holds a reference this command wrote (the Markdown's own line, or the JSON Schema)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if "Generated from the schema by `qnetsim schema`" in text:
        return True
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("title") == "Scenario" and isinstance(data.get("$defs"), dict)
