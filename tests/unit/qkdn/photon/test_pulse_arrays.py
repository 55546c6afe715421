"""The array optics: loss and noise counts, the beam splitter's routing and the detectors' dead time."""

import numpy as np

from qkdn.photon.pulse_arrays import ArrivingTrain, detect_train, transmit_train

FAR_PAST = np.full(2, -(2**62), dtype=np.int64)


def train(bases, bits, kept, randomised=None) -> ArrivingTrain:
    kept = np.asarray(kept)
    return ArrivingTrain(
        0, np.asarray(bases, dtype=np.uint8), np.asarray(bits, dtype=np.uint8), kept,
        np.zeros_like(kept) if randomised is None else np.asarray(randomised),
    )  # fmt: skip


def test_lossless_noiseless_fibre_keeps_every_photon():
    photons = np.array([0, 1, 3, 2])
    kept, randomised = transmit_train(photons, 1.0, 1.0, np.random.default_rng(1))
    assert kept.tolist() == [0, 1, 3, 2] and randomised.tolist() == [0, 0, 0, 0]


def test_loss_and_noise_are_binomial_per_photon():
    """Survivors ~ Binomial(n, T); randomised ~ Binomial(survivors, 1 - F): means within 5 standard errors."""
    rng = np.random.default_rng(2)
    photons = np.full(200_000, 2)
    kept, randomised = transmit_train(photons, 0.3, 0.8, rng)
    arriving = kept + randomised
    n = photons.sum()
    assert abs(arriving.sum() - 0.3 * n) < 5 * np.sqrt(n * 0.3 * 0.7)
    assert abs(randomised.sum() - 0.2 * arriving.sum()) < 5 * np.sqrt(arriving.sum() * 0.2 * 0.8)


def test_matching_basis_routes_to_the_bits_detector():
    arriving = train([0, 0, 1, 1], [0, 1, 0, 1], [1, 1, 1, 1])
    clicks = detect_train(arriving, np.array([0, 0, 1, 1], dtype=np.uint8), 1.0, 0.0, 0, FAR_PAST.copy(), 0,
                          np.random.default_rng(3))  # fmt: skip
    assert clicks[1].tolist() == [False, True, False, True] and clicks[0].tolist() == [True, False, True, False]


def test_other_basis_and_random_polarization_split_evenly():
    """Mismatched or randomised single photons reach detector 1 with probability 1/2 (5 standard errors)."""
    n = 100_000
    rng = np.random.default_rng(4)
    mismatched = train(np.zeros(n), np.zeros(n), np.ones(n, dtype=np.int64))
    randomised = train(np.zeros(n), np.zeros(n), np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64))
    for arriving, bases in ((mismatched, np.ones(n, dtype=np.uint8)), (randomised, np.zeros(n, dtype=np.uint8))):
        clicks = detect_train(arriving, bases, 1.0, 0.0, 0, FAR_PAST.copy(), 0, rng)
        assert not (clicks[0] & clicks[1]).any()
        assert abs(clicks[1].sum() - n / 2) < 5 * np.sqrt(n / 4)


def test_dead_time_skips_slots_after_a_click_and_carries_over_trains():
    """Non-paralysable: a click at slot s blocks s+1..s+k; blocked photons do not extend the dead time."""
    n = 8
    arriving = train(np.zeros(n), np.zeros(n), np.ones(n, dtype=np.int64))
    last = FAR_PAST.copy()
    clicks = detect_train(arriving, np.zeros(n, dtype=np.uint8), 1.0, 0.0, 2, last, 100, np.random.default_rng(5))
    assert np.flatnonzero(clicks[0]).tolist() == [0, 3, 6] and last[0] == 106
    following = detect_train(arriving, np.zeros(n, dtype=np.uint8), 1.0, 0.0, 2, last, 108, np.random.default_rng(6))
    assert np.flatnonzero(following[0]).tolist() == [1, 4, 7]
