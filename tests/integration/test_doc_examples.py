"""The outputs quoted in README.md and docs/*.md are what the commands print today.

A quoted example is a fenced ``text`` block whose lines start with ``$ qnetsim ...``
(the lines up to the next ``$`` line are that command's output), or a ``pycon``
block (``>>>`` lines and what Python prints, as in a doctest). Every example of a
page runs in order in one empty folder, so a ``pycon`` block reads the result
folders the commands above it wrote. Wall times vary from run to run and are
compared as ``N s wall``; a line ``...`` in a quoted output stands for any lines,
and a line ending in ``...`` for any rest of the line.

Pages whose runs take minutes are checked under ``pytest -m slow``; the default suite
checks the quick ones, and that every page's examples parse.
"""

import doctest
import os
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from scenarios.cli import app

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: Commands whose quoted output another test checks (so it is not run twice).
CHECKED_ELSEWHERE = {
    ("README.md", "qnetsim compare"),  # tests/integration/test_readme_compare.py
    ("hybrid-networks.md", "qnetsim run metro-hybrid -o out/metro-hybrid"),  # tests/integration/test_hybrid.py
}
#: Pages whose examples run in a few seconds: checked in the default suite.
QUICK_PAGES = {"cli.md", "qkd-networks.md"}
_WALL = re.compile(r"\d+(?:\.\d+)? s wall")


@dataclass(frozen=True)
class Example:
    """One quoted command with its output, or one pycon block."""

    kind: str  # "command" or "pycon"
    text: str  # the command line, or the pycon block
    output: str = ""  # what the command prints


def _blocks(text: str) -> list[tuple[str, str]]:
    """(info string, body) of every fenced block of a Markdown page."""
    return re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def examples(page: Path) -> list[Example]:
    """The page's checked examples, in order."""
    found: list[Example] = []
    for info, body in _blocks(page.read_text(encoding="utf-8")):
        lines = body.rstrip("\n").splitlines()
        if info == "pycon":
            found.append(Example("pycon", body))
        elif info == "text" and lines and lines[0].startswith("$ qnetsim"):
            command, output = "", []
            for line in [*lines, "$ "]:
                if line.startswith("$ "):
                    if command and (page.name, command) not in CHECKED_ELSEWHERE:
                        found.append(Example("command", command, "\n".join(output)))
                    command, output = line[2:], []
                else:
                    output.append(line)
    return found


def _normalise(text: str) -> str:
    return "\n".join(_WALL.sub("N s wall", line.rstrip()) for line in text.strip("\n").splitlines()) + "\n"


def _check_command(example: Example) -> None:
    words = shlex.split(example.text)
    assert words[0] == "qnetsim", example.text
    result = CliRunner().invoke(app, words[1:], prog_name="qnetsim")
    want, got = _normalise(example.output), _normalise(result.output)
    checker = doctest.OutputChecker()
    assert checker.check_output(want, got, doctest.ELLIPSIS), (
        f"$ {example.text}\n--- quoted ---\n{want}--- printed (exit {result.exit_code}) ---\n{got}"
    )


def _check_pycon(example: Example, globs: dict, name: str) -> None:
    test = doctest.DocTestParser().get_doctest(example.text, globs, name, name, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    failures: list[str] = []

    def report(message: str) -> None:
        failures.append(message)

    runner.run(test, out=report, clear_globs=False)
    assert runner.failures == 0, "".join(failures)


def run_page(page: Path, folder: Path) -> int:
    """Run every example of the page in ``folder``; the number checked."""
    shutil.copytree(ROOT / "docs" / "examples", folder / "docs" / "examples")
    globs: dict = {}
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            for example in examples(page):
                if example.kind == "command":
                    _check_command(example)
                else:
                    _check_pycon(example, globs, page.name)
    finally:
        os.chdir(cwd)
    return len(examples(page))


def _pages_with_examples() -> list:
    params = []
    for page in PAGES:
        if not examples(page):
            continue
        marks = () if page.name in QUICK_PAGES else (pytest.mark.slow,)
        params.append(pytest.param(page, id=page.name, marks=marks))
    return params


@pytest.mark.parametrize("page", _pages_with_examples())
def test_quoted_outputs_are_what_the_commands_print(page, tmp_path):
    assert run_page(page, tmp_path) > 0


def test_every_page_with_runs_quotes_checkable_examples():
    quick = [page for page in PAGES if page.name in QUICK_PAGES]
    assert quick and all(examples(page) for page in quick)
    for page in PAGES:
        for example in examples(page):
            if example.kind == "command":
                shlex.split(example.text)  # a quoting mistake would stop the slow check late
            else:
                assert doctest.DocTestParser().get_examples(example.text), page.name


def test_a_drifted_output_is_caught(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```text\n$ qnetsim validate docs/examples/broken.yaml\nerror: something else\n```\n")
    with pytest.raises(AssertionError, match="something else"):
        run_page(page, tmp_path / "run")
