"""Typed hardware descriptions with units in every name.

These frozen models are the one description of the physical layer shared by both
halves of the stack: the QTN builds quantum routers and BSM nodes from them and
the QKDN builds QKD transmitters and receivers from them. They know nothing of
SeQUeNCe; :mod:`qtn.sequence_backed.adapter` converts them into SeQUeNCe components.

Defaults describe optimistic near-term hardware (SNSPD detectors, telecom fibre,
single-atom memories with one-second coherence); every value can be overridden
in a scenario's ``templates`` section.
"""

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from qnetsim.core.units import (
    FIBRE_SPEED_KM_PER_S,
    MAX_RATE_HZ,
    MAX_TIME_S,
    MIN_RATE_HZ,
    MIN_SPEED_KM_PER_S,
    SPEED_OF_LIGHT_KM_PER_S,
)


class HardwareModel(BaseModel):
    """Base of all hardware descriptions: immutable, unknown keys are errors, types strict.

    Strict types: ``true`` is no number and ``'0.5'`` is text (an integer is still
    a number), so a mistyped value is refused rather than silently converted.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, strict=True)


class FibreConfig(HardwareModel):
    """Optical fibre.

    Attributes:
        attenuation_db_per_km: loss coefficient alpha; transmittance 10^(-alpha L/10).
        speed_km_per_s: signal speed in the fibre (c/n, about 2e5 km/s for silica).
    """

    attenuation_db_per_km: float = Field(0.2, ge=0)
    speed_km_per_s: float = Field(FIBRE_SPEED_KM_PER_S, ge=MIN_SPEED_KM_PER_S, le=SPEED_OF_LIGHT_KM_PER_S)


class DetectorConfig(HardwareModel):
    """Single-photon detector.

    Attributes:
        efficiency: probability that an arriving photon clicks.
        dark_count_rate_hz: rate of clicks with no photon (0, or at least one per 10^6 s).
        time_resolution_ps: timing jitter window of a click, 1 ps to 1 s (SeQUeNCe keeps
            it in whole picoseconds, so it is rounded when the detector is built).
        count_rate_hz: maximum click rate (inverse dead time). The default
            (10 ns dead time) lets a BSM station's detectors serve attempts of
            different memories in neighbouring 12.5 ns emission slots; a longer
            dead time blocks some of them (the fast link mode does not model that).
    """

    efficiency: float = Field(0.9, ge=0, le=1)
    dark_count_rate_hz: float = Field(10.0, ge=0, le=MAX_RATE_HZ)
    time_resolution_ps: float = Field(100.0, ge=1, le=1e12)
    count_rate_hz: float = Field(1.0e8, ge=MIN_RATE_HZ, le=MAX_RATE_HZ)

    @field_validator("dark_count_rate_hz")
    @classmethod
    def _dark_counts_zero_or_at_least_minimum(cls, value: float) -> float:
        # SeQUeNCe draws the wait to the next dark count as 1/rate: a tiny positive rate overflows it.
        if 0 < value < MIN_RATE_HZ:
            raise PydanticCustomError(
                "dark_count_rate", f"must be 0 or >= {MIN_RATE_HZ:g} (one per 10^6 s, slower than any run)"
            )
        return value


class MemoryConfig(HardwareModel):
    """Single-atom quantum memory (one qubit) with an optical interface.

    Attributes:
        efficiency: probability that an excitation emits a photon into the fibre.
        coherence_time_s: time constant of the memory's Pauli decoherence channel;
            ``None`` means no decoherence.
        raw_fidelity: fidelity of a freshly heralded pair with this memory.
        frequency_hz: maximum excitation (attempt) rate.
        wavelength_nm: wavelength of emitted photons.
    """

    efficiency: float = Field(0.75, ge=0, le=1)
    coherence_time_s: float | None = Field(1.0, gt=0, le=MAX_TIME_S)
    raw_fidelity: float = Field(0.95, ge=0.5, le=1)
    frequency_hz: float = Field(2.0e6, ge=MIN_RATE_HZ, le=MAX_RATE_HZ)
    wavelength_nm: float = Field(1550.0, gt=0)


class LightSourceConfig(HardwareModel):
    """Attenuated laser (weak coherent pulses) used by prepare-and-measure QKD.

    Attributes:
        frequency_hz: pulse repetition rate.
        mean_photon_number: mean photon number mu per pulse (Poisson statistics).
        wavelength_nm: wavelength of the pulses.
    """

    frequency_hz: float = Field(8.0e7, ge=MIN_RATE_HZ, le=MAX_RATE_HZ)
    mean_photon_number: float = Field(0.1, gt=0)
    wavelength_nm: float = Field(1550.0, gt=0)


class BSMConfig(HardwareModel):
    """Linear-optics Bell-state measurement station in the middle of a link.

    Attributes:
        success_probability: probability that two arriving photons give a
            distinguishable Bell outcome (1/2 for linear optics).
        detector: the two detectors of the station.
    """

    success_probability: float = Field(0.5, gt=0, le=1)
    detector: DetectorConfig = DetectorConfig()


class NodeHardwareConfig(HardwareModel):
    """Hardware of one network node.

    Attributes:
        n_memories: number of memories in the node's memory array (0 for a
            node that only does QKD; a repeater needs at least one).
        memory: the memories' parameters.
        gate_fidelity: fidelity of two-qubit gates (swapping, purification).
        measurement_fidelity: fidelity of single-qubit measurements.
        swap_success_probability: probability that a Bell measurement on two
            stored qubits succeeds.
        detector: detectors of a QKD receiver at this node.
        light_source: laser of a QKD transmitter at this node.
    """

    n_memories: int = Field(4, ge=0)
    memory: MemoryConfig = MemoryConfig()
    # SeQUeNCe's purification asserts a success probability of at least 1/2, which a
    # readout fidelity below 1/2 breaks, and a positive gate fidelity.
    gate_fidelity: float = Field(1.0, gt=0, le=1)
    measurement_fidelity: float = Field(1.0, ge=0.5, le=1)
    swap_success_probability: float = Field(1.0, ge=0, le=1)
    detector: DetectorConfig = DetectorConfig()
    light_source: LightSourceConfig = LightSourceConfig()


class LinkHardwareConfig(HardwareModel):
    """Hardware of one link: the fibre and the BSM station at its midpoint.

    Attributes:
        fibre: the fibre on both halves of the link.
        bsm: the midpoint Bell-state measurement station.
    """

    fibre: FibreConfig = FibreConfig()
    bsm: BSMConfig = BSMConfig()
