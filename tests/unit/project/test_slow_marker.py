"""``pytest -m slow`` selects the long tests despite the ``-m 'not slow'`` in the project's addopts.

pytest puts ``addopts`` before the command line's arguments and keeps the last ``-m``, so
``python -m pytest -m slow`` runs exactly the tests marked ``slow`` and a bare ``python -m
pytest`` runs all the others. Checked with the project's own configuration (pyproject.toml)
on a two-test file, in a fresh interpreter, so it cannot pass by accident of this session's
options.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TESTS = """
import pytest


@pytest.mark.slow
def test_long():
    pass


def test_short():
    pass
"""


def _selected(tmp_path: Path, *options: str) -> set[str]:
    """Names of the tests a pytest run with the project's configuration and these options collects."""
    test_file = tmp_path / "test_two.py"
    test_file.write_text(TESTS)
    command = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path)]
    command += ["-p", "no:cacheprovider", "--collect-only", "-q", *options, str(test_file)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode in (0, 5), result.stdout + result.stderr  # 5: nothing selected
    return {line.rsplit("::", 1)[1] for line in result.stdout.splitlines() if "::" in line}


def test_project_addopts_deselect_slow_tests_by_default():
    text = (ROOT / "pyproject.toml").read_text()
    assert "-m 'not slow'" in text  # what the other two tests rely on
    assert '"slow: ' in text  # the marker is declared (--strict-markers)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ((), {"test_short"}),
        (("-m", "slow"), {"test_long"}),
    ],
)
def test_command_line_marker_expression_replaces_the_default(tmp_path, options, expected):
    assert _selected(tmp_path, *options) == expected
