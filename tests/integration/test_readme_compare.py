"""The README's main-job table is what ``qnetsim compare`` prints (regenerated in the slow test)."""

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scenarios.cli import app
from scenarios.compare_measure import METRICS

README = Path(__file__).resolve().parents[2] / "README.md"
SOURCES = {"simulated", "model", "formula on sim.", "topology", "input"}


def _quoted() -> list[str]:
    text = README.read_text()
    block = text[text.index("$ qnetsim compare\n") :]
    block = block[len("$ qnetsim compare\n") : block.index("```")]
    return block.rstrip("\n").splitlines()


def test_readme_table_has_three_designs_and_a_source_on_every_row():
    lines = _quoted()
    header = next(line for line in lines if "┃" in line)
    assert [cell.strip() for cell in header.split("┃")[1:]] == ["trusted relay", "quantum repeater", "hybrid", "source"]
    rows = [line for line in lines if "│" in line]
    labels = {label for label, _ in METRICS.values()}
    assert len(rows) >= 10
    for row in rows:
        cells = [cell.strip() for cell in row.split("│")]
        assert re.sub(r" \([^)]*\)$", "", cells[0]) in labels or cells[0] in labels, cells[0]
        assert cells[-1] in SOURCES, row
    assert not any("formula" in row.split("│")[-1] for row in rows if "capacity" in row)  # measured, not computed


@pytest.mark.slow
def test_readme_table_is_the_default_output(tmp_path):
    result = CliRunner().invoke(app, ["compare", "-o", str(tmp_path / "cmp"), "--no-progress"])
    assert result.exit_code == 0, result.output
    printed = [line.rstrip() for line in result.output.splitlines()]
    quoted = [line.rstrip() for line in _quoted()]
    end = next(i for i, line in enumerate(quoted) if line.startswith("Results in"))
    assert printed[:end] == quoted[:end]
