"""Memory decoherence in :mod:`qtn.analytic.decoherence`.

The Pauli channel of SeQUeNCe 1.3.1 (``components/memory.py``) is the solution of
d rho/dt = sum_k r_k (sigma_k rho sigma_k - rho), r_k = w_k / T: checked against
the matrix exponential of that Lindblad generator (scipy), against SeQUeNCe's
``_p_*`` functions and against ``Memory.bds_decohere`` on real memories. For
depolarising weights the Werner fidelity after storing both halves for t is
F(t) = 1/4 + (F0 - 1/4) exp(-8t/(3T)) (derived in the module docstring; the
often-quoted exp(-4t/(3T)) holds when only one half idles).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.linalg import expm

from qnetsim.core.errors import ConfigError
from qtn.analytic.bell_diagonal import fidelity, werner_state
from qtn.analytic.decoherence import (
    DEPOLARISING_WEIGHTS,
    decohere_both_halves,
    decohere_one_half,
    pauli_channel_probabilities,
    werner_decay_factor,
    werner_fidelity_after_storage,
)
from tests.unit.qtn.analytic.density_matrix import (
    BELL_KETS,
    PAULI_X,
    PAULI_Y,
    PAULI_Z,
    bell_coefficients,
)


def lindblad_channel_probabilities(time_s, coherence_time_s, weights):
    """Bell coefficients of (1 x E_t)(|Phi+><Phi+|), E_t = exp(t L), L rho = sum_k r_k (s_k rho s_k - rho).

    Superoperators act on column-stacked vec(rho): vec(A rho B) = (B^T kron A) vec(rho).
    """
    rates = np.asarray(weights) / coherence_time_s
    generator = sum(r * (np.kron(s.T, s) - np.eye(4)) for r, s in zip(rates, (PAULI_X, PAULI_Y, PAULI_Z), strict=True))
    channel = expm(generator * time_s)
    choi = np.outer(BELL_KETS[0], BELL_KETS[0].conj()).reshape(2, 2, 2, 2)  # [a, b, a', b']
    out = np.zeros((2, 2, 2, 2), dtype=complex)
    for a in range(2):
        for a_prime in range(2):
            block = choi[a, :, a_prime, :]
            out[a, :, a_prime, :] = (channel @ block.reshape(-1, order="F")).reshape(2, 2, order="F")
    return bell_coefficients(out.reshape(4, 4))


@pytest.mark.parametrize("weights", [DEPOLARISING_WEIGHTS, (0.5, 0.2, 0.3), (0.0, 0.0, 1.0), (1.0, 0.0, 0.0)])
@pytest.mark.parametrize("time_s", [0.0, 0.01, 0.37, 2.5])
def test_probabilities_solve_the_lindblad_equation(weights, time_s):
    expected = lindblad_channel_probabilities(time_s, 1.3, weights)
    np.testing.assert_allclose(pauli_channel_probabilities(time_s, 1.3, weights), expected, atol=1e-12)


def test_pure_dephasing_known_value():
    """Weights (0, 0, 1): coherences decay as lambda = exp(-2t/T); p_I = (1 + lambda)/2, p_Z = (1 - lambda)/2."""
    lam = np.exp(-2 * 0.2 / 1.0)
    np.testing.assert_allclose(pauli_channel_probabilities(0.2, 1.0, (0, 0, 1)), [(1 + lam) / 2, (1 - lam) / 2, 0, 0])


def test_probabilities_equal_sequence_helper_functions():
    from sequence.components.memory import _p_id, _p_xerr, _p_yerr, _p_zerr

    rates = np.array([0.5, 0.2, 0.3]) / 1.7
    for time_s in (0.05, 0.9, 4.0):
        expected = [f(*rates, time_s) for f in (_p_id, _p_zerr, _p_xerr, _p_yerr)]
        np.testing.assert_allclose(pauli_channel_probabilities(time_s, 1.7, (0.5, 0.2, 0.3)), expected, atol=1e-15)


def sequence_bds_decohere(state, idle_time_s, coherence_time_s, weights, halves):
    """Run SeQUeNCe's ``Memory.bds_decohere`` on real memories holding a Bell-diagonal pair."""
    from sequence.components.memory import Memory
    from sequence.kernel.quantum_manager.bell_diagonal import QuantumManagerBellDiagonal
    from sequence.kernel.timeline import Timeline

    timeline = Timeline()
    timeline.quantum_manager = QuantumManagerBellDiagonal()
    memories = [
        Memory(f"m{i}", timeline, 0.9, 2e6, 1.0, coherence_time_s, 1550, decoherence_errors=list(weights))
        for i in range(2)
    ]
    timeline.quantum_manager.set([memory.qstate_key for memory in memories], list(state))
    start_ps = 1_000
    for memory in memories:
        memory.last_update_time = start_ps
    timeline.time = start_ps + int(round(idle_time_s * 1e12))
    for memory in memories[:halves]:
        memory.bds_decohere()
    return np.asarray(timeline.quantum_manager.get(memories[0].qstate_key).state)


@pytest.mark.parametrize("weights", [DEPOLARISING_WEIGHTS, (0.5, 0.2, 0.3)])
def test_one_and_both_halves_equal_sequence_bds_decohere(weights):
    rng = np.random.default_rng(53)
    for _ in range(3):
        state = rng.dirichlet(np.ones(4))
        one = sequence_bds_decohere(state, 0.37, 1.3, weights, halves=1)
        both = sequence_bds_decohere(state, 0.37, 1.3, weights, halves=2)
        np.testing.assert_allclose(decohere_one_half(state, 0.37, 1.3, weights), one, atol=1e-14)
        np.testing.assert_allclose(decohere_both_halves(state, 0.37, 1.3, weights), both, atol=1e-14)


def test_werner_storage_formula_matches_the_transform_and_known_value():
    """t = 3T/8 on both halves: exponent -8t/(3T) = -1, so F = 1/4 + 0.7/e for F0 = 0.95."""
    coherence_time_s = 0.8
    time_s = 3 * coherence_time_s / 8
    expected = 0.25 + 0.7 * np.exp(-1.0)
    assert werner_fidelity_after_storage(0.95, time_s, coherence_time_s) == pytest.approx(expected, abs=1e-15)
    assert fidelity(decohere_both_halves(werner_state(0.95), time_s, coherence_time_s)) == pytest.approx(
        expected, abs=1e-14
    )
    one_half = fidelity(decohere_one_half(werner_state(0.95), time_s, coherence_time_s))
    assert werner_fidelity_after_storage(0.95, time_s, coherence_time_s, n_halves=1) == pytest.approx(
        one_half, abs=1e-14
    )
    assert one_half == pytest.approx(0.25 + 0.7 * np.exp(-0.5), abs=1e-14)
    assert werner_decay_factor(time_s, coherence_time_s) == pytest.approx(np.exp(-0.5))


def test_depolarising_storage_keeps_werner_form_and_other_weights_do_not():
    np.testing.assert_allclose(
        decohere_both_halves(werner_state(0.9), 0.3, 1.0), werner_state(werner_fidelity_after_storage(0.9, 0.3, 1.0))
    )
    dephased = decohere_both_halves(werner_state(0.9), 0.3, 1.0, (0, 0, 1))
    assert not np.allclose(dephased[1:], dephased[1])


def test_limits():
    state = np.array([0.7, 0.2, 0.06, 0.04])
    np.testing.assert_allclose(decohere_both_halves(state, 0.0, 1.0), state, atol=1e-15)
    np.testing.assert_allclose(decohere_both_halves(state, 5.0, None), state, atol=1e-15)
    np.testing.assert_allclose(decohere_both_halves(state, 1e4, 1.0), [0.25] * 4, atol=1e-12)
    assert werner_fidelity_after_storage(0.9, 10.0, None) == 0.9


@given(st.floats(0.0, 3.0), st.floats(0.0, 3.0))
def test_channel_is_a_semigroup(first_s, second_s):
    state = np.array([0.7, 0.2, 0.06, 0.04])
    weights = (0.5, 0.2, 0.3)
    twice = decohere_one_half(decohere_one_half(state, first_s, 1.1, weights), second_s, 1.1, weights)
    np.testing.assert_allclose(twice, decohere_one_half(state, first_s + second_s, 1.1, weights), atol=1e-13)


def test_vectorised_over_times():
    times = np.array([0.0, 0.1, 1.0])
    np.testing.assert_allclose(
        werner_fidelity_after_storage(0.9, times, 1.0), [werner_fidelity_after_storage(0.9, t, 1.0) for t in times]
    )
    assert pauli_channel_probabilities(times, 1.0).shape == (3, 4)


def test_bad_inputs_raise_config_error():
    with pytest.raises(ConfigError, match="error_weights: must sum to 1; got sum 0.875"):
        pauli_channel_probabilities(1.0, 1.0, (0.5, 0.25, 0.125))
    with pytest.raises(ConfigError, match="idle_time_s: must be >= 0; got -1.0"):
        pauli_channel_probabilities(-1.0, 1.0)
    with pytest.raises(ConfigError, match="coherence_time_s: must be > 0; got 0.0"):
        pauli_channel_probabilities(1.0, 0.0)
    with pytest.raises(ConfigError, match="n_halves"):
        werner_fidelity_after_storage(0.9, 1.0, 1.0, n_halves=3)
