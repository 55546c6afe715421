"""Benchmark: ``qnetsim compare`` on the built-in chain and on the 14-node NSFNET, per design and per seed.

Two scenarios, run in alternation (the order rotates every repeat so neither always
runs first):

* ``compare-chain`` (the default main job: ``qnetsim compare`` with no argument), with
  its distance sweep, as the command runs it;
* ``nsfnet-trusted-relays`` (14 nodes, 22 links, three coast-to-coast user pairs), the
  key runs shortened to ``--duration-s`` simulated seconds, without a distance sweep.

Each comparison runs ``--seeds`` seeds. The report gives, per scenario, the median
over repeats of the whole comparison's wall time and CPU time of this process (the
CPU time is what an idle machine's wall time would be, the work being one thread),
the wall time of each design per seed (the sum of its runs) and of each run, and the
distance sweep's. Progress goes to stderr, the report to stdout.

Usage: ``python bench/bench_compare.py [--repeats 2] [--seeds 2] [--duration-s 1.0]``
"""

import sys
from pathlib import Path

# Benchmark this working tree, however (or whether) qnetsim is installed.
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

import argparse  # noqa: E402
import gc  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402

from scenarios import from_dict, load  # noqa: E402
from scenarios.compare import compare  # noqa: E402
from scenarios.compare_designs import CompareSettings  # noqa: E402
from scenarios.compare_distance import default_distances_km  # noqa: E402


def _scenarios(duration_s: float) -> dict[str, tuple]:
    chain = load("compare-chain")
    data = load("nsfnet-trusted-relays").model_dump(mode="json", exclude_unset=True)
    data["duration_s"] = duration_s
    nsfnet = from_dict(data)
    return {
        "compare-chain (default main job)": (chain, default_distances_km(chain)),
        "nsfnet-trusted-relays (14 nodes)": (nsfnet, None),
    }


def _one(scenario, distances, n_seeds: int) -> dict:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    comparison = compare(
        scenario, settings=CompareSettings(duration_s=scenario.duration_s), n_seeds=n_seeds, distances_km=distances
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    timings = comparison.timings
    runs_s = float(timings["wall_time_s"].sum())
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "distance_s": wall - runs_s if distances else 0.0,
        "per_design_seed": timings.groupby(["design", "seed"])["wall_time_s"].sum().to_dict(),
        "per_run": timings.groupby(["design", "purpose"])["wall_time_s"].median().to_dict(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--duration-s", type=float, default=1.0, help="key runs of the NSFNET comparison")
    args = parser.parse_args()
    scenarios = _scenarios(args.duration_s)
    names = list(scenarios)
    found: dict[str, list[dict]] = defaultdict(list)
    for repeat in range(args.repeats):
        order = names[repeat % len(names) :] + names[: repeat % len(names)]
        for name in order:
            print(f"repeat {repeat + 1}/{args.repeats}: {name}", file=sys.stderr, flush=True)
            found[name].append(_one(*scenarios[name], args.seeds))
    print(f"qnetsim compare: {args.repeats} repeats (alternating), {args.seeds} seeds each; medians over repeats")
    for name in names:
        results = found[name]
        med = statistics.median
        print(f"\n{name}")
        print(
            f"  whole comparison: wall {med(r['wall_s'] for r in results):.1f} s, "
            f"CPU of this process {med(r['cpu_s'] for r in results):.1f} s"
        )
        if any(r["distance_s"] for r in results):
            print(f"  distance sweep (4 distances x 3 designs): wall {med(r['distance_s'] for r in results):.1f} s")
        print("  per design and seed (wall s, sum of the design's runs):")
        for key in sorted(results[0]["per_design_seed"]):
            values = [r["per_design_seed"][key] for r in results]
            print(f"    {key[0]:<17} seed {key[1]:<4} {med(values):7.2f}")
        print("  per run (wall s, median over seeds and repeats):")
        for key in sorted(results[0]["per_run"]):
            values = [r["per_run"][key] for r in results]
            print(f"    {key[0]:<17} {key[1]:<14} {med(values):7.2f}")


if __name__ == "__main__":
    main()
