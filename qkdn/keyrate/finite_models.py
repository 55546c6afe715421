"""Finite-key rate models: secret bits per pulse against distance for a given block size.

Beside each asymptotic model of :mod:`qkdn.keyrate.registry` that has a
finite-key analysis, a model of the same link with a post-processing block of
``block_bits`` sifted key bits: the channel model's **expected** tallies of one
block are fed to the finite-key length of :mod:`qkdn.keyrate.finite`, and the
rate is that length over the pulses the block took. Protocol parameters are
optimised for each distance, as in the papers.

* ``decoy-bb84`` (Lim, Curty, Walenta, Xu, Zbinden, PRA 89, 022307 (2014)): three
  intensities mu1 > mu2 + mu3, mu2 > mu3 (mu3 fixed, 2e-4 by default), key basis
  chosen with probability q_Z at both ends, key from all intensities. The block
  of ``n_Z = block_bits`` key-basis detections takes ``N = n_Z / (q_Z^2 sum_k p_k R_k)``
  pulses; error correction leaks ``f n_Z h(E_Z)``. Optimised over q_Z, p_mu1,
  p_mu2, mu1 and mu2. The channel is the paper's (Sec. IV, dedicated fibre): with
  ``Y0`` the receiver's background click probability (both detectors, 2 p_dc in
  the paper) and ``eta`` fibre times detector transmittance,

      D_k = 1 - (1 - Y0) exp(-eta k),   R_k = D_k (1 + p_ap),
      e_k = Y0 / 2 + e_det [1 - exp(-eta k)] + p_ap D_k / 2     (error probability per pulse).

  ``block_bits=None`` is the same protocol without statistical terms (the limit of
  large blocks, Fig. 1's dashed curve): ``R = q_Z^2 [s_0 + s_1 (1 - h(e_1)) - f n h(E)] / N``
  with exact expectations in the decoy bounds and q_Z -> 1.

* ``bbm92`` (Tomamichel, Lim, Gisin, Renner, Nat. Commun. 3, 634 (2012)): the
  coincidences of :mod:`qkdn.keyrate.bbm92`, ``n`` key bits from X-X rounds and
  ``k`` test bits from Z-Z rounds with basis probability ``p_x = (1 + sqrt(k/n))^-1``,
  so ``M = (sqrt(n) + sqrt(k))^2`` coincidences per block; abort above ``Q_tol``
  (robustness: the binomial probability that k test bits at the channel's QBER
  show more); error correction leaks ``f n h(E)``. The expected rate
  ``(1 - eps_rob) l / M`` per coincidence is optimised over k and Q_tol, times
  the coincidences per pump pulse.

Each finite model's ``name`` is its asymptotic model's name with ``-finite``
appended; :func:`finite_model` builds one.
"""

import functools
import math
from dataclasses import dataclass

import numpy as np

from qkdn.keyrate.bbm92 import bbm92_link_gain_and_qber
from qkdn.keyrate.finite import (
    binary_entropy_scalar,
    decoy_bounds,
    decoy_finite_key,
    entanglement_finite_key_bound,
    privacy_fraction_scalar,
)
from qkdn.keyrate.hardware import KeyRateHardwareConfig
from qkdn.keyrate.model import KeyRateModel, channel_transmittance
from qnetsim.core.errors import ConfigError

__all__ = [
    "FINITE_KEY_PROTOCOLS",
    "DecoyBB84FiniteModel",
    "BBM92FiniteModel",
    "DecoyChoice",
    "decoy_expected_counts",
    "decoy_block_rate",
    "finite_model",
]

#: Smallest and largest block accepted (sifted key bits); beyond 1e15 the statistical terms are negligible.
BLOCK_BITS_RANGE = (100, 10**15)


def _check_block_bits(block_bits: float | None) -> None:
    if block_bits is None:
        return
    low, high = BLOCK_BITS_RANGE
    if isinstance(block_bits, bool) or not (isinstance(block_bits, int | float) and low <= block_bits <= high):
        raise ConfigError(f"block_bits: must be a number of sifted key bits in [{low}, {high:.0e}]; got {block_bits!r}")


@dataclass(frozen=True)
class DecoyChoice:
    """Source and basis settings of decoy BB84: intensities (signal first), their probabilities, q_Z."""

    intensities: tuple[float, float, float]
    probabilities: tuple[float, float, float]
    key_basis_probability: float


def decoy_expected_counts(
    n_pulses: float,
    choice: DecoyChoice,
    transmittance: float,
    dark_count_probability: float,
    misalignment_error: float,
    afterpulse_probability: float = 0.0,
) -> dict[str, tuple[float, ...]]:
    """Expected sifted detections and errors per intensity and basis of ``n_pulses`` (module docstring).

    Returns:
        ``{"key_detections", "key_errors", "test_detections", "test_errors"}``, each a
        tuple over the intensities (same order as ``choice.intensities``).
    """
    q_key = choice.key_basis_probability
    counts: dict[str, list[float]] = {"key_detections": [], "key_errors": [], "test_detections": [], "test_errors": []}
    for k, p in zip(choice.intensities, choice.probabilities, strict=True):
        clicks = -math.expm1(-transmittance * k)
        detection = 1.0 - (1.0 - dark_count_probability) * math.exp(-transmittance * k)
        errors = dark_count_probability / 2.0 + misalignment_error * clicks + afterpulse_probability * detection / 2.0
        rate = detection * (1.0 + afterpulse_probability)
        for basis, q in (("key", q_key**2), ("test", (1.0 - q_key) ** 2)):
            counts[f"{basis}_detections"].append(n_pulses * p * q * rate)
            counts[f"{basis}_errors"].append(n_pulses * p * q * errors)
    return {name: tuple(values) for name, values in counts.items()}


def decoy_block_rate(
    block_bits: float | None,
    choice: DecoyChoice,
    transmittance: float,
    hardware: KeyRateHardwareConfig,
    *,
    eps_sec: float,
    eps_cor: float,
    afterpulse_probability: float = 0.0,
    eps_sec_per_bit: float | None = None,
) -> tuple[float, float]:
    """``(rate per pulse, key-basis QBER)`` of one block of ``block_bits`` (None: no statistical terms).

    The rate is the key length bound before the floor over the block's pulses, so
    negative where no key is possible (what the optimiser follows). With
    ``eps_sec_per_bit`` (kappa of Lim et al. 2014) the secrecy is ``kappa l``
    (three fixed-point steps from ``kappa n_Z``) and ``eps_sec`` is ignored.
    """
    per_pulse = decoy_expected_counts(
        1.0,
        choice,
        transmittance,
        hardware.dark_count_probability,
        hardware.misalignment_error,
        afterpulse_probability,
    )
    key_per_pulse = sum(per_pulse["key_detections"])
    if key_per_pulse <= 0.0:
        return -1.0, 0.5
    qber = sum(per_pulse["key_errors"]) / key_per_pulse
    leak_per_key_bit = hardware.error_correction_efficiency * binary_entropy_scalar(qber)
    if block_bits is None:
        s0, s1, s1_test, v1 = decoy_bounds(
            choice.intensities,
            choice.probabilities,
            per_pulse["key_detections"],
            per_pulse["test_detections"],
            per_pulse["test_errors"],
            0.0,
        )
        phase = v1 / s1_test if s1_test > 0 else 0.5
        return s0 + s1 * privacy_fraction_scalar(phase) - leak_per_key_bit * key_per_pulse, qber
    n_pulses = block_bits / key_per_pulse
    counts = {name: tuple(n_pulses * c for c in values) for name, values in per_pulse.items()}
    secrecy = eps_sec if eps_sec_per_bit is None else min(0.5, eps_sec_per_bit * block_bits)
    for _ in range(1 if eps_sec_per_bit is None else 3):
        key = decoy_finite_key(
            choice.intensities,
            choice.probabilities,
            counts["key_detections"],
            counts["test_detections"],
            counts["test_errors"],
            eps_sec=secrecy,
            eps_cor=eps_cor,
            leak_ec_bits=leak_per_key_bit * block_bits,
        )
        if eps_sec_per_bit is None or key.length_bound_bits <= 1.0:
            break
        secrecy = min(0.5, eps_sec_per_bit * key.length_bound_bits)
    return key.length_bound_bits / n_pulses, qber


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _choice_from(x: np.ndarray, weakest: float) -> DecoyChoice:
    """Unconstrained optimiser coordinates -> a valid choice (mu1 > mu2 + mu3, mu2 > mu3, p > 0)."""
    lower = [-3.0, -8.0, -8.0, -8.0, -8.0]  # key basis at least 5 %: below, blocks take absurdly many pulses
    q_key, logit_1, logit_2, log_mu1, mu2_share = np.clip(x, lower, [8.0, 8.0, 8.0, math.log(1.5), 8.0])
    weights = np.exp([logit_1, logit_2, 0.0])
    probabilities = weights / weights.sum()
    mu1 = 2.0 * weakest + math.exp(log_mu1)
    mu2 = weakest + (mu1 - 2.0 * weakest) * _sigmoid(mu2_share)
    return DecoyChoice(
        (mu1, mu2, weakest),
        (float(probabilities[0]), float(probabilities[1]), float(probabilities[2])),
        _sigmoid(q_key),
    )


#: Box of the optimiser's coordinates (key-basis logit, two intensity-probability logits, log mu1,
#: decoy share) scanned by a scrambled Sobol sequence before Nelder-Mead refines the best points:
#: the optimum moves far with the block size (short blocks test as much as they keep and send
#: mostly decoys) and Nelder-Mead alone stalls in flat regions near the cut-off distance.
_SCAN_BOX = (np.array([-3.0, -5.0, -3.0, math.log(0.05), -4.0]), np.array([3.0, 3.0, 3.0, math.log(1.2), 3.0]))
#: Fixed starts besides the scan's best: long blocks (key basis and signal favoured) and short ones
#: near their cut-off (more testing than key, mostly decoy and vacuum pulses).
_STARTS = (np.array([2.0, 2.0, 0.7, math.log(0.5), -1.0]), np.array([-0.8, -2.4, 0.15, math.log(0.5), -1.3]))
#: Score of the optimiser's objective above every -log(rate) of a positive rate.
_NO_KEY_SCORE = 1e4


@functools.cache
def _scan_points() -> np.ndarray:
    """The 256 scan points in :data:`_SCAN_BOX` (made once, on first use: scipy is imported only then)."""
    from scipy.stats import qmc

    return qmc.scale(qmc.Sobol(d=5, scramble=True, seed=20140210).random(256), *_SCAN_BOX)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class DecoyBB84FiniteModel(KeyRateModel):
    """Decoy BB84 with two decoys and a block of ``block_bits`` key bits (Lim et al. 2014; module docstring).

    Attributes:
        block_bits: sifted key-basis bits per post-processing block, or None for
            the same protocol without statistical terms.
        eps_sec: secrecy parameter of each block.
        eps_cor: correctness parameter of each block.
        weakest_mean_photon_number: mu3 (Lim et al. use 2e-4).
        afterpulse_probability: p_ap of the receiver's detectors.
        eps_sec_per_bit: if set, eps_sec = this times the key length (Lim et al.'s kappa).
    """

    name: str = "decoy-bb84-finite"
    block_bits: float | None = 1e8
    eps_sec: float = 1e-10
    eps_cor: float = 1e-15
    weakest_mean_photon_number: float = 2e-4
    afterpulse_probability: float = 0.0
    eps_sec_per_bit: float | None = None

    def __post_init__(self) -> None:
        _check_block_bits(self.block_bits)
        if not 0.0 <= self.weakest_mean_photon_number < 0.1:
            raise ConfigError(
                f"weakest_mean_photon_number: must be in [0, 0.1); got {self.weakest_mean_photon_number!r}"
            )
        if not 0.0 <= self.afterpulse_probability < 1.0:
            raise ConfigError(f"afterpulse_probability: must be in [0, 1); got {self.afterpulse_probability!r}")
        decoy_finite_key((0.5, 0.1, 0.0), (0.8, 0.1, 0.1), (1.0,) * 3, (1.0,) * 3, (0.0,) * 3,
                         eps_sec=self.eps_sec, eps_cor=self.eps_cor, leak_ec_bits=0.0)  # fmt: skip

    def rate_of(self, choice: DecoyChoice, eta: float, hardware: KeyRateHardwareConfig) -> tuple[float, float]:
        """``(rate per pulse, QBER)`` of the given source and basis settings (no optimisation)."""
        return decoy_block_rate(
            self.block_bits,
            choice,
            eta,
            hardware,
            eps_sec=self.eps_sec,
            eps_cor=self.eps_cor,
            afterpulse_probability=self.afterpulse_probability,
            eps_sec_per_bit=self.eps_sec_per_bit,
        )

    def optimum(self, eta: float, hardware: KeyRateHardwareConfig) -> tuple[float, float, DecoyChoice]:
        """``(rate, QBER, settings)`` at the settings that maximise the rate (scan, then Nelder-Mead)."""
        from scipy.optimize import minimize  # imported on first use, as every scipy import of qkdn

        weakest = self.weakest_mean_photon_number

        def negative_rate(x: np.ndarray) -> float:
            choice = _choice_from(x, weakest)
            rate = self.rate_of(choice, eta, hardware)[0]
            if rate > 0.0:
                return -math.log(rate)  # rates span decades; their logarithm is what the simplex sees well
            # No key: climb the key fraction l / n_Z instead (it does not reward ever more pulses);
            # any positive rate scores better than every point without key.
            key_per_pulse = sum(
                decoy_expected_counts(1.0, choice, eta, hardware.dark_count_probability, 0.0)["key_detections"]
            )
            return _NO_KEY_SCORE - rate / max(key_per_pulse, 1e-300)

        options = {"maxiter": 1000, "xatol": 1e-4, "fatol": 1e-6}
        scan_points = _scan_points()
        scanned = np.array([negative_rate(x) for x in scan_points])
        starts = [scan_points[int(np.argmin(scanned))], *_STARTS]
        best = min(
            (minimize(negative_rate, start, method="Nelder-Mead", options=options) for start in starts),
            key=lambda result: result.fun,
        )
        best = minimize(negative_rate, best.x, method="Nelder-Mead", options=options)  # restart: a fresh simplex
        choice = _choice_from(best.x, weakest)
        rate, qber = self.rate_of(choice, eta, hardware)
        return rate, qber, choice

    def _rate(self, distance_km: float, hardware: KeyRateHardwareConfig) -> tuple:
        eta = channel_transmittance(distance_km, hardware)
        rate, qber, choice = self.optimum(eta, hardware)
        counts = decoy_expected_counts(
            1.0, choice, eta, hardware.dark_count_probability, 0.0, self.afterpulse_probability
        )
        key_per_pulse = sum(counts["key_detections"])
        parameters = {
            "decoy_mean_photon_number": choice.intensities[1],
            "weakest_mean_photon_number": choice.intensities[2],
            "key_basis_probability": choice.key_basis_probability,
            "signal_probability": choice.probabilities[0],
            "decoy_probability": choice.probabilities[1],
            "sifted_per_pulse": key_per_pulse,
        }
        if self.block_bits is not None:
            parameters["block_bits"] = float(self.block_bits)
        return rate, qber, choice.intensities[0], parameters


def bbm92_block_rate(
    block_bits: float | None,
    n_test_bits: float,
    qber_tolerance: float,
    qber: float,
    error_correction_efficiency: float,
    *,
    eps_sec: float,
    eps_cor: float,
) -> float:
    """Expected secret bits per coincidence, ``(1 - eps_rob) l / (sqrt(n) + sqrt(k))^2`` (Tomamichel 2012, Eq. (3)).

    ``block_bits=None``: the asymptotic limit ``1 - h(E) - f h(E)`` (k / n -> 0).
    """
    leak_per_bit = error_correction_efficiency * binary_entropy_scalar(qber)
    if block_bits is None:
        return 1.0 - binary_entropy_scalar(qber) - leak_per_bit
    n, k = float(block_bits), float(n_test_bits)
    length = entanglement_finite_key_bound(
        n, k, qber_tolerance, eps_sec=eps_sec, eps_cor=eps_cor, leak_ec_bits=leak_per_bit * n
    )
    from scipy.stats import binom

    robustness = float(binom.sf(math.floor(qber_tolerance * k), max(1, round(k)), qber))
    return (1.0 - robustness) * length / (math.sqrt(n) + math.sqrt(k)) ** 2


@dataclass(frozen=True)
class BBM92FiniteModel(KeyRateModel):
    """BBM92 with blocks of ``block_bits`` key bits (Tomamichel et al. 2012; module docstring).

    The pair source sits in the middle (``alice_arm_fraction = 0.5``) as in the
    registry's ``bbm92``; rates are per pump pulse.
    """

    name: str = "bbm92-finite"
    block_bits: float | None = 1e8
    eps_sec: float = 1e-10
    eps_cor: float = 1e-15
    alice_arm_fraction: float = 0.5

    def __post_init__(self) -> None:
        _check_block_bits(self.block_bits)
        entanglement_finite_key_bound(10, 10, 0.0, eps_sec=self.eps_sec, eps_cor=self.eps_cor, leak_ec_bits=0.0)

    def per_coincidence(self, qber: float, error_correction_efficiency: float) -> tuple[float, float, float]:
        """``(rate per coincidence, k, Q_tol)`` maximised over the test bits k and the tolerance Q_tol."""
        if self.block_bits is None:
            return bbm92_block_rate(None, 0, 0, qber, error_correction_efficiency, eps_sec=0.5, eps_cor=0.5), 0.0, qber
        from scipy.optimize import minimize

        n = float(self.block_bits)

        def negative(x: np.ndarray) -> float:
            k = n * math.exp(float(np.clip(x[0], -12.0, 3.0)))
            tolerance = qber + 0.5 * _sigmoid(float(x[1])) * (0.5 - qber)
            return -bbm92_block_rate(
                n, k, tolerance, qber, error_correction_efficiency, eps_sec=self.eps_sec, eps_cor=self.eps_cor
            )

        best = None
        for start in (np.array([-1.0, -3.0]), np.array([-3.0, -4.0]), np.array([0.0, -2.0])):
            result = minimize(negative, start, method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-12})
            if best is None or result.fun < best.fun:
                best = result
        assert best is not None
        k = n * math.exp(float(np.clip(best.x[0], -12.0, 3.0)))
        return -float(best.fun), k, qber + 0.5 * _sigmoid(float(best.x[1])) * (0.5 - qber)

    def _rate(self, distance_km: float, hardware: KeyRateHardwareConfig) -> tuple:
        gain, qber = bbm92_link_gain_and_qber(distance_km, hardware, self.alice_arm_fraction)
        if qber is None:
            return 0.0, None, None, {}
        per_coincidence, n_test, tolerance = self.per_coincidence(qber, hardware.error_correction_efficiency)
        parameters = {"qber_tolerance": tolerance, "n_test_bits": n_test, "sifted_per_pulse": gain}
        if self.block_bits is not None:
            n = float(self.block_bits)
            parameters["block_bits"] = n
            parameters["sifted_per_pulse"] = gain * n / (math.sqrt(n) + math.sqrt(n_test)) ** 2
        return gain * per_coincidence, qber, None, parameters


#: Asymptotic model name -> its finite-key counterpart's class.
FINITE_KEY_PROTOCOLS = {"decoy-bb84": DecoyBB84FiniteModel, "bbm92": BBM92FiniteModel}


def finite_model(
    protocol: str, block_bits: float | None, *, eps_sec: float = 1e-10, eps_cor: float = 1e-15
) -> DecoyBB84FiniteModel | BBM92FiniteModel:
    """The finite-key model of ``protocol`` with blocks of ``block_bits`` sifted key bits.

    Raises:
        ConfigError: ``protocol`` has no finite-key model, or a bad block size or epsilon.
    """
    if protocol not in FINITE_KEY_PROTOCOLS:
        raise ConfigError(
            f"protocol: no finite-key model for {protocol!r}; finite-key models: {', '.join(FINITE_KEY_PROTOCOLS)}"
        )
    return FINITE_KEY_PROTOCOLS[protocol](block_bits=block_bits, eps_sec=eps_sec, eps_cor=eps_cor)
