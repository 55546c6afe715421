"""The analytic sifted rate and QBER of the photon model reduce to the textbook weak-pulse BB84 formulas."""

import math

import pytest

from qkdn.photon.analytic import dead_pulses_after_click, expected_bb84_link
from qnetsim.core.errors import ConfigError

NO_DEAD_TIME_HZ = 1e15  # count rate so high that no pulse is lost to dead time


def test_ideal_link_sifts_half_the_detected_pulses():
    """No noise, no dark counts, no dead time: R_sift = (1/2)(1 - e^{-mu T eta}), QBER = 0
    (Gisin et al., Rev. Mod. Phys. 74, 145 (2002), Sec. IV)."""
    mu, transmittance, efficiency = 0.1, 10 ** (-0.2 * 10 / 10), 0.9
    expected = expected_bb84_link(mu, transmittance, efficiency, 1.0, 0.0, 8e7, NO_DEAD_TIME_HZ)
    assert expected.sifted_bits_per_pulse == pytest.approx(0.5 * (1 - math.exp(-mu * transmittance * efficiency)))
    assert expected.qber == 0.0 and expected.dead_fraction == 0.0


def test_qber_of_a_depolarised_channel_is_half_the_infidelity_for_weak_pulses():
    """A photon randomised with probability 1 - F errs with probability 1/2: QBER -> (1 - F)/2 as mu -> 0."""
    expected = expected_bb84_link(1e-4, 1.0, 1.0, 0.9, 0.0, 8e7, NO_DEAD_TIME_HZ)
    assert expected.qber == pytest.approx(0.05, rel=1e-3)


def test_dark_counts_alone_give_qber_one_half():
    """With no signal, a dark count is a random bit: QBER = 1/2 and R_sift ~ lambda (two detectors, 1/2 sifting)."""
    expected = expected_bb84_link(0.1, 0.0, 0.9, 1.0, 1000.0, 1e6, NO_DEAD_TIME_HZ)
    assert expected.qber == pytest.approx(0.5)
    assert expected.sifted_bits_per_pulse == pytest.approx(1e-3, rel=2e-3)


def test_dead_time_follows_the_picosecond_grid_of_sequence():
    """Dead time ceil(1e12/count_rate) ps over period round(1e12/f) ps: 20,000 / 12,500 -> 1 pulse lost."""
    assert dead_pulses_after_click(5e7, 8e7) == 1
    assert dead_pulses_after_click(2.5e7, 8e7) == 3
    assert dead_pulses_after_click(1e9, 8e7) == 0


def test_non_paralysable_dead_fraction():
    """Renewal argument: a counter dead k pulses after each recorded click is dead d = kq/(1 + kq)."""
    expected = expected_bb84_link(0.1, 1.0, 0.9, 1.0, 0.0, 8e7, 5e7)
    x = 0.09
    click = 0.25 * (1 - math.exp(-x)) + 0.5 * (1 - math.exp(-x / 2))
    assert expected.dead_fraction == pytest.approx(click / (1 + click))
    assert expected.sifted_bits_per_pulse == pytest.approx(0.5 * (1 - click / (1 + click)) * (1 - math.exp(-x)))


def test_bad_inputs_raise_config_errors():
    with pytest.raises(ConfigError, match="transmittance"):
        expected_bb84_link(0.1, 1.5, 0.9, 1.0, 0.0, 8e7, 5e7)
    with pytest.raises(ConfigError, match="count_rate_hz"):
        dead_pulses_after_click(0.0, 8e7)
