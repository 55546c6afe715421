"""Upper bounds on the secret key rate of a repeaterless lossy link, per channel use.

Both bounds depend on the fibre transmittance eta = 10^(-alpha L / 10) alone: the
receiver's detectors are trusted devices, not part of the channel, so their
inefficiency does not tighten the bound. At L = 0 (eta = 1) the PLOB bound is
infinite: a lossless channel carries unbounded key per use.

References:
    S. Pirandola, R. Laurenza, C. Ottaviani, L. Banchi, "Fundamental limits of
    repeaterless quantum communications", Nat. Commun. 8, 15043 (2017):
    the secret-key capacity of the pure-loss channel, -log2(1 - eta) (PLOB).
    M. Takeoka, S. Guha, M. M. Wilde, "Fundamental rate-loss tradeoff for optical
    quantum key distribution", Nat. Commun. 5, 5235 (2014): the TGW bound
    log2[(1 + eta) / (1 - eta)].
"""

import math
from dataclasses import dataclass

from qkdn.keyrate.hardware import KeyRateHardwareConfig
from qkdn.keyrate.model import KeyRateModel
from qnetsim.core.units import fibre_transmittance


def plob_bound(transmittance: float) -> float:
    """PLOB bound, -log2(1 - eta) secret bits per channel use (infinite at eta = 1).

    Args:
        transmittance: eta in [0, 1].

    References:
        Pirandola, Laurenza, Ottaviani, Banchi, Nat. Commun. 8, 15043 (2017).
    """
    if transmittance >= 1.0:
        return math.inf
    return -math.log1p(-transmittance) / math.log(2.0)


def tgw_bound(transmittance: float) -> float:
    """TGW bound, log2[(1 + eta) / (1 - eta)] secret bits per channel use (infinite at eta = 1).

    Args:
        transmittance: eta in [0, 1].

    References:
        Takeoka, Guha, Wilde, Nat. Commun. 5, 5235 (2014).
    """
    if transmittance >= 1.0:
        return math.inf
    return (math.log1p(transmittance) - math.log1p(-transmittance)) / math.log(2.0)


@dataclass(frozen=True)
class PLOBBoundModel(KeyRateModel):
    """The PLOB bound of the whole link's fibre, as a registry entry to plot against."""

    name: str = "plob"
    is_bound = True

    def _rate(self, distance_km: float, hardware: KeyRateHardwareConfig) -> tuple:
        return plob_bound(fibre_transmittance(distance_km, hardware.attenuation_db_per_km)), None, None, {}


@dataclass(frozen=True)
class TGWBoundModel(KeyRateModel):
    """The TGW bound of the whole link's fibre (weaker than PLOB), as a registry entry."""

    name: str = "tgw"
    is_bound = True

    def _rate(self, distance_km: float, hardware: KeyRateHardwareConfig) -> tuple:
        return tgw_bound(fibre_transmittance(distance_km, hardware.attenuation_db_per_km)), None, None, {}
