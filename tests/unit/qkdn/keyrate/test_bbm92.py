"""BBM92 with a Werner-state source: pair error rate, coincidence gain, key rate, source position."""

import math

import pytest

from qkdn.keyrate.bbm92 import BBM92Model, bbm92_gain_and_error, bbm92_rate, werner_pair_error_rate
from qkdn.keyrate.entropy import binary_entropy
from qkdn.keyrate.hardware import GYS, hardware_preset
from qnetsim.core.errors import ConfigError


def test_werner_pair_error_rate():
    """A Werner state V |Phi+><Phi+| + (1 - V) I/4 errs with (1 - V)/2 in any BB84 basis;
    misalignment is a second independent flip."""
    assert werner_pair_error_rate(1.0, 0.0) == 0.0
    assert werner_pair_error_rate(0.0, 0.0) == 0.5
    assert math.isclose(werner_pair_error_rate(0.9, 0.0), 0.05)
    assert math.isclose(werner_pair_error_rate(1.0, 0.033), 0.033)
    assert math.isclose(werner_pair_error_rate(0.9, 0.02), 0.05 * 0.98 + 0.02 * 0.95)


def test_gain_without_background_is_pair_probability_times_both_arms():
    gain, error_gain = bbm92_gain_and_error(0.3, 0.2, 0.0, 0.5, 0.04)
    assert math.isclose(gain, 0.5 * 0.3 * 0.2)
    assert math.isclose(error_gain / gain, 0.04)


def test_background_only_coincidences_are_random():
    gain, error_gain = bbm92_gain_and_error(0.0, 0.0, 1e-3, 0.5, 0.0)
    assert math.isclose(gain, 1e-6)
    assert math.isclose(error_gain / gain, 0.5)


def test_rate_formula():
    """R = q Q [1 - f h(E) - h(E)] (Ma, Fung, Lo, PRA 76, 012307 (2007))."""
    h = binary_entropy(0.03)
    assert math.isclose(bbm92_rate(1e-3, 0.03, 1.2), 0.5 * 1e-3 * (1 - 1.2 * h - h))


def test_visibility_threshold_with_perfect_devices():
    """With no background and f = 1, R = q Q (1 - 2 h((1 - V)/2)): key iff (1 - V)/2 < 11.0%."""
    model = BBM92Model()
    assert model.evaluate(10.0, hardware_preset("ideal", source_visibility=0.8)).key_rate_per_pulse > 0.0
    assert model.evaluate(10.0, hardware_preset("ideal", source_visibility=0.778)).key_rate_per_pulse == 0.0


def test_rate_with_perfect_devices_at_zero_distance():
    point = BBM92Model().evaluate(0.0, hardware_preset("ideal", pair_emission_probability=0.25))
    assert math.isclose(point.key_rate_per_pulse, 0.5 * 0.25)
    assert point.qber == 0.0
    assert point.optimal_mean_photon_number is None


def test_source_position_is_symmetric_and_middle_is_best_far_away():
    at_alice = BBM92Model(alice_arm_fraction=0.0).evaluate(150.0, GYS).key_rate_per_pulse
    at_bob = BBM92Model(alice_arm_fraction=1.0).evaluate(150.0, GYS).key_rate_per_pulse
    middle = BBM92Model().evaluate(150.0, GYS).key_rate_per_pulse
    assert math.isclose(at_alice, at_bob, rel_tol=1e-12)
    assert middle > at_alice  # coincidence filtering of the background works best with balanced arms


def test_bad_source_position_raises():
    with pytest.raises(ConfigError, match="alice_arm_fraction: must be in \\[0, 1\\]; got 1.5"):
        BBM92Model(alice_arm_fraction=1.5)
