"""Benchmark: a Waxman QKD network in fast link mode, one simulated hour, key requests and random failures.

For each network size (100 and 1,000 nodes by default) the script builds a
scenario (Waxman topology of mean degree about 5 in a fixed square, trusted
relays, decoy-state BB84 fast links, random link failures, Poisson key requests
between random node pairs), runs it through ``scenarios.runner.run`` in a child
process of its own and prints the wall and CPU time of the run, the child's
peak resident memory, the events executed, events per second and the requests
served, then how the wall time grows with the size and whether each target is
met: 100 nodes under 5 s; 1,000 nodes (2,500 links) under 60 s and 1.5 GB.
``--baseline-tree DIR`` runs the same children on another copy of the project
(an export of an older commit) and prints both, before and after.
``--profile`` then runs the 100-node network once more under cProfile and
prints where the time goes.

Usage: ``python bench/bench_qkdn.py [--sizes 100 1000] [--duration-s 3600] [--n-requests 10000]
[--baseline-tree DIR] [--profile]``
"""

import sys
from pathlib import Path

# Benchmark this working tree (or the one after --tree), however (or whether) qnetsim is installed.
_TREE = sys.argv[sys.argv.index("--tree") + 1] if "--tree" in sys.argv else str(Path(__file__).resolve().parents[1])
sys.path.insert(1, _TREE)

import argparse  # noqa: E402
import cProfile  # noqa: E402
import gc  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from scenarios import Scenario, from_dict, run  # noqa: E402
from scenarios.schema import WaxmanGenerator  # noqa: E402
from scenarios.topology import generate  # noqa: E402

SEED = 11
TOPOLOGY_SEED = 2024
DOMAIN_KM = 100.0
ALPHA = 0.3
MEAN_DEGREE = 5.0
N_PAIRS = 50
KEY_BITS = 256
DEADLINE_S = 10.0
MTBF_S = 7200.0
MTTR_S = 300.0
#: The targets: wall seconds by number of nodes, and peak resident memory (MB) of the 1,000-node run.
WALL_TARGETS_S = {100: 5.0, 1000: 60.0}
RSS_TARGETS_MB = {1000: 1500.0}
#: Hardware of every node: 1 GHz weak-coherent source, InGaAs-like detectors (as the library's QKD scenarios).
NODE_TEMPLATE = {
    "light_source": {"frequency_hz": 1.0e9},
    "detector": {"efficiency": 0.25, "dark_count_rate_hz": 100, "time_resolution_ps": 50},
}


def waxman_config(n_nodes: int, beta: float) -> WaxmanGenerator:
    return WaxmanGenerator(
        kind="waxman",
        n_nodes=n_nodes,
        domain_km=DOMAIN_KM,
        alpha=ALPHA,
        beta=beta,
        role="trusted_relay",
        topology_seed=TOPOLOGY_SEED,
    )


def calibrated_beta(n_nodes: int) -> tuple[float, int]:
    """Waxman beta giving about ``MEAN_DEGREE * n / 2`` links (bisection on the seeded draw); and that count."""
    wanted = MEAN_DEGREE * n_nodes / 2
    low, high = 1e-4, 1.0
    for _ in range(30):
        middle = (low + high) / 2
        if len(generate(waxman_config(n_nodes, middle)).links) < wanted:
            low = middle
        else:
            high = middle
    return high, len(generate(waxman_config(n_nodes, high)).links)


def scenario_for(n_nodes: int, duration_s: float, n_requests: int, qkd: dict[str, Any]) -> tuple[Scenario, int]:
    """The benchmark scenario for ``n_nodes``: ``n_requests`` expected over ``N_PAIRS`` random pairs."""
    beta, n_links = calibrated_beta(n_nodes)
    rng = np.random.default_rng(SEED)
    pairs = [rng.choice(n_nodes, size=2, replace=False) for _ in range(N_PAIRS)]
    rate_hz = n_requests / duration_s / N_PAIRS
    traffic = [
        {
            "kind": "key",
            "src": f"n{a}",
            "dst": f"n{b}",
            "bits": KEY_BITS,
            "rate_hz": rate_hz,
            "deadline_s": DEADLINE_S,
        }
        for a, b in pairs
    ]
    data = {
        "name": f"bench-qkdn-{n_nodes}",
        "seed": SEED,
        "duration_s": duration_s,
        "templates": {"nodes": {"qkd_node": NODE_TEMPLATE}},
        "qkd": {"link_model": "decoy-bb84", "routing": "key_aware", **qkd},
        "network": {
            "generator": waxman_config(n_nodes, beta).model_dump(mode="json"),
            "node_template": "qkd_node",
        },
        "failures": {"random": {"mtbf_s": MTBF_S, "mttr_s": MTTR_S}},
        "traffic": traffic,
    }
    return from_dict(data), n_links


@dataclass(frozen=True)
class Figures:
    n_nodes: int
    n_links: int
    wall_s: float
    cpu_s: float
    n_events: int
    n_requests: int
    n_served: int
    n_outages: int
    n_blocks: int
    peak_rss_mb: float


def run_once(n_nodes: int, args: argparse.Namespace, qkd: dict[str, Any]) -> Figures:
    scenario, n_links = scenario_for(n_nodes, args.duration_s, args.n_requests, qkd)
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    results = run(scenario)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    requests = results.tables["requests"]
    return Figures(
        n_nodes=n_nodes,
        n_links=n_links,
        wall_s=wall,
        cpu_s=cpu,
        n_events=int(results.manifest["events_executed"]),
        n_requests=len(requests),
        n_served=int(requests["served"].sum()),
        n_outages=len(results.tables["outages"]),
        n_blocks=len(results.tables["link_blocks"]),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


def run_in_child(n_nodes: int, args: argparse.Namespace, tree: str | None) -> Figures:
    """One run in a fresh Python process (its peak RSS is the run's alone), on ``tree`` or this one."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(n_nodes)]
    command += ["--duration-s", str(args.duration_s), "--n-requests", str(args.n_requests)]
    for option in ("block_bits", "report_interval_s"):
        if getattr(args, option) is not None:
            command += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
    if tree is not None:
        command += ["--tree", tree]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    return Figures(**json.loads(done.stdout.strip().splitlines()[-1]))


def git_commit(tree: str) -> str:
    """The commit checked out in ``tree`` (with ``+changes`` when the tree differs from it), or 'unknown'."""
    try:
        commit = subprocess.run(
            ["git", "-C", tree, "rev-parse", "--short", "HEAD"], check=True, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(["git", "-C", tree, "status", "--porcelain"], capture_output=True, text=True).stdout
        return commit + (" +changes" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        marker = Path(tree) / "COMMIT"  # an exported tree may carry its commit in this file
        return marker.read_text().strip() if marker.exists() else "unknown"


def report_targets(rows: list[Figures], label: str) -> None:
    """One line per target: the measured figure and whether it is met."""
    by_size = {r.n_nodes: r for r in rows}
    for n_nodes, limit_s in WALL_TARGETS_S.items():
        if n_nodes in by_size:
            r = by_size[n_nodes]
            verdict = "met" if r.wall_s < limit_s else "NOT met"
            print(
                f"  target {label}: {n_nodes} nodes / {r.n_links} links under {limit_s:g} s wall: "
                f"{r.wall_s:.1f} s (cpu {r.cpu_s:.1f} s) -> {verdict}"
            )
    for n_nodes, limit_mb in RSS_TARGETS_MB.items():
        if n_nodes in by_size:
            r = by_size[n_nodes]
            verdict = "met" if r.peak_rss_mb < limit_mb else "NOT met"
            print(
                f"  target {label}: {n_nodes} nodes peak RSS under {limit_mb:,.0f} MB: "
                f"{r.peak_rss_mb:,.0f} MB -> {verdict}"
            )


def load_note() -> str:
    """CPUs and load average, so a reader can judge how shared the machine was."""
    one, five, fifteen = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1 / 5 / 15 min)"


def report(rows: list[Figures], args: argparse.Namespace) -> None:
    print(f"\nQKD network benchmark: {args.duration_s:g} s simulated, ~{args.n_requests} key requests per run")
    print(
        f"{'nodes':>6} {'links':>6} {'wall_s':>8} {'cpu_s':>8} {'events':>11} {'events/s':>10} "
        f"{'requests':>9} {'served':>7} {'outages':>8} {'blocks':>9} {'peak_rss_MB':>12}"
    )
    for r in rows:
        print(
            f"{r.n_nodes:>6} {r.n_links:>6} {r.wall_s:>8.1f} {r.cpu_s:>8.1f} {r.n_events:>11,} "
            f"{r.n_events / r.wall_s:>10,.0f} {r.n_requests:>9} {r.n_served / max(r.n_requests, 1):>7.1%} "
            f"{r.n_outages:>8} {r.n_blocks:>9,} {r.peak_rss_mb:>12,.0f}"
        )
    for previous, current in zip(rows, rows[1:], strict=False):
        print(
            f"growth {previous.n_nodes} -> {current.n_nodes} nodes (x{current.n_nodes / previous.n_nodes:g}): "
            f"wall x{current.wall_s / previous.wall_s:.2f}, events x{current.n_events / previous.n_events:.2f}, "
            f"links x{current.n_links / previous.n_links:.2f}"
        )


def profile_once(n_nodes: int, args: argparse.Namespace, qkd: dict[str, Any]) -> None:
    scenario, _ = scenario_for(n_nodes, args.duration_s, args.n_requests, qkd)
    profiler = cProfile.Profile()
    profiler.enable()
    run(scenario)
    profiler.disable()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(25)
        print(f"\n--- cProfile of the {n_nodes}-node run, top 25 by {order} ---")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--duration-s", type=float, default=3600.0)
    parser.add_argument("--n-requests", type=int, default=10_000)
    parser.add_argument("--block-bits", type=int, default=None, help="qkd.block_bits (default: the schema's)")
    parser.add_argument("--report-interval-s", type=float, default=None, help="qkd.report_interval_s")
    parser.add_argument("--baseline-tree", default=None, help="also run on this copy of the project ('before')")
    parser.add_argument("--profile", action="store_true", help="profile one 100-node run afterwards")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)  # one run, figures as JSON
    parser.add_argument("--tree", default=None, help=argparse.SUPPRESS)  # the project copy a child imports
    args = parser.parse_args()
    qkd: dict[str, Any] = {}
    if args.block_bits is not None:
        qkd["block_bits"] = args.block_bits
    if args.report_interval_s is not None:
        qkd["report_interval_s"] = args.report_interval_s
    if args.child is not None:
        print(json.dumps(asdict(run_once(args.child, args, qkd))))
        return
    print(f"qkd settings beyond the schema defaults: {qkd or 'none'}", file=sys.stderr)
    trees = [("before", args.baseline_tree)] if args.baseline_tree else []
    trees.append(("after" if args.baseline_tree else "this tree", None))
    results = []
    for label, tree in trees:
        rows = []
        for n_nodes in args.sizes:
            print(f"running {n_nodes} nodes on {label} ({load_note()}) ...", file=sys.stderr, flush=True)
            rows.append(run_in_child(n_nodes, args, tree))
            print(f"  {rows[-1]}", file=sys.stderr, flush=True)
        results.append((label, tree, rows))
    print(f"\nmachine: {load_note()} at the end; each run in its own child process")
    for label, tree, rows in results:
        print(f"\n[{label}: commit {git_commit(tree or _TREE)}]", end="")
        report(rows, args)
        report_targets(rows, label)
    if args.profile:
        profile_once(100, args, qkd)


if __name__ == "__main__":
    main()
