"""BB84 with weak coherent pulses: GLLP without decoys, and decoy states (infinite, vacuum + weak).

All three share one channel model (Lo, Ma, Chen 2005). A pulse of mean photon
number mu meets a channel of overall transmittance eta (fibre times receiver
efficiency); an n-photon pulse clicks with yield

    Y_n = eta_n + Y0 (1 - eta_n),    eta_n = 1 - (1 - eta)^n,

and errs with e_n Y_n = e_det eta_n + e0 Y0 (1 - eta_n), e0 = 1/2 (a background
click is random). Averaged over the Poisson photon number,

    Q_mu      = Y0 exp(-eta mu) + (1 - exp(-eta mu)),
    E_mu Q_mu = e0 Y0 exp(-eta mu) + e_det (1 - exp(-eta mu)).

Lo, Ma and Chen write Y0 where this has Y0 exp(-eta mu) (a relative change of
order Y0 here); the exact form is kept so that the yields sum exactly to the
gain and error gain, which the decoy bounds assume.

The key rate is that of GLLP with the single-photon part estimated in three ways:

    R = q { Q1 [1 - h(e1)] - f Q_mu h(E_mu) },    q = 1/2 (BB84 sifting).

References:
    Gottesman, Lo, Lutkenhaus, Preskill (GLLP), Quantum Inf. Comput. 4, 325 (2004).
    H.-K. Lo, X. Ma, K. Chen, "Decoy state quantum key distribution", Phys. Rev.
    Lett. 94, 230504 (2005).
    X. Ma, B. Qi, Y. Zhao, H.-K. Lo, "Practical decoy state for quantum key
    distribution", Phys. Rev. A 72, 012326 (2005).
    P. W. Shor, J. Preskill, Phys. Rev. Lett. 85, 441 (2000).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from qkdn.keyrate.entropy import binary_entropy, privacy_fraction
from qkdn.keyrate.hardware import KeyRateHardwareConfig
from qkdn.keyrate.model import KeyRateModel, channel_transmittance
from qkdn.keyrate.optimise import maximise_on_log_scale

#: Error rate of a background (dark or stray) click.
BACKGROUND_ERROR_RATE = 0.5
#: Fraction of detections kept by BB84 sifting with equiprobable bases.
BB84_SIFTING_FACTOR = 0.5
#: Signal intensities searched by the optimisers (mean photon number per pulse).
MEAN_PHOTON_NUMBER_RANGE = (1e-7, 1.0)


def shor_preskill_rate(qber: ArrayLike) -> np.ndarray | float:
    """Secret fraction of BB84 with single photons and equal bit and phase errors.

    r = 1 - 2 h(Q), zero where negative (Q above about 11.0%).

    Args:
        qber: Q, the quantum bit error rate (number or array).

    References:
        P. W. Shor, J. Preskill, "Simple proof of security of the BB84 quantum key
        distribution protocol", Phys. Rev. Lett. 85, 441 (2000).
    """
    value = np.maximum(1.0 - 2.0 * np.asarray(binary_entropy(qber)), 0.0)
    return float(value) if value.ndim == 0 else value


def signal_gain_and_error(
    mean_photon_number: ArrayLike,
    transmittance: float,
    dark_count_probability: float,
    misalignment_error: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Gain Q_mu and error-weighted gain E_mu Q_mu of weak coherent pulses (module docstring).

    Args:
        mean_photon_number: mu per pulse (number or array).
        transmittance: eta, fibre times receiver efficiency.
        dark_count_probability: Y0 per pulse.
        misalignment_error: e_det.

    Returns:
        (Q_mu, E_mu Q_mu), arrays shaped like ``mean_photon_number``.
    """
    mu = np.asarray(mean_photon_number, dtype=float)
    signal = -np.expm1(-transmittance * mu)  # probability that at least one photon arrives and clicks
    background = dark_count_probability * np.exp(-transmittance * mu)  # no photon clicks, background does
    gain = signal + background
    error_gain = misalignment_error * signal + BACKGROUND_ERROR_RATE * background
    return gain, error_gain


def single_photon_yield_and_error(
    transmittance: float, dark_count_probability: float, misalignment_error: float
) -> tuple[float, float]:
    """Yield Y1 = eta + Y0 (1 - eta) and error rate e1 of single-photon pulses."""
    yield_1 = transmittance + dark_count_probability * (1.0 - transmittance)
    background = dark_count_probability * (1.0 - transmittance)  # background click, photon lost
    error_yield = misalignment_error * transmittance + BACKGROUND_ERROR_RATE * background
    return yield_1, (error_yield / yield_1 if yield_1 > 0 else BACKGROUND_ERROR_RATE)


def _error_correction_cost(gain: np.ndarray, error_gain: np.ndarray, efficiency: float) -> np.ndarray:
    """f Q h(E): bits per pulse leaked by error correction (zero where nothing clicks)."""
    qber = np.divide(error_gain, gain, out=np.zeros_like(gain), where=gain > 0)
    return efficiency * gain * np.asarray(binary_entropy(qber))


def decoy_infinite_rate(
    mean_photon_number: ArrayLike,
    transmittance: float,
    dark_count_probability: float,
    misalignment_error: float,
    error_correction_efficiency: float,
    sifting_factor: float = BB84_SIFTING_FACTOR,
) -> np.ndarray:
    """Decoy-state BB84 rate per pulse with infinitely many decoys (Y1 and e1 known exactly).

    R = q { mu exp(-mu) Y1 [1 - h(e1)] - f Q_mu h(E_mu) },
    Y1 = eta + Y0 (1 - eta), e1 Y1 = e_det eta + e0 Y0 (1 - eta).

    Args:
        mean_photon_number: signal intensity mu (number or array).
        transmittance: eta, fibre times receiver efficiency.
        dark_count_probability: Y0 per pulse.
        misalignment_error: e_det.
        error_correction_efficiency: f >= 1.
        sifting_factor: q.

    Returns:
        The rate (may be negative where no key is possible), shaped like mu.

    References:
        Lo, Ma, Chen, Phys. Rev. Lett. 94, 230504 (2005): key-rate formula and the
        yields and error rates of the GYS simulation.
    """
    mu = np.asarray(mean_photon_number, dtype=float)
    gain, error_gain = signal_gain_and_error(mu, transmittance, dark_count_probability, misalignment_error)
    yield_1, error_1 = single_photon_yield_and_error(transmittance, dark_count_probability, misalignment_error)
    single_photon_gain = mu * np.exp(-mu) * yield_1
    secret = single_photon_gain * privacy_fraction(error_1)
    return sifting_factor * (secret - _error_correction_cost(gain, error_gain, error_correction_efficiency))


def gllp_rate(
    mean_photon_number: ArrayLike,
    transmittance: float,
    dark_count_probability: float,
    misalignment_error: float,
    error_correction_efficiency: float,
    sifting_factor: float = BB84_SIFTING_FACTOR,
) -> np.ndarray:
    """BB84 rate per pulse without decoys: GLLP with the worst-case multi-photon fraction.

    With no decoys, all multi-photon pulses P_multi = 1 - (1 + mu) exp(-mu) may have
    been detected and all errors may sit on the rest, so
    Delta = P_multi / Q_mu and

    R = q Q_mu { (1 - Delta) [1 - h(E_mu / (1 - Delta))] - f h(E_mu) }.

    Args:
        mean_photon_number: mu (number or array).
        transmittance: eta, fibre times receiver efficiency.
        dark_count_probability: Y0 per pulse.
        misalignment_error: e_det.
        error_correction_efficiency: f >= 1.
        sifting_factor: q.

    Returns:
        The rate (negative where no key is possible), shaped like mu.

    References:
        GLLP, Quantum Inf. Comput. 4, 325 (2004); used without decoys as the
        comparison curve of Lo, Ma, Chen, Phys. Rev. Lett. 94, 230504 (2005).
    """
    mu = np.asarray(mean_photon_number, dtype=float)
    gain, error_gain = signal_gain_and_error(mu, transmittance, dark_count_probability, misalignment_error)
    multi_photon = -np.expm1(-mu) - mu * np.exp(-mu)
    untagged_gain = gain - multi_photon  # lower bound on the single-photon (and vacuum) gain
    phase_error = np.divide(error_gain, untagged_gain, out=np.ones_like(gain), where=untagged_gain > 0)
    secret = np.where(untagged_gain > 0, untagged_gain * privacy_fraction(phase_error), 0.0)
    return sifting_factor * (secret - _error_correction_cost(gain, error_gain, error_correction_efficiency))


def vacuum_weak_decoy_bounds(
    mean_photon_number: ArrayLike,
    weak_decoy_mean_photon_number: float,
    transmittance: float,
    dark_count_probability: float,
    misalignment_error: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower bound on Y1 and upper bound on e1 from a vacuum and a weak decoy (nu < mu).

    Y1^L = mu / (mu nu - nu^2) [Q_nu e^nu - Q_mu e^mu nu^2 / mu^2 - (mu^2 - nu^2) / mu^2 Y0],
    e1^U = (E_nu Q_nu e^nu - e0 Y0) / (Y1^L nu),

    with Y0 measured by the vacuum decoy and Q, E Q from :func:`signal_gain_and_error`.

    Returns:
        (Y1^L, e1^U), arrays shaped like ``mean_photon_number``; e1^U is 1/2 where
        Y1^L <= 0 (no single-photon key can be certified).

    References:
        Ma, Qi, Zhao, Lo, Phys. Rev. A 72, 012326 (2005), the vacuum + weak decoy
        state protocol (its bounds on Y1 and e1).
    """
    mu = np.asarray(mean_photon_number, dtype=float)
    nu = weak_decoy_mean_photon_number
    gain_mu, _ = signal_gain_and_error(mu, transmittance, dark_count_probability, misalignment_error)
    gain_nu, error_gain_nu = signal_gain_and_error(nu, transmittance, dark_count_probability, misalignment_error)
    return vacuum_weak_decoy_bounds_from_gains(mu, nu, gain_mu, gain_nu, error_gain_nu, dark_count_probability)


def vacuum_weak_decoy_bounds_from_gains(
    mean_photon_number: ArrayLike,
    weak_decoy_mean_photon_number: float,
    gain_mu: ArrayLike,
    gain_nu: ArrayLike,
    error_gain_nu: ArrayLike,
    vacuum_yield: ArrayLike,
) -> tuple[np.ndarray, np.ndarray]:
    """The bounds of :func:`vacuum_weak_decoy_bounds` from observed gains (e.g. a simulated block's tallies).

    Y1^L = mu / (mu nu - nu^2) [Q_nu e^nu - Q_mu e^mu nu^2 / mu^2 - (mu^2 - nu^2) / mu^2 Y0],
    e1^U = (E_nu Q_nu e^nu - e0 Y0) / (Y1^L nu).

    Y1^L is linear and e1^U homogeneous of degree 0 in (Q_mu, Q_nu, E_nu Q_nu, Y0), so
    detection counts divided by each intensity's probability may stand in for the gains
    (the result is then Y1^L times the number of pulses; e1^U is unchanged).

    Args:
        mean_photon_number: signal intensity mu.
        weak_decoy_mean_photon_number: nu < mu.
        gain_mu: Q_mu, the signal's gain.
        gain_nu: Q_nu, the weak decoy's gain.
        error_gain_nu: E_nu Q_nu, the weak decoy's error gain.
        vacuum_yield: Y0, the vacuum decoy's gain.

    Returns:
        (Y1^L, e1^U); e1^U is 1/2 where Y1^L <= 0.

    References:
        Ma, Qi, Zhao, Lo, Phys. Rev. A 72, 012326 (2005), the vacuum + weak decoy
        state protocol (its bounds on Y1 and e1).
    """
    mu = np.asarray(mean_photon_number, dtype=float)
    nu = weak_decoy_mean_photon_number
    gain_mu, gain_nu = np.asarray(gain_mu, dtype=float), np.asarray(gain_nu, dtype=float)
    vacuum_yield = np.asarray(vacuum_yield, dtype=float)
    bracket = gain_nu * np.exp(nu) - gain_mu * np.exp(mu) * nu**2 / mu**2 - (mu**2 - nu**2) / mu**2 * vacuum_yield
    yield_lower = np.asarray(mu / (mu * nu - nu**2) * bracket, dtype=float)
    error_numerator = np.asarray(error_gain_nu, dtype=float) * np.exp(nu) - BACKGROUND_ERROR_RATE * vacuum_yield
    error_upper = np.divide(
        error_numerator,
        yield_lower * nu,
        out=np.full_like(yield_lower, BACKGROUND_ERROR_RATE),
        where=yield_lower > 0,
    )
    return yield_lower, error_upper


def vacuum_weak_decoy_rate(
    mean_photon_number: ArrayLike,
    weak_decoy_mean_photon_number: float,
    transmittance: float,
    dark_count_probability: float,
    misalignment_error: float,
    error_correction_efficiency: float,
    sifting_factor: float = BB84_SIFTING_FACTOR,
) -> np.ndarray:
    """Decoy-state BB84 rate per pulse with a vacuum and one weak decoy (asymptotic).

    R = q { mu exp(-mu) Y1^L [1 - h(e1^U)] - f Q_mu h(E_mu) }, bounds from
    :func:`vacuum_weak_decoy_bounds`.

    Returns:
        The rate (negative where no key is possible), shaped like mu.

    References:
        Ma, Qi, Zhao, Lo, Phys. Rev. A 72, 012326 (2005).
    """
    mu = np.asarray(mean_photon_number, dtype=float)
    gain, error_gain = signal_gain_and_error(mu, transmittance, dark_count_probability, misalignment_error)
    yield_lower, error_upper = vacuum_weak_decoy_bounds(
        mu, weak_decoy_mean_photon_number, transmittance, dark_count_probability, misalignment_error
    )
    secret = np.where(yield_lower > 0, mu * np.exp(-mu) * yield_lower * privacy_fraction(error_upper), 0.0)
    return sifting_factor * (secret - _error_correction_cost(gain, error_gain, error_correction_efficiency))


def _sifted(mean_photon_number: float, transmittance: float, hardware: KeyRateHardwareConfig, sifting: float) -> dict:
    """``{"sifted_per_pulse": Q_mu * sifting}``: sifted bits per pulse at the optimum (for key-link blocks)."""
    gain, _ = signal_gain_and_error(mean_photon_number, transmittance, hardware.dark_count_probability, 0.0)
    return {"sifted_per_pulse": float(gain) * sifting}


def _qber(mean_photon_number: float, transmittance: float, hardware: KeyRateHardwareConfig) -> float:
    gain, error_gain = signal_gain_and_error(
        mean_photon_number, transmittance, hardware.dark_count_probability, hardware.misalignment_error
    )
    return float(error_gain / gain)


def _best_point(
    rate_per_pulse: Callable[..., np.ndarray],
    eta: float,
    hardware: KeyRateHardwareConfig,
    sifting_factor: float,
    mean_photon_number_range: tuple[float, float] = MEAN_PHOTON_NUMBER_RANGE,
    *leading: float,
    **parameters: float,
) -> tuple:
    """``(rate, qber, mu, parameters)`` at the signal intensity mu that maximises ``rate_per_pulse``.

    ``rate_per_pulse(mu, *leading, eta, Y0, e_det, f, sifting)`` is one of this module's rate
    formulas; ``parameters`` go first in the returned parameters, then the sifted bits per pulse.
    """
    mu, rate = maximise_on_log_scale(
        lambda m: rate_per_pulse(
            m,
            *leading,
            eta,
            hardware.dark_count_probability,
            hardware.misalignment_error,
            hardware.error_correction_efficiency,
            sifting_factor,
        ),
        *mean_photon_number_range,
    )
    return rate, _qber(mu, eta, hardware), mu, {**parameters, **_sifted(mu, eta, hardware, sifting_factor)}


@dataclass(frozen=True)
class DecoyBB84Model(KeyRateModel):
    """Decoy-state BB84 with infinitely many decoys, signal intensity optimised (:func:`decoy_infinite_rate`)."""

    name: str = "decoy-bb84"
    sifting_factor: float = BB84_SIFTING_FACTOR

    def _rate(self, distance_km: float, hardware: KeyRateHardwareConfig) -> tuple:
        eta = channel_transmittance(distance_km, hardware)
        return _best_point(decoy_infinite_rate, eta, hardware, self.sifting_factor)


@dataclass(frozen=True)
class GLLPBB84Model(KeyRateModel):
    """BB84 with weak coherent pulses and no decoys (:func:`gllp_rate`), mu optimised."""

    name: str = "bb84-gllp"
    sifting_factor: float = BB84_SIFTING_FACTOR

    def _rate(self, distance_km: float, hardware: KeyRateHardwareConfig) -> tuple:
        eta = channel_transmittance(distance_km, hardware)
        return _best_point(gllp_rate, eta, hardware, self.sifting_factor)


@dataclass(frozen=True)
class VacuumWeakDecoyBB84Model(KeyRateModel):
    """Vacuum + weak decoy BB84 (:func:`vacuum_weak_decoy_rate`); nu from the hardware, mu > nu optimised."""

    name: str = "decoy-bb84-vacuum-weak"
    sifting_factor: float = BB84_SIFTING_FACTOR

    def _rate(self, distance_km: float, hardware: KeyRateHardwareConfig) -> tuple:
        eta = channel_transmittance(distance_km, hardware)
        nu = hardware.weak_decoy_mean_photon_number
        mu_range = (nu * 1.001, max(MEAN_PHOTON_NUMBER_RANGE[1], 3.0 * nu))
        return _best_point(
            vacuum_weak_decoy_rate, eta, hardware, self.sifting_factor, mu_range, nu, weak_decoy_mean_photon_number=nu
        )
