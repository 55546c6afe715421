"""Finite-key length of decoy BB84 (qkdn.keyrate.finite, Lim et al., PRA 89, 022307 (2014)).

The bounds are checked against tallies drawn photon number by photon number, so
the true vacuum and single-photon detections and the true single-photon errors
of each block are known: every lower bound must lie below the truth and every
upper bound above it (they fail with probability below eps_sec), and with large
blocks they must close in on the truth.
"""

import doctest
import math

import numpy as np
import pytest

from qkdn.keyrate import finite
from qkdn.keyrate.finite import decoy_finite_key, finite_key_length_decoy, gamma_sampling, security_cost_bits
from qkdn.keyrate.tallies import DecoyTallies
from qnetsim.core.errors import ConfigError

INTENSITIES = (0.5, 0.1, 0.0002)
PROBABILITIES = (0.7, 0.2, 0.1)
KEY_BASIS = 0.7  # probability of the key basis at each end
ETA = 0.01  # overall transmittance (about 50 km of fibre and a 10 % detector)
Y0 = 1.2e-6  # background click probability per pulse
E_DET = 0.005  # misalignment
N_PHOTONS = 12  # photon numbers tracked explicitly; the Poisson tail beyond is < 1e-9 at mu = 0.5


def yields() -> tuple[np.ndarray, np.ndarray]:
    """Y_n = 1 - (1 - Y0)(1 - eta)^n and e_n Y_n = e_det eta_n + Y0 (1 - eta)^n / 2 (Lo, Ma, Chen 2005)."""
    n = np.arange(N_PHOTONS)
    lost = (1.0 - ETA) ** n
    detection = 1.0 - (1.0 - Y0) * lost
    errors = E_DET * (1.0 - lost) + 0.5 * Y0 * lost
    return detection, errors


def sample_block(n_pulses: int, seed: int) -> tuple[DecoyTallies, dict[str, float]]:
    """One block drawn pulse class by pulse class; returns the tallies and the true photon-number counts."""
    rng = np.random.default_rng(seed)
    detection, errors = yields()
    n = np.arange(N_PHOTONS)
    basis_probabilities = {"key": KEY_BASIS**2, "test": (1.0 - KEY_BASIS) ** 2}
    counts = {f"{b}_{what}": [0] * 3 for b in ("key", "test") for what in ("detections", "errors")}
    truth = {"key_vacuum": 0.0, "key_single": 0.0, "test_single": 0.0, "test_single_errors": 0.0}
    for k, (mu, p) in enumerate(zip(INTENSITIES, PROBABILITIES, strict=True)):
        for basis, q in basis_probabilities.items():
            pulses = rng.binomial(n_pulses, p * q)
            poisson = np.exp(-mu) * mu**n / np.array([math.factorial(int(i)) for i in n])
            by_photons = rng.multinomial(pulses, poisson / poisson.sum())
            clicks = rng.binomial(by_photons, detection)
            wrong = rng.binomial(clicks, errors / detection)
            counts[f"{basis}_detections"][k] = int(clicks.sum())
            counts[f"{basis}_errors"][k] = int(wrong.sum())
            if basis == "key":
                truth["key_vacuum"] += clicks[0]
                truth["key_single"] += clicks[1]
            else:
                truth["test_single"] += clicks[1]
                truth["test_single_errors"] += wrong[1]
    tallies = DecoyTallies(
        INTENSITIES,
        PROBABILITIES,
        tuple(counts["key_detections"]),
        tuple(counts["key_errors"]),
        tuple(counts["test_detections"]),
        tuple(counts["test_errors"]),
        n_pulses,
    )
    return tallies, truth


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_bounds_hold_on_sampled_blocks(seed):
    tallies, truth = sample_block(10**9, seed)
    key = finite_key_length_decoy(tallies, eps_sec=1e-9, eps_cor=1e-15, leak_ec_bits=0.0)
    assert key.vacuum_key_lower <= truth["key_vacuum"]
    assert 0 < key.single_photon_key_lower <= truth["key_single"]
    assert 0 < key.single_photon_test_lower <= truth["test_single"]
    assert key.single_photon_test_errors_upper >= truth["test_single_errors"]
    # The key basis' single-photon phase error rate equals the test basis' single-photon
    # bit error rate in expectation (e_1 = (e_det eta + Y0 (1 - eta) / 2) / Y_1).
    detection, errors = yields()
    assert key.phase_error_upper >= errors[1] / detection[1]
    assert key.key_bits == tallies.key_bits


def expected_counts(n_pulses: float) -> tuple[tuple[float, ...], ...]:
    """Expected key detections, test detections and test errors per intensity."""
    detection, errors = yields()
    n = np.arange(N_PHOTONS)
    out = {"key": [], "test": [], "test_errors": []}
    for mu, p in zip(INTENSITIES, PROBABILITIES, strict=True):
        poisson = np.exp(-mu) * mu**n / np.array([math.factorial(int(i)) for i in n])
        out["key"].append(n_pulses * p * KEY_BASIS**2 * float(poisson @ detection))
        out["test"].append(n_pulses * p * (1 - KEY_BASIS) ** 2 * float(poisson @ detection))
        out["test_errors"].append(n_pulses * p * (1 - KEY_BASIS) ** 2 * float(poisson @ errors))
    return tuple(out["key"]), tuple(out["test"]), tuple(out["test_errors"])


def test_bounds_close_in_on_the_truth_as_the_block_grows():
    """With 1e15 pulses the statistical terms vanish; the two-decoy bounds with mu3 -> 0 and
    a weak mu2 are then within 5 % of the true single-photon counts (Lim et al. 2014, Appendix A:
    the single-photon bound drops the multi-photon terms weighted by (mu2^2 - mu3^2) / mu1^2, about
    3 % here, and is tight as mu2 -> 0)."""
    detection, errors = yields()
    n_pulses = 1e15
    tau1 = sum(p * math.exp(-mu) * mu for mu, p in zip(INTENSITIES, PROBABILITIES, strict=True))
    true_single = n_pulses * KEY_BASIS**2 * tau1 * detection[1]
    previous = 0.0
    for exponent in (9, 11, 13, 15):
        key_det, test_det, test_err = expected_counts(10.0**exponent)
        key = decoy_finite_key(
            INTENSITIES, PROBABILITIES, key_det, test_det, test_err, eps_sec=1e-9, eps_cor=1e-15, leak_ec_bits=0.0
        )
        fraction = key.single_photon_key_lower / (true_single * 10.0**exponent / n_pulses)
        assert previous < fraction <= 1.0
        previous = fraction
    assert previous > 0.95
    assert key.phase_error_upper == pytest.approx(errors[1] / detection[1], abs=0.003)


def test_length_is_the_formula_of_lim_et_al():
    """l = floor(s_Z0 + s_Z1 (1 - h(phi_Z)) - leak - 6 log2(21/eps_sec) - log2(2/eps_cor)), Eq. (1)."""
    tallies, _ = sample_block(10**9, 7)
    leak = 90_000.0
    key = finite_key_length_decoy(tallies, eps_sec=1e-10, eps_cor=1e-12, leak_ec_bits=leak)
    phi = key.phase_error_upper
    entropy = -phi * math.log2(phi) - (1 - phi) * math.log2(1 - phi)
    cost = 6 * math.log2(21 / 1e-10) + math.log2(2 / 1e-12)
    assert key.security_bits == pytest.approx(cost) == pytest.approx(security_cost_bits(1e-10, 1e-12))
    expected = math.floor(key.vacuum_key_lower + key.single_photon_key_lower * (1 - entropy) - leak - cost)
    assert key.length_bits == expected > 0
    # Less leakage, a looser secrecy demand, more key; never below zero.
    assert finite_key_length_decoy(tallies, eps_sec=1e-10, eps_cor=1e-12, leak_ec_bits=0).length_bits > expected
    assert finite_key_length_decoy(tallies, eps_sec=1e-3, eps_cor=1e-12, leak_ec_bits=leak).length_bits > expected
    assert finite_key_length_decoy(tallies, eps_sec=1e-10, eps_cor=1e-12, leak_ec_bits=1e9).length_bits == 0


def test_small_blocks_give_no_key_but_no_error():
    tallies, _ = sample_block(10**6, 3)
    key = finite_key_length_decoy(tallies, eps_sec=1e-9, eps_cor=1e-15, leak_ec_bits=0.0)
    assert key.length_bits == 0 and key.phase_error_upper == 0.5


def test_gamma_shrinks_like_one_over_root_n_and_vanishes_without_errors():
    assert gamma_sampling(1e-9, 0.0, 1e4, 1e5) == 0.0
    small, large = gamma_sampling(1e-9, 0.02, 1e4, 1e5), gamma_sampling(1e-9, 0.02, 1e6, 1e7)
    assert 0 < large < small and small / large == pytest.approx(10.0, rel=0.15)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"intensities": (0.5, 0.1)}, "intensities"),
        ({"intensities": (0.5, 0.0002, 0.1)}, "intensities"),
        ({"intensities": (0.15, 0.1, 0.06)}, "intensities"),
        ({"probabilities": (1.0, 0.0, 0.0)}, "intensity_probabilities"),
        ({"eps_sec": 0.0}, "eps_sec"),
        ({"eps_cor": 1.0}, "eps_cor"),
        ({"leak_ec_bits": -1.0}, "leak_ec_bits"),
    ],
)
def test_bad_input_names_the_field(changes, field):
    key_det, test_det, test_err = expected_counts(1e9)
    arguments = {
        "intensities": INTENSITIES,
        "probabilities": PROBABILITIES,
        "key_detections": key_det,
        "test_detections": test_det,
        "test_errors": test_err,
        "eps_sec": 1e-9,
        "eps_cor": 1e-15,
        "leak_ec_bits": 0.0,
    }
    arguments.update(changes)
    n = len(arguments["intensities"])
    for name in ("key_detections", "test_detections", "test_errors"):
        arguments[name] = arguments[name][:n]
    with pytest.raises(ConfigError, match=field):
        decoy_finite_key(**arguments)


def test_module_examples_run():
    assert doctest.testmod(finite).failed == 0
