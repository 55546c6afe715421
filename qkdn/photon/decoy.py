"""Decoy-state estimation for one photon-level block: tallies, single-photon bounds, key length.

Pure functions of counts (no key bits). A block's key is its Z-basis sifted detections
of all intensities and its X-basis detections are the test set, as in Lim, Curty,
Walenta, Xu, Zbinden, PRA 89, 022307 (2014); the tallies are theirs (``n_{Z,k}``,
``m_{Z,k}``, ``n_{X,k}``, ``m_{X,k}``, :class:`qkdn.keyrate.tallies.DecoyTallies`).

Asymptotic estimation (this module): the vacuum + weak decoy bounds of Ma, Qi, Zhao,
Lo, PRA 72, 012326 (2005) (:func:`qkdn.keyrate.bb84.vacuum_weak_decoy_bounds_from_gains`)
applied to each basis, with the counts divided by the intensity probabilities standing
in for the gains (``n_{B,k} / p_k = N_B Q_k`` for the ``N_B`` pulses sent and measured
in basis ``B``):

* vacuum events in the key: ``s_{Z,0} = tau_0 N_Z Y0``, ``N_Z Y0 = n_{Z,3} / p_3``;
* single-photon events in the key: ``s_{Z,1} = tau_1 N_Z Y1^L`` (Z tallies);
* their phase error: ``e1^U`` from the X tallies (bit errors of X single photons);
* ``tau_n = sum_k p_k e^{-mu_k} mu_k^n / n!``.

The secret length of the block (GLLP with the single-photon part bounded by decoys,
the asymptotic form of Lim et al.'s Eq. (1)) is

    l = floor(r [s_{Z,0} + s_{Z,1} (1 - h(e1^U))] - leak_EC - t),

with ``r`` the fraction of the key left after the parameter-estimation sample, ``leak_EC``
the bits error correction disclosed and ``t`` the verification tag.
"""

import math
from dataclasses import dataclass

import numpy as np

from qkdn.keyrate.bb84 import vacuum_weak_decoy_bounds_from_gains
from qkdn.keyrate.entropy import binary_entropy
from qkdn.keyrate.tallies import DecoyTallies
from qnetsim.core.errors import ConfigError

__all__ = ["DecoyEstimate", "asymptotic_decoy_secret_length", "decoy_tallies", "estimate_single_photon_part"]


def decoy_tallies(
    intensities: tuple[float, ...],
    intensity_probabilities: tuple[float, ...],
    key_intensities: np.ndarray,
    key_errors: np.ndarray,
    test_intensities: np.ndarray,
    test_errors: np.ndarray,
    pulses_sent: int,
) -> DecoyTallies:
    """Count one block's detections and errors per intensity and basis.

    Args:
        intensities: mean photon number of each class, signal first.
        intensity_probabilities: probability of each class.
        key_intensities: intensity index of each key (Z) detection.
        key_errors: bool per key detection, True where the two ends' bits differ.
        test_intensities: intensity index of each test (X) detection.
        test_errors: bool per test detection, True where the bits differ.
        pulses_sent: pulses emitted over the block.

    Returns:
        The block's :class:`DecoyTallies`.
    """
    n_classes = len(intensities)

    def per_class(indices: np.ndarray, weights: np.ndarray | None = None) -> tuple[int, ...]:
        counts = np.bincount(indices.astype(np.intp), weights=weights, minlength=n_classes)
        return tuple(int(round(count)) for count in counts[:n_classes])

    return DecoyTallies(
        intensities=tuple(float(mu) for mu in intensities),
        intensity_probabilities=tuple(float(p) for p in intensity_probabilities),
        key_detections=per_class(key_intensities),
        key_errors=per_class(key_intensities, key_errors.astype(float)),
        test_detections=per_class(test_intensities),
        test_errors=per_class(test_intensities, test_errors.astype(float)),
        pulses_sent=pulses_sent,
    )


@dataclass(frozen=True)
class DecoyEstimate:
    """Bounds on the single-photon part of one block's key (counts and rates, no key bits).

    Attributes:
        vacuum_yield_counts: ``N_Z Y0``, Z pulses times the vacuum yield.
        single_photon_yield_counts: ``N_Z Y1^L`` from the Z tallies.
        test_single_photon_yield_counts: ``N_X Y1^L`` from the X tallies.
        single_photon_error_upper: ``e1^U``, phase error of the key's single photons.
        vacuum_events: ``s_{Z,0}``: key detections from empty pulses.
        single_photon_events: ``s_{Z,1}``: lower bound on key detections from one-photon pulses.
    """

    vacuum_yield_counts: float
    single_photon_yield_counts: float
    test_single_photon_yield_counts: float
    single_photon_error_upper: float
    vacuum_events: float
    single_photon_events: float

    def yields_per_pulse(self, matched_key_pulses: float) -> tuple[float, float]:
        """``(Y0, Y1^L)`` per pulse, given how many pulses were sent and measured in Z."""
        return self.vacuum_yield_counts / matched_key_pulses, self.single_photon_yield_counts / matched_key_pulses


def _poisson_weight(tallies: DecoyTallies, n_photons: int) -> float:
    """``tau_n = sum_k p_k e^{-mu_k} mu_k^n / n!``: probability that a pulse holds ``n`` photons."""
    return sum(
        p * math.exp(-mu) * mu**n_photons / math.factorial(n_photons)
        for mu, p in zip(tallies.intensities, tallies.intensity_probabilities, strict=True)
    )


def _bounds(tallies: DecoyTallies, detections: tuple[int, ...], errors: tuple[int, ...]) -> tuple[float, float, float]:
    """``(N Y0, N Y1^L, e1^U)`` of one basis from its counts (module docstring)."""
    (mu, nu, vacuum), probabilities = tallies.intensities, tallies.intensity_probabilities
    if vacuum != 0.0:
        raise ConfigError(f"DecoyTallies.intensities: the vacuum bound needs mu3 = 0; got {tallies.intensities}")
    gains = [n / p for n, p in zip(detections, probabilities, strict=True)]
    error_gain_nu = errors[1] / probabilities[1]
    yield_1, error_1 = vacuum_weak_decoy_bounds_from_gains(mu, nu, gains[0], gains[1], error_gain_nu, gains[2])
    return gains[2], float(yield_1), float(min(0.5, max(0.0, float(error_1))))


def estimate_single_photon_part(tallies: DecoyTallies) -> DecoyEstimate:
    """Vacuum + weak decoy bounds (Ma, Qi, Zhao, Lo 2005) on one block's single-photon events.

    Args:
        tallies: the block's counts; three intensities ``(mu, nu, 0)`` with ``mu > nu > 0``.

    Returns:
        The estimate; ``single_photon_events`` is 0 where no single-photon yield can be certified.

    References:
        X. Ma, B. Qi, Y. Zhao, H.-K. Lo, "Practical decoy state for quantum key
        distribution", Phys. Rev. A 72, 012326 (2005), vacuum + weak decoy bounds;
        C. C. W. Lim et al., Phys. Rev. A 89, 022307 (2014), Eq. (1) and the
        ``tau_n`` weights.
    """
    if len(tallies.intensities) != 3:
        raise ConfigError(f"DecoyTallies.intensities: need (signal, decoy, vacuum); got {tallies.intensities}")
    vacuum_z, yield_z, _ = _bounds(tallies, tallies.key_detections, tallies.key_errors)
    _, yield_x, error_x = _bounds(tallies, tallies.test_detections, tallies.test_errors)
    if yield_x <= 0:
        error_x = 0.5
    return DecoyEstimate(
        vacuum_yield_counts=vacuum_z,
        single_photon_yield_counts=yield_z,
        test_single_photon_yield_counts=yield_x,
        single_photon_error_upper=error_x,
        vacuum_events=_poisson_weight(tallies, 0) * vacuum_z,
        single_photon_events=max(0.0, _poisson_weight(tallies, 1) * yield_z),
    )


def asymptotic_decoy_secret_length(
    estimate: DecoyEstimate, key_fraction: float, leak_ec_bits: float, n_verification_bits: int
) -> int:
    """``floor(r [s_0 + s_1 (1 - h(e1^U))] - leak_EC - t)``, at least 0 (module docstring).

    Args:
        estimate: the block's single-photon bounds.
        key_fraction: ``r``, key bits left after the estimation sample over the block's key detections.
        leak_ec_bits: bits disclosed (or charged) by error correction.
        n_verification_bits: verification tag bits.

    Returns:
        Secret key length in bits.

    References:
        GLLP, Quant. Inf. Comput. 4, 325 (2004); Lo, Ma, Chen, PRL 94, 230504 (2005);
        Lim et al., PRA 89, 022307 (2014), Eq. (1) without the finite-size terms.
    """
    if not 0.0 <= key_fraction <= 1.0:
        raise ConfigError(f"key_fraction: must be in [0, 1]; got {key_fraction}")
    private = estimate.vacuum_events + estimate.single_photon_events * (
        1.0 - float(binary_entropy(estimate.single_photon_error_upper))
    )
    return max(0, math.floor(key_fraction * private - leak_ec_bits - n_verification_bits))
