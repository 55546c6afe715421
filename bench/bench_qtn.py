"""Benchmark: wall time per delivered end-to-end pair of the QTN hardware, fast and network modes and SimQN.

For a 2-node, 10 km link and for 5- and 9-node chains of 10 km links, four
variants run alternately in one process (the order rotates every repetition):

* ``hardware``: ``scenarios.run`` with ``fidelity_level: hardware`` (SeQUeNCe
  simulates every heralded generation attempt photon by photon);
* ``fast``: the same scenario with ``fidelity_level: fast`` (the midpoint BSM
  samples the number of failed attempts; SeQUeNCe's protocol stack above);
* ``network``: the same scenario with ``fidelity_level: network`` (link pairs
  sampled, the repeater protocol per protocol step on qnetsim's own event loop,
  :mod:`qtn.netscale`): the fast mode for network-scale runs;
* ``simqn``: the equivalent chain written on SimQN (PyPI ``qns``, the optional
  ``bench`` extra; see ``bench/_simqn_chain.py``), photon by photon.

It prints, per variant, delivered pairs, wall and CPU time, milliseconds per
delivered pair, mean fidelity and events per second; then the speed-up per
delivered pair of the network and fast modes against SimQN (target 10x) and
against the hardware mode (target 20x), and whether their fidelities and pair
counts agree with the hardware mode's. Imports and one short warm-up run of
every variant are excluded from timing. See ``bench/README.md``.

Usage: ``python bench/bench_qtn.py [--repeats N] [--duration-s SECONDS] [--profile]``
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
from importlib.metadata import PackageNotFoundError, version  # noqa: E402

import _common as common  # noqa: E402
import _profile_split  # noqa: E402

from qnetsim.core.bookkeeping import SETUP_GUARD_S  # noqa: E402
from qnetsim.core.units import fibre_delay_s  # noqa: E402
from qtn.analytic.heralded_generation import (  # noqa: E402
    sequence_requester_is_primary,
    single_heralded_attempt_period_s,
    single_heralded_heralded_state,
    single_heralded_success_probability,
)
from qtn.analytic.swapping import werner_chain_fidelity  # noqa: E402
from scenarios import Scenario, from_dict, run  # noqa: E402

try:
    import _simqn_chain as simqn
except ImportError:  # SimQN is an optional, benchmark-only dependency
    simqn = None

LINK_LENGTH_KM = 10.0
#: Nodes in the chain -> default simulated seconds (each variant delivers about 500 or more pairs). Long
#: enough that a run's fixed costs (checks, tables, manifest) weigh little against its per-pair cost.
DEFAULT_DURATIONS_S = {2: 1.0, 5: 1.0, 9: 1.0}
#: Memories per router and link side (the request's n_memories; routers have twice as many).
N_REQUEST_MEMORIES = 2
#: Below every delivered fidelity here, so nothing is purified (SimQN's chain does not purify).
TARGET_FIDELITY = 0.5
SEED = 1
WARM_UP_DURATION_S = 0.01
TARGET_VS_SIMQN = 10.0
TARGET_VS_HARDWARE = 20.0
#: Statistical tolerance of the agreement checks, in standard errors.
N_STANDARD_ERRORS = 4.0
#: Smallest fidelity tolerance: rounding, when every pair of both modes has the same fidelity.
FIDELITY_FLOOR = 1e-9

VARIANTS = ("hardware", "fast", "network", "simqn")
LABELS = {
    "hardware": "hardware mode (SeQUeNCe, photon by photon)",
    "fast": "fast mode (sampled attempts, SeQUeNCe)",
    "network": "network mode (sampled links, own loop)",
    "simqn": "SimQN, photon by photon",
}
#: The sampled modes whose speed-up and agreement are reported; the targets are the network mode's.
SAMPLED = ("network", "fast")


# --- the scenarios ---------------------------------------------------------------------------


def chain_scenario(n_nodes: int, fidelity_level: str, duration_s: float, seed: int) -> Scenario:
    """A chain n0 ... n{N-1} of 10 km links, default hardware, one request n0 -> n{N-1}."""
    return from_dict(
        {
            "name": f"bench-qtn-{n_nodes}-nodes",
            "seed": seed,
            "duration_s": duration_s,
            "fidelity_level": fidelity_level,
            "templates": {"nodes": {"router": {"n_memories": 2 * N_REQUEST_MEMORIES}}},
            "network": {
                "generator": {"kind": "chain", "n_nodes": n_nodes, "length_km": LINK_LENGTH_KM},
                "node_template": "router",
            },
            "traffic": [
                {
                    "src": "n0",
                    "dst": f"n{n_nodes - 1}",
                    "n_memories": N_REQUEST_MEMORIES,
                    "target_fidelity": TARGET_FIDELITY,
                }
            ],
        }
    )


def simqn_parameters(scenario: Scenario) -> "simqn.ChainParameters":
    """The SimQN chain equivalent to ``scenario``: its hardware, window and SeQUeNCe's attempt periods.

    SeQUeNCe's period depends on which end of a link is primary (the name that sorts
    last), so on chains of more than 10 nodes (n9 - n10) links differ; each gets its own.
    """
    node = scenario.templates.node_template(scenario.network.node_template)
    link = scenario.templates.link_template(scenario.network.link_template)
    n_nodes = scenario.network.generator.n_nodes
    speed = link.fibre.speed_km_per_s
    periods_s = tuple(
        float(
            single_heralded_attempt_period_s(
                LINK_LENGTH_KM,
                speed,
                requester_is_primary=sequence_requester_is_primary(f"n{i}", f"n{i + 1}"),
                memory_frequency_hz=node.memory.frequency_hz,
            )
        )
        for i in range(n_nodes - 1)
    )
    return simqn.ChainParameters(
        n_nodes=n_nodes,
        length_km=LINK_LENGTH_KM,
        n_memories=N_REQUEST_MEMORIES,
        duration_s=scenario.duration_s,
        start_s=2 * (n_nodes - 1) * fibre_delay_s(LINK_LENGTH_KM, speed) + SETUP_GUARD_S,
        raw_fidelity=node.memory.raw_fidelity,
        coherence_time_s=node.memory.coherence_time_s,
        memory_efficiency=node.memory.efficiency,
        attenuation_db_per_km=link.fibre.attenuation_db_per_km,
        speed_km_per_s=speed,
        bsm_success_probability=link.bsm.success_probability,
        detector_efficiency=link.bsm.detector.efficiency,
        attempt_period_s=periods_s[0],
        seed=scenario.seed,
        link_periods_s=periods_s if len(set(periods_s)) > 1 else (),
    )


def analytic_lines(scenario: Scenario) -> list[str]:
    """Per-attempt success probability, attempt period and storage-free chain fidelity from qtn.analytic."""
    node = scenario.templates.node_template(scenario.network.node_template)
    link = scenario.templates.link_template(scenario.network.link_template)
    n_links = scenario.network.generator.n_nodes - 1
    p = single_heralded_success_probability(
        LINK_LENGTH_KM,
        link.fibre.attenuation_db_per_km,
        node.memory.efficiency,
        link.bsm.detector.efficiency,
        link.bsm.success_probability,
    )
    heralded = single_heralded_heralded_state(node.memory.raw_fidelity, LINK_LENGTH_KM, node.memory.coherence_time_s)
    lines = [f"  per-attempt success probability p = {p:.5f} (qtn.analytic)"]
    if simqn is not None:
        parameters = simqn_parameters(scenario)
        lines[0] += f"; SimQN chain: {parameters.success_probability:.5f}"
        lines.append(
            f"  attempt period (SeQUeNCe retry cycle, used by SimQN): {parameters.attempt_period_s * 1e6:.3f} us"
        )
    chain_fidelity = werner_chain_fidelity(float(heralded[0]), n_links)
    lines.append(f"  Werner chain fidelity with no storage after the herald: {chain_fidelity:.4f}")
    return lines


# --- one run of each variant ------------------------------------------------------------------


@dataclass(frozen=True)
class RunFigures:
    """What one run reports besides its time."""

    n_events: int
    fidelities: list[float]
    #: Project runs only: the runner's own timing of build + simulate (manifest ``wall_time_s``).
    build_and_simulate_s: float | None = None


def run_project(scenario: Scenario) -> RunFigures:
    results = run(scenario, progress=False)
    return RunFigures(
        n_events=int(results.manifest["events_executed"]),
        fidelities=[float(f) for f in results.tables["pairs"]["fidelity"]],
        build_and_simulate_s=float(results.manifest["wall_time_s"]),
    )


def run_simqn(parameters: "simqn.ChainParameters") -> RunFigures:
    chain = simqn.run_chain(parameters)
    return RunFigures(n_events=chain.n_events, fidelities=list(chain.fidelities))


def variants(n_nodes: int, duration_s: float, seed: int) -> dict[str, Callable[[], RunFigures]]:
    hardware = chain_scenario(n_nodes, "hardware", duration_s, seed)
    fast = chain_scenario(n_nodes, "fast", duration_s, seed)
    network = chain_scenario(n_nodes, "network", duration_s, seed)
    runs = {
        "hardware": lambda: run_project(hardware),
        "fast": lambda: run_project(fast),
        "network": lambda: run_project(network),
    }
    if simqn is not None:
        parameters = simqn_parameters(hardware)
        runs["simqn"] = lambda: run_simqn(parameters)
    return runs


def timed(function: Callable[[], RunFigures]) -> tuple[float, float, RunFigures]:
    """Wall time (s), CPU time of this process (s) and figures of one call."""
    gc.collect()  # garbage of the previous run is not charged to this one
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    figures = function()
    return time.perf_counter() - wall_start, time.process_time() - cpu_start, figures


# --- figures --------------------------------------------------------------------------------


def ms_per_pair(seconds: list[float], samples: common.Samples) -> list[float]:
    """Per-repeat milliseconds per delivered pair (inf for a run that delivered none)."""
    return [1e3 * s / n if n else math.inf for s, n in zip(seconds, samples.n_pairs, strict=True)]


@dataclass(frozen=True)
class SpeedUp:
    """Their time per delivered pair over a sampled mode's (> 1: the sampled mode is faster)."""

    wall: float
    wall_per_repeat: list[float]
    cpu: float
    target: float

    @property
    def met(self) -> bool:
        return self.wall >= self.target

    def summary(self) -> str:
        return f"{self.wall:.2f}x {'met' if self.met else 'NOT met'}"


def speed_up(ours: common.Samples, theirs: common.Samples, target: float) -> SpeedUp:
    """Speed-up of ``ours`` over ``theirs`` per delivered pair: medians of per-repeat ms/pair, wall and CPU."""
    wall_ours, wall_theirs = ms_per_pair(ours.wall_s, ours), ms_per_pair(theirs.wall_s, theirs)
    cpu_ours, cpu_theirs = ms_per_pair(ours.cpu_s, ours), ms_per_pair(theirs.cpu_s, theirs)
    return SpeedUp(
        wall=statistics.median(wall_theirs) / statistics.median(wall_ours),
        wall_per_repeat=[b / a for a, b in zip(wall_ours, wall_theirs, strict=True)],
        cpu=statistics.median(cpu_theirs) / statistics.median(cpu_ours),
        target=target,
    )


def speed_up_line(mode: str, name: str, ratio: SpeedUp) -> str:
    return (
        f"  {mode + ' mode vs ' + name:<30}{ratio.wall:7.2f}x [{min(ratio.wall_per_repeat):.2f}-"
        f"{max(ratio.wall_per_repeat):.2f}]   cpu {ratio.cpu:6.2f}x   target >= {ratio.target:g}x: "
        f"{'met' if ratio.met else 'NOT met'}"
    )


def fidelity_lines(samples: dict[str, common.Samples], mode: str) -> tuple[list[str], bool]:
    """Whether ``mode``'s mean fidelity and pairs per run agree with the hardware mode's."""
    hardware, fast = samples["hardware"], samples[mode]
    gap = abs(hardware.mean_fidelity - fast.mean_fidelity)
    tolerance = N_STANDARD_ERRORS * math.hypot(hardware.fidelity_standard_error, fast.fidelity_standard_error)
    tolerance = max(tolerance, FIDELITY_FLOOR)  # pairs of equal fidelity in every run have a zero standard error
    agree = gap <= tolerance
    line = (
        f"  {mode} fidelity: hardware {hardware.mean_fidelity:.4f}, {mode} {fast.mean_fidelity:.4f}: |diff| {gap:.5f} "
        f"(tolerance {N_STANDARD_ERRORS:g} SE = {tolerance:.5f}): {'agree' if agree else 'DIFFER'}"
    )
    if "simqn" in samples:
        line += f"; SimQN {samples['simqn'].mean_fidelity:.4f}"
    pair_gap = abs(hardware.mean_pairs - fast.mean_pairs)
    pair_tolerance = N_STANDARD_ERRORS * math.sqrt((hardware.mean_pairs + fast.mean_pairs) / len(hardware.n_pairs))
    pairs = (
        f"  {mode} pairs per run: hardware {hardware.mean_pairs:.1f}, {mode} {fast.mean_pairs:.1f}: "
        f"|diff| {pair_gap:.1f} "
        f"(tolerance {N_STANDARD_ERRORS:g} sqrt((n_hw + n_{mode}) / repeats) = {pair_tolerance:.1f}): "
        f"{'agree' if pair_gap <= pair_tolerance else 'DIFFER'}"
    )
    if "simqn" in samples:
        pairs += f"; SimQN {samples['simqn'].mean_pairs:.1f}"
    return [line, pairs], agree and pair_gap <= pair_tolerance


@dataclass(frozen=True)
class TopologyOutcome:
    n_nodes: int
    mode: str
    vs_simqn: str
    vs_hardware: str
    fidelity_agrees: bool


def report_topology(n_nodes: int, duration_s: float, samples: dict[str, common.Samples]) -> list[TopologyOutcome]:
    scenario = chain_scenario(n_nodes, "fast", duration_s, SEED)
    print(
        f"== {n_nodes} nodes: {n_nodes - 1} x {LINK_LENGTH_KM:g} km links, {max(n_nodes - 2, 0)} repeaters, "
        f"{N_REQUEST_MEMORIES} memories per link side, {duration_s:g} s simulated =="
    )
    for line in analytic_lines(scenario):
        print(line)
    header = (
        f"  {'variant':<44}{'pairs':>7}{'wall_s':>8}{'cpu_s':>8}{'ms/pair':>9}{'cpu ms/pair':>12}"
        f"{'mean F':>8}{'SE':>8}{'events':>9}{'events/s':>10}"
    )
    print(header)
    for key, s in samples.items():
        print(
            f"  {LABELS[key]:<44}{s.mean_pairs:>7.0f}{s.median_wall_s:>8.3f}{s.median_cpu_s:>8.3f}"
            f"{statistics.median(ms_per_pair(s.wall_s, s)):>9.3f}{statistics.median(ms_per_pair(s.cpu_s, s)):>12.3f}"
            f"{s.mean_fidelity:>8.4f}{s.fidelity_standard_error:>8.5f}{statistics.median(s.n_events):>9,.0f}"
            f"{s.median_events_per_s:>10,.0f}"
        )
    print("  speed-up per delivered pair (their ms/pair over the sampled mode's; wall [per-repeat range], cpu):")
    outcomes = []
    for mode in SAMPLED:
        vs_simqn = "n/a (SimQN not installed)"
        if "simqn" in samples:
            ratio = speed_up(samples[mode], samples["simqn"], TARGET_VS_SIMQN)
            print(speed_up_line(mode, "SimQN", ratio))
            vs_simqn = ratio.summary()
        ratio = speed_up(samples[mode], samples["hardware"], TARGET_VS_HARDWARE)
        print(speed_up_line(mode, "hardware mode", ratio))
        outcomes.append(TopologyOutcome(n_nodes, mode, vs_simqn, ratio.summary(), False))
    for i, mode in enumerate(SAMPLED):
        lines, agree = fidelity_lines(samples, mode)
        outcomes[i] = TopologyOutcome(n_nodes, mode, outcomes[i].vs_simqn, outcomes[i].vs_hardware, agree)
        for line in lines:
            print(line)
    print()
    return outcomes


# --- main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repetitions of each variant (default 3)")
    parser.add_argument(
        "--duration-s",
        type=float,
        default=None,
        help="simulated seconds for every topology (default: 1 s)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="also profile one network-mode run of the 9-node chain (cProfile)"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1; got {args.repeats}")
    if args.duration_s is not None and not args.duration_s > 2e-3:
        parser.error(f"--duration-s must be > 0.002 (the 9-node chain's set-up takes 0.8 ms); got {args.duration_s}")
    return args


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def measure(n_nodes: int, duration_s: float, repeats: int) -> dict[str, common.Samples]:
    """Warm up, then run every variant ``repeats`` times, alternating and rotating the order."""
    for function in variants(n_nodes, WARM_UP_DURATION_S, SEED).values():
        function()
    keys = [key for key in VARIANTS if key in variants(n_nodes, duration_s, SEED)]
    samples = {key: common.Samples() for key in keys}
    for repeat in range(repeats):
        runs = variants(n_nodes, duration_s, SEED + repeat)
        order = keys[repeat % len(keys) :] + keys[: repeat % len(keys)]
        for key in order:
            wall_s, cpu_s, figures = timed(runs[key])
            samples[key].add(wall_s, cpu_s, figures.n_events, figures.fidelities)
            print(
                f"{n_nodes} nodes, repeat {repeat + 1}/{repeats}  {key:<9} wall {wall_s:8.3f} s  cpu {cpu_s:8.3f} s  "
                f"pairs {len(figures.fidelities)}",
                file=sys.stderr,
                flush=True,
            )
    return samples


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    durations = {n: args.duration_s or default for n, default in DEFAULT_DURATIONS_S.items()}
    print(
        f"QTN benchmark: wall ms per delivered end-to-end pair; repeats: {args.repeats}; seeds {SEED}.."
        f"{SEED + args.repeats - 1} (one per repeat, the same for every variant)"
    )
    print(
        f"sequence {package_version('sequence')}, qns (SimQN) {package_version('qns')}; variants alternate in one "
        "process, order rotating; imports and a warm-up run excluded;\nfigures are medians over repeats "
        "(pairs and fidelity: means); project times cover the whole scenarios.run() call"
    )
    if simqn is None:
        print("SimQN is not installed (pip install qns, the 'bench' extra): its variant is skipped")
    print()
    outcomes = [o for n, d in durations.items() for o in report_topology(n, d, measure(n, d, args.repeats))]
    print("summary: speed-up per delivered pair (wall-time medians) and agreement with the hardware mode")
    print(
        f"  {'mode':<9}{'nodes':<7}{f'vs SimQN (>= {TARGET_VS_SIMQN:g}x)':<26}"
        f"{f'vs hardware (>= {TARGET_VS_HARDWARE:g}x)':<29}fidelity and pairs vs hardware"
    )
    for outcome in sorted(outcomes, key=lambda o: (SAMPLED.index(o.mode), o.n_nodes)):
        agreement = "agree" if outcome.fidelity_agrees else "DIFFER"
        print(f"  {outcome.mode:<9}{outcome.n_nodes:<7}{outcome.vs_simqn:<26}{outcome.vs_hardware:<29}{agreement}")
    if args.profile:
        print()
        scenario = chain_scenario(9, "network", durations[9], SEED)
        for line in _profile_split.profile_lines(lambda: run(scenario, progress=False), "network mode, 9 nodes"):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
