"""``import qnetsim`` stays light, and a local file named like a layer is refused, never imported.

The checks run Python in a fresh process whose working directory holds the shadowing
file, as a notebook or ``python -m`` would: the working directory first on ``sys.path``.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import qnetsim
from qnetsim import shadowing

FAKE = 'raise SystemExit("the local {name} ran")\n'


def _python(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONSAFEPATH")}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_import_loads_no_layer_and_lists_the_entry_points(tmp_path):
    code = (
        "import sys, qnetsim\n"
        "print(sorted(m for m in ('qtn', 'qkdn', 'scenarios', 'analysis', 'sequence') if m in sys.modules))\n"
        "print(sorted(set(qnetsim.__all__) & set(dir(qnetsim))))\n"
    )
    done = _python(tmp_path, "-c", code)
    assert done.returncode == 0, done.stderr
    loaded, listed = done.stdout.splitlines()
    assert loaded == "[]"
    assert listed == "['__version__', 'compare', 'from_dict', 'load', 'run', 'sweep']"


def test_an_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'runn'"):
        qnetsim.runn  # noqa: B018


@pytest.mark.parametrize("layout", ["module", "package"])
def test_a_local_analysis_is_named_with_the_fix_and_never_run(tmp_path, layout):
    if layout == "module":
        shadow = tmp_path / "analysis.py"
        shadow.write_text(FAKE.format(name="analysis.py"))
    else:
        shadow = tmp_path / "analysis"
        shadow.mkdir()
        (shadow / "__init__.py").write_text(FAKE.format(name="analysis package"))
    done = _python(tmp_path, "-c", "import qnetsim\nqnetsim.run")
    assert done.returncode == 1
    assert "the local" not in done.stdout + done.stderr  # found, not imported
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: qnetsim cannot import its layers")
    # As docs/python-api.md quotes it:
    assert f"'analysis' would be imported from {shadow.resolve()} instead of {shadowing.home() / 'analysis'}" in last
    assert "A local file or folder with a package's name shadows it when its folder is on sys.path (" in last
    assert f"Fix: rename or move {shadow.resolve()} (or start Python in another folder), then restart" in last
    assert last.endswith("then restart the interpreter or kernel.")


def test_a_local_folder_without_init_does_not_shadow(tmp_path):
    (tmp_path / "scenarios").mkdir()  # a namespace portion: the installed package still wins
    done = _python(tmp_path, "-c", "from qnetsim.shadowing import check_layers; check_layers(); print('ok')")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_python_m_qnetsim_ignores_local_files_named_like_the_layers(tmp_path):
    (tmp_path / "analysis.py").write_text(FAKE.format(name="analysis.py"))
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "__init__.py").write_text(FAKE.format(name="scenarios package"))
    done = _python(tmp_path, "-m", "qnetsim", "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"qnetsim {qnetsim.__version__}")
    # The same folder with plain ``python -c``: the shadowing is found and explained instead.
    refused = _python(tmp_path, "-c", "import qnetsim; qnetsim.load")
    assert "'scenarios' would be imported from" in refused.stderr
    assert "'analysis' would be imported from" in refused.stderr


def test_drop_working_directory_removes_only_the_entry_python_m_adds(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [str(tmp_path), "/elsewhere", str(tmp_path)])
    shadowing.drop_working_directory()
    assert sys.path == ["/elsewhere", str(tmp_path)]
    shadowing.drop_working_directory()  # the first entry is not the working directory: kept
    assert sys.path == ["/elsewhere", str(tmp_path)]


def test_drop_working_directory_keeps_the_source_tree_itself(monkeypatch):
    monkeypatch.chdir(shadowing.home())
    monkeypatch.setattr(sys, "path", ["", "/elsewhere"])
    shadowing.drop_working_directory()
    assert sys.path == ["", "/elsewhere"]
