"""Expected sifted-key rate and QBER of the photon-level BB84 link, derived from SeQUeNCe's model.

Pure functions of numbers. The model is what the simulated hardware does
(``sequence/components``: ``light_source.py``, ``optical_channel.py``,
``beam_splitter.py``, ``detector.py``; ``qkdn/photon/sequence_bb84.py``):

* a pulse holds Poisson(mu) photons; each survives the fibre with probability
  ``T = 10^(-alpha L / 10)`` and clicks a detector with probability ``eta``, so the
  detected photons of a pulse are Poisson(``x = mu T eta``);
* the channel randomises a photon's polarization with probability ``1 - F`` (uniform
  angle), so in Bob's matching basis each photon reaches the wrong detector with
  probability ``e = (1 - F) / 2``;
* dark counts are a Poisson process of rate ``D`` per detector, so a pulse slot of
  length ``tau = 1 / f`` holds Poisson(``lambda = D tau``) of them per detector;
* a pulse counts only if exactly one detector clicks; a detector is dead for ``k``
  following pulses after a recorded click (non-paralysable dead time ``1 / count_rate``);
* sifting keeps the pulses where the random bases agree (probability 1/2).

In the matching basis the right detector sees Poisson(``a = x (1 - e) + lambda``) clicks
and the wrong one Poisson(``b = x e + lambda``), hence

    P_valid = (1 - e^-a) e^-b + e^-a (1 - e^-b),    P_error = e^-a (1 - e^-b),

QBER = P_error / P_valid and sifted bits per pulse = (1/2) (1 - d) P_valid, where the
dead fraction of a detector is ``d = k q / (1 + k q)`` for a per-pulse click probability
``q`` (renewal argument for a non-paralysable counter).

References:
    N. Gisin, G. Ribordy, W. Tittel, H. Zbinden, "Quantum cryptography", Rev. Mod.
    Phys. 74, 145-195 (2002), Sec. IV (sifted rate and QBER of weak-pulse BB84).
    G. F. Knoll, "Radiation Detection and Measurement", 4th ed., Wiley (2010), Ch. 4
    (non-paralysable dead time).
"""

import math
from dataclasses import dataclass

from qnetsim.core.errors import ConfigError


@dataclass(frozen=True)
class PhotonLinkExpectation:
    """Expected per-pulse figures of the photon-level BB84 link.

    Attributes:
        detected_photons_per_pulse: ``x = mu T eta``.
        valid_matched_probability: probability of exactly one click, matching bases.
        dead_fraction: fraction of pulses a detector is dead.
        sifted_bits_per_pulse: expected sifted bits per emitted pulse.
        qber: expected quantum bit error rate of the sifted key.
    """

    detected_photons_per_pulse: float
    valid_matched_probability: float
    dead_fraction: float
    sifted_bits_per_pulse: float
    qber: float


def dead_pulses_after_click(count_rate_hz: float, frequency_hz: float) -> int:
    """Pulses lost by a detector after a recorded click, on SeQUeNCe's picosecond grid.

    SeQUeNCe's detector is dead for ``ceil(1e12 / count_rate)`` ps after a click and the
    source's period is ``round(1e12 / f)`` ps; pulse ``j`` after the click is lost while
    ``j * period <= dead time``.
    """
    if count_rate_hz <= 0 or frequency_hz <= 0:
        raise ConfigError(f"count_rate_hz and frequency_hz: must be > 0; got {count_rate_hz}, {frequency_hz}")
    dead_ps = math.ceil(1e12 / count_rate_hz)
    period_ps = int(round(1e12 / frequency_hz))
    return dead_ps // period_ps


def expected_bb84_link(
    mean_photon_number: float,
    transmittance: float,
    detector_efficiency: float,
    polarization_fidelity: float,
    dark_count_rate_hz: float,
    frequency_hz: float,
    count_rate_hz: float,
) -> PhotonLinkExpectation:
    """Expected sifted bits per pulse and QBER of BB84 on SeQUeNCe's photon model (module docstring).

    Args:
        mean_photon_number: mu.
        transmittance: fibre transmittance T = 10^(-alpha L / 10).
        detector_efficiency: eta of each of Bob's detectors.
        polarization_fidelity: F of the channel.
        dark_count_rate_hz: D of each detector.
        frequency_hz: pulse rate f.
        count_rate_hz: detector maximum count rate (inverse dead time).

    Returns:
        The expected figures.

    References:
        Gisin et al., Rev. Mod. Phys. 74, 145 (2002), Sec. IV; Knoll (2010), Ch. 4.
    """
    for name, value in (
        ("transmittance", transmittance),
        ("detector_efficiency", detector_efficiency),
        ("polarization_fidelity", polarization_fidelity),
    ):
        if not 0.0 <= value <= 1.0:
            raise ConfigError(f"{name}: must be in [0, 1]; got {value}")
    if mean_photon_number < 0 or dark_count_rate_hz < 0:
        raise ConfigError(
            f"mean_photon_number and dark_count_rate_hz: must be >= 0; got {mean_photon_number}, {dark_count_rate_hz}"
        )
    x = mean_photon_number * transmittance * detector_efficiency
    wrong = (1.0 - polarization_fidelity) / 2.0
    dark = dark_count_rate_hz / frequency_hz
    right_mean, wrong_mean = x * (1.0 - wrong) + dark, x * wrong + dark
    right_click, wrong_click = -math.expm1(-right_mean), -math.expm1(-wrong_mean)
    valid = right_click * (1.0 - wrong_click) + (1.0 - right_click) * wrong_click
    error = (1.0 - right_click) * wrong_click
    # Per detector and pulse: matching bases send all photons to one detector (either,
    # by the random bit), different bases split them evenly.
    click = 0.25 * -math.expm1(-x) + 0.5 * -math.expm1(-x / 2.0)
    dead_pulses = dead_pulses_after_click(count_rate_hz, frequency_hz)
    dead = dead_pulses * click / (1.0 + dead_pulses * click)
    return PhotonLinkExpectation(
        detected_photons_per_pulse=x,
        valid_matched_probability=valid,
        dead_fraction=dead,
        sifted_bits_per_pulse=0.5 * (1.0 - dead) * valid,
        qber=error / valid if valid > 0 else math.nan,
    )
