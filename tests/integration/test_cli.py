"""The ``qnetsim`` command line, driven for real.

Exit codes 0 (ok), 1 (failed run) and 2 (bad input); one ``error:`` line per
problem on stderr and a traceback only with ``--debug``; result folders that
are never left half-written. Most cases run the Typer app in-process
(:class:`typer.testing.CliRunner`); a few run ``python -m scenarios`` in a
subprocess to cover the real entry point, streams and exit status. Simulated
durations are kept to a few hundredths of a second.
"""

import json
import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from scenarios import library, load, loads
from scenarios import results as results_module
from scenarios.cli import app
from scenarios.tables import ENTANGLEMENT_TABLES

RESULT_FILES = sorted([*(f"{spec.name}.parquet" for spec in ENTANGLEMENT_TABLES), "manifest.json"])

SHORT_S = "0.02"

VALID_YAML = """\
name: cli-test
duration_s: 0.02
network:
  nodes: [{name: alice}, {name: bob, role: repeater}, {name: carol}]
  links:
    - {a: alice, b: bob, length_km: 10}
    - {a: bob, b: carol, length_km: 10}
traffic:
  - {src: alice, dst: carol}
"""

#: Bad scenario files and the problem lines each must give (after ``error: <file>: ``).
BAD_INPUTS = {
    "malformed-yaml": (
        VALID_YAML.replace("{name: carol}]", "{name: carol}"),
        [
            "malformed YAML: line 5, column 3: did not find expected ',' or ']' "
            "(while parsing a flow sequence started at line 4, column 10)"
        ],
    ),
    "missing-field": (
        VALID_YAML.replace("duration_s: 0.02\n", ""),
        ["duration_s: required field is missing"],
    ),
    "unknown-field": (
        VALID_YAML.replace("{a: bob, b: carol, length_km: 10}", "{a: bob, b: carol, lenght_km: 10}"),
        ["network.links[1].lenght_km: unknown field; did you mean 'length_km'?"],
    ),
    "negative-length": (
        VALID_YAML.replace("{a: alice, b: bob, length_km: 10}", "{a: alice, b: bob, length_km: -5.0}"),
        ["network.links[0].length_km: must be > 0; got -5.0"],
    ),
    "link-to-missing-node": (
        VALID_YAML.replace("{a: bob, b: carol,", "{a: bob, b: carl,"),
        ["network.links[1].b: must name a node in network.nodes; got 'carl'; did you mean 'carol'?"],
    ),
    "disconnected-pair": (
        VALID_YAML.replace("    - {a: bob, b: carol, length_km: 10}\n", ""),
        [
            "traffic[0]: src and dst must be connected, but the network falls into 2 separate parts; "
            "got 'alice' and 'carol'"
        ],
    ),
    "unknown-hardware-template": (
        VALID_YAML.replace("{name: bob, role: repeater}", "{name: bob, role: repeater, template: router}"),
        ["network.nodes[1].template: must name a node template in templates.nodes (available: default); got 'router'"],
    ),
    "several-problems": (
        VALID_YAML.replace("duration_s: 0.02", "duration_s: -1").replace("length_km: 10}\n", "length_km: 0}\n", 1)
        + "seeds: 4\n",
        [
            "duration_s: must be > 0; got -1",
            "network.links[0].length_km: must be > 0; got 0",
            "seeds: unknown field; did you mean 'seed'?",
        ],
    ),
}

#: Run from ``-c``: make every delivered pair raise inside the simulation, then call the CLI.
_FAILING_CLI = """
import sys
from qtn.sequence_backed.network import EntanglementNetwork
assert hasattr(EntanglementNetwork, "_record_pair"), "the injection point moved; update this test"
def _fail(self, pair):
    raise RuntimeError("injected failure while recording a pair")
EntanglementNetwork._record_pair = _fail
from scenarios.cli import main
sys.argv = ["qnetsim", *sys.argv[1:]]
main()
"""


def qnetsim(*args: object):
    """Invoke the CLI in-process; the result has ``exit_code``, ``stdout`` and ``stderr``."""
    return CliRunner().invoke(app, [str(arg) for arg in args])


def qnetsim_process(*args: object, cwd: Path, failing: bool = False) -> subprocess.CompletedProcess:
    """Run ``python -m scenarios ARGS`` (or the failure-injecting driver) in ``cwd``."""
    entry = ["-c", _FAILING_CLI] if failing else ["-m", "scenarios"]
    return subprocess.run(
        [sys.executable, *entry, *(str(arg) for arg in args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def entries(folder: Path) -> list[str]:
    """Every name in ``folder``, hidden ones (such as ``.out.x.partial``) included."""
    return sorted(os.listdir(folder))


def write_scenario(folder: Path, text: str) -> Path:
    path = folder / "scenario.yaml"
    path.write_text(text)
    return path


def test_valid_scenario_file_is_valid(tmp_path):
    """Positive control for the bad-input cases, which each spoil this file once."""
    assert loads(VALID_YAML).name == "cli-test"
    result = qnetsim("validate", write_scenario(tmp_path, VALID_YAML))
    assert result.exit_code == 0
    assert result.stderr == ""


def test_validate_warns_of_a_request_the_roles_leave_without_a_path(tmp_path):
    """Valid (exit 0), but a trusted relay in the middle of an entanglement path gets a warning line."""
    text = VALID_YAML.replace("{name: bob, role: repeater}", "{name: bob, role: trusted_relay}")
    path = write_scenario(tmp_path, text)
    result = qnetsim("validate", path)
    assert result.exit_code == 0
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[1].startswith("  estimated cost: about ")
    assert lines[:1] + lines[2:] == [
        f"ok: {path} (3 nodes, 2 links, 1 traffic items, 0.02 s)",
        f"warning: {path}: traffic[0]: no path from 'alice' to 'carol' through repeaters only, so this entanglement"
        " request cannot be served: the shortest path alice-bob-carol passes trusted_relay 'bob' (cannot swap);"
        " the run refuses it",
    ]


def test_key_traffic_at_a_repeater_exits_2_naming_the_field(tmp_path):
    text = VALID_YAML.replace("  - {src: alice, dst: carol}", "  - {kind: key, src: bob, dst: carol}")
    result = qnetsim("validate", write_scenario(tmp_path, text))
    assert result.exit_code == 2
    assert "traffic[0].src: 'bob' is a repeater; key traffic needs an end or trusted_relay node" in result.stderr


# --- bad input: exit 2, one line per problem -----------------------------------------------


@pytest.mark.parametrize("case", list(BAD_INPUTS))
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_input_exits_2_with_one_line_per_problem(tmp_path, command, case):
    text, problems = BAD_INPUTS[case]
    path = write_scenario(tmp_path, text)
    args = [command, path] + (["-o", tmp_path / "out"] if command == "run" else [])
    result = qnetsim(*args)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {path}: {problem}" for problem in problems]
    assert "Traceback" not in result.output
    assert entries(tmp_path) == ["scenario.yaml"]


def test_bad_input_through_the_real_entry_point(tmp_path):
    text, problems = BAD_INPUTS["several-problems"]
    write_scenario(tmp_path, text)
    finished = qnetsim_process("validate", "scenario.yaml", cwd=tmp_path)
    assert finished.returncode == 2
    assert finished.stderr.splitlines() == [f"error: scenario.yaml: {problem}" for problem in problems]
    assert finished.stdout == ""


def test_validate_reports_every_file_and_exits_2_if_any_is_bad(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(VALID_YAML)
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_INPUTS["negative-length"][0])
    result = qnetsim("validate", good, bad)
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"ok: {good} (3 nodes, 2 links, 1 traffic items, 0.02 s)",
        "  estimated cost: about 400.2 MB of memory, 1e+02 bookkeeping events",
    ]
    assert result.stderr == f"error: {bad}: network.links[0].length_km: must be > 0; got -5.0\n"


def test_missing_file_and_misspelt_builtin(tmp_path):
    result = qnetsim("validate", tmp_path / "nope.yaml", "entanglement-chian")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'nope.yaml'}: no scenario file or built-in scenario called '{tmp_path / 'nope.yaml'}'",
        "error: entanglement-chian: no scenario file or built-in scenario called 'entanglement-chian'; "
        "did you mean 'entanglement-chain'?",
    ]


def test_bad_input_with_debug_shows_traceback_and_still_exits_2(tmp_path):
    text, problems = BAD_INPUTS["negative-length"]
    path = write_scenario(tmp_path, text)
    for command in (["validate", path], ["run", path, "-o", tmp_path / "out"]):
        result = qnetsim(*command, "--debug")
        assert result.exit_code == 2
        assert "Traceback (most recent call last)" in result.stderr
        assert "scenarios.errors.ScenarioError" in result.stderr
        assert result.stderr.splitlines()[-1] == f"error: {path}: {problems[0]}"
    assert entries(tmp_path) == ["scenario.yaml"]


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [
        ("--seed", "-1", "seed (from --seed): must be >= 0; got -1"),
        ("--duration-s", "-0.5", "duration_s (from --duration-s): must be > 0; got -0.5"),
        ("--duration-s", "0", "duration_s (from --duration-s): must be > 0; got 0.0"),
        ("--duration-s", "nan", "duration_s (from --duration-s): must be a finite number; got nan"),
    ],
)
def test_bad_override_names_the_field_and_option(tmp_path, option, value, problem):
    result = qnetsim("run", option, value, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr == f"error: {library.DEFAULT}: {problem}\n"
    assert entries(tmp_path) == []


def test_non_numeric_override_is_a_usage_error(tmp_path):
    result = qnetsim("run", "--duration-s", "soon", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "Invalid value for '--duration-s'" in result.stderr
    assert entries(tmp_path) == []


def test_duration_override_is_checked_against_traffic_end(tmp_path):
    path = write_scenario(
        tmp_path, VALID_YAML.replace("{src: alice, dst: carol}", "{src: alice, dst: carol, end_s: 0.02}")
    )
    result = qnetsim("run", path, "--duration-s", "0.01", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr == f"error: {path}: traffic[0].end_s: must be <= duration_s (0.01); got 0.02\n"


# --- list, show, validate, --version -------------------------------------------------------


def test_list_shows_every_builtin():
    result = qnetsim("list")
    assert result.exit_code == 0
    for name in library.names():
        assert name in result.stdout
    assert f"{library.DEFAULT} (default)" in result.stdout


@pytest.mark.parametrize("name", library.names())
def test_show_prints_the_builtin_as_valid_yaml(name):
    result = qnetsim("show", name)
    assert result.exit_code == 0
    assert isinstance(yaml.safe_load(result.stdout), dict)
    assert loads(result.stdout) == load(name)


def test_show_unknown_builtin_suggests_the_close_one():
    result = qnetsim("show", "entanglement-rign")
    assert result.exit_code == 2
    assert (
        result.stderr == "error: no built-in scenario called 'entanglement-rign'; did you mean 'entanglement-ring'?\n"
    )


def test_validate_every_builtin():
    result = qnetsim("validate", *library.names())
    assert result.exit_code == 0
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert [line.split(" ")[1] for line in lines[::2]] == library.names()
    assert all(line.startswith("ok: ") for line in lines[::2])
    assert all(line.startswith("  estimated cost: about ") for line in lines[1::2])


def test_version(tmp_path):
    finished = qnetsim_process("--version", cwd=tmp_path)
    assert finished.returncode == 0
    assert finished.stdout == f"qnetsim {version('qnetsim')} (sequence {version('sequence')})\n"


# --- runs ---------------------------------------------------------------------------------


def test_run_builtin_writes_results_and_prints_summary(tmp_path):
    finished = qnetsim_process(
        "run", "entanglement-ring", "--duration-s", SHORT_S, "--seed", "5", "-o", "out", cwd=tmp_path
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stderr == ""
    lines = finished.stdout.splitlines()
    assert lines[0].startswith("entanglement-ring  seed 5  0.02 s simulated in ")
    assert [cell.strip() for cell in lines[1].split("┃")] == [
        "request", "pair", "path", "served", "pairs", "rate_hz", "fidelity (mean ± sd over pairs)", "latency_ms"
    ]  # fmt: skip
    files = ", ".join(RESULT_FILES)
    assert lines[-2] == f"Results in out/ ({files})"
    assert lines[-1] == "Load with pandas: pd.read_parquet('out/pairs.parquet')"
    assert entries(tmp_path) == ["out"]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert (manifest["scenario_name"], manifest["seed"], manifest["simulated_time_s"]) == ("entanglement-ring", 5, 0.02)
    requests = pd.read_parquet(tmp_path / "out" / "entanglement_requests.parquet")
    assert len(requests) == 2 and len(lines) == 3 + 2 + 2  # header line, table head and rule, 2 requests, 2 lines


def test_run_without_scenario_runs_the_default_into_results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = qnetsim("run", "--duration-s", SHORT_S, "--quiet")
    assert result.exit_code == 0, result.stderr
    folder = Path("results") / library.DEFAULT
    assert result.stdout == f"{folder}\n"
    manifest = json.loads((tmp_path / folder / "manifest.json").read_text())
    assert manifest["scenario_name"] == library.DEFAULT
    assert manifest["simulated_time_s"] == 0.02
    assert entries(tmp_path / "results") == [library.DEFAULT]


def test_output_folder_with_unrelated_files_is_refused_and_untouched(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    result = qnetsim("run", "--duration-s", SHORT_S, "-o", out)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: output folder {out} exists, is not empty and holds no qnetsim results; choose another folder\n"
    )
    assert entries(tmp_path) == ["out"]
    assert entries(out) == ["thesis.tex"]
    assert (out / "thesis.tex").read_text() == "years of work"


def test_output_path_that_is_a_file_is_refused(tmp_path):
    out = tmp_path / "out"
    out.write_text("not a folder")
    result = qnetsim("run", "--duration-s", SHORT_S, "-o", out)
    assert result.exit_code == 2
    assert result.stderr == f"error: output folder {out} exists and is not a folder\n"
    assert out.read_text() == "not a folder"
    assert entries(tmp_path) == ["out"]


def test_existing_result_folder_is_replaced(tmp_path):
    out = tmp_path / "out"
    assert qnetsim("run", "--duration-s", SHORT_S, "--seed", "1", "-o", out).exit_code == 0
    result = qnetsim("run", "--duration-s", SHORT_S, "--seed", "2", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert json.loads((out / "manifest.json").read_text())["seed"] == 2
    assert entries(out) == RESULT_FILES
    assert entries(tmp_path) == ["out"]


# --- failed runs: exit 1, one line, nothing left behind ------------------------------------


def test_failed_simulation_exits_1_with_one_line_and_leaves_nothing(tmp_path):
    finished = qnetsim_process("run", "--duration-s", SHORT_S, "-o", "out", cwd=tmp_path, failing=True)
    assert finished.returncode == 1
    lines = finished.stderr.splitlines()
    assert len(lines) == 1, finished.stderr
    assert lines[0].startswith(f"error: simulation of '{library.DEFAULT}' failed at t = ")
    assert lines[0].endswith("RuntimeError: injected failure while recording a pair (run with --debug for a traceback)")
    failed_at_s = float(re.search(r"failed at t = (\S+) s", lines[0]).group(1))
    assert 0 < failed_at_s < float(SHORT_S)  # it failed inside the simulation, not before it
    assert finished.stdout == ""
    assert entries(tmp_path) == []


def test_failed_simulation_with_debug_shows_the_traceback(tmp_path):
    finished = qnetsim_process("run", "--duration-s", SHORT_S, "-o", "out", "--debug", cwd=tmp_path, failing=True)
    assert finished.returncode == 1
    assert "Traceback (most recent call last)" in finished.stderr
    assert "RuntimeError: injected failure while recording a pair" in finished.stderr
    assert "qnetsim.core.errors.SimulationError" in finished.stderr
    assert finished.stderr.splitlines()[-1].startswith(f"error: simulation of '{library.DEFAULT}' failed at t = ")
    assert entries(tmp_path) == []


@pytest.fixture
def failing_second_table(monkeypatch):
    """Writing the second Parquet table of a run raises, after the first was written."""
    original = results_module.write_parquet
    calls = []

    def write_parquet(frame, path):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full (injected)")
        return original(frame, path)

    monkeypatch.setattr(results_module, "write_parquet", write_parquet)
    return calls


def test_failed_write_leaves_no_folder_and_no_partial_folder(tmp_path, failing_second_table):
    result = qnetsim("run", "--duration-s", SHORT_S, "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert result.stderr == "error: OSError: disk full (injected) (run with --debug for a traceback)\n"
    assert len(failing_second_table) == 2  # the failure did happen mid-write
    assert entries(tmp_path) == []


def test_failed_write_keeps_the_previous_results(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert qnetsim("run", "--duration-s", SHORT_S, "--seed", "1", "-o", out).exit_code == 0
    before = {name: (out / name).read_bytes() for name in entries(out)}
    original = results_module.write_parquet

    def write_parquet(frame, path):
        original(frame, path)
        raise OSError("disk full (injected)")

    monkeypatch.setattr(results_module, "write_parquet", write_parquet)
    result = qnetsim("run", "--duration-s", SHORT_S, "--seed", "2", "-o", out)
    assert result.exit_code == 1
    assert result.stderr == "error: OSError: disk full (injected) (run with --debug for a traceback)\n"
    assert {name: (out / name).read_bytes() for name in entries(out)} == before
    assert entries(tmp_path) == ["out"]


def test_reading_commands_do_not_import_sequence():
    """Only running a scenario needs SeQUeNCe (about 2 s to import); the CLI module does not load it."""
    code = "import sys, scenarios, scenarios.cli; print('sequence' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
