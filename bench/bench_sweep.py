"""Sweep throughput: 40 points with 1, 2 and 4 local worker processes, and the Dask path against the local one.

Every variant runs the same 40-point sweep with the real command line
(``python -m scenarios sweep``) into a new folder and is timed end to end, as a
user sees it: the coordinator's start-up, checking every point, the workers'
start-up (each imports SeQUeNCe), the simulations, writing the result folders and
gathering the tidy tables. The Dask variants use a ``distributed.LocalCluster``
with as many single-threaded worker processes as the 2-worker local variant,
started before the clock runs (a cluster is normally up before a sweep). "new
cluster" is the first sweep on a fresh cluster, whose workers still import
SeQUeNCe; "warm cluster" is a second sweep on the same cluster. The tidy tables of
all variants must be identical (checked).

The report ends with the targets and whether this run met them: two local workers at
least 90 % parallel efficiency (the speed-up over one worker, halved: the median of the
ratios paired per repeat), and the Dask path on a warm cluster within 10 % of local
workers. With ``--baseline DIR`` (the source tree of another version, put first on
``PYTHONPATH``) the local variants also run that version, alternated with this one.
The load average is printed before and after: other work on the machine moves every
figure. Run:

    python bench/bench_sweep.py [--duration-s 0.1] [--repeats 1] [--no-dask] [--workers 1,2,4] [--baseline DIR]
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
GRID = ["-p", "links.length_km=10,20", "--seeds", "20"]  # 2 x 20 = 40 points
N_POINTS = 40
LOCAL_WORKERS = (1, 2, 4)
DASK_WORKERS = 2
EFFICIENCY_TARGET = 0.90
DASK_OVERHEAD_TARGET = 0.10
#: A 1-minute load average above this share of the CPUs marks the run as made on a loaded machine.
LOADED_SHARE = 0.5


@dataclass
class Variant:
    """One way of running the sweep and what it measured."""

    name: str
    n_workers: int
    tree: Path | None = None
    wall_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    simulation_s: list[float] = field(default_factory=list)
    pairs: pd.DataFrame | None = None


def run_sweep(
    folder: Path, duration_s: float, extra: list[str], tree: Path | None = None
) -> tuple[float, float, float, pd.DataFrame]:
    """Run the sweep command into ``folder``; return wall seconds, CPU seconds, summed run seconds, the pairs table.

    CPU seconds are those of the command's own process: the local workers are forked by the fork server, which
    outlives the command and is never waited for, so their CPU time is not in it (nor a Dask cluster's).
    """
    command = [sys.executable, "-m", "scenarios", "sweep", "entanglement-chain", "--duration-s", str(duration_s)]
    command += [*GRID, "-o", str(folder), "--no-progress", "-q", *extra]
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall_s = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if finished.returncode != 0:
        raise SystemExit(f"sweep failed ({finished.returncode}): {' '.join(command)}\n{finished.stderr}")
    record = json.loads((folder / "sweep.json").read_text())
    statuses = [entry["status"] for entry in record["points"]]
    if statuses != ["done"] * N_POINTS:
        raise SystemExit(f"expected {N_POINTS} finished points in {folder}; got {statuses}")
    simulation_s = sum(
        json.loads((folder / "points" / entry["point_id"] / "manifest.json").read_text())["wall_time_s"]
        for entry in record["points"]
    )
    return wall_s, cpu_s, simulation_s, pd.read_parquet(folder / "sweep_pairs.parquet")


def measure_local(variant: Variant, workspace: Path, duration_s: float) -> None:
    folder = Path(tempfile.mkdtemp(dir=workspace)) / "out"
    wall_s, cpu_s, simulation_s, pairs = run_sweep(
        folder, duration_s, ["--workers", str(variant.n_workers)], variant.tree
    )
    variant.wall_s.append(wall_s)
    variant.cpu_s.append(cpu_s)
    variant.simulation_s.append(simulation_s)
    variant.pairs = pairs


def measure_dask(new: Variant, warm: Variant, workspace: Path, duration_s: float) -> None:
    """A sweep on a fresh cluster, then another on the same cluster (workers already warm)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=DASK_WORKERS, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        for variant in (new, warm):
            folder = Path(tempfile.mkdtemp(dir=workspace)) / "out"
            extra = ["--executor", "dask", "--scheduler", cluster.scheduler_address]
            wall_s, cpu_s, simulation_s, pairs = run_sweep(folder, duration_s, extra)
            variant.wall_s.append(wall_s)
            variant.cpu_s.append(cpu_s)
            variant.simulation_s.append(simulation_s)
            variant.pairs = pairs


def report(variants: list[Variant], duration_s: float, repeats: int, loads: tuple[str, str]) -> None:
    print(f"sweep throughput: {N_POINTS} points of entanglement-chain, {duration_s:g} s simulated each")
    print(f"  grid: {' '.join(GRID)}; medians over {repeats} repeat(s); CPUs available: {available_cpus()}")
    print(f"  load average (1, 5, 15 min) before {loads[0]}, after {loads[1]}")
    busiest = max(float(text.split(",")[0]) for text in loads)
    if busiest > LOADED_SHARE * available_cpus():
        print(
            f"  the machine was loaded (1-min load average up to {busiest:.1f} on {available_cpus()} CPUs): "
            "the efficiency below is not a quiet-machine figure"
        )
    header = f"{'variant':<30} {'workers':>7} {'wall_s':>8} {'coord_cpu_s':>11} {'points/s':>9} {'speed-up':>9}"
    print(f"  {header} {'sim_s':>7} {'busy':>6}")
    for variant in variants:
        one = next(v for v in variants if v.n_workers == 1 and v.tree == variant.tree and v.name.startswith("local"))
        wall_s = statistics.median(variant.wall_s)
        simulation_s = statistics.median(variant.simulation_s)
        busy = simulation_s / (variant.n_workers * wall_s)
        print(
            f"  {variant.name:<30} {variant.n_workers:>7} {wall_s:>8.2f} {statistics.median(variant.cpu_s):>11.2f} "
            f"{N_POINTS / wall_s:>9.2f} {speed_up(one, variant):>8.2f}x {simulation_s:>7.2f} {busy:>6.0%}"
        )
    reference = variants[0].pairs
    same = all(v.pairs is not None and reference is not None and v.pairs.equals(reference) for v in variants)
    print(f"  tidy tables of all variants: {'identical' if same else 'DIFFERENT'}")
    for tree in dict.fromkeys(v.tree for v in variants):
        local = {v.n_workers: v for v in variants if v.tree == tree and v.name.startswith("local")}
        if 1 in local and DASK_WORKERS in local:
            efficiency = speed_up(local[1], local[DASK_WORKERS]) / DASK_WORKERS
            print(
                f"  target{'' if tree is None else ' (baseline)'}: {DASK_WORKERS} local workers at >= "
                f"{EFFICIENCY_TARGET:.0%} parallel efficiency: {efficiency:.0%} "
                f"({'met' if efficiency >= EFFICIENCY_TARGET else 'not met'})"
            )
    local_2 = next((v for v in variants if v.name == "local" and v.n_workers == DASK_WORKERS), None)
    for variant in variants:
        if variant.name.startswith("dask") and local_2 is not None:
            extra = statistics.median(d / w for d, w in zip(variant.wall_s, local_2.wall_s, strict=True)) - 1.0
            verdict = ""
            if "warm" in variant.name:
                verdict = (
                    f"; target under {DASK_OVERHEAD_TARGET:.0%}: {'met' if extra < DASK_OVERHEAD_TARGET else 'not met'}"
                )
            print(f"  {variant.name} against local with {DASK_WORKERS} workers: {extra:+.0%} wall{verdict}")


def speed_up(reference: Variant, variant: Variant) -> float:
    """Median over repeats of the paired ratio of wall times (each repeat runs every variant once)."""
    return statistics.median(r / v for r, v in zip(reference.wall_s, variant.wall_s, strict=True))


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration-s", type=float, default=0.1, help="Simulated time of every point.")
    parser.add_argument("--repeats", type=int, default=1, help="Repeats of every variant (medians are printed).")
    parser.add_argument("--no-dask", action="store_true", help="Leave out the Dask variants.")
    parser.add_argument("--workers", default=",".join(map(str, LOCAL_WORKERS)), help="Local worker counts, e.g. 1,2.")
    parser.add_argument("--baseline", type=Path, help="Source tree of another version: its local variants run too.")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    variants = [Variant("local", n) for n in counts]
    if args.baseline is not None:
        variants += [Variant("local (baseline)", n, args.baseline.resolve()) for n in counts]
    dask = not args.no_dask
    if dask:
        try:
            import distributed  # noqa: F401
        except ImportError:
            print("Dask is not installed: the Dask variants are left out", file=sys.stderr)
            dask = False
    steps: list[Variant | str] = [*variants, "dask"] if dask else list(variants)
    if dask:
        variants += [Variant("dask (new cluster)", DASK_WORKERS), Variant("dask (warm cluster)", DASK_WORKERS)]
    load_before = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as workspace:
        for repeat in range(args.repeats):
            shift = repeat % len(steps)  # rotate so that no variant always runs first
            for step in steps[shift:] + steps[:shift]:
                label = "dask" if isinstance(step, str) else f"{step.name}, {step.n_workers} worker(s)"
                print(f"repeat {repeat + 1}/{args.repeats}: {label}", file=sys.stderr, flush=True)
                if isinstance(step, str):
                    measure_dask(variants[-2], variants[-1], Path(workspace), args.duration_s)
                else:
                    measure_local(step, Path(workspace), args.duration_s)
    load_after = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    report(variants, args.duration_s, args.repeats, (load_before, load_after))


if __name__ == "__main__":
    main()
