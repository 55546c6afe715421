"""The scenario reference is generated from the schema and the committed copy is current."""

import json
from pathlib import Path

from typer.testing import CliRunner

from scenarios.cli import app
from scenarios.schema import Scenario
from scenarios.schema_docs import schema_markdown

DOC = Path(__file__).resolve().parents[3] / "docs" / "scenario-schema.md"


def test_committed_reference_is_the_generated_one():
    # Regenerate with: qnetsim schema -o docs/scenario-schema.md
    assert DOC.read_text() == schema_markdown()


def test_every_key_of_every_section_is_documented():
    text = schema_markdown()
    for name in Scenario.model_fields:
        assert f"| `{name}` |" in text
    for heading in (
        "## `templates.nodes.<name>.memory`",
        "## `network.generator (kind: waxman)`",
        "## `traffic[] (kind: teleportation)`",
        "## `qkd`",
    ):
        assert heading in text
    # Types, defaults, ranges and the docstring descriptions reach the table.
    assert "| `coherence_time_s` | float or null | `1.0` | > 0, <= 1e+06 |" in text
    assert "| `duration_s` | float | **required** | > 0, <= 864000 | simulated time to run. |" in text
    assert "| `routing` | `shortest` or `key_aware` or `k_shortest` or `multipath` or `learned` | `shortest` |" in text


def test_cli_prints_markdown_and_json_schema(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["schema", "--format", "json"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "Scenario" and "network" in schema["required"]
    out = tmp_path / "schema.md"
    result = runner.invoke(app, ["schema", "-o", str(out)])
    assert result.exit_code == 0 and out.read_text() == schema_markdown()


def test_cli_rejects_bad_format_with_exit_code_2():
    result = CliRunner().invoke(app, ["schema", "--format", "xml"])
    assert result.exit_code == 2
    assert "--format" in result.output and "'xml'" in result.output


def test_cli_output_replaces_only_a_reference_it_generated(tmp_path):
    runner = CliRunner()
    generated = tmp_path / "schema.json"
    for _ in range(2):  # the second time over its own file
        result = runner.invoke(app, ["schema", "--format", "json", "-o", str(generated)])
        assert result.exit_code == 0, result.output
    mine = tmp_path / "notes.md"
    mine.write_text("# my notes\n")
    result = runner.invoke(app, ["schema", "-o", str(mine)])
    assert result.exit_code == 2
    assert result.stderr == f"error: --output {mine} exists and was not written by qnetsim; choose another name\n"
    assert mine.read_text() == "# my notes\n"
    result = runner.invoke(app, ["schema", "-o", str(tmp_path / "missing" / "schema.md")])
    assert result.exit_code == 2 and "folder" in result.stderr and "does not exist" in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.md", "schema.json"]


def test_no_key_is_left_without_a_description():
    blank = []
    for line in schema_markdown().splitlines():
        if line.startswith("## "):
            section = line[3:]
        elif line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip("|").split(" | ")]
            if not cells[-1]:
                blank.append(f"{section}: {cells[0]}")
    assert blank == []
    # Every key row has the five cells, so a blank description is an empty last cell, not a missing one.
    assert "| `frame_bits` | int | `65536` | >= 64, <= 10000000 | sifted bits per distilled block" in schema_markdown()


def test_user_facing_text_cites_papers_not_internal_documents():
    text = schema_markdown()
    for phrase in ("seed 000", "seed document", "section 5.2", "ref. ["):
        assert phrase not in text.lower(), phrase
