"""The fast key-rate models' view of a link, derived from the shared hardware description.

A QKD link ``a -> b`` uses ``a``'s light source (weak coherent pulses), the
fibre, and ``b``'s two detectors: the same :mod:`qnetsim.core.hardware` description the
photon-level simulation builds its SeQUeNCe components from. The analytic
models (:mod:`qkdn.keyrate`) take:

* ``detector_efficiency`` = the detectors' efficiency;
* ``dark_count_probability`` Y0 = 2 D / f: background clicks of the two
  detectors (rate D each) within one pulse slot of length 1/f, as the
  photon-level link counts them;
* ``repetition_rate_hz`` = the source's pulse rate;
* ``misalignment_error`` e_det and ``error_correction_efficiency`` f from the
  scenario's ``qkd`` section (the photon-level channel randomises a photon's
  polarisation with probability 1 - F = 2 e_det).
"""

from qkdn.keyrate.hardware import KeyRateHardwareConfig
from qnetsim.core.hardware import DetectorConfig, FibreConfig, LightSourceConfig


def keyrate_hardware(
    fibre: FibreConfig,
    source: LightSourceConfig,
    detector: DetectorConfig,
    misalignment_error: float,
    error_correction_efficiency: float,
) -> KeyRateHardwareConfig:
    """Key-rate model hardware for a link with this fibre, source and detectors."""
    return KeyRateHardwareConfig(
        attenuation_db_per_km=fibre.attenuation_db_per_km,
        detector_efficiency=detector.efficiency,
        dark_count_probability=min(2.0 * detector.dark_count_rate_hz / source.frequency_hz, 0.5),
        misalignment_error=misalignment_error,
        error_correction_efficiency=error_correction_efficiency,
        repetition_rate_hz=source.frequency_hz,
    )


def polarization_fidelity(misalignment_error: float) -> float:
    """Channel polarisation fidelity F that gives misalignment error e_det = (1 - F) / 2."""
    return 1.0 - 2.0 * misalignment_error
