"""Benchmark: decoy-state photon-level BB84 (pulse trains as arrays) vs SeQUeNCe's own BB84 + Cascade.

Figure of merit: wall seconds (and CPU seconds) per 1,000 output bits, at 10 and 50 km.
Variants, alternated in one process per distance (order rotated each repeat, a short
warm-up of each discarded, ``gc.collect()`` before each timed call):

* ``decoy-arrays``: :class:`qkdn.photon.link.PhotonBB84Link` with the default source
  (signal 0.5 / decoy 0.1 / vacuum, probabilities 0.7 / 0.2 / 0.1), pulse trains drawn as
  NumPy arrays, then sifting, test-basis comparison, decoy bounds, QBER sample, Cascade,
  verification and Toeplitz privacy amplification. Output = **secret** bits.
* ``decoy-photons`` (with ``--photons``): the same link with every photon a SeQUeNCe
  event (the reference path); shows what the arrays save.
* ``sequence``: two SeQUeNCe ``QKDNode``s with SeQUeNCe's BB84 + Cascade
  (``bench_bb84.run_sequence``), weak coherent pulses at the light source's mu = 0.1.
  Output = **corrected** bits.

The two sides do not do the same work, and the difference favours SeQUeNCe: its BB84
has **no decoy states** and its Cascade hands out error-corrected keys with **no privacy
amplification** (and no security bound at all), so its output bits are not secret. Ours
are shortened by the estimation sample, Cascade's parities, the verification tag and
privacy amplification. Same fibre (0.2 dB/km), detectors (efficiency 0.9, 10 Hz dark
counts) and polarization fidelity 0.97 on both sides, from one ``PhotonLinkConfig``.

SeQUeNCe's first key needs its 10,000-bit QBER estimate and one classical round trip per
Cascade bisection step, so its runs must be long (defaults: 0.2 s simulated at 10 km,
0.6 s at 50 km); both sides run the same simulated time.

Usage: ``python bench/bench_decoy.py [--repeats N] [--distances 10 50] [--photons]``
"""

import sys
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

import argparse  # noqa: E402
import gc  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

from bench_bb84 import RunFigures, run_sequence  # noqa: E402

from qkdn.photon.config import PhotonLinkConfig, PhotonSourceConfig  # noqa: E402
from qkdn.photon.link import KeyBlock, PhotonBB84Link  # noqa: E402
from qtn.sequence_backed.adapter import new_timeline  # noqa: E402

POLARIZATION_FIDELITY = 0.97
SEED = 2024
DURATION_S = {10.0: 0.2, 50.0: 0.6}
WARM_UP_DURATION_S = 0.004


def link_config(length_km: float, pulses: str = "arrays") -> PhotonLinkConfig:
    """The benchmark link: ``qnetsim.core.hardware`` defaults, the distance, fidelity 0.97, 8,192-bit blocks."""
    return PhotonLinkConfig(
        length_km=length_km, polarization_fidelity=POLARIZATION_FIDELITY, frame_bits=8192,
        source=PhotonSourceConfig(pulses=pulses),
    )  # fmt: skip


def run_decoy(config: PhotonLinkConfig, duration_s: float) -> RunFigures:
    blocks: list[KeyBlock] = []
    timeline = new_timeline(duration_s)
    with PhotonBB84Link(timeline, config, SEED, blocks.append) as link:
        link.start(0.0, duration_s)
        timeline.init()
        timeline.run()
    accepted = [block for block in blocks if block.accepted]
    mismatched = sum(1 for block in accepted if not (block.alice_key == block.bob_key).all())
    corrected = sum(block.reconciled_bits for block in accepted)
    return RunFigures(sum(b.secret_bits for b in accepted), corrected, int(timeline.run_counter), mismatched)


def variants(length_km: float, duration_s: float, photons: bool) -> dict[str, Callable[[], RunFigures]]:
    runs = {"decoy-arrays": lambda: run_decoy(link_config(length_km), duration_s)}
    if photons:
        runs["decoy-photons"] = lambda: run_decoy(link_config(length_km, "photons"), duration_s)
    runs["sequence"] = lambda: run_sequence(duration_s, link_config(length_km))
    return runs


def timed(function: Callable[[], RunFigures]) -> tuple[float, float, RunFigures]:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    figures = function()
    return time.perf_counter() - wall, time.process_time() - cpu, figures


def per_thousand(seconds: float, bits: float) -> float:
    return 1000.0 * seconds / bits if bits else math.inf


def report(length_km: float, duration_s: float, results: dict[str, list[tuple[float, float, RunFigures]]]) -> None:
    print(f"\n{length_km:g} km, {duration_s:g} s simulated per run, medians of {len(results['sequence'])} runs")
    print(f"{'variant':<16}{'output':<11}{'wall_s':>8}{'cpu_s':>8}{'bits':>9}{'wall s/1k':>11}{'cpu s/1k':>10}"
          f"{'events':>9}")  # fmt: skip
    medians = {}
    for key, runs in results.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        bits = statistics.median(r[2].output_bits for r in runs)
        events = statistics.median(r[2].n_events for r in runs)
        medians[key] = (per_thousand(wall, bits), per_thousand(cpu, bits))
        output = "corrected" if key == "sequence" else "secret"
        print(f"{key:<16}{output:<11}{wall:>8.2f}{cpu:>8.2f}{bits:>9.0f}{medians[key][0]:>11.3f}{medians[key][1]:>10.3f}"
              f"{events:>9.0f}")  # fmt: skip
        if any(r[2].n_mismatched_keys for r in runs):
            print("  !! key pairs differ between the ends")
    theirs, ours = medians["sequence"], medians["decoy-arrays"]
    print(
        f"speed-up (SeQUeNCe s per 1k corrected bits / decoy-arrays s per 1k secret bits): "
        f"wall {theirs[0] / ours[0]:.1f}x, cpu {theirs[1] / ours[1]:.1f}x (target >= 10x)"
    )
    if "decoy-photons" in medians:
        photons = medians["decoy-photons"]
        print(f"arrays vs per-photon path (same decoy link): wall {photons[0] / ours[0]:.1f}x, "
              f"cpu {photons[1] / ours[1]:.1f}x")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--distances", type=float, nargs="+", default=[10.0, 50.0])
    parser.add_argument("--duration-s", type=float, default=None, help="simulated s per run (default per distance)")
    parser.add_argument("--photons", action="store_true", help="also time the per-photon reference path")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    print("decoy BB84 (ours, secret bits) vs SeQUeNCe BB84 + Cascade (no decoys, no privacy amplification:")
    print("its bits are corrected, not secret); build + simulate + post-processing; wall and CPU seconds")
    for length_km in args.distances:
        duration_s = args.duration_s or DURATION_S.get(length_km, 0.3)
        for function in variants(length_km, WARM_UP_DURATION_S, args.photons).values():
            function()
        runs = variants(length_km, duration_s, args.photons)
        keys = list(runs)
        results: dict[str, list[tuple[float, float, RunFigures]]] = {key: [] for key in keys}
        for repeat in range(args.repeats):
            for key in keys[repeat % len(keys) :] + keys[: repeat % len(keys)]:
                wall, cpu, figures = timed(runs[key])
                results[key].append((wall, cpu, figures))
                print(f"{length_km:g} km repeat {repeat + 1} {key:<14} wall {wall:7.2f} s cpu {cpu:7.2f} s "
                      f"out {figures.output_bits}", file=sys.stderr, flush=True)  # fmt: skip
        report(length_km, duration_s, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
