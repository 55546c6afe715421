"""Single-heralded generation formulas of :mod:`qtn.analytic.heralded_generation`.

Success probability per attempt p = q_BSM (eta_mem 10^(-alpha L/20))^2 eta_det^2
(SeQUeNCe 1.3.1 ``SingleHeraldedBSM.get``); attempt period from SeQUeNCe's
message sequence (module docstring); time to first success T = N * period with
N ~ Geometric(p), E[T] = period/p.
"""

import numpy as np
import pytest

from qnetsim.core.errors import ConfigError
from qtn.analytic.bell_diagonal import fidelity
from qtn.analytic.decoherence import werner_fidelity_after_storage
from qtn.analytic.heralded_generation import (
    mean_time_to_success_s,
    sample_time_to_success_s,
    sequence_requester_is_primary,
    single_heralded_attempt_period_s,
    single_heralded_herald_delay_s,
    single_heralded_heralded_state,
    single_heralded_raw_state,
    single_heralded_success_probability,
    time_to_success_cdf,
)


def test_success_probability_known_value():
    """L = 10 km, 0.2 dB/km, eta_mem = 0.75, eta_det = 0.9, q = 1/2: 0.5 * 0.5625 * 10^-0.2 * 0.81 = 0.14374."""
    expected = 0.5 * 0.75**2 * 10 ** (-0.2) * 0.9**2
    assert single_heralded_success_probability(10.0, 0.2, 0.75, 0.9, 0.5) == pytest.approx(expected, abs=1e-15)
    assert expected == pytest.approx(0.14374, abs=1e-5)


def test_success_probability_limits_and_scaling():
    assert single_heralded_success_probability(0.0, 0.2, 1.0, 1.0, 0.5) == 0.5
    assert single_heralded_success_probability(50.0, 0.0, 1.0, 1.0, 1.0) == 1.0
    lengths = np.array([0.0, 10.0, 20.0])
    ratios = single_heralded_success_probability(lengths, 0.2, 0.8, 0.9) / single_heralded_success_probability(
        0.0, 0.2, 0.8, 0.9
    )
    np.testing.assert_allclose(ratios, 10 ** (-0.2 * lengths / 10))  # the full link's loss, split over two photons


def test_attempt_period_known_values():
    """Measured with SeQUeNCe 1.3.1 on qnetsim's two-node chain (see module docstring):

    10 km, responder primary: 2 x 25 us + 10 ps + 3 x 50 us -> 200.000010 us, rounded up to the
    12.5 ns time bin: 200.0125 us; requester primary: 250.0125 us; 3.7 km: 74.0125 us;
    0.01 km with a 2 MHz memory: max(150.01 ns, 500 ns) + 50 ns = 550 ns; with a 1 GHz memory
    150.01 ns + 50 ns -> 17 bins = 212.5 ns.
    """
    assert single_heralded_attempt_period_s(10.0) == pytest.approx(200.0125e-6, abs=1e-15)
    assert single_heralded_attempt_period_s(10.0, requester_is_primary=True) == pytest.approx(250.0125e-6, abs=1e-15)
    assert single_heralded_attempt_period_s(3.7) == pytest.approx(74.0125e-6, abs=1e-15)
    assert single_heralded_attempt_period_s(0.01, memory_frequency_hz=2e6) == pytest.approx(550e-9, abs=1e-15)
    assert single_heralded_attempt_period_s(0.01) == pytest.approx(212.5e-9, abs=1e-15)
    np.testing.assert_allclose(single_heralded_attempt_period_s(np.array([10.0, 3.7])), [200.0125e-6, 74.0125e-6])


def test_attempt_period_uses_the_given_classical_delay():
    """A classical route of 60 us instead of 50 us: 50 us + 10 ps + 3 x 60 us -> 230.0125 us."""
    assert single_heralded_attempt_period_s(10.0, classical_delay_s=60e-6) == pytest.approx(230.0125e-6, abs=1e-15)


def test_herald_delay_is_a_round_trip_to_the_midpoint_plus_ten_picoseconds():
    assert single_heralded_herald_delay_s(10.0) == pytest.approx(50e-6 + 10e-12, abs=1e-18)


def test_primary_is_the_larger_name_as_a_string():
    assert sequence_requester_is_primary("n1", "n0")
    assert not sequence_requester_is_primary("n0", "n1")
    assert sequence_requester_is_primary("n9", "n10")


def test_geometric_time_to_success_moments_and_cdf():
    """100,000 draws (seed 99): mean within 4 standard errors of period/p, variance of N = (1-p)/p^2,
    empirical CDF within 4 binomial standard errors of 1 - (1-p)^k."""
    period_s, p = 200e-6, 0.15
    samples = sample_time_to_success_s(period_s, p, np.random.default_rng(99), size=100_000)
    assert mean_time_to_success_s(period_s, p) == pytest.approx(period_s / p)
    standard_error = samples.std(ddof=1) / np.sqrt(samples.size)
    assert abs(samples.mean() - period_s / p) < 4 * standard_error
    attempts = samples / period_s
    np.testing.assert_allclose(attempts, np.round(attempts))
    assert attempts.var() == pytest.approx((1 - p) / p**2, rel=0.05)
    for k in (1, 3, 10):
        expected = time_to_success_cdf(k * period_s, period_s, p)
        assert expected == pytest.approx(1 - (1 - p) ** k)
        empirical = np.mean(samples <= k * period_s + 1e-12)
        assert abs(empirical - expected) < 4 * np.sqrt(expected * (1 - expected) / samples.size)
    assert time_to_success_cdf(0.5 * period_s, period_s, p) == 0.0


def test_raw_state_order_is_fidelity_then_z_x_y():
    """SingleHeraldedA.update_memory writes [F, z, x, y] with (x, y, z) = (1 - F) * raw_epr_errors."""
    np.testing.assert_allclose(single_heralded_raw_state(0.9, (0.5, 0.3, 0.2)), [0.9, 0.02, 0.05, 0.03], atol=1e-15)
    np.testing.assert_allclose(single_heralded_raw_state(0.9), [0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3], atol=1e-15)


def test_heralded_state_has_decayed_for_the_herald_delay():
    delay_s = single_heralded_herald_delay_s(10.0)
    state = single_heralded_heralded_state(0.95, 10.0, 0.01)
    assert fidelity(state) == pytest.approx(werner_fidelity_after_storage(0.95, delay_s, 0.01), abs=1e-15)
    assert fidelity(state) < 0.95
    np.testing.assert_allclose(single_heralded_heralded_state(0.95, 10.0, None), single_heralded_raw_state(0.95))


def test_bad_inputs_raise_config_error():
    with pytest.raises(ConfigError, match="length_km: must be >= 0; got -5.0"):
        single_heralded_success_probability(-5.0, 0.2, 0.75, 0.9)
    with pytest.raises(ConfigError, match="success_probability: must be > 0"):
        mean_time_to_success_s(1e-4, 0.0)
    with pytest.raises(ConfigError, match="memory_frequency_hz: must be > 0"):
        single_heralded_attempt_period_s(1.0, memory_frequency_hz=0.0)
    with pytest.raises(ConfigError, match="raw_error_weights"):
        single_heralded_raw_state(0.9, (0.5, 0.5, 0.5))
