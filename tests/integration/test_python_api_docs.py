"""The examples of docs/python-api.md run and print what the page shows.

The page's ``>>>`` examples are run as doctests, section by section (``## `` headings),
in one namespace, in a temporary working directory. The sweep and the comparison start
worker processes and several runs: those sections run in the slow test; the default
test runs the others.
"""

import doctest
import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "python-api.md"
SLOW_SECTIONS = ("A sweep", "Repeaters or trusted relays")
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _sections() -> list[tuple[str, str, int]]:
    """(heading, text, first line number) of every ``## `` section of the page."""
    text = PAGE.read_text(encoding="utf-8")
    starts = [match.start() for match in re.finditer(r"^## ", text, flags=re.MULTILINE)]
    sections = []
    for start, end in zip(starts, [*starts[1:], len(text)], strict=True):
        body = text[start:end]
        sections.append((body.splitlines()[0].removeprefix("## "), body, text.count("\n", 0, start)))
    return sections


def _run_sections(names: set[str] | None) -> int:
    """Run the examples of the sections named (all when ``None``); return how many examples ran."""
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    namespace: dict[str, object] = {}
    n_examples = 0
    for heading, body, line in _sections():
        if names is not None and heading not in names:
            continue
        test = parser.get_doctest(body, namespace, f"python-api.md: {heading}", str(PAGE), line)
        n_examples += len(test.examples)
        runner.run(test, clear_globs=False)
        namespace.update(test.globs)  # the next section goes on from here
    failed, _ = runner.summarize(verbose=False)
    assert failed == 0, f"{failed} example(s) of {PAGE.name} print something else (see above)"
    return n_examples


def test_the_slow_sections_exist():
    assert {heading for heading, _, _ in _sections()} >= set(SLOW_SECTIONS)


def test_the_examples_print_what_the_page_shows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fast = {heading for heading, _, _ in _sections()} - set(SLOW_SECTIONS)
    assert _run_sections(fast) >= 10


@pytest.mark.slow
def test_every_example_prints_what_the_page_shows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _run_sections(None) >= 15
