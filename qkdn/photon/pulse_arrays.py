"""Weak-coherent-pulse trains as NumPy arrays: the same optics as SeQUeNCe's components, a train at a time.

SeQUeNCe makes every photon an event: the light source emits it, the quantum channel
drops it with probability ``loss`` or randomises its polarization with probability
``1 - polarization_fidelity`` (a uniformly random linear polarization), the polarization
beam splitter sends it to detector ``i`` with probability ``|<basis_i|state>|^2`` and the
detector clicks with probability ``efficiency``; dark counts are a Poisson process per
detector and a detector stays dead ``1 / count_rate`` after a recorded click
(``sequence/components``: ``light_source.py``, ``optical_channel.py``,
``beam_splitter.py``, ``detector.py``). Photons of a pulse act independently, so per pulse
the same model is a handful of draws:

* photons emitted: ``n ~ Poisson(mu_k)`` for the pulse's intensity ``mu_k``;
* photons arriving: ``m ~ Binomial(n, T)``; of those ``r ~ Binomial(m, 1 - F)`` have a
  random polarization, ``m - r`` keep Alice's state;
* at Bob's beam splitter, a kept photon measured in its own basis goes to the detector of
  Alice's bit, in the other basis to either detector with probability 1/2; a randomised
  photon (uniform angle, so ``<cos^2> = 1/2``) goes to either with probability 1/2;
* each photon at a detector clicks with probability ``eta``; each detector adds
  ``Poisson(D / f)`` dark counts per pulse slot; after a recorded click a detector misses
  the next ``k`` slots (:func:`qkdn.photon.analytic.dead_pulses_after_click`).

The arrays give the same distribution of clicks per pulse slot as the per-photon path;
what they drop is timing inside a slot (a dark count a few nanoseconds before or after a
pulse can shadow a photon only through dead time, a correction of order ``D / f``).
:mod:`tests.reference.test_pulse_arrays_vs_photons` checks the two against each other.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["ArrivingTrain", "detect_train", "emit_photon_numbers", "transmit_train"]


@dataclass(frozen=True, eq=False)
class ArrivingTrain:
    """The photons of one train at the end of the fibre (what Bob's beam splitter receives).

    Attributes:
        arrival_ps: arrival time of the train's first pulse.
        state_bases: polarization basis of each pulse's prepared state (0 = H/V, 1 = D/A).
        state_bits: state within that basis (0 or 1).
        n_kept: photons per pulse whose polarization the channel left untouched.
        n_randomised: photons per pulse with a random linear polarization.
    """

    arrival_ps: int
    state_bases: np.ndarray
    state_bits: np.ndarray
    n_kept: np.ndarray
    n_randomised: np.ndarray


def emit_photon_numbers(mean_photon_numbers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Photons in each pulse of a weak coherent train: ``Poisson(mu)`` per pulse (``mu`` may vary by pulse)."""
    return rng.poisson(mean_photon_numbers)


def transmit_train(
    n_photons: np.ndarray, transmittance: float, polarization_fidelity: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Fibre loss and polarization noise: ``(n_kept, n_randomised)`` photons per pulse.

    Each photon survives with probability ``transmittance`` and then keeps its polarization
    with probability ``polarization_fidelity`` (SeQUeNCe's ``QuantumChannel.transmit``).
    """
    arriving = rng.binomial(n_photons, transmittance)
    randomised = rng.binomial(arriving, 1.0 - polarization_fidelity) if polarization_fidelity < 1.0 else 0 * arriving
    return arriving - randomised, randomised


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
        train: the arriving photons.
        measurement_bases: Bob's basis for each pulse slot.
        efficiency: detection efficiency eta of each detector.
        dark_counts_per_slot: mean dark counts per detector per slot, ``D / f``.
        dead_slots: slots a detector misses after a recorded click.
        last_click_slot: per detector, the absolute slot of its last recorded click
            (updated in place; ``-inf``-like values for none).
        first_slot: absolute slot number of the train's first pulse.
        rng: Bob's generator.

    Returns:
        bool array of shape ``(2, n_pulses)``: detector ``i`` recorded a click in the slot.
    """
    same_basis = measurement_bases == train.state_bases
    split_kept = rng.binomial(train.n_kept, 0.5)
    to_one = np.where(same_basis, train.n_kept * train.state_bits, split_kept) + rng.binomial(train.n_randomised, 0.5)
    to_zero = train.n_kept + train.n_randomised - to_one
    n_slots = measurement_bases.size
    clicks = np.empty((2, n_slots), dtype=bool)
    for detector, arriving in enumerate((to_zero, to_one)):
        detected = rng.binomial(arriving, efficiency) > 0
        if dark_counts_per_slot > 0:
            detected |= rng.random(n_slots) < -np.expm1(-dark_counts_per_slot)
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
