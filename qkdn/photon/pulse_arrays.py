"""Weak-coherent-pulse trains as NumPy arrays: the same optics as SeQUeNCe's components, a train at a time.

SeQUeNCe makes every photon an event: the light source emits it, the quantum channel
drops it with probability ``loss`` or randomises its polarization with probability
``1 - polarization_fidelity`` (a uniformly random linear polarization), the polarization
beam splitter sends it to detector ``i`` with probability ``|<basis_i|state>|^2`` and the
detector clicks with probability ``efficiency``; dark counts are a Poisson process per
detector and a detector stays dead ``1 / count_rate`` after a recorded click
(``sequence/components``: ``light_source.py``, ``optical_channel.py``,
``beam_splitter.py``, ``detector.py``).

Every step acts on each photon independently: kept or lost, polarization kept or
randomised, sent to detector 0 or 1, detected or not. A Poisson number of photons
thinned and split by independent choices gives *independent* Poisson counts in each
class (the colouring theorem: J. F. C. Kingman, "Poisson Processes", Oxford (1993),
Sec. 5.1). So for a pulse of mean photon number ``mu`` the photons detected at
detector ``j`` are Poisson with mean ``eta mu T [F r_j + (1 - F) / 2]``, independently
for the two detectors, where ``r_j`` is 1 for the detector of Alice's bit and 0 for the
other when Bob measures in Alice's basis, and 1/2 in the other basis (a randomised
photon has a uniformly random linear polarization, ``<cos^2> = 1/2``). Adding each
detector's ``Poisson(D / f)`` dark counts per slot, detector ``j`` clicks with
probability ``1 - exp(-m_j)``; after a recorded click it misses the next ``k`` slots
(:func:`qkdn.photon.analytic.dead_pulses_after_click`).

This is the same distribution of clicks per pulse slot as the per-photon path, drawn
with two uniform numbers per pulse instead of an event per photon. The fibre carries
the pulses' mean photon numbers (a weak coherent state stays coherent under loss);
photon numbers are drawn where photons are counted, at Bob's detectors. What the arrays
drop is timing inside a slot (a dark count a few nanoseconds before or after a pulse
shadows a photon only through dead time, a correction of order ``D / f``).
:mod:`tests.reference.test_pulse_arrays_vs_photons` checks the two paths against each
other.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["ArrivingTrain", "detect_train", "transmit_train"]


@dataclass(frozen=True, eq=False)
class ArrivingTrain:
    """One train at the end of the fibre (what Bob's beam splitter receives).

    Attributes:
        arrival_ps: arrival time of the train's first pulse.
        state_bases: polarization basis of each pulse's prepared state (0 = H/V, 1 = D/A).
        state_bits: state within that basis (0 or 1).
        kept_mean: mean photon number per pulse whose polarization the channel left untouched.
        randomised_mean: mean photon number per pulse with a random linear polarization.
    """

    arrival_ps: int
    state_bases: np.ndarray
    state_bits: np.ndarray
    kept_mean: np.ndarray
    randomised_mean: np.ndarray


def transmit_train(
    mean_photon_numbers: np.ndarray, transmittance: float, polarization_fidelity: float
) -> tuple[np.ndarray, np.ndarray]:
    """Fibre loss and polarization noise on weak coherent pulses: ``(kept_mean, randomised_mean)``.

    Each photon survives with probability ``transmittance`` and then keeps its
    polarization with probability ``polarization_fidelity`` (SeQUeNCe's
    ``QuantumChannel.transmit``), so the means are ``mu T F`` and ``mu T (1 - F)``.
    """
    arriving = np.asarray(mean_photon_numbers, dtype=float) * transmittance
    return arriving * polarization_fidelity, arriving * (1.0 - polarization_fidelity)


def detect_train(
    train: ArrivingTrain,
    measurement_bases: np.ndarray,
    efficiency: float,
    dark_counts_per_slot: float,
    dead_slots: int,
    last_click_slot: np.ndarray,
    first_slot: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Clicks of Bob's two detectors, one row per detector, one column per pulse slot.

    Args:
        train: the arriving pulses.
        measurement_bases: Bob's basis for each pulse slot.
        efficiency: detection efficiency eta of each detector.
        dark_counts_per_slot: mean dark counts per detector per slot, ``D / f``.
        dead_slots: slots a detector misses after a recorded click.
        last_click_slot: per detector, the absolute slot of its last recorded click
            (updated in place; a large negative value for none).
        first_slot: absolute slot number of the train's first pulse.
        rng: Bob's generator.

    Returns:
        bool array of shape ``(2, n_pulses)``: detector ``i`` recorded a click in the slot.
    """
    same_basis = measurement_bases == train.state_bases
    share_one = np.where(same_basis, train.state_bits.astype(float), 0.5)  # kept photons routed to detector 1
    to_one = efficiency * (train.kept_mean * share_one + 0.5 * train.randomised_mean)
    to_zero = efficiency * (train.kept_mean + train.randomised_mean) - to_one
    n_slots = measurement_bases.size
    clicks = np.empty((2, n_slots), dtype=bool)
    for detector, mean in enumerate((to_zero, to_one)):
        detected = rng.random(n_slots) < -np.expm1(-(mean + dark_counts_per_slot))
        clicks[detector] = _apply_dead_time(detected, dead_slots, last_click_slot, detector, first_slot)
    return clicks


def _apply_dead_time(
    candidates: np.ndarray, dead_slots: int, last_click_slot: np.ndarray, detector: int, first_slot: int
) -> np.ndarray:
    """Keep a candidate click only if the detector has recovered from its last recorded click."""
    slots = np.flatnonzero(candidates)
    if dead_slots == 0 or slots.size == 0:
        if slots.size:
            last_click_slot[detector] = first_slot + int(slots[-1])
        return candidates
    kept = np.zeros_like(candidates)
    last = int(last_click_slot[detector]) - first_slot
    for slot in slots.tolist():  # sequential by nature; only the (rarer) clicks are visited
        if slot > last + dead_slots:
            kept[slot] = True
            last = slot
    last_click_slot[detector] = first_slot + last
    return kept
