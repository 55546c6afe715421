"""Hardware of a QKD link as the fast key-rate models see it, with named presets.

One frozen description serves every model in :mod:`qkdn.keyrate.registry`: the
discrete-variable models read the fibre, detector and error-correction fields,
the entanglement-based model also reads the source fields, and the CV-QKD model
reads the fibre and the coherent-detection fields. Names carry units; the
per-pulse probabilities are dimensionless.

Construction from keyword arguments validates every field and raises
:class:`qnetsim.core.errors.ConfigError` naming each bad field and value, so a CLI option
or an API call gets the same kind of message a scenario file does. (Nested in a
scenario schema the model validates as a normal pydantic model, and the
scenario's own error formatting applies.)
"""

import difflib
import types
from typing import Any

from pydantic import ConfigDict, Field, ValidationError

from qnetsim.core.errors import ConfigError
from qnetsim.core.hardware import HardwareModel

_RANGE_WORDS = {
    "greater_than": "must be >",
    "greater_than_equal": "must be >=",
    "less_than": "must be <",
    "less_than_equal": "must be <=",
}


class KeyRateHardwareConfig(HardwareModel):
    """Everything the analytic key-rate models need to know about a link's hardware.

    The defaults are the GYS experiment as tabulated by Lo, Ma and Chen (2005)
    for the discrete-variable fields and an ideal Werner source. The CV-QKD
    defaults (xi = 0.01 SNU, v_el = 0.01 SNU, eta = 0.6, beta = 0.95) are
    illustrative, not one experiment's: with them the asymptotic GG02 rate falls
    like the transmittance and stays positive to very long distances, so set
    them to the system at hand.

    Attributes:
        attenuation_db_per_km: fibre loss alpha; transmittance 10^(-alpha L / 10).
        detector_efficiency: eta_Bob, probability that a photon reaching the
            receiver clicks, including the receiver's internal optical loss.
        dark_count_probability: Y0, probability of a background click at a
            receiver in one pulse's detection window (both of its detectors
            together). MDI-QKD gives each of the relay's detectors Y0 / 2.
        misalignment_error: e_det, probability that a detected photon lands in
            the wrong detector (optical misalignment, interferometer visibility).
        error_correction_efficiency: f >= 1, error-correction leakage relative
            to the Shannon limit h(E).
        repetition_rate_hz: pulses (or CV symbols, or source pump pulses) per
            second; ``key_rate_bps = key_rate_per_pulse * repetition_rate_hz``.
        weak_decoy_mean_photon_number: nu, intensity of the weak decoy of the
            vacuum + weak decoy protocol. The asymptotic rate rises as nu -> 0;
            in practice nu is set by finite statistics, so it is an input here.
        source_visibility: V of the Werner state V |Phi+><Phi+| + (1 - V) I/4
            emitted by the entangled-pair source (fidelity (1 + 3V) / 4).
        pair_emission_probability: probability that the source emits a pair in
            one pump pulse.
        excess_noise_snu: xi, CV excess noise referred to the channel input,
            in shot-noise units.
        electronic_noise_snu: v_el, CV detector electronic noise in shot-noise
            units (trusted).
        homodyne_efficiency: eta of Bob's coherent (homodyne or heterodyne)
            detector (trusted).
        reconciliation_efficiency: beta <= 1, CV reconciliation efficiency.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    attenuation_db_per_km: float = Field(0.21, ge=0)
    detector_efficiency: float = Field(0.045, gt=0, le=1)
    dark_count_probability: float = Field(1.7e-6, ge=0, lt=1)
    misalignment_error: float = Field(0.033, ge=0, le=0.5)
    error_correction_efficiency: float = Field(1.22, ge=1)
    repetition_rate_hz: float = Field(2.0e6, gt=0)
    weak_decoy_mean_photon_number: float = Field(0.05, gt=0, lt=1)
    source_visibility: float = Field(1.0, ge=0, le=1)
    pair_emission_probability: float = Field(1.0, gt=0, le=1)
    excess_noise_snu: float = Field(0.01, ge=0)
    electronic_noise_snu: float = Field(0.01, ge=0)
    homodyne_efficiency: float = Field(0.6, gt=0, le=1)
    reconciliation_efficiency: float = Field(0.95, gt=0, le=1)

    def __init__(self, **values: Any) -> None:
        """Validate ``values``; every problem is reported in one ConfigError."""
        try:
            super().__init__(**values)
        except ValidationError as error:
            raise ConfigError("; ".join(_describe(problem) for problem in error.errors())) from None


def _describe(problem: Any) -> str:
    """One pydantic problem as ``field: must be <= 1; got 1.5``."""
    field = ".".join(str(part) for part in problem["loc"])
    kind = problem["type"]
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(field, list(KeyRateHardwareConfig.model_fields), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"{field}: unknown field{hint}"
    if kind in _RANGE_WORDS:
        bound = next(iter(problem["ctx"].values()))
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        return f"{field}: {_RANGE_WORDS[kind]} {bound}; got {problem['input']!r}"
    return f"{field}: {problem['msg'].lower()}; got {problem['input']!r}"


#: GYS experiment (Gobby, Yuan, Shields, Appl. Phys. Lett. 84, 3762 (2004)) with the
#: parameters of Lo, Ma, Chen, PRL 94, 230504 (2005): 0.21 dB/km, eta_Bob 4.5%,
#: Y0 1.7e-6, e_det 3.3%, f 1.22; the experiment ran at 2 MHz.
GYS = KeyRateHardwareConfig(
    attenuation_db_per_km=0.21,
    detector_efficiency=0.045,
    dark_count_probability=1.7e-6,
    misalignment_error=0.033,
    error_correction_efficiency=1.22,
    repetition_rate_hz=2.0e6,
)

#: Pure-loss fibre (0.2 dB/km) with perfect devices: unit efficiencies, no dark counts,
#: misalignment or excess noise, Shannon-limit error correction. The closest any model
#: gets to the repeaterless bound.
IDEAL = KeyRateHardwareConfig(
    attenuation_db_per_km=0.2,
    detector_efficiency=1.0,
    dark_count_probability=0.0,
    misalignment_error=0.0,
    error_correction_efficiency=1.0,
    repetition_rate_hz=1.0e9,
    weak_decoy_mean_photon_number=1e-3,
    source_visibility=1.0,
    pair_emission_probability=1.0,
    excess_noise_snu=0.0,
    electronic_noise_snu=0.0,
    homodyne_efficiency=1.0,
    reconciliation_efficiency=1.0,
)

#: Named hardware presets (read-only).
HARDWARE_PRESETS = types.MappingProxyType({"gys": GYS, "ideal": IDEAL})


def hardware_preset(name: str, **overrides: Any) -> KeyRateHardwareConfig:
    """A named preset, optionally with some fields replaced (and re-validated).

    Args:
        name: one of :data:`HARDWARE_PRESETS`.
        **overrides: field values to replace, e.g. ``detector_efficiency=0.1``.

    Raises:
        ConfigError: unknown preset name, unknown field or bad value.
    """
    if name not in HARDWARE_PRESETS:
        close = difflib.get_close_matches(name, list(HARDWARE_PRESETS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"hardware: unknown preset {name!r}{hint} (presets: {', '.join(sorted(HARDWARE_PRESETS))})")
    return KeyRateHardwareConfig(**{**HARDWARE_PRESETS[name].model_dump(), **overrides})
