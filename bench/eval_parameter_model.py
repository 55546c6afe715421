"""Accuracy and speed of the learned decoy BB84 settings against the project's optimiser.

Accuracy (formula evaluated at model settings): for every held-out case of
``tests/data/ml/decoy_parameters_heldout.json`` (drawn from a seed never used in
training), the finite-key rate of Lim et al. (2014) at the network's predicted
settings divided by the rate at the optimiser's settings (stored in the file, from
``DecoyBB84FiniteModel.optimum``). Prints the median, 5th percentile and worst ratio.

Speed (measured, wall clock, one process): on ``--timed`` held-out cases the
optimiser (``DecoyBB84FiniteModel.optimum``) and the learned path
(``LearnedDecoyBB84FiniteModel.optimum``: domain check, prediction and the rate at the
predicted settings) are timed alternately, the order swapped every case, after one
warm-up call of each; the ratio of their median times is printed. The optimiser's
rate is compared with the stored one on the way (same code, same number).

Usage::

    python bench/eval_parameter_model.py               # all held-out cases, 20 timed
    python bench/eval_parameter_model.py --timed 50
"""

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from train_parameter_model import HELDOUT_PATH, case_model  # noqa: E402

from qkdn.ml.parameters import LearnedDecoyBB84FiniteModel, load_parameter_network  # noqa: E402


def heldout_cases(path: Path = HELDOUT_PATH) -> list[dict]:
    """The held-out cases (features and the optimiser's rate per pulse)."""
    return json.loads(path.read_text(encoding="utf-8"))["cases"]


def learned_twin(features: np.ndarray) -> tuple[LearnedDecoyBB84FiniteModel, float, object]:
    """The learned model of one held-out case, its transmittance and hardware."""
    model, eta, hardware = case_model(features)
    learned = LearnedDecoyBB84FiniteModel(
        block_bits=model.block_bits, eps_sec=model.eps_sec, eps_cor=model.eps_cor, network=load_parameter_network()
    )
    return learned, eta, hardware


def rate_ratios(cases: list[dict]) -> np.ndarray:
    """Rate at the predicted settings over the optimiser's rate, per case (no fallback: the prediction itself)."""
    ratios = []
    for case in cases:
        learned, eta, hardware = learned_twin(np.array(case["features"]))
        rate, _ = learned.rate_of(learned.predicted_choice(eta, hardware), eta, hardware)
        ratios.append(max(rate, 0.0) / case["optimised_rate_per_pulse"])
    return np.array(ratios)


def timings(cases: list[dict]) -> tuple[list[float], list[float], float]:
    """(optimiser seconds, learned seconds, largest relative difference to the stored rates)."""
    optimiser_s, learned_s, worst = [], [], 0.0
    for index, case in enumerate(cases):
        features = np.array(case["features"])
        model, eta, hardware = case_model(features)
        learned, _, _ = learned_twin(features)
        if index == 0:
            model.optimum(eta, hardware), learned.optimum(eta, hardware)  # warm-up
        runs = [("optimiser", model), ("learned", learned)]
        for name, subject in runs if index % 2 == 0 else runs[::-1]:
            gc.collect()
            start = time.perf_counter()
            rate = subject.optimum(eta, hardware)[0]
            elapsed = time.perf_counter() - start
            (optimiser_s if name == "optimiser" else learned_s).append(elapsed)
            if name == "optimiser":
                worst = max(worst, abs(rate / case["optimised_rate_per_pulse"] - 1.0))
    return optimiser_s, learned_s, worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timed", type=int, default=20, help="held-out cases timed (alternated)")
    args = parser.parse_args(argv)
    cases = heldout_cases()
    ratios = rate_ratios(cases)
    print(f"held-out cases: {len(ratios)} (with key; features drawn in the trained domain, seed not used in training)")
    print(f"rate ratio (predicted settings / optimised): median {np.median(ratios):.5f}, "
          f"5th percentile {np.percentile(ratios, 5):.4f}, worst {ratios.min():.4f}, "
          f"share >= 0.99: {np.mean(ratios >= 0.99):.3f}")  # fmt: skip
    if args.timed < 1:
        return 0
    optimiser_s, learned_s, worst = timings(cases[: args.timed])
    speed = statistics.median(optimiser_s) / statistics.median(learned_s)
    print(f"timed {len(learned_s)} cases alternately (wall clock, one process; machine shared with other work):")
    print(f"  optimiser median {statistics.median(optimiser_s) * 1e3:.1f} ms, "
          f"learned median {statistics.median(learned_s) * 1e3:.3f} ms, speed-up {speed:.0f}x")  # fmt: skip
    print(f"  optimiser rate vs stored: largest relative difference {worst:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
