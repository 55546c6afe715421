"""Measurement-device-independent QKD with weak coherent pulses and infinitely many decoys.

Alice and Bob each send phase-randomised weak coherent pulses (polarisation BB84
states, intensity mu each) over half the link to an untrusted relay, which makes
a linear-optics Bell-state measurement with four detectors of efficiency eta_det
and dark-count probability p_d = Y0 / 2 each (Y0 of the hardware counts a
receiver's two detectors together). With eta_a = eta_b = eta_det 10^(-alpha L / 20),
mu' = eta_a mu_a + eta_b mu_b, x = sqrt(eta_a mu_a eta_b mu_b) / 2 and e_d the
misalignment error, the rectilinear (Z, key) basis gives

    Q_C = 2 (1 - p_d)^2 exp(-mu'/2) [1 - (1 - p_d) exp(-eta_a mu_a / 2)] [1 - (1 - p_d) exp(-eta_b mu_b / 2)],
    Q_E = 2 p_d (1 - p_d)^2 exp(-mu'/2) [I0(2x) - (1 - p_d) exp(-mu'/2)],
    Q_Z = Q_C + Q_E,    E_Z Q_Z = e_d Q_C + (1 - e_d) Q_E,

(I0 the modified Bessel function) and the single-photon pair yield and diagonal
(X) error rate, known exactly with infinitely many decoys, are

    Y11 = (1 - p_d)^2 [eta_a eta_b / 2 + (2 eta_a + 2 eta_b - 3 eta_a eta_b) p_d + 4 (1 - eta_a)(1 - eta_b) p_d^2],
    e11_X Y11 = Y11 / 2 - (1/2 - e_d)(1 - p_d)^2 eta_a eta_b / 2.

The rate per pulse pair is

    R = q { mu_a mu_b exp(-mu_a - mu_b) Y11 [1 - h(e11_X)] - f Q_Z h(E_Z) },

with q = 1/2 for independent equiprobable basis choices (q -> 1 with a biased
basis choice). The symmetric case mu_a = mu_b = mu is optimised over mu.

References:
    H.-K. Lo, M. Curty, B. Qi, "Measurement-device-independent quantum key
    distribution", Phys. Rev. Lett. 108, 130503 (2012): protocol and key rate.
    F. Xu, M. Curty, B. Qi, H.-K. Lo, "Practical aspects of measurement-device-
    independent quantum key distribution", New J. Phys. 15, 113007 (2013):
    the gain, error and single-photon formulas above.
    X. Ma, M. Razavi, Phys. Rev. A 86, 062319 (2012).
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from qkdn.keyrate.bb84 import BB84_SIFTING_FACTOR
from qkdn.keyrate.entropy import binary_entropy, privacy_fraction
from qkdn.keyrate.hardware import KeyRateHardwareConfig
from qkdn.keyrate.model import KeyRateModel
from qkdn.keyrate.optimise import maximise_on_log_scale
from qnetsim.core.units import fibre_transmittance

#: Signal intensities searched (mean photon number per pulse of each sender).
MEAN_PHOTON_NUMBER_RANGE = (1e-5, 2.0)


def rectilinear_gain_and_error(
    mean_photon_number_alice: ArrayLike,
    mean_photon_number_bob: ArrayLike,
    transmittance_alice: float,
    transmittance_bob: float,
    detector_dark_count_probability: float,
    misalignment_error: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Z-basis gain Q_Z and error-weighted gain E_Z Q_Z of MDI-QKD (module docstring).

    Args:
        mean_photon_number_alice: mu_a (number or array).
        mean_photon_number_bob: mu_b (number or array).
        transmittance_alice: eta_a, Alice-relay fibre times detector efficiency.
        transmittance_bob: eta_b, Bob-relay fibre times detector efficiency.
        detector_dark_count_probability: p_d per detector per pulse.
        misalignment_error: e_d.
    """
    from scipy.special import i0  # imported on first use, as every scipy import of qkdn

    arrive_a = transmittance_alice * np.asarray(mean_photon_number_alice, dtype=float)
    arrive_b = transmittance_bob * np.asarray(mean_photon_number_bob, dtype=float)
    no_dark = 1.0 - detector_dark_count_probability
    total = arrive_a + arrive_b
    x = np.sqrt(arrive_a * arrive_b) / 2.0
    correct = (
        2.0
        * no_dark**2
        * np.exp(-total / 2.0)
        * (1.0 - no_dark * np.exp(-arrive_a / 2.0))
        * (1.0 - no_dark * np.exp(-arrive_b / 2.0))
    )
    error = (
        2.0
        * detector_dark_count_probability
        * no_dark**2
        * (i0(2.0 * x) * np.exp(-total / 2.0) - no_dark * np.exp(-total))
    )
    gain = correct + error
    return gain, misalignment_error * correct + (1.0 - misalignment_error) * error


def single_photon_pair_yield_and_error(
    transmittance_alice: float,
    transmittance_bob: float,
    detector_dark_count_probability: float,
    misalignment_error: float,
) -> tuple[float, float]:
    """Y11 and the X-basis error rate e11_X of single-photon pairs (module docstring)."""
    eta_a, eta_b, p_d = transmittance_alice, transmittance_bob, detector_dark_count_probability
    both = eta_a * eta_b
    one_dark = (2 * eta_a + 2 * eta_b - 3 * both) * p_d
    two_dark = 4 * (1 - eta_a) * (1 - eta_b) * p_d**2
    yield_11 = (1 - p_d) ** 2 * (both / 2 + one_dark + two_dark)
    if yield_11 <= 0.0:
        return 0.0, 0.5
    error_yield = yield_11 / 2 - (0.5 - misalignment_error) * (1 - p_d) ** 2 * both / 2
    return yield_11, error_yield / yield_11


def mdi_qkd_rate(
    mean_photon_number: ArrayLike,
    transmittance_alice: float,
    transmittance_bob: float,
    detector_dark_count_probability: float,
    misalignment_error: float,
    error_correction_efficiency: float,
    sifting_factor: float = BB84_SIFTING_FACTOR,
) -> np.ndarray:
    """MDI-QKD rate per pulse pair with mu_a = mu_b = mu (module docstring); may be negative.

    References:
        Lo, Curty, Qi, Phys. Rev. Lett. 108, 130503 (2012); Xu, Curty, Qi, Lo,
        New J. Phys. 15, 113007 (2013).
    """
    mu = np.asarray(mean_photon_number, dtype=float)
    gain, error_gain = rectilinear_gain_and_error(
        mu, mu, transmittance_alice, transmittance_bob, detector_dark_count_probability, misalignment_error
    )
    yield_11, error_11 = single_photon_pair_yield_and_error(
        transmittance_alice, transmittance_bob, detector_dark_count_probability, misalignment_error
    )
    qber = np.divide(error_gain, gain, out=np.zeros_like(gain), where=gain > 0)
    secret = mu**2 * np.exp(-2.0 * mu) * yield_11 * privacy_fraction(error_11)
    leaked = error_correction_efficiency * gain * np.asarray(binary_entropy(qber))
    return sifting_factor * (secret - leaked)


@dataclass(frozen=True)
class MDIQKDModel(KeyRateModel):
    """MDI-QKD with the relay in the middle and infinitely many decoys; mu optimised."""

    name: str = "mdi-qkd"
    sifting_factor: float = BB84_SIFTING_FACTOR

    def _rate(self, distance_km: float, hardware: KeyRateHardwareConfig) -> tuple:
        eta = fibre_transmittance(distance_km / 2.0, hardware.attenuation_db_per_km) * hardware.detector_efficiency
        p_d = hardware.dark_count_probability / 2.0
        e_d = hardware.misalignment_error
        mu, rate = maximise_on_log_scale(
            lambda m: mdi_qkd_rate(m, eta, eta, p_d, e_d, hardware.error_correction_efficiency, self.sifting_factor),
            *MEAN_PHOTON_NUMBER_RANGE,
        )
        gain, error_gain = rectilinear_gain_and_error(mu, mu, eta, eta, p_d, e_d)
        return rate, float(error_gain / gain), mu, {}
