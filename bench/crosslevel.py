"""Randomized cross-level agreement, the larger set: many random small scenarios, two levels each.

Draws ``--cases`` scenarios (chains, rings and grids of 2-9 nodes, see
``tests/crosslevel.py``) and compares the ``fast`` and ``network`` levels on each,
then draws ``--hardware-cases`` scenarios of at most ``--hardware-max-nodes``
nodes and compares ``hardware`` with ``fast`` and with ``network``. Every case
runs at ``--seeds`` seeds per level. Prints one line per comparison and a
summary (cases tried, agreements, differences by design, known open ones,
disagreements, worst differences per metric), and writes it as JSON with every
comparison to ``--json``. The summary of a run is in ``docs/validation.md``.

Usage: ``python bench/crosslevel.py [--cases 60] [--hardware-cases 15] [--seeds 3] [--duration-s 0.1]
[--workers 2] [--json out.json] [--with-issue-scenario]``
"""

import sys
from pathlib import Path

# Run against this working tree, however (or whether) qnetsim is installed.
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from typing import Any  # noqa: E402

from tests.crosslevel import (  # noqa: E402
    K_SIGMA,
    KNOWN_OPEN,
    Case,
    CaseComparison,
    check_case,
    draw_cases,
    purification_with_cutoff_case,
)

METRICS = ("pairs_per_run", "fidelity", "latency_s")


def _check(task: tuple[Case, str, str, list[int]]) -> CaseComparison:
    case, level_a, level_b, seeds = task
    try:
        return check_case(case, level_a, level_b, seeds)
    except Exception as error:  # a crash is a finding, reported with the case
        comparison = CaseComparison(case, level_a, level_b)
        comparison.problems.append(f"run failed: {type(error).__name__}: {error}")
        return comparison


def summarise(comparisons: list[CaseComparison]) -> dict[str, Any]:
    """Counts per verdict and the worst difference per metric (in standard errors, k = agreement limit)."""
    verdicts: dict[str, int] = {}
    for comparison in comparisons:
        key = comparison.verdict.split(" (")[0]
        verdicts[key] = verdicts.get(key, 0) + 1
    worst: dict[str, dict[str, Any]] = {}
    for comparison in comparisons:
        if comparison.by_design is not None:
            continue
        for m in comparison.metrics:
            if m.metric not in worst or m.z > worst[m.metric]["z"]:
                worst[m.metric] = {
                    "z": m.z,
                    "case": comparison.case.case_id,
                    "levels": f"{comparison.level_a} vs {comparison.level_b}",
                    "values": [m.value_a, m.value_b],
                    "verdict": comparison.verdict,
                }
    worst_agreeing: dict[str, dict[str, Any]] = {}
    for comparison in comparisons:
        if not comparison.agree or comparison.by_design is not None:
            continue
        for m in comparison.metrics:
            if m.metric not in worst_agreeing or m.z > worst_agreeing[m.metric]["z"]:
                worst_agreeing[m.metric] = {"z": m.z, "case": comparison.case.case_id, "values": [m.value_a, m.value_b]}
    return {
        "n_comparisons": len(comparisons),
        "n_cases": len({c.case.case_id for c in comparisons}),
        "n_informative": sum(c.informative for c in comparisons),
        "n_metric_comparisons": sum(len(c.metrics) for c in comparisons),
        "verdicts": verdicts,
        "worst": worst,
        "worst_among_agreeing": worst_agreeing,
        "k_sigma": K_SIGMA,
    }


def _to_json(comparison: CaseComparison) -> dict[str, Any]:
    return {
        "case": comparison.case.case_id,
        "levels": [comparison.level_a, comparison.level_b],
        "features": comparison.case.features,
        "verdict": comparison.verdict,
        "informative": comparison.informative,
        "problems": comparison.problems,
        "metrics": [
            {
                "request": m.request,
                "metric": m.metric,
                "a": m.value_a,
                "b": m.value_b,
                "tolerance": m.tolerance,
                "z": None if math.isinf(m.z) else m.z,
                "agree": m.agree,
            }
            for m in comparison.metrics
        ],
        "scenario": comparison.case.data,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=60, help="random cases compared fast vs network")
    parser.add_argument("--hardware-cases", type=int, default=15, help="small cases also run photon by photon")
    parser.add_argument("--hardware-max-nodes", type=int, default=4)
    parser.add_argument("--seeds", type=int, default=3, help="seeds per case and level")
    parser.add_argument("--duration-s", type=float, default=0.1, help="simulated time per run")
    parser.add_argument("--generator-seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, help="write every comparison and the summary here")
    parser.add_argument(
        "--with-issue-scenario",
        action="store_true",
        help="also compare fast vs network on the 7-node purification scenario with a 30 ms cut-off (1 s each)",
    )
    args = parser.parse_args()

    seeds = list(range(1, args.seeds + 1))
    tasks = [(case, "fast", "network", seeds) for case in draw_cases(args.cases, args.generator_seed, args.duration_s)]
    small = draw_cases(args.hardware_cases, args.generator_seed + 1, args.duration_s, args.hardware_max_nodes)
    for case in small:
        tasks += [(case, "hardware", "fast", seeds), (case, "hardware", "network", seeds)]
    if args.with_issue_scenario:
        tasks.append((purification_with_cutoff_case(), "fast", "network", seeds))

    started = time.perf_counter()
    comparisons = []
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for comparison in pool.map(_check, tasks):
            comparisons.append(comparison)
            print(comparison.describe() if comparison.verdict != "agree" else f"{comparison.case.case_id} "
                  f"{comparison.level_a} vs {comparison.level_b}: agree", flush=True)  # fmt: skip
    summary = summarise(comparisons)
    summary["wall_s"] = time.perf_counter() - started
    summary["arguments"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    summary["known_open"] = KNOWN_OPEN
    print(json.dumps({k: v for k, v in summary.items() if k != "known_open"}, indent=2))
    if args.json is not None:
        everything = {"summary": summary, "comparisons": [_to_json(c) for c in comparisons]}
        args.json.write_text(json.dumps(everything, indent=1))


if __name__ == "__main__":
    main()
