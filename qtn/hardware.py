"""Typed hardware descriptions with units in every name.

These frozen models are the one description of the physical layer shared by both
halves of the stack: the QTN builds quantum routers and BSM nodes from them and
the QKDN builds QKD transmitters and receivers from them. They know nothing of
SeQUeNCe; :mod:`qtn.sequence_adapter` converts them into SeQUeNCe components.

Defaults describe optimistic near-term hardware (SNSPD detectors, telecom fibre,
single-atom memories with one-second coherence); every value can be overridden
in a scenario's ``templates`` section.
"""

from pydantic import BaseModel, ConfigDict, Field

from qtn.units import FIBRE_SPEED_KM_PER_S


class HardwareModel(BaseModel):
    """Base of all hardware descriptions: immutable, unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class FibreConfig(HardwareModel):
    """Optical fibre.

    Attributes:
        attenuation_db_per_km: loss coefficient alpha; transmittance 10^(-alpha L/10).
        speed_km_per_s: signal speed in the fibre (c/n, about 2e5 km/s for silica).
    """

    attenuation_db_per_km: float = Field(0.2, ge=0)
    speed_km_per_s: float = Field(FIBRE_SPEED_KM_PER_S, gt=0)


class DetectorConfig(HardwareModel):
    """Single-photon detector.

    Attributes:
        efficiency: probability that an arriving photon clicks.
        dark_count_rate_hz: rate of clicks with no photon.
        time_resolution_ps: timing jitter window of a click (SeQUeNCe keeps it
            in whole picoseconds, so it is rounded when the detector is built).
        count_rate_hz: maximum click rate (inverse dead time). The default
            (10 ns dead time) lets a BSM station's detectors serve attempts of
            different memories in neighbouring 12.5 ns emission slots; a longer
            dead time blocks some of them (the fast link mode does not model that).
    """

    efficiency: float = Field(0.9, ge=0, le=1)
    dark_count_rate_hz: float = Field(10.0, ge=0)
    time_resolution_ps: float = Field(100.0, gt=0)
    count_rate_hz: float = Field(1.0e8, gt=0)


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
    coherence_time_s: float | None = Field(1.0, gt=0)
    raw_fidelity: float = Field(0.95, ge=0.5, le=1)
    frequency_hz: float = Field(2.0e6, gt=0)
    wavelength_nm: float = Field(1550.0, gt=0)


class LightSourceConfig(HardwareModel):
    """Attenuated laser (weak coherent pulses) used by prepare-and-measure QKD.

    Attributes:
        frequency_hz: pulse repetition rate.
        mean_photon_number: mean photon number mu per pulse (Poisson statistics).
        wavelength_nm: wavelength of the pulses.
    """

    frequency_hz: float = Field(8.0e7, gt=0)
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
