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
all variants must be identical (checked). Run:

    python bench/bench_sweep.py [--duration-s 0.1] [--repeats 1] [--no-dask]
"""

import argparse
import json
import os
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


@dataclass
class Variant:
    """One way of running the sweep and what it measured."""

    name: str
    n_workers: int
    wall_s: list[float] = field(default_factory=list)
    simulation_s: list[float] = field(default_factory=list)
    pairs: pd.DataFrame | None = None


def run_sweep(folder: Path, duration_s: float, extra: list[str]) -> tuple[float, float, pd.DataFrame]:
    """Run the sweep command into ``folder``; return wall seconds, summed run seconds and the pairs table."""
    command = [sys.executable, "-m", "scenarios", "sweep", "entanglement-chain", "--duration-s", str(duration_s)]
    command += [*GRID, "-o", str(folder), "--no-progress", "-q", *extra]
    started = time.perf_counter()
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    wall_s = time.perf_counter() - started
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
    return wall_s, simulation_s, pd.read_parquet(folder / "sweep_pairs.parquet")


def measure_local(variant: Variant, workspace: Path, duration_s: float) -> None:
    folder = Path(tempfile.mkdtemp(dir=workspace)) / "out"
    wall_s, simulation_s, pairs = run_sweep(folder, duration_s, ["--workers", str(variant.n_workers)])
    variant.wall_s.append(wall_s)
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
            wall_s, simulation_s, pairs = run_sweep(folder, duration_s, extra)
            variant.wall_s.append(wall_s)
            variant.simulation_s.append(simulation_s)
            variant.pairs = pairs


def report(variants: list[Variant], duration_s: float, repeats: int) -> None:
    baseline = statistics.median(variants[0].wall_s)
    print(f"sweep throughput: {N_POINTS} points of entanglement-chain, {duration_s:g} s simulated each")
    print(f"  grid: {' '.join(GRID)}; medians over {repeats} repeat(s); CPUs available: {available_cpus()}")
    print(f"  {'variant':<22} {'workers':>7} {'wall_s':>8} {'points/s':>9} {'speed-up':>9} {'sim_s':>7} {'busy':>6}")
    for variant in variants:
        wall_s = statistics.median(variant.wall_s)
        simulation_s = statistics.median(variant.simulation_s)
        busy = simulation_s / (variant.n_workers * wall_s)
        print(
            f"  {variant.name:<22} {variant.n_workers:>7} {wall_s:>8.2f} {N_POINTS / wall_s:>9.2f} "
            f"{baseline / wall_s:>8.2f}x {simulation_s:>7.2f} {busy:>6.0%}"
        )
    local_2 = next(v for v in variants if v.name == "local" and v.n_workers == DASK_WORKERS)
    for variant in variants:
        if variant.name.startswith("dask"):
            extra_s = statistics.median(variant.wall_s) - statistics.median(local_2.wall_s)
            share = extra_s / statistics.median(local_2.wall_s)
            print(f"  {variant.name} vs local with {DASK_WORKERS} workers: {extra_s:+.2f} s ({share:+.0%})")
    reference = variants[0].pairs
    same = all(v.pairs is not None and reference is not None and v.pairs.equals(reference) for v in variants)
    print(f"  tidy tables of all variants: {'identical' if same else 'DIFFERENT'}")


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
    args = parser.parse_args()
    variants = [Variant("local", n) for n in LOCAL_WORKERS]
    dask = not args.no_dask
    if dask:
        try:
            import distributed  # noqa: F401
        except ImportError:
            print("Dask is not installed: the Dask variants are left out", file=sys.stderr)
            dask = False
    if dask:
        variants += [Variant("dask (new cluster)", DASK_WORKERS), Variant("dask (warm cluster)", DASK_WORKERS)]
    steps = [*(variants[: len(LOCAL_WORKERS)]), "dask"] if dask else list(variants)
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as workspace:
        for repeat in range(args.repeats):
            shift = repeat % len(steps)  # rotate so that no variant always runs first
            for step in steps[shift:] + steps[:shift]:
                label = "dask" if step == "dask" else f"local, {step.n_workers} worker(s)"
                print(f"repeat {repeat + 1}/{args.repeats}: {label}", file=sys.stderr, flush=True)
                if step == "dask":
                    measure_dask(variants[-2], variants[-1], Path(workspace), args.duration_s)
                else:
                    measure_local(step, Path(workspace), args.duration_s)
    report(variants, args.duration_s, args.repeats)


if __name__ == "__main__":
    main()
