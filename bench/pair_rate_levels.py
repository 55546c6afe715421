"""Pair rates of the hardware, fast and network levels on a 6-node ring and a 5-node chain.

The scenarios are those of ``tests/pair_rate_cases.py`` (10 km links, two single-link
requests on the ring, n0 -> n4 on the chain). Prints, per scenario and request, the mean
number of pairs per run over the seeds with its standard error (the seeds' spread, at
least Poisson), the renewal formula's expectation for the ring's single links
(R = n p / tau times the run, less the reservation's set-up), and the difference of each
level from the network level in standard errors of the difference. The figures of
docs/benchmarks.md come from this script; ``--tree DIR`` runs the simulator of another tree
(an older commit's packages exported with ``git archive COMMIT qnetsim qtn qkdn scenarios
analysis | tar -x -C DIR``) with this tree's scenarios.

Usage: ``python bench/pair_rate_levels.py [--levels fast,network] [--seeds 1,2,3,4,5,6]
[--ring-s 0.2] [--chain-s 0.3] [--tree DIR]``
"""

import argparse
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="fast,network", help="comma-separated levels (hardware is slow)")
    parser.add_argument("--seeds", default="1,2,3,4,5,6")
    parser.add_argument("--ring-s", type=float, default=0.2, help="simulated seconds per ring run")
    parser.add_argument("--chain-s", type=float, default=0.3, help="simulated seconds per chain run")
    parser.add_argument("--tree", type=Path, default=None, help="run the simulator of this tree (tests from here)")
    return parser.parse_args()


def main() -> None:
    args = _args()
    # The simulator of --tree (or of this tree) first, then this tree for the scenario helpers.
    sys.path.insert(1, str(HERE))
    if args.tree is not None:
        sys.path.insert(1, str(args.tree.resolve()))
    import qtn
    from qnetsim.core.bookkeeping import SETUP_GUARD_S
    from qnetsim.core.units import FIBRE_SPEED_KM_PER_S
    from qtn.analytic.heralded_generation import (
        sequence_requester_is_primary,
        single_heralded_attempt_period_s,
        single_heralded_success_probability,
    )
    from tests.pair_rate_cases import LENGTH_KM, chain, pair_counts, ring, runs_of

    levels = args.levels.split(",")
    seeds = tuple(int(s) for s in args.seeds.split(","))
    print(f"simulator: {Path(qtn.__file__).resolve().parents[1]}; seeds {args.seeds}")
    p = float(single_heralded_success_probability(LENGTH_KM, 0.2, 0.75, 0.9, 0.5))
    for case in (ring(args.ring_s), chain(args.chain_s)):
        runs = runs_of(case, levels, seeds)
        counts = {level: pair_counts(level_runs) for level, level_runs in runs.items()}
        traffic = case.data["traffic"]
        print(f"\n{case.case_id}: {case.data['duration_s']} s per run")
        print(f"{'request':<10} {'formula':>8} " + " ".join(f"{level:>18}" for level in levels))
        for index, request in enumerate(traffic):
            formula = ""
            if case.case_id == "ring":
                primary = sequence_requester_is_primary(request["src"], request["dst"])
                tau = float(
                    single_heralded_attempt_period_s(LENGTH_KM, requester_is_primary=primary, memory_frequency_hz=2e6)
                )
                setup_s = 2 * LENGTH_KM / FIBRE_SPEED_KM_PER_S + SETUP_GUARD_S  # one hop's reservation round trip
                formula = f"{request['n_memories'] * p / tau * (case.data['duration_s'] - setup_s):.1f}"
            cells = []
            for level in levels:
                mean, error = counts[level].means[index], counts[level].standard_errors[index]
                cell = f"{mean:.1f}+-{error:.1f}"
                if level != "network" and "network" in counts:
                    other = counts["network"]
                    z = (mean - other.means[index]) / math.hypot(error, other.standard_errors[index])
                    cell += f" ({z:+.1f})"
                cells.append(f"{cell:>18}")
            print(f"{request['src']}->{request['dst']:<6} {formula:>8} " + " ".join(cells))


if __name__ == "__main__":
    main()
