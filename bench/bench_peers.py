"""Benchmark: network scale. Time per delivered pair of the network level against SimQN in two forms, and of
the hardware level against raw SeQUeNCe; pairs per simulated second of every variant.

Chains of 2 to 33 routers with 10 km links (one request n0 -> n{N-1}, 2 memories per link side,
memories of raw fidelity 0.99 so that even 32 swapped links stay above F = 1/2):

* part 1, 1 s simulated per run: ``network`` (``fidelity_level: network``, :mod:`qtn.netscale`),
  ``simqn`` (the chain on SimQN as its users write it, an event per generation attempt:
  ``bench/_simqn_chain.py``) and ``simqn-skip`` (the same SimQN chain drawing the number of
  failed attempts, as the network level does: ``bench/_simqn_skip.py``). The first ratio is the
  algorithm's and the engine's gain together, the second the engine's (event loop, bookkeeping).
* part 2, 0.3 s simulated per run: ``hardware`` (``fidelity_level: hardware``, SeQUeNCe photon by
  photon under the project's layer) against ``raw`` (the same chain written directly on SeQUeNCe:
  ``RouterNetTopo`` and ``RequestApp``, ``bench/_common.py``) with the project's event list swapped
  in, so that both do the same work on the same event list and the ratio is the project's layer.

Variants alternate in one process, the order rotating every repeat; repeat k uses seed 1 + k for
all of them; imports and one warm-up run per variant are not timed; ``gc.collect()`` runs before
each timed call. Ratios are per repeat (both runs of the same repeat), then the median and range.
CPU time (``time.process_time``) is the figure judged, because the machine is shared; wall time
is printed beside it. See ``bench/README.md``.

Usage: ``python bench/bench_peers.py [--repeats N] [--part {1,2,both}] [--profile]``
"""

import sys
from pathlib import Path

# Benchmark this working tree, however (or whether) qnetsim is installed.
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

import argparse  # noqa: E402
import gc  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import _common as common  # noqa: E402
import _profile_split  # noqa: E402
from bench_chain import qnetsim_fingerprint  # noqa: E402
from bench_qtn import package_version, simqn_parameters  # noqa: E402

from scenarios import Scenario, from_dict, run  # noqa: E402

try:
    import _simqn_chain as simqn
except ImportError:  # SimQN is an optional, benchmark-only dependency
    simqn = None

LINK_LENGTH_KM = 10.0
N_REQUEST_MEMORIES = 2
RAW_FIDELITY = 0.99
TARGET_FIDELITY = 0.5
SEED = 1
WARM_UP_DURATION_S = 0.01
NETWORK_CHAINS = (2, 3, 5, 9, 17, 33)
HARDWARE_CHAINS = (2, 3, 5, 9)
NETWORK_DURATION_S = 1.0
HARDWARE_DURATION_S = 0.3
#: Target 3: SimQN's CPU time per delivered pair over the network level's, on these chains.
TARGET_VS_SIMQN = 100.0
TARGET_VS_SIMQN_CHAINS = (9, 17, 33)
#: Target 6: the hardware level's CPU time per delivered pair over raw SeQUeNCe's, at most.
TARGET_HARDWARE_OVER_RAW = 1.1
N_STANDARD_ERRORS = 4.0

LABELS = {
    "network": "network level (qtn.netscale)",
    "simqn": "SimQN, an event per attempt",
    "simqn-skip": "SimQN, attempts skipped",
    "hardware": "hardware level (SeQUeNCe-backed)",
    "raw": "raw SeQUeNCe (+ FastEventList)",
}
SKIPS = {
    "network": "draws the number of failed attempts (no event per attempt), computes when a refused "
    "pairing request is accepted (no event per refusal), no NEGOTIATE/ACK or rule evaluation",
    "simqn-skip": "draws the number of failed attempts (no event per attempt)",
}


def scenario(n_nodes: int, level: str, duration_s: float, seed: int) -> Scenario:
    """The chain n0 ... n{N-1} of 10 km links, default hardware but memories of raw fidelity 0.99."""
    return from_dict(
        {
            "name": f"bench-peers-{n_nodes}-nodes",
            "seed": seed,
            "duration_s": duration_s,
            "fidelity_level": level,
            "templates": {
                "nodes": {"router": {"n_memories": 2 * N_REQUEST_MEMORIES, "memory": {"raw_fidelity": RAW_FIDELITY}}}
            },
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


# --- one run of each variant ------------------------------------------------------------------


@dataclass
class Samples:
    """Per-repeat figures of one variant on one chain."""

    cpu_s: list[float] = field(default_factory=list)
    wall_s: list[float] = field(default_factory=list)
    n_pairs: list[int] = field(default_factory=list)
    mean_fidelity: list[float] = field(default_factory=list)
    n_events: list[int] = field(default_factory=list)

    def cpu_ms_per_pair(self) -> list[float]:
        return [1e3 * t / n if n else math.inf for t, n in zip(self.cpu_s, self.n_pairs, strict=True)]

    def wall_ms_per_pair(self) -> list[float]:
        return [1e3 * t / n if n else math.inf for t, n in zip(self.wall_s, self.n_pairs, strict=True)]


def run_variant(key: str, n_nodes: int, duration_s: float, seed: int) -> tuple[int, list[float]]:
    """Run one variant once: (events, fidelity of every pair delivered at n0)."""
    if key in ("network", "hardware"):
        results = run(scenario(n_nodes, key, duration_s, seed), progress=False)
        return int(results.manifest["events_executed"]), [float(f) for f in results.tables["pairs"]["fidelity"]]
    if key == "raw":
        raw = common.run_raw_chain(
            duration_s,
            fast_event_list=True,
            n_routers=n_nodes,
            target_fidelity=TARGET_FIDELITY,
            seed=seed,
            raw_fidelity=RAW_FIDELITY,
        )
        return raw.n_events, list(raw.fidelities)
    chain = simqn.run_chain(
        simqn_parameters(scenario(n_nodes, "network", duration_s, seed)), skip_attempts=key == "simqn-skip"
    )
    return chain.n_events, list(chain.fidelities)


def measure(n_nodes: int, keys: list[str], duration_s: float, repeats: int) -> dict[str, Samples]:
    """Warm up, then run every variant ``repeats`` times, alternating and rotating the order."""
    for key in keys:
        run_variant(key, n_nodes, WARM_UP_DURATION_S, SEED)
    samples = {key: Samples() for key in keys}
    for repeat in range(repeats):
        order = keys[repeat % len(keys) :] + keys[: repeat % len(keys)]
        for key in order:
            gc.collect()  # garbage of the previous run is not charged to this one
            wall_start, cpu_start = time.perf_counter(), time.process_time()
            n_events, fidelities = run_variant(key, n_nodes, duration_s, SEED + repeat)
            cpu_s, wall_s = time.process_time() - cpu_start, time.perf_counter() - wall_start
            s = samples[key]
            s.cpu_s.append(cpu_s)
            s.wall_s.append(wall_s)
            s.n_pairs.append(len(fidelities))
            s.mean_fidelity.append(statistics.fmean(fidelities) if fidelities else math.nan)
            s.n_events.append(n_events)
            print(
                f"{n_nodes} nodes, repeat {repeat + 1}/{repeats}  {key:<11} cpu {cpu_s:7.2f} s  wall {wall_s:7.2f} s"
                f"  pairs {len(fidelities)}",
                file=sys.stderr,
                flush=True,
            )
    return samples


# --- report -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """Per-repeat ratio of their CPU ms per pair over ours, its median and range."""

    per_repeat: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.per_repeat)

    def text(self) -> str:
        return f"{self.median:.2f}x [{min(self.per_repeat):.2f}-{max(self.per_repeat):.2f}]"


def ratio(numerator: Samples, denominator: Samples) -> Ratio:
    pairs = zip(numerator.cpu_ms_per_pair(), denominator.cpu_ms_per_pair(), strict=True)
    return Ratio([a / b for a, b in pairs])


def table(n_nodes: int, duration_s: float, samples: dict[str, Samples]) -> None:
    print(f"== {n_nodes} nodes, {n_nodes - 1} x {LINK_LENGTH_KM:g} km links, {duration_s:g} s simulated ==")
    print(
        f"  {'variant':<36}{'pairs':>7}{'pairs/s':>9}{'mean F':>8}{'cpu ms/pair':>12}{'wall ms/pair':>13}"
        f"{'events':>10}{'events/pair':>12}"
    )
    for key, s in samples.items():
        mean_pairs = statistics.fmean(s.n_pairs)
        events = statistics.median(s.n_events)
        print(
            f"  {LABELS[key]:<36}{mean_pairs:>7.0f}{mean_pairs / duration_s:>9.0f}"
            f"{statistics.fmean(s.mean_fidelity):>8.4f}{statistics.median(s.cpu_ms_per_pair()):>12.3f}"
            f"{statistics.median(s.wall_ms_per_pair()):>13.3f}{events:>10,.0f}"
            f"{events / mean_pairs if mean_pairs else math.inf:>12.1f}"
        )


def pairs_line(name: str, ours: Samples, theirs: Samples, their_name: str) -> str:
    """Pairs per run of two variants, agreeing within 4 sqrt((n_a + n_b) / repeats) (Poisson counts)."""
    a, b = statistics.fmean(ours.n_pairs), statistics.fmean(theirs.n_pairs)
    tolerance = N_STANDARD_ERRORS * math.sqrt((a + b) / len(ours.n_pairs))
    verdict = "agree" if abs(a - b) <= tolerance else "DIFFER"
    return (
        f"  pairs per run, {name} {a:.1f} vs {their_name} {b:.1f}: {100 * (b - a) / a if a else math.nan:+.1f} % "
        f"(tolerance {tolerance:.1f} pairs): {verdict}"
    )


def part_network(repeats: int, outcomes: list[str]) -> None:
    keys = ["network"] + (["simqn", "simqn-skip"] if simqn is not None else [])
    print("part 1: network level vs SimQN, CPU ms per delivered pair (ratios: SimQN's over the network level's)")
    for key in keys[:1] + keys[2:]:
        print(f"  {LABELS[key]} skips work: {SKIPS[key]}")
    print()
    for n_nodes in NETWORK_CHAINS:
        samples = measure(n_nodes, keys, NETWORK_DURATION_S, repeats)
        table(n_nodes, NETWORK_DURATION_S, samples)
        if simqn is None:
            print("  SimQN not installed (pip install -e '.[bench]'): no ratio")
            continue
        users, skipping = ratio(samples["simqn"], samples["network"]), ratio(samples["simqn-skip"], samples["network"])
        print(f"  SimQN as users write it / network level: {users.text()}   (algorithm + engine)")
        print(f"  SimQN with attempts skipped / network level: {skipping.text()}   (engine only)")
        print(pairs_line("network", samples["network"], samples["simqn"], "SimQN"))
        if n_nodes in TARGET_VS_SIMQN_CHAINS:
            met = "met" if users.median >= TARGET_VS_SIMQN else "NOT met"
            outcomes.append(
                f"target 3, {n_nodes:>2} nodes: network level {users.text()} less CPU per pair than SimQN as users "
                f"write it (>= {TARGET_VS_SIMQN:g}x): {met}; against SimQN skipping attempts too: "
                f"{skipping.text()} (engine only, no target)"
            )
        print()


def parity_line(n_nodes: int) -> str:
    """Whether the project's hardware-level network and the raw one are built with the same parameters."""
    ours = qnetsim_fingerprint(scenario(n_nodes, "hardware", WARM_UP_DURATION_S, SEED))
    raw = common.run_raw_chain(
        WARM_UP_DURATION_S,
        fast_event_list=True,
        n_routers=n_nodes,
        target_fidelity=TARGET_FIDELITY,
        raw_fidelity=RAW_FIDELITY,
    )
    found = [
        line
        for line in common.differences(ours, common.network_fingerprint(raw.timeline))
        if not (line.startswith("selectors.") and "'qnetsim_" in line)
    ]
    if not found:
        return f"  built networks: identical ({common.count_leaves(ours)} parameters; protocol names aside)"
    return f"  built networks: {len(found)} DIFFERENCES: " + "; ".join(found[:6])


def part_hardware(repeats: int, outcomes: list[str]) -> None:
    keys = ["hardware", "raw"]
    print("part 2: hardware level vs raw SeQUeNCe on the same event list, CPU ms per delivered pair")
    print("  (ratio: the hardware level's over raw SeQUeNCe's; both simulate every attempt photon by photon)")
    print()
    for n_nodes in HARDWARE_CHAINS:
        parity = parity_line(n_nodes)
        samples = measure(n_nodes, keys, HARDWARE_DURATION_S, repeats)
        table(n_nodes, HARDWARE_DURATION_S, samples)
        print(parity)
        overhead = ratio(samples["hardware"], samples["raw"])
        print(f"  hardware level / raw SeQUeNCe: {overhead.text()}")
        print(pairs_line("hardware", samples["hardware"], samples["raw"], "raw SeQUeNCe"))
        met = "met" if overhead.median <= TARGET_HARDWARE_OVER_RAW else "NOT met"
        outcomes.append(
            f"target 6, {n_nodes:>2} nodes: hardware level {overhead.text()} raw SeQUeNCe's CPU per pair "
            f"(<= {TARGET_HARDWARE_OVER_RAW:g}x): {met}"
        )
        print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="repetitions of each variant (default 3)")
    parser.add_argument("--part", choices=("1", "2", "both"), default="both", help="which part to run")
    parser.add_argument("--profile", action="store_true", help="then profile one network-level run, 33 nodes")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1; got {args.repeats}")
    load = os.getloadavg()
    print(
        f"peer comparison benchmark: sequence {package_version('sequence')}, qns (SimQN) {package_version('qns')}; "
        f"{os.cpu_count()} CPUs shared with other work, load average at start {load[0]:.2f} / {load[1]:.2f} / "
        f"{load[2]:.2f};\nrepeats {args.repeats}, seeds {SEED}..{SEED + args.repeats - 1}; CPU time judged, wall "
        "time printed; project times cover the whole scenarios.run() call\n"
    )
    outcomes: list[str] = []
    if args.part in ("1", "both"):
        part_network(args.repeats, outcomes)
    if args.part in ("2", "both"):
        part_hardware(args.repeats, outcomes)
    load = os.getloadavg()
    print(f"summary (load average at end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}):")
    for line in outcomes:
        print(f"  {line}")
    if args.profile:
        print()
        chain = scenario(33, "network", NETWORK_DURATION_S, SEED)
        for line in _profile_split.profile_lines(lambda: run(chain, progress=False), "network level, 33 nodes"):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
