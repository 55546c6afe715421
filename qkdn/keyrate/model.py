"""The interface every fast link model shares, and its result type.

A model is a small frozen object with a name and one method,
``evaluate(distance_km, hardware) -> KeyRatePoint``: a pure function of the
link length and the hardware numbers (no state, no randomness). The physics
lives in module-level functions of numbers (one module per protocol family);
a model only turns a distance into transmittances, optimises the source
intensity where the protocol has one, and clips a negative rate to zero.
"""

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from qkdn.keyrate.hardware import KeyRateHardwareConfig
from qnetsim.core.errors import ConfigError
from qnetsim.core.units import fibre_transmittance


@dataclass(frozen=True)
class KeyRatePoint:
    """A model's answer for one link length.

    Attributes:
        protocol: registry name of the model that produced it.
        distance_km: link length.
        key_rate_per_pulse: secret bits per pulse (per CV symbol, per source pump
            pulse; per channel use for the bounds), never negative.
        key_rate_bps: ``key_rate_per_pulse * repetition_rate_hz``.
        qber: bit error rate of the key (sifted) bits at the optimum, or None
            where the protocol has none (CV-QKD, bounds) or no key is possible.
        optimal_mean_photon_number: mean photon number per pulse that maximises
            the rate (signal intensity; for CV-QKD the mean photon number V_A / 2
            of the Gaussian ensemble), or None where nothing was optimised or the
            rate is zero.
        parameters: further model-specific values at the optimum, e.g.
            ``modulation_variance_snu`` (read-only mapping).
    """

    protocol: str
    distance_km: float
    key_rate_per_pulse: float
    key_rate_bps: float
    qber: float | None = None
    optimal_mean_photon_number: float | None = None
    parameters: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))


class KeyRateModel(ABC):
    """Base of the fast link models (see :mod:`qkdn.keyrate.registry`).

    Class attributes:
        name: registry name, e.g. ``"decoy-bb84"``.
        is_bound: True for upper bounds (PLOB, TGW) rather than protocols.
        is_repeaterless: True if the rate is limited by the repeaterless bound of
            the whole link (no quantum memories or repeaters inside it).
    """

    name: str = ""
    is_bound: bool = False
    is_repeaterless: bool = True

    def evaluate(self, distance_km: float, hardware: KeyRateHardwareConfig) -> KeyRatePoint:
        """The secret key rate of a link of ``distance_km`` built from ``hardware``.

        Raises:
            ConfigError: ``distance_km`` negative or not a finite number, or
                ``hardware`` not a :class:`KeyRateHardwareConfig`.
        """
        distance_km = check_distance_km(distance_km)
        if not isinstance(hardware, KeyRateHardwareConfig):
            raise ConfigError(f"hardware: must be a KeyRateHardwareConfig; got {type(hardware).__name__}")
        rate, qber, mean_photon_number, parameters = self._rate(distance_km, hardware)
        if not rate > 0.0:  # also catches NaN from a degenerate 0/0
            rate, qber, mean_photon_number, parameters = 0.0, None, None, {}
        return KeyRatePoint(
            protocol=self.name,
            distance_km=distance_km,
            key_rate_per_pulse=rate,
            key_rate_bps=rate * hardware.repetition_rate_hz,
            qber=qber,
            optimal_mean_photon_number=mean_photon_number,
            parameters=MappingProxyType(dict(parameters)),
        )

    @abstractmethod
    def _rate(
        self, distance_km: float, hardware: KeyRateHardwareConfig
    ) -> tuple[float, float | None, float | None, Mapping[str, float]]:
        """(rate per pulse, qber, optimal mean photon number, other optima); rate may be <= 0."""


def check_distance_km(distance_km: float) -> float:
    """``distance_km`` as a float, or ConfigError if it is not a finite number >= 0."""
    if isinstance(distance_km, bool) or not isinstance(distance_km, int | float):
        raise ConfigError(f"distance_km: must be a number; got {distance_km!r}")
    if not math.isfinite(distance_km) or distance_km < 0:
        raise ConfigError(f"distance_km: must be a finite number >= 0; got {distance_km!r}")
    return float(distance_km)


def channel_transmittance(distance_km: float, hardware: KeyRateHardwareConfig) -> float:
    """Fibre transmittance times receiver efficiency, eta = 10^(-alpha L / 10) eta_Bob."""
    return fibre_transmittance(distance_km, hardware.attenuation_db_per_km) * hardware.detector_efficiency
