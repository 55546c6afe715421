"""Recurrence purification in :mod:`qtn.analytic.recurrence`: rounds, fixed points, reachable targets.

BBPSSW map for identical Werner pairs (Bennett et al., PRL 76, 722 (1996)):
    F' = (F^2 + (1-F)^2/9) / (F^2 + 2F(1-F)/3 + 5(1-F)^2/9),
fixed points 1/4, 1/2 (threshold) and 1. With imperfect operations the largest
fixed point F* < 1 bounds the reachable fidelity (Duer et al., PRA 59, 169 (1999)).
DEJMPS (Deutsch et al., PRL 77, 2818 (1996)) converges faster.
"""

import numpy as np
import pytest

from qnetsim.core.errors import ConfigError
from qtn.analytic.bell_diagonal import werner_state
from qtn.analytic.purification import bbpssw, dejmps
from qtn.analytic.recurrence import (
    PURIFICATION_PROTOCOLS,
    bbpssw_fixed_points,
    max_reachable_fidelity,
    recurrence,
    rounds_to_target,
)

NOISY = {
    "gate_fidelity_a": 0.99,
    "gate_fidelity_b": 0.99,
    "measurement_fidelity_a": 0.99,
    "measurement_fidelity_b": 0.99,
}


def bennett_map(value: float) -> float:
    """The textbook BBPSSW map for identical Werner pairs, written out here."""
    e = (1 - value) / 3
    return (value**2 + e**2) / (value**2 + 2 * value * e + 5 * e**2)


def test_registry_names():
    assert set(PURIFICATION_PROTOCOLS) == {"bbpssw", "dejmps"}


def test_bbpssw_trajectory_follows_the_textbook_map():
    trajectory = recurrence("bbpssw", 0.7, 5)
    expected = [0.7]
    for _ in range(5):
        expected.append(bennett_map(expected[-1]))
    np.testing.assert_allclose(trajectory.fidelities, expected, atol=1e-14)
    assert trajectory.states.shape == (6, 4)
    assert trajectory.success_probabilities.shape == (5,)


def test_expected_pairs_is_the_product_of_two_over_p():
    trajectory = recurrence("dejmps", 0.8, 3)
    p = trajectory.success_probabilities
    np.testing.assert_allclose(trajectory.expected_pairs, [1, 2 / p[0], 4 / (p[0] * p[1]), 8 / (p[0] * p[1] * p[2])])
    zero = recurrence("bbpssw", 0.8, 0)
    np.testing.assert_allclose(zero.expected_pairs, [1.0])
    assert zero.success_probabilities.size == 0


def test_perfect_bbpssw_fixed_points_are_quarter_half_and_one():
    np.testing.assert_allclose(bbpssw_fixed_points(), [0.25, 0.5, 1.0], atol=1e-12)


def test_imperfect_bbpssw_fixed_points_bound_what_recurrence_reaches():
    points = bbpssw_fixed_points(**NOISY)
    assert len(points) == 3
    threshold, ceiling = points[1], points[2]
    assert 0.5 < threshold < ceiling < 1.0
    for value in (threshold, ceiling):
        assert bbpssw(value, value, **NOISY).fidelity == pytest.approx(value, abs=1e-12)
    assert max_reachable_fidelity("bbpssw", 0.8, **NOISY) == pytest.approx(ceiling, abs=1e-10)
    assert max_reachable_fidelity("bbpssw", 0.999, **NOISY) == pytest.approx(0.999)  # already above F*: never improved
    below = threshold - 0.01
    assert max_reachable_fidelity("bbpssw", below, **NOISY) == pytest.approx(below)


def test_rounds_to_target_counts_textbook_rounds():
    value, n_rounds = 0.8, 0
    while value < 0.99:
        value, n_rounds = bennett_map(value), n_rounds + 1
    assert rounds_to_target("bbpssw", 0.8, 0.99) == n_rounds
    assert rounds_to_target("bbpssw", 0.8, 0.75) == 0


def test_impossible_targets_are_detected():
    ceiling = bbpssw_fixed_points(**NOISY)[-1]
    assert rounds_to_target("bbpssw", 0.8, ceiling + 1e-4, **NOISY) is None
    assert rounds_to_target("bbpssw", 0.8, ceiling - 1e-4, **NOISY) is not None
    assert rounds_to_target("bbpssw", 0.45, 0.5) is None  # below threshold purification only hurts
    dejmps_ceiling = max_reachable_fidelity("dejmps", 0.8, **NOISY)
    assert dejmps_ceiling < 1.0
    assert rounds_to_target("dejmps", 0.8, dejmps_ceiling + 1e-4, **NOISY) is None


def test_dejmps_fixed_points_and_convergence():
    """|Phi+> and the maximally mixed state are fixed; from F = 0.8 perfect DEJMPS converges to 1."""
    np.testing.assert_allclose(dejmps([1, 0, 0, 0], [1, 0, 0, 0]).state, [1, 0, 0, 0])
    np.testing.assert_allclose(dejmps([0.25] * 4, [0.25] * 4).state, [0.25] * 4)
    assert max_reachable_fidelity("dejmps", 0.8) == pytest.approx(1.0, abs=1e-12)
    assert max_reachable_fidelity("dejmps", werner_state(0.4)) == pytest.approx(0.4)


def test_dejmps_needs_fewer_rounds_than_bbpssw():
    """Deutsch et al. (1996): DEJMPS converges much faster than BBPSSW."""
    assert rounds_to_target("dejmps", 0.8, 0.99) < rounds_to_target("bbpssw", 0.8, 0.99)


def test_bad_inputs_raise_config_error():
    with pytest.raises(ConfigError, match="protocol: must be one of bbpssw, dejmps; got 'pumping'"):
        recurrence("pumping", 0.8, 2)
    with pytest.raises(ConfigError, match="n_rounds: must be an integer >= 0; got -1"):
        recurrence("bbpssw", 0.8, -1)
    with pytest.raises(ConfigError, match="initial: must be one pair"):
        recurrence("dejmps", werner_state([0.8, 0.9]), 1)
    with pytest.raises(ConfigError, match="gate_fidelity_a \\* gate_fidelity_b: must be > 0"):
        bbpssw_fixed_points(gate_fidelity_a=0.0)
