"""Continuous-variable QKD: GG02 (Gaussian-modulated coherent states), reverse reconciliation.

Asymptotic rate against collective attacks, with Eve's information bounded by
the Holevo quantity and Bob's detector noise trusted. All variances are in
shot-noise units (SNU). With modulation variance V_A, V = V_A + 1, fibre
transmittance T = 10^(-alpha L / 10), excess noise xi (referred to the channel
input), detector efficiency eta and electronic noise v_el:

    chi_line = 1/T - 1 + xi,
    chi_hom  = (1 - eta + v_el) / eta,    chi_het = (2 - eta + 2 v_el) / eta,
    chi_tot  = chi_line + chi_det / T,

    I_AB = (1/2) log2[(V + chi_tot) / (1 + chi_tot)]    (homodyne; twice that for heterodyne).

Eve holds the purification of Alice and Bob's state, so
chi_BE = S(AB) - S(AFG | x_B) = G(l1) + G(l2) - G(l3) - G(l4), with
G(l) = g((l - 1)/2) from :func:`~qkdn.keyrate.entropy.thermal_entropy` and

    A = V^2 (1 - 2T) + 2T + T^2 (V + chi_line)^2,    B = T^2 (V chi_line + 1)^2,
    l1,2^2 = [A +- sqrt(A^2 - 4B)] / 2;

homodyne:
    C = [V sqrt(B) + T (V + chi_line) + A chi_hom] / [T (V + chi_tot)],
    D = sqrt(B) [V + sqrt(B) chi_hom] / [T (V + chi_tot)];
heterodyne:
    C = [A chi_het^2 + B + 1 + 2 chi_het (V sqrt(B) + T (V + chi_line)) + 2T (V^2 - 1)] / [T (V + chi_tot)]^2,
    D = [(V + sqrt(B) chi_het) / (T (V + chi_tot))]^2;
    l3,4^2 = [C +- sqrt(C^2 - 4D)] / 2.

The key rate per symbol is K = beta I_AB - chi_BE (beta the reconciliation
efficiency); the model optimises V_A.

Numerical range: at high loss two symplectic eigenvalues approach 1 and the
entropies cancel to a rate of order T, so double-precision rounding grows
relative to the rate as T falls (about 1e-4 relative jitter at T = 1e-8, 5e-4
at T = 1e-10, a few 1e-3 at 3e-11). Below :data:`MIN_RESOLVED_TRANSMITTANCE`
(100 dB of fibre) the model reports no key rather than rounding noise; the
rate there is below about 1e-11 bits per symbol.

References:
    F. Grosshans, P. Grangier, "Continuous variable quantum cryptography using
    coherent states", Phys. Rev. Lett. 88, 057902 (2002).
    J. Lodewyck et al., "Quantum key distribution over 25 km with an all-fiber
    continuous-variable system", Phys. Rev. A 76, 042305 (2007): the homodyne
    formulas above, with the trusted-detector model.
    S. Fossier, E. Diamanti, T. Debuisschert, R. Tualle-Brouri, P. Grangier,
    "Improvement of continuous-variable quantum key distribution systems by using
    optical preamplifiers", J. Phys. B 42, 114014 (2009): the heterodyne formulas.
"""

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from qkdn.keyrate.entropy import thermal_entropy
from qkdn.keyrate.hardware import KeyRateHardwareConfig
from qkdn.keyrate.model import KeyRateModel
from qkdn.keyrate.optimise import maximise_on_log_scale
from qnetsim.core.errors import ConfigError
from qnetsim.core.units import fibre_transmittance

Detection = Literal["homodyne", "heterodyne"]
#: Modulation variances searched, in SNU. The top is above what GG02 experiments use (a few to a
#: few tens of SNU) and keeps the closed form well conditioned (rounding grows with V_A at high loss).
MODULATION_VARIANCE_RANGE_SNU = (1e-3, 1e2)
#: Fibre transmittance below which the closed form is not resolved in double precision.
MIN_RESOLVED_TRANSMITTANCE = 1e-10


def detector_noise_snu(detection: Detection, efficiency: float, electronic_noise_snu: float) -> float:
    """chi_hom or chi_het: the trusted detector's noise referred to its input, in SNU."""
    if detection == "homodyne":
        return (1.0 - efficiency + electronic_noise_snu) / efficiency
    if detection == "heterodyne":
        return (2.0 - efficiency + 2.0 * electronic_noise_snu) / efficiency
    raise ConfigError(f"detection: must be 'homodyne' or 'heterodyne'; got {detection!r}")


def _symplectic_pair(trace_term: np.ndarray, determinant_term: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues l1, l2 with l1^2 + l2^2 = trace_term and l1^2 l2^2 = determinant_term."""
    root = np.sqrt(np.maximum(trace_term**2 - 4.0 * determinant_term, 0.0))
    larger = np.sqrt((trace_term + root) / 2.0)
    smaller = np.sqrt(np.maximum((trace_term - root) / 2.0, 1.0))  # physical eigenvalues are >= 1
    return larger, smaller


def gg02_key_rate(
    modulation_variance_snu: ArrayLike,
    transmittance: float,
    excess_noise_snu: float,
    detector_efficiency: float,
    electronic_noise_snu: float,
    reconciliation_efficiency: float,
    detection: Detection = "homodyne",
) -> np.ndarray:
    """GG02 reverse-reconciliation key rate per symbol, K = beta I_AB - chi_BE (module docstring).

    Args:
        modulation_variance_snu: V_A (number or array).
        transmittance: T of the fibre alone (the detector is trusted), > 0.
        excess_noise_snu: xi, referred to the channel input.
        detector_efficiency: eta of the homodyne or heterodyne detector.
        electronic_noise_snu: v_el.
        reconciliation_efficiency: beta.
        detection: "homodyne" or "heterodyne".

    Returns:
        K in bits per symbol (negative where no key is possible), shaped like V_A.

    References:
        Lodewyck et al., Phys. Rev. A 76, 042305 (2007); Fossier et al., J. Phys. B
        42, 114014 (2009).
    """
    v = np.asarray(modulation_variance_snu, dtype=float) + 1.0
    t = transmittance
    chi_det = detector_noise_snu(detection, detector_efficiency, electronic_noise_snu)
    chi_line = 1.0 / t - 1.0 + excess_noise_snu
    chi_tot = chi_line + chi_det / t
    snr_term = np.log2((v + chi_tot) / (1.0 + chi_tot))
    mutual_information = 0.5 * snr_term if detection == "homodyne" else snr_term

    a = v**2 * (1.0 - 2.0 * t) + 2.0 * t + t**2 * (v + chi_line) ** 2
    b = t**2 * (v * chi_line + 1.0) ** 2
    sqrt_b = np.sqrt(b)
    scale = t * (v + chi_tot)
    if detection == "homodyne":
        c = (v * sqrt_b + t * (v + chi_line) + a * chi_det) / scale
        d = sqrt_b * (v + sqrt_b * chi_det) / scale
    else:
        cross = 2.0 * chi_det * (v * sqrt_b + t * (v + chi_line))
        c = (a * chi_det**2 + b + 1.0 + cross + 2.0 * t * (v**2 - 1.0)) / scale**2
        d = ((v + sqrt_b * chi_det) / scale) ** 2
    l1, l2 = _symplectic_pair(a, b)
    l3, l4 = _symplectic_pair(c, d)
    holevo = thermal_entropy(l1) + thermal_entropy(l2) - thermal_entropy(l3) - thermal_entropy(l4)
    return reconciliation_efficiency * mutual_information - holevo


@dataclass(frozen=True)
class GG02Model(KeyRateModel):
    """GG02 CV-QKD with reverse reconciliation; the modulation variance is optimised.

    ``optimal_mean_photon_number`` is V_A / 2, the mean photon number of the
    Gaussian ensemble; ``parameters["modulation_variance_snu"]`` is V_A. On a
    nearly lossless link, or with beta = 1, the optimum is the top of the searched
    range, V_A = 100 SNU.
    Links with more than 100 dB of fibre loss get no key (module docstring).
    """

    name: str = "cv-qkd-gg02"
    detection: Detection = "homodyne"

    def __post_init__(self) -> None:
        detector_noise_snu(self.detection, 1.0, 0.0)  # validates the detection name

    def _rate(self, distance_km: float, hardware: KeyRateHardwareConfig) -> tuple:
        transmittance = fibre_transmittance(distance_km, hardware.attenuation_db_per_km)
        if transmittance < MIN_RESOLVED_TRANSMITTANCE:
            return 0.0, None, None, {}
        variance, rate = maximise_on_log_scale(
            lambda v_a: gg02_key_rate(
                v_a,
                transmittance,
                hardware.excess_noise_snu,
                hardware.homodyne_efficiency,
                hardware.electronic_noise_snu,
                hardware.reconciliation_efficiency,
                self.detection,
            ),
            *MODULATION_VARIANCE_RANGE_SNU,
        )
        return rate, None, variance / 2.0, {"modulation_variance_snu": variance}
