"""Benchmark: network-level entanglement grids of growing size, 100 concurrent requests, 1 s simulated.

For each grid (10x10, 32x32, 50x50 and 100x100 by default) the script runs, in a
fresh child process, a scenario at the ``network`` fidelity level (the
SeQUeNCe-free engine :mod:`qtn.netscale`) through ``scenarios.runner.run``: 8 km
links, every router a repeater except one in ten chosen at random as user sites
(``end``), and 100 entanglement requests between random pairs of user sites, all
issued at t = 0 for the whole run. It prints per size the build time (checks,
network spec, engine, routes, requests: everything before the event loop), the
run time (the event loop), the tables time (records to tables and manifest), the
peak resident memory of the child (``resource.getrusage(RUSAGE_SELF)`` read in
the child at its end), the events executed, and the requests approved and pairs
delivered; then the target line for the 10,000-node grid and, with ``--figure``,
a PNG of build + run time against the number of nodes.

Usage: ``python bench/bench_scale.py [--sizes 10 32 50 100] [--figure docs/bench-scale.png] [--json rows.json]
[--before-json rows-before.json] [--profile 32]``
"""

import sys
from pathlib import Path

# Benchmark this working tree, however (or whether) qnetsim is installed.
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

SEED = 11
PLACEMENT_SEED = 2026
N_REQUESTS = 100
DURATION_S = 1.0
LINK_LENGTH_KM = 8.0
#: The 10,000-node target: build + run + tables under this many seconds of wall time ...
TARGET_WALL_S = 60.0
#: ... and under this peak resident memory (GB, 1e9 bytes).
TARGET_RSS_GB = 2.0


def scenario_data(side: int, n_requests: int = N_REQUESTS, duration_s: float = DURATION_S) -> dict[str, Any]:
    """The benchmark scenario for a ``side`` x ``side`` grid (plain data, as a scenario file holds it).

    One router in ten (at least two) is a user site; requests join random pairs of
    distinct user sites (seeded), so some share an end and compete for its memories.
    """
    rng = np.random.default_rng(PLACEMENT_SEED)
    names = [f"n{r}_{c}" for r in range(side) for c in range(side)]
    n_ends = max(2, len(names) // 10)
    ends = sorted(str(name) for name in rng.choice(names, size=n_ends, replace=False))
    traffic = []
    for _ in range(n_requests):
        a, b = rng.choice(n_ends, size=2, replace=False)
        traffic.append({"src": ends[a], "dst": ends[b], "n_memories": 2, "target_fidelity": 0.8})
    return {
        "name": f"bench-scale-{side}x{side}",
        "seed": SEED,
        "duration_s": duration_s,
        "fidelity_level": "network",
        "templates": {
            "nodes": {"router": {"n_memories": 8, "memory": {"raw_fidelity": 0.99, "coherence_time_s": 1.0}}}
        },
        "entanglement": {"routing": "highest_rate", "cutoff_s": 0.1},
        "network": {
            "generator": {"kind": "grid", "rows": side, "cols": side, "length_km": LINK_LENGTH_KM, "role": "repeater"},
            "node_roles": {name: "end" for name in ends},
            "node_template": "router",
        },
        "traffic": traffic,
    }


def measure(side: int, n_requests: int, duration_s: float) -> dict[str, Any]:
    """Run the ``side`` x ``side`` scenario in this process; its phases' wall times and peak memory.

    The event loop is timed by wrapping ``BuiltRun.run`` (what the runner calls
    between building and writing tables), so the run goes through the runner unchanged.
    """
    from scenarios import from_dict, runner

    scenario = from_dict(scenario_data(side, n_requests, duration_s))
    marks: dict[str, float] = {}
    original_run = runner.BuiltRun.run

    def timed_run(self: Any) -> None:
        marks["run_start"], marks["run_start_cpu"] = time.perf_counter(), time.process_time()
        original_run(self)
        marks["run_end"], marks["run_end_cpu"] = time.perf_counter(), time.process_time()

    runner.BuiltRun.run = timed_run  # type: ignore[method-assign]
    start, cpu_start = time.perf_counter(), time.process_time()
    results = runner.run(scenario)
    end, cpu_s = time.perf_counter(), time.process_time() - cpu_start
    requests = results.tables["entanglement_requests"]
    return {
        "side": side,
        "n_nodes": side * side,
        "n_links": 2 * side * (side - 1),
        "build_s": marks["run_start"] - start,
        "run_s": marks["run_end"] - marks["run_start"],
        "tables_s": end - marks["run_end"],
        "total_s": end - start,
        "cpu_s": cpu_s,
        "build_cpu_s": marks["run_start_cpu"] - cpu_start,
        "run_cpu_s": marks["run_end_cpu"] - marks["run_start_cpu"],
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9,  # ru_maxrss: KiB on Linux
        "n_events": int(results.manifest["events_executed"]),
        "n_approved": int(requests["approved"].sum()),
        "n_pairs": len(results.tables["pairs"]),
    }


def measure_in_child(side: int, n_requests: int, duration_s: float) -> dict[str, Any]:
    """:func:`measure` in a fresh Python process, so each size's peak memory is its own."""
    command = [sys.executable, __file__, "--child", str(side), "--n-requests", str(n_requests)]
    command += ["--duration-s", str(duration_s)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {side}x{side} run failed:\n{done.stderr}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages (the machine is shared: they say how busy it was)."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _pair(wall_s: float, cpu_s: float) -> str:
    return f"{wall_s:>6.2f} ({cpu_s:>5.2f})"


def report(rows: list[dict[str, Any]], n_requests: int, duration_s: float) -> None:
    print(
        f"\nNetwork-level grids, {n_requests} concurrent requests, {duration_s:g} s simulated "
        f"({os.cpu_count()} cores, shared; load average before: {rows[0]['load_before']}, after: {load_average()})"
    )
    print("wall seconds per phase, CPU seconds of the process in brackets")
    header = (
        f"{'grid':>8} {'nodes':>6} {'links':>6} {'build_s':>14} {'run_s':>14} {'tables_s':>14} {'total_s':>14} "
        f"{'peak_GB':>8} {'events':>10} {'approved':>8} {'pairs':>7}"
    )
    print(header)
    for r in rows:
        tables_cpu_s = r["cpu_s"] - r["build_cpu_s"] - r["run_cpu_s"]
        print(
            f"{r['side']:>4}x{r['side']:<3} {r['n_nodes']:>6} {r['n_links']:>6} "
            f"{_pair(r['build_s'], r['build_cpu_s'])} {_pair(r['run_s'], r['run_cpu_s'])} "
            f"{_pair(r['tables_s'], tables_cpu_s)} {_pair(r['total_s'], r['cpu_s'])} {r['peak_rss_gb']:>8.3f} "
            f"{r['n_events']:>10,} {r['n_approved']:>8} {r['n_pairs']:>7,}"
        )
    for previous, current in zip(rows, rows[1:], strict=False):
        growth = current["n_nodes"] / previous["n_nodes"]
        print(
            f"growth {previous['n_nodes']} -> {current['n_nodes']} nodes (x{growth:.2f}): "
            f"build x{current['build_s'] / previous['build_s']:.2f}, run x{current['run_s'] / previous['run_s']:.2f}"
        )
    for r in rows:
        if r["n_nodes"] == 10_000:
            met = r["total_s"] < TARGET_WALL_S and r["peak_rss_gb"] < TARGET_RSS_GB
            print(
                f"target: 10,000-node grid, {n_requests} requests, {duration_s:g} s: < {TARGET_WALL_S:g} s and"
                f" < {TARGET_RSS_GB:g} GB — measured {r['total_s']:.1f} s, {r['peak_rss_gb']:.2f} GB —"
                f" {'met' if met else 'not met'} (CPU time {r['cpu_s']:.1f} s; load average before {r['load_before']})"
            )


def draw(rows: list[dict[str, Any]], path: Path, before: list[dict[str, Any]] | None = None) -> None:
    """Build, run and total CPU time against the number of nodes, log-log, with a line of slope 1.

    CPU seconds of the run's process, not wall seconds: on a shared machine the
    wall time mostly measures the other jobs. ``before``: rows measured with an
    earlier version, drawn dashed for comparison.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def tables_cpu_s(r: dict[str, Any]) -> float:
        return float(r["cpu_s"] - r["build_cpu_s"] - r["run_cpu_s"])

    nodes = [r["n_nodes"] for r in rows]
    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    axes.plot(nodes, [r["build_cpu_s"] for r in rows], "o-", label="build (checks, routes, engine)")
    axes.plot(nodes, [r["run_cpu_s"] for r in rows], "s-", label="run (event loop, 1 s simulated)")
    axes.plot(nodes, [tables_cpu_s(r) for r in rows], "v-", label="tables")
    axes.plot(nodes, [r["cpu_s"] for r in rows], "^-", label="total")
    if before:
        axes.plot(
            [r["n_nodes"] for r in before],
            [r["build_cpu_s"] for r in before],
            "o--",
            color="C0",
            alpha=0.5,
            label="build before (all-pairs routes)",
        )
    axes.plot(nodes, [rows[0]["cpu_s"] * n / nodes[0] for n in nodes], ":", color="grey", label="linear in nodes")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("routers in the grid")
    axes.set_ylabel("CPU time of the run (s)")
    axes.set_title(f"Network level, {N_REQUESTS} requests, 1 s simulated", fontsize=10)
    axes.legend(fontsize=8)
    axes.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.partial")
    figure.savefig(staged, format="png", dpi=110)
    staged.replace(path)  # a reader never sees half a figure


def profile(side: int, n_requests: int, duration_s: float) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    measure(side, n_requests, duration_s)
    profiler.disable()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(25)
        print(f"\n--- cProfile of the {side}x{side} run, top 25 by {order} ---")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 32, 50, 100], help="grid sides")
    parser.add_argument("--n-requests", type=int, default=N_REQUESTS)
    parser.add_argument("--duration-s", type=float, default=DURATION_S)
    parser.add_argument("--figure", type=Path, default=None, help="write build + run time vs nodes to this PNG")
    parser.add_argument("--json", type=Path, default=None, help="also write the measured rows to this JSON file")
    parser.add_argument(
        "--before-json", type=Path, default=None, help="rows of an earlier version (--json) to draw for comparison"
    )
    parser.add_argument("--from-json", type=Path, default=None, help="report and draw these rows instead of running")
    parser.add_argument("--profile", type=int, default=None, metavar="SIDE", help="then profile one grid")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.child, args.n_requests, args.duration_s)))
        return
    rows = json.loads(args.from_json.read_text()) if args.from_json is not None else []
    for side in args.sizes if args.from_json is None else []:
        print(f"running {side}x{side} ...", file=sys.stderr, flush=True)
        load_before = load_average()
        rows.append({**measure_in_child(side, args.n_requests, args.duration_s), "load_before": load_before})
        print(f"  {rows[-1]}", file=sys.stderr, flush=True)
    report(rows, args.n_requests, args.duration_s)
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    if args.figure is not None:
        before = json.loads(args.before_json.read_text()) if args.before_json is not None else None
        draw(rows, args.figure, before)
        print(f"figure: {args.figure}")
    if args.profile is not None:
        profile(args.profile, args.n_requests, args.duration_s)


if __name__ == "__main__":
    main()
