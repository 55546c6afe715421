"""Benchmark: the default chain scenario through qnetsim vs the same network built directly on SeQUeNCe.

Three variants run alternately in one process (the order rotates every repetition):

* ``qnetsim``: ``scenarios.run`` on the built-in ``entanglement-chain`` scenario
  (checks, build, simulation, tables and manifest), timed as a whole;
* ``raw-stock``: the same network built with SeQUeNCe's ``RouterNetTopo`` and
  ``RequestApp``, with SeQUeNCe's stock event list, as a SeQUeNCe user would run it;
* ``raw-fast``: the same raw network with ``qtn.sequence_backed.event_list.FastEventList`` swapped in,
  which isolates the overhead of the project's own layer.

Before timing, the built networks are compared parameter by parameter and a short
warm-up run of every variant is discarded. Imports are done before any timing.
See ``bench/README.md`` for what each printed figure means.

Usage: ``python bench/bench_chain.py [--repeats N] [--duration-s SECONDS]``
"""

import sys
from pathlib import Path

# Benchmark this working tree, however (or whether) qnetsim is installed.
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

import argparse  # noqa: E402
import gc  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import _common as common  # noqa: E402

from qnetsim.core.randomness import controlled_global_random_state  # noqa: E402
from qtn.sequence_backed import adapter as sequence_adapter  # noqa: E402
from qtn.sequence_backed.network import EntanglementNetwork  # noqa: E402
from scenarios import Scenario, from_dict, load, run  # noqa: E402
from scenarios.build import entanglement_requests, network_spec  # noqa: E402
from scenarios.checks import check_scenario  # noqa: E402

SCENARIO_NAME = "entanglement-chain"
OVERHEAD_TARGET = 0.10
WARM_UP_DURATION_S = 1e-3
#: Statistical tolerance of the fairness checks, in standard errors.
N_STANDARD_ERRORS = 4.0

LABELS = {
    "qnetsim": "qnetsim run() (FastEventList)",
    "raw-stock": "SeQUeNCe direct, stock EventList",
    "raw-fast": "SeQUeNCe direct + FastEventList",
}


# --- one run of each variant ---------------------------------------------------------------


@dataclass(frozen=True)
class RunFigures:
    """What one run reports besides its wall time."""

    n_events: int
    fidelities: list[float]
    #: qnetsim only: the runner's own timing of build + simulate (manifest ``wall_time_s``).
    build_and_simulate_s: float | None = None


def scenario_with_duration(scenario: Scenario, duration_s: float) -> Scenario:
    """``scenario`` re-validated with another simulated duration."""
    return from_dict({**scenario.model_dump(mode="json"), "duration_s": duration_s}, scenario.name)


def run_qnetsim(scenario: Scenario) -> RunFigures:
    results = run(scenario, progress=False)
    return RunFigures(
        n_events=int(results.manifest["events_executed"]),
        fidelities=[float(f) for f in results.tables["pairs"]["fidelity"]],
        build_and_simulate_s=float(results.manifest["wall_time_s"]),
    )


def run_raw(duration_s: float, fast_event_list: bool) -> RunFigures:
    raw = common.run_raw_chain(duration_s, fast_event_list=fast_event_list)
    if raw.n_pairs != len(raw.fidelities):
        raise SystemExit(f"raw run counted {raw.n_pairs} pairs but noted {len(raw.fidelities)} fidelities")
    return RunFigures(n_events=raw.n_events, fidelities=list(raw.fidelities))


def variants(scenario: Scenario) -> dict[str, Callable[[], RunFigures]]:
    duration_s = scenario.duration_s
    return {
        "qnetsim": lambda: run_qnetsim(scenario),
        "raw-stock": lambda: run_raw(duration_s, fast_event_list=False),
        "raw-fast": lambda: run_raw(duration_s, fast_event_list=True),
    }


def timed(function: Callable[[], RunFigures]) -> tuple[float, float, RunFigures]:
    """Wall time (s), CPU time of this process (s) and figures of one call."""
    gc.collect()  # garbage of the previous run is not charged to this one
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    figures = function()
    return time.perf_counter() - wall_start, time.process_time() - cpu_start, figures


# --- parity of the two builds -------------------------------------------------------------


def qnetsim_fingerprint(scenario: Scenario) -> dict[str, Any]:
    """Fingerprint of the network ``scenarios.run`` builds for ``scenario`` (the runner's steps)."""
    topology, problems = check_scenario(scenario)
    if problems:
        raise SystemExit(f"scenario has problems: {problems}")
    spec = network_spec(scenario, topology)
    with sequence_adapter.sequence_globals(), controlled_global_random_state(scenario.seed):
        network = EntanglementNetwork(spec, scenario.seed, scenario.duration_s)
        for request in entanglement_requests(scenario):
            network.add_request(request)
        network.run()
        return common.network_fingerprint(network.built.timeline)


def parity_report(scenario: Scenario) -> list[str]:
    short = scenario_with_duration(scenario, WARM_UP_DURATION_S)
    ours = qnetsim_fingerprint(short)
    theirs = common.network_fingerprint(common.run_raw_chain(WARM_UP_DURATION_S, fast_event_list=True).timeline)
    found = common.differences(ours, theirs)
    # The project registers its own subclasses of SeQUeNCe's protocols (attempt counters for the links
    # table, the responder keeping its half a round trip, no purification at F <= 1/2): by design.
    by_design = [line for line in found if line.startswith("selectors.") and "'qnetsim_" in line]
    found = [line for line in found if line not in by_design]
    notes = [f"  protocols by design (the project's subclasses of SeQUeNCe's): {len(by_design)}"] + [
        f"    {line}" for line in by_design
    ]
    if not found:
        return [
            f"  built networks: identical ({common.count_leaves(ours)} parameters: memories, detectors, BSMs, "
            "channels,\n    routing tables, reservation window, formalism and protocol selectors)",
            *(notes if by_design else []),
        ]
    return (
        [f"  built networks: {len(found)} DIFFERENCES (comparison below is not like for like)"]
        + [f"    {line}" for line in found]
        + (notes if by_design else [])
    )


# --- report -------------------------------------------------------------------------------


def fairness_lines(samples: dict[str, common.Samples]) -> list[str]:
    """Pairs per run and mean fidelity of qnetsim against each direct variant, with tolerances."""
    ours = samples["qnetsim"]
    pair_parts, fidelity_parts, similar = [], [], True
    for key in ("raw-stock", "raw-fast"):
        theirs = samples[key]
        pair_gap = abs(ours.mean_pairs - theirs.mean_pairs)
        pair_tolerance = N_STANDARD_ERRORS * math.sqrt(ours.mean_pairs + theirs.mean_pairs)
        fidelity_gap = abs(ours.mean_fidelity - theirs.mean_fidelity)
        fidelity_tolerance = N_STANDARD_ERRORS * math.hypot(
            ours.fidelity_standard_error, theirs.fidelity_standard_error
        )
        similar = similar and pair_gap <= pair_tolerance and fidelity_gap <= fidelity_tolerance
        pair_parts.append(f"{pair_gap:.0f} (tolerance {pair_tolerance:.0f}) vs {key}")
        fidelity_parts.append(f"{fidelity_gap:.4f} (tolerance {fidelity_tolerance:.4f}) vs {key}")
    verdict = "similar: a like-for-like comparison" if similar else "NOT SIMILAR: the ratios compare different work"
    return [
        f"  pairs per run: |diff| {', '.join(pair_parts)}",
        f"  mean fidelity: |diff| {', '.join(fidelity_parts)}",
        f"  -> {verdict}",
    ]


def ratio_text(ours: list[float], theirs: list[float]) -> tuple[float, str]:
    """Ratio of medians and its text with the range of per-repeat (paired) ratios."""
    ratio = statistics.median(ours) / statistics.median(theirs)
    paired = [a / b for a, b in zip(ours, theirs, strict=True)]
    return ratio, f"{ratio:5.2f} [{min(paired):.2f}-{max(paired):.2f}] {(ratio - 1) * 100:+6.1f}%"


def ratio_lines(samples: dict[str, common.Samples]) -> list[str]:
    ours = samples["qnetsim"]
    lines = [f"{'ratio qnetsim / SeQUeNCe direct':<50}{'wall [range]':<29}cpu [range]"]
    rows = (
        ("(a) vs SeQUeNCe as shipped (stock EventList)", "raw-stock"),
        ("(b) vs SeQUeNCe + FastEventList (own layer)", "raw-fast"),
    )
    for label, key in rows:
        wall_ratio, wall = ratio_text(ours.wall_s, samples[key].wall_s)
        cpu_ratio, cpu = ratio_text(ours.cpu_s, samples[key].cpu_s)
        lines.append(f"  {label:<48}{wall:<29}{cpu}")
        if key == "raw-fast":
            verdicts = [
                f"{'met' if ratio - 1 <= OVERHEAD_TARGET else 'NOT met'} on {name} time"
                for name, ratio in (("wall", wall_ratio), ("cpu", cpu_ratio))
            ]
            target = f"  target: qnetsim adds <= {OVERHEAD_TARGET:.0%} over (b): {', '.join(verdicts)}"
    lines.append(target)
    return lines


def report(
    scenario: Scenario,
    repeats: int,
    samples: dict[str, common.Samples],
    outside_simulation_s: float,
    parity: list[str],
) -> None:
    n_links = common.N_ROUTERS - 1
    print(
        f"qnetsim chain benchmark: {scenario.name}, {common.N_ROUTERS} routers, {n_links} x "
        f"{common.LINK_LENGTH_M / 1000:g} km links, {scenario.duration_s:g} s simulated, repeats: {repeats}"
    )
    print(
        "alternated in one process, imports excluded; times are medians of build + simulate "
        "(+ checks and tables for qnetsim);\nevents/s = events executed per wall second"
    )
    print()
    header = f"{'variant':<34}{'wall_s':>9}{'cpu_s':>9}{'events/s':>11}{'events':>10}{'pairs':>7}{'mean F':>8}"
    print(header)
    for key, label in LABELS.items():
        s = samples[key]
        print(
            f"{label:<34}{s.median_wall_s:>9.3f}{s.median_cpu_s:>9.3f}{s.median_events_per_s:>11,.0f}"
            f"{statistics.median(s.n_events):>10,.0f}{s.mean_pairs:>7.0f}{s.mean_fidelity:>8.4f}"
        )
    print()
    for line in ratio_lines(samples):
        print(line)
    print(
        f"  of qnetsim's median wall time, {outside_simulation_s:.3f} s is outside build + simulate "
        "(checks, tables, manifest)"
    )
    print()
    print(
        f"fairness (qnetsim vs each direct variant; tolerance {N_STANDARD_ERRORS:g} standard errors, pairs as Poisson)"
    )
    for line in parity + fairness_lines(samples):
        print(line)


# --- main ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repetitions of each variant (default 3)")
    parser.add_argument(
        "--duration-s", type=float, default=None, help="simulated time in seconds (default: the scenario's, 1 s)"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1; got {args.repeats}")
    minimum_s = 2 * common.RESERVATION_SETUP_PS / 1e12
    if args.duration_s is not None and args.duration_s < minimum_s:
        parser.error(f"--duration-s must be >= {minimum_s:g} (twice the reservation set-up); got {args.duration_s}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scenario = load(SCENARIO_NAME)
    if args.duration_s is not None:
        scenario = scenario_with_duration(scenario, args.duration_s)
    parity = parity_report(scenario)
    warm_up = scenario_with_duration(scenario, WARM_UP_DURATION_S)
    for function in variants(warm_up).values():
        function()
    runs = variants(scenario)
    keys = list(runs)
    samples = {key: common.Samples() for key in keys}
    outside_simulation_s = []
    for repeat in range(args.repeats):
        order = keys[repeat % len(keys) :] + keys[: repeat % len(keys)]
        for key in order:
            wall_s, cpu_s, figures = timed(runs[key])
            samples[key].add(wall_s, cpu_s, figures.n_events, figures.fidelities)
            if figures.build_and_simulate_s is not None:
                outside_simulation_s.append(wall_s - figures.build_and_simulate_s)
            progress = f"repeat {repeat + 1}/{args.repeats}  {key:<9} wall {wall_s:8.3f} s  cpu {cpu_s:8.3f} s"
            print(progress, file=sys.stderr, flush=True)
    report(scenario, args.repeats, samples, statistics.median(outside_simulation_s), parity)
    return 0


if __name__ == "__main__":
    sys.exit(main())
