"""The array optics: loss and noise counts, the beam splitter's routing and the detectors' dead time."""

import numpy as np

from qkdn.photon.pulse_arrays import ArrivingTrain, detect_train, transmit_train

FAR_PAST = np.full(2, -(2**62), dtype=np.int64)


def train(bases, bits, kept, randomised=None) -> ArrivingTrain:
    kept = np.asarray(kept, dtype=float)
    return ArrivingTrain(
        0, np.asarray(bases, dtype=np.uint8), np.asarray(bits, dtype=np.uint8), kept,
        np.zeros_like(kept) if randomised is None else np.asarray(randomised, dtype=float),
    )  # fmt: skip


def test_fibre_scales_the_coherent_pulses_mean_photon_numbers():
    """Loss and noise thin the photons: kept mean mu T F, randomised mean mu T (1 - F)."""
    kept, randomised = transmit_train(np.array([0.5, 0.1, 0.0]), 0.4, 0.9)
    np.testing.assert_allclose(kept, [0.18, 0.036, 0.0])
    np.testing.assert_allclose(randomised, [0.02, 0.004, 0.0])


def test_matching_basis_routes_to_the_bits_detector():
    """A bright kept pulse (mean 40 photons) measured in its basis clicks only the detector of its bit."""
    arriving = train([0, 0, 1, 1], [0, 1, 0, 1], [40, 40, 40, 40])
    clicks = detect_train(arriving, np.array([0, 0, 1, 1], dtype=np.uint8), 1.0, 0.0, 0, FAR_PAST.copy(), 0,
                          np.random.default_rng(3))  # fmt: skip
    assert clicks[1].tolist() == [False, True, False, True] and clicks[0].tolist() == [True, False, True, False]


def test_click_probabilities_follow_poisson_splitting():
    """Mean m per pulse, other basis or random polarization: each detector clicks with 1 - exp(-eta m / 2),
    independently (Kingman's colouring theorem); 5 binomial standard errors."""
    n, mean, efficiency = 200_000, 0.6, 0.8
    p = 1 - np.exp(-efficiency * mean / 2)
    rng = np.random.default_rng(4)
    mismatched = train(np.zeros(n), np.zeros(n), np.full(n, mean))
    randomised = train(np.zeros(n), np.zeros(n), np.zeros(n), np.full(n, mean))
    for arriving, bases in ((mismatched, np.ones(n, dtype=np.uint8)), (randomised, np.zeros(n, dtype=np.uint8))):
        clicks = detect_train(arriving, bases, efficiency, 0.0, 0, FAR_PAST.copy(), 0, rng)
        for count in (clicks[0].sum(), clicks[1].sum()):
            assert abs(count - n * p) < 5 * np.sqrt(n * p * (1 - p))
        assert abs((clicks[0] & clicks[1]).sum() - n * p * p) < 5 * np.sqrt(n * p * p)


def test_dark_counts_alone_click_each_detector_at_their_rate():
    n, dark = 100_000, 0.01
    arriving = train(np.zeros(n), np.zeros(n), np.zeros(n))
    clicks = detect_train(arriving, np.zeros(n, dtype=np.uint8), 0.9, dark, 0, FAR_PAST.copy(), 0,
                          np.random.default_rng(7))  # fmt: skip
    p = 1 - np.exp(-dark)
    assert all(abs(c.sum() - n * p) < 5 * np.sqrt(n * p) for c in clicks)


def test_dead_time_skips_slots_after_a_click_and_carries_over_trains():
    """Non-paralysable: a click at slot s blocks s+1..s+k; blocked photons do not extend the dead time."""
    n = 8
    arriving = train(np.zeros(n), np.zeros(n), np.full(n, 60.0))
    last = FAR_PAST.copy()
    clicks = detect_train(arriving, np.zeros(n, dtype=np.uint8), 1.0, 0.0, 2, last, 100, np.random.default_rng(5))
    assert np.flatnonzero(clicks[0]).tolist() == [0, 3, 6] and last[0] == 106
    following = detect_train(arriving, np.zeros(n, dtype=np.uint8), 1.0, 0.0, 2, last, 108, np.random.default_rng(6))
    assert np.flatnonzero(following[0]).tolist() == [1, 4, 7]
