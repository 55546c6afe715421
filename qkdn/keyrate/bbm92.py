"""Entanglement-based QKD (BBM92) with a Werner-state pair source between Alice and Bob.

A clearly stated simple asymptotic model, not the thermal-statistics PDC model of
Ma, Fung and Lo. Per pump pulse the source emits, with probability p, one photon
pair in the Werner state

    rho = V |Phi+><Phi+| + (1 - V) I / 4,

whose bit error rate is (1 - V) / 2 in either BB84 basis. Its photons cross arms
of transmittance eta_A = eta_det 10^(-alpha s L / 10) and
eta_B = eta_det 10^(-alpha (1 - s) L / 10) (source at fraction s of the length L
from Alice). Each receiver also clicks on background with probability Y0 per
pulse. A side's click is a photon with probability eta_X, otherwise background
with probability (1 - eta_X) Y0. A coincidence of two photon clicks errs with

    e_pair = (1 - V) / 2 (1 - 2 e_det) + e_det     (Werner flip and misalignment flip),

and any coincidence involving a background click errs with 1/2. Hence

    Q   = p (eta_A + (1 - eta_A) Y0)(eta_B + (1 - eta_B) Y0) + (1 - p) Y0^2,
    E Q = p [eta_A eta_B e_pair + (c_A c_B - eta_A eta_B) / 2] + (1 - p) Y0^2 / 2,

with c_X = eta_X + (1 - eta_X) Y0. The source may be in Eve's hands and the
measurement is basis independent, so the bit and phase error rates are equal and

    R = q Q [1 - f h(E) - h(E)],    q = 1/2.

References:
    C. H. Bennett, G. Brassard, N. D. Mermin, "Quantum cryptography without Bell's
    theorem", Phys. Rev. Lett. 68, 557 (1992).
    X. Ma, C.-H. F. Fung, H.-K. Lo, "Quantum key distribution with entangled photon
    sources", Phys. Rev. A 76, 012307 (2007): the key-rate formula
    R >= q Q [1 - f(E) h(E) - h(E)] for an untrusted entangled source.
    R. F. Werner, Phys. Rev. A 40, 4277 (1989).
"""

from dataclasses import dataclass

from qkdn.keyrate.bb84 import BACKGROUND_ERROR_RATE, BB84_SIFTING_FACTOR
from qkdn.keyrate.entropy import binary_entropy
from qkdn.keyrate.hardware import KeyRateHardwareConfig
from qkdn.keyrate.model import KeyRateModel
from qnetsim.core.errors import ConfigError
from qnetsim.core.units import fibre_transmittance


def werner_pair_error_rate(source_visibility: float, misalignment_error: float) -> float:
    """Bit error rate of a detected Werner pair: two independent flips, (1 - V)/2 and e_det."""
    werner_flip = (1.0 - source_visibility) / 2.0
    return werner_flip * (1.0 - misalignment_error) + misalignment_error * (1.0 - werner_flip)


def bbm92_gain_and_error(
    transmittance_alice: float,
    transmittance_bob: float,
    dark_count_probability: float,
    pair_emission_probability: float,
    pair_error_rate: float,
) -> tuple[float, float]:
    """Coincidence gain Q and error-weighted gain E Q per pump pulse (module docstring).

    Args:
        transmittance_alice: eta_A, Alice's arm times her detector efficiency.
        transmittance_bob: eta_B, Bob's arm times his detector efficiency.
        dark_count_probability: Y0 per pulse at each receiver.
        pair_emission_probability: p.
        pair_error_rate: e_pair, from :func:`werner_pair_error_rate`.
    """
    y0, p = dark_count_probability, pair_emission_probability
    click_alice = transmittance_alice + (1.0 - transmittance_alice) * y0
    click_bob = transmittance_bob + (1.0 - transmittance_bob) * y0
    both_photons = transmittance_alice * transmittance_bob
    gain = p * click_alice * click_bob + (1.0 - p) * y0**2
    error_gain = (
        p * (both_photons * pair_error_rate + BACKGROUND_ERROR_RATE * (click_alice * click_bob - both_photons))
        + (1.0 - p) * BACKGROUND_ERROR_RATE * y0**2
    )
    return gain, error_gain


def bbm92_link_gain_and_qber(
    distance_km: float, hardware: KeyRateHardwareConfig, alice_arm_fraction: float
) -> tuple[float, float | None]:
    """Coincidence gain Q and QBER E of a link with its pair source at ``alice_arm_fraction`` of it from Alice.

    ``(0.0, None)`` where no coincidence is possible (Q = 0).
    """
    alpha = hardware.attenuation_db_per_km
    eta_alice = fibre_transmittance(alice_arm_fraction * distance_km, alpha) * hardware.detector_efficiency
    eta_bob = fibre_transmittance((1 - alice_arm_fraction) * distance_km, alpha) * hardware.detector_efficiency
    gain, error_gain = bbm92_gain_and_error(
        eta_alice,
        eta_bob,
        hardware.dark_count_probability,
        hardware.pair_emission_probability,
        werner_pair_error_rate(hardware.source_visibility, hardware.misalignment_error),
    )
    if gain <= 0.0:
        return 0.0, None
    return gain, error_gain / gain


def bbm92_rate(
    gain: float, qber: float, error_correction_efficiency: float, sifting_factor: float = BB84_SIFTING_FACTOR
) -> float:
    """R = q Q [1 - f h(E) - h(E)] per pump pulse (negative where no key is possible).

    References:
        Ma, Fung, Lo, Phys. Rev. A 76, 012307 (2007).
    """
    entropy = float(binary_entropy(qber))
    return sifting_factor * gain * (1.0 - error_correction_efficiency * entropy - entropy)


@dataclass(frozen=True)
class BBM92Model(KeyRateModel):
    """BBM92 with a Werner source at fraction ``alice_arm_fraction`` of the link from Alice.

    ``alice_arm_fraction=0.5`` (the registry's ``bbm92``) puts the source in the
    middle; ``0.0`` puts it at Alice (point-to-point, like a prepare-and-measure link).
    Nothing is optimised: the pair probability and visibility are hardware inputs.
    """

    name: str = "bbm92"
    alice_arm_fraction: float = 0.5
    sifting_factor: float = BB84_SIFTING_FACTOR

    def __post_init__(self) -> None:
        if not 0.0 <= self.alice_arm_fraction <= 1.0:
            raise ConfigError(f"alice_arm_fraction: must be in [0, 1]; got {self.alice_arm_fraction!r}")

    def _rate(self, distance_km: float, hardware: KeyRateHardwareConfig) -> tuple:
        gain, qber = bbm92_link_gain_and_qber(distance_km, hardware, self.alice_arm_fraction)
        if qber is None:
            return 0.0, None, None, {}
        return bbm92_rate(gain, qber, hardware.error_correction_efficiency, self.sifting_factor), qber, None, {}
