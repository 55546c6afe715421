"""The notebooks in examples/ run from top to bottom, on short runs (``QNETSIM_EXAMPLES_SHORT=1``).

Each notebook is executed in a fresh Jupyter kernel (``nbclient``; a kernel spec that
names ``python`` starts this interpreter), in a temporary working directory; a cell that
raises fails the test. All four run in the default suite (about 25 s together), so CI
executes every notebook.
"""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
SLOW: set[str] = set()  # none: every notebook runs in CI
#: What each notebook must show once run: a line of its results' display, and a figure.
SHOWS = {
    "01-scenario-to-figure": "qnetsim run: chain-of-four, seed 11",
    "02-sweep": "qnetsim sweep: entanglement-chain (2 runs)",
    "03-qkd-failure-recovery": "qnetsim run: qkd-mesh-recovery, seed 4, 14 s simulated",
    "04-repeaters-vs-trusted-relays": "qnetsim comparison: compare-chain, trusted_relay, quantum_repeater",
}


def test_every_notebook_is_listed_and_stored_without_outputs():
    assert {path.stem for path in NOTEBOOKS} == set(SHOWS)
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: stored with outputs"


def _outputs(notebook: object) -> list[dict]:
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]


@pytest.mark.parametrize(
    "path",
    [pytest.param(path, id=path.stem, marks=[pytest.mark.slow] if path.stem in SLOW else []) for path in NOTEBOOKS],
)
def test_the_notebook_runs_on_short_durations(path, tmp_path, monkeypatch):
    monkeypatch.setenv("QNETSIM_EXAMPLES_SHORT", "1")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    outputs = _outputs(notebook)
    html = [output["data"]["text/html"] for output in outputs if "text/html" in output.get("data", {})]
    assert any(SHOWS[path.stem] in text for text in html), f"{path.name}: no results display in its outputs"
    figures = [output for output in outputs if "image/png" in output.get("data", {})]
    assert figures, f"{path.name}: drew no figure"
