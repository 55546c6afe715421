"""Oversized scenarios are refused before they run, and Ctrl-C stops a run at once.

Each oversized case runs ``python -m scenarios`` in a subprocess whose address
space is limited (RLIMIT_AS), so a case that were not refused would fail on
its own rather than exhaust the machine. The subprocess timeouts are hang
guards only: no assertion is made on time.
"""

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.unit.scenarios.test_budget import OVERSIZED

ADDRESS_SPACE_BYTES = 6 * 10**9  # imports reserve ~2 GB of address space; the cases want terabytes
HANG_GUARD_S = 300


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_BYTES, ADDRESS_SPACE_BYTES))


def qnetsim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scenarios", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        preexec_fn=_limit_memory,
        timeout=HANG_GUARD_S,
    )


def _refused(case: str, tmp_path: Path) -> str:
    data, field, _ = OVERSIZED[case]
    scenario = tmp_path / f"{case}.yaml"
    scenario.write_text(yaml.safe_dump(data))
    done = qnetsim("run", str(scenario), "-o", str(tmp_path / "out"), "--memory-budget-gb", "4", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert f"error: {scenario}: {field}: " in done.stderr
    assert "of memory" in done.stderr or "events" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()
    return done.stderr


DOC = Path(__file__).resolve().parents[2] / "docs" / "resource-bounds.md"


def test_a_thousand_million_memories_are_refused_before_the_run(tmp_path):
    stderr = _refused("n_memories", tmp_path)
    quoted = next(line for line in DOC.read_text().splitlines() if line.startswith("error: big.yaml: "))
    assert stderr.strip() == quoted.replace("big.yaml", str(tmp_path / "n_memories.yaml"))  # the docs' example


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(set(OVERSIZED) - {"n_memories"}))
def test_every_oversized_case_is_refused_before_the_run(case, tmp_path):
    _refused(case, tmp_path)


@pytest.mark.slow
def test_schema_bounds_and_keyrate_points_are_refused(tmp_path):
    data = dict(OVERSIZED["pool_samples"][0])
    data["qkd"] = {**data["qkd"], "pool_sample_interval_s": 1e-12}
    scenario = tmp_path / "tiny-interval.yaml"
    scenario.write_text(yaml.safe_dump(data))
    done = qnetsim("run", str(scenario), "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 2 and "qkd.pool_sample_interval_s: must be >= 1e-09" in done.stderr, done.stderr
    done = qnetsim("keyrate", "--distance-km", "0:1e9:1e-3", cwd=tmp_path)
    assert done.returncode == 2 and "distance_km: '0:1e9:1e-3' gives 1e+12 points" in done.stderr, done.stderr


def _interrupt_when(command: list[str], ready: str, cwd: Path) -> tuple[int, str]:
    """Start ``command``, send SIGINT to its process group once stderr shows ``ready``; (exit code, stderr)."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd, process_group=0
    )
    seen = []
    assert process.stderr is not None
    for line in process.stderr:  # DEBUG lines flow until the run is under way
        seen.append(line)
        if ready in line:
            break
    else:
        pytest.fail(f"never got ready: {''.join(seen)[-2000:]}")

    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: the whole group
    try:
        _, rest = process.communicate(timeout=HANG_GUARD_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise
    return process.returncode, rest


def test_ctrl_c_stops_a_run_with_exit_130_and_no_partial_folder(tmp_path):
    code, stderr = _interrupt_when(
        [
            sys.executable,
            "-m",
            "scenarios",
            "run",
            "entanglement-chain",
            "--duration-s",
            "100000",
            "-o",
            str(tmp_path / "out"),
            "--no-progress",
            "--debug",
        ],
        "running entanglement-chain",
        tmp_path,
    )
    assert code == 130, stderr[-2000:]
    assert "interrupted; nothing was written" in stderr
    assert "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []  # neither the folder nor a staging folder


@pytest.mark.slow
def test_ctrl_c_stops_a_parallel_sweep_without_a_traceback(tmp_path):
    code, stderr = _interrupt_when(
        [
            sys.executable,
            "-m",
            "scenarios",
            "sweep",
            "entanglement-chain",
            "-p",
            "duration_s=1000,1001,1002",
            "-j",
            "2",
            "-o",
            str(tmp_path / "sweep"),
            "--no-progress",
            "--debug",
        ],
        "handed to a worker",
        tmp_path,
    )
    assert code == 130, stderr[-2000:]
    assert "interrupted; 0 finished points are kept" in stderr
    assert "Traceback" not in stderr and "Bad file descriptor" not in stderr
