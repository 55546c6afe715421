"""Train the learned source parameters of finite-key decoy BB84 (``qkdn.ml.parameters``).

1. Draw cases uniformly in the trained domain (``TRAINING_DOMAIN``: channel loss,
   dark counts, e_det, f, block size; eps_sec 1e-9, eps_cor 1e-12) from ``--seed``.
2. Run the project's optimiser (``DecoyBB84FiniteModel.optimum``: Sobol scan and
   Nelder-Mead) on each; cases without key are dropped (no settings to learn).
3. Fit a scikit-learn ``MLPRegressor`` (standardised features -> the optimiser's
   coordinates, L-BFGS, ``random_state=--seed``) and write its weights as JSON to
   ``qkdn/ml/data/decoy_bb84_finite_parameters.json``.
4. With ``--heldout N``, draw N further cases from ``--heldout-seed`` (never seen in
   training), optimise them and write them with the optimiser's rates to
   ``tests/data/ml/decoy_parameters_heldout.json`` (the fixed test set of the tests).

The optimised cases are cached in ``results/`` (git-ignored) so that refitting does
not re-run the optimiser; delete the cache or pass ``--fresh`` to redo them. The same
seed gives the same cases, the same optimiser answers and the same network.

Usage::

    python bench/train_parameter_model.py                       # 800 cases, 2 worker processes
    python bench/train_parameter_model.py --cases 500 --workers 1 --heldout 0
"""

import argparse
import json
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qkdn.keyrate.finite_models import DecoyBB84FiniteModel  # noqa: E402
from qkdn.keyrate.hardware import KeyRateHardwareConfig  # noqa: E402
from qkdn.ml.parameters import (  # noqa: E402
    FEATURE_NAMES,
    TARGET_NAMES,
    TRAINED_EPS_COR,
    TRAINED_EPS_SEC,
    TRAINING_DOMAIN,
    ParameterNetwork,
    coordinates_of,
)

NETWORK_PATH = ROOT / "qkdn" / "ml" / "data" / "decoy_bb84_finite_parameters.json"
HELDOUT_PATH = ROOT / "tests" / "data" / "ml" / "decoy_parameters_heldout.json"
CACHE_DIR = ROOT / "results" / "parameter_model"
HIDDEN_LAYERS = (64, 64)
#: Cases optimised between two saves of the cache.
CHUNK_CASES = 40


def sample_features(n_cases: int, seed: int) -> np.ndarray:
    """``n_cases`` feature rows drawn uniformly in the trained domain."""
    rng = np.random.default_rng(seed)
    low = np.array([TRAINING_DOMAIN[name][0] for name in FEATURE_NAMES])
    high = np.array([TRAINING_DOMAIN[name][1] for name in FEATURE_NAMES])
    return low + (high - low) * rng.random((n_cases, len(FEATURE_NAMES)))


def case_model(features: np.ndarray) -> tuple[DecoyBB84FiniteModel, float, KeyRateHardwareConfig]:
    """The optimiser's model, the transmittance and the hardware of one feature row."""
    loss_db, log_y0, e_det, f, log_block = (float(v) for v in features)
    hardware = KeyRateHardwareConfig(
        detector_efficiency=1.0,  # the loss feature includes the detector
        dark_count_probability=10.0**log_y0,
        misalignment_error=e_det,
        error_correction_efficiency=f,
    )
    model = DecoyBB84FiniteModel(block_bits=10.0**log_block, eps_sec=TRAINED_EPS_SEC, eps_cor=TRAINED_EPS_COR)
    return model, 10.0 ** (-loss_db / 10.0), hardware


def optimise_case(features: np.ndarray) -> list[float]:
    """``[rate per pulse, *coordinates]`` of the optimiser's answer (rate <= 0: no key)."""
    model, eta, hardware = case_model(features)
    rate, _qber, choice = model.optimum(eta, hardware)
    return [rate, *coordinates_of(choice).tolist()]


def optimised_cases(n_cases: int, seed: int, workers: int, fresh: bool) -> tuple[np.ndarray, np.ndarray]:
    """(features, [rate, coordinates]) of ``n_cases`` cases from ``seed``, cached under results/.

    The answers are saved after every chunk, so an interrupted run resumes where it stopped.
    """
    cache = CACHE_DIR / f"cases-seed{seed}.npz"
    features = sample_features(n_cases, seed)
    answers = np.empty((0, 1 + len(TARGET_NAMES)))
    if cache.exists() and not fresh:
        answers = np.load(cache)["answers"][:n_cases]
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        while len(answers) < n_cases:
            chunk = features[len(answers) : len(answers) + CHUNK_CASES]
            answers = np.vstack([answers, np.array(list(pool.map(optimise_case, chunk)))])
            CACHE_DIR.mkdir(parents=True, exist_ok=True)
            partial = cache.with_suffix(".partial.npz")
            np.savez(partial, answers=answers)
            os.replace(partial, cache)
            print(
                f"  seed {seed}: {len(answers)}/{n_cases} cases, {time.perf_counter() - start:.0f} s", file=sys.stderr
            )
    return features, answers


def fit_network(features: np.ndarray, targets: np.ndarray, seed: int) -> ParameterNetwork:
    """An MLP (scikit-learn) on standardised features and targets, as a :class:`ParameterNetwork`."""
    import sklearn
    from sklearn.neural_network import MLPRegressor

    feature_mean, feature_scale = features.mean(axis=0), features.std(axis=0)
    target_mean, target_scale = targets.mean(axis=0), targets.std(axis=0)
    regressor = MLPRegressor(
        hidden_layer_sizes=HIDDEN_LAYERS,
        activation="tanh",
        solver="lbfgs",
        alpha=1e-4,
        max_iter=4000,
        tol=1e-7,
        random_state=seed,
    )
    regressor.fit((features - feature_mean) / feature_scale, (targets - target_mean) / target_scale)
    return ParameterNetwork(
        weights=tuple(np.asarray(w) for w in regressor.coefs_),
        biases=tuple(np.asarray(b) for b in regressor.intercepts_),
        activation="tanh",
        feature_mean=feature_mean,
        feature_scale=feature_scale,
        target_mean=target_mean,
        target_scale=target_scale,
        metadata={
            "trainer": "sklearn.neural_network.MLPRegressor",
            "scikit_learn": sklearn.__version__,
            "hidden_layers": list(HIDDEN_LAYERS),
            "seed": seed,
            "n_training_cases": int(len(features)),
            "optimiser": "qkdn.keyrate.finite_models.DecoyBB84FiniteModel.optimum",
        },
    )


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` atomically (a partial file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(partial, path)


def heldout_data(features: np.ndarray, answers: np.ndarray, seed: int) -> dict:
    """The held-out cases with key, as the tests read them."""
    keep = answers[:, 0] > 0
    return {
        "description": (
            "Held-out cases of the learned decoy BB84 settings: features drawn uniformly in the trained "
            "domain from the seed below (not used in training), with the rate per pulse the optimiser "
            "(DecoyBB84FiniteModel.optimum) reached. Written by bench/train_parameter_model.py."
        ),
        "seed": seed,
        "features": list(FEATURE_NAMES),
        "cases": [
            {"features": [float(v) for v in row], "optimised_rate_per_pulse": float(answer[0])}
            for row, answer in zip(features[keep], answers[keep], strict=True)
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=800, help="training cases drawn (before dropping no-key ones)")
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--heldout", type=int, default=150, help="held-out cases drawn for the test set (0: none)")
    parser.add_argument("--heldout-seed", type=int, default=62334)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fresh", action="store_true", help="re-run the optimiser even if cached")
    args = parser.parse_args(argv)
    if args.seed == args.heldout_seed:
        parser.error("--seed and --heldout-seed must differ (held-out cases must not be training cases)")
    features, answers = optimised_cases(args.cases, args.seed, args.workers, args.fresh)
    keep = answers[:, 0] > 0
    network = fit_network(features[keep], answers[keep, 1:], args.seed)
    write_json(NETWORK_PATH, network.to_json())
    print(f"trained on {int(keep.sum())} cases with key of {args.cases}; wrote {NETWORK_PATH.relative_to(ROOT)}")
    if args.heldout:
        held_features, held_answers = optimised_cases(args.heldout, args.heldout_seed, args.workers, args.fresh)
        write_json(HELDOUT_PATH, heldout_data(held_features, held_answers, args.heldout_seed))
        n_kept = int((held_answers[:, 0] > 0).sum())
        print(f"held-out: {n_kept} cases with key of {args.heldout}; wrote {HELDOUT_PATH.relative_to(ROOT)}")
    assert len(TARGET_NAMES) == answers.shape[1] - 1 and math.isfinite(float(answers[keep, 0].sum()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
