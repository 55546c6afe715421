"""Swapping formulas of :mod:`qtn.analytic.swapping`.

Werner swapping: F = F1 F2 + (1 - F1)(1 - F2)/3, i.e. w = w1 w2 with w = (4F - 1)/3
(Briegel, Duer, Cirac, Zoller, PRL 81, 5932 (1998); Duer et al., PRA 59, 169 (1999)).
Bell-diagonal swapping with gate fidelity p and measurement fidelity eta as in
SeQUeNCe 1.3.1 ``EntanglementSwappingA_BDS.swapping_res``, checked against an
independent density-matrix simulation of the Bell measurement and against
SeQUeNCe's own method.
"""

from types import SimpleNamespace

import numpy as np
import pytest

from qnetsim.core.errors import ConfigError
from qtn.analytic.bell_diagonal import fidelity, werner_state
from qtn.analytic.swapping import (
    bell_diagonal_swap,
    swap_chain,
    swap_operation_factor,
    werner_chain_fidelity,
    werner_swap_fidelity,
)
from tests.unit.qtn.analytic.density_matrix import swap_circuit


def test_werner_swap_known_value():
    """F1 = 0.9, F2 = 0.8: 0.72 + 0.1 * 0.2 / 3 = 0.726666..."""
    assert werner_swap_fidelity(0.9, 0.8) == pytest.approx(0.72 + 0.02 / 3, abs=1e-15)


def test_werner_swap_limits():
    """Perfect pairs stay perfect; a perfect partner changes nothing; F = 1/4 (w = 0) is absorbing."""
    assert werner_swap_fidelity(1.0, 1.0) == 1.0
    fidelities = np.linspace(0.0, 1.0, 11)
    np.testing.assert_allclose(werner_swap_fidelity(1.0, fidelities), fidelities, atol=1e-15)
    np.testing.assert_allclose(werner_swap_fidelity(0.25, fidelities), 0.25, atol=1e-15)
    assert werner_swap_fidelity(0.25, 0.25) == pytest.approx(0.25)


def test_werner_chain_known_value_and_recursion():
    """F = 0.9, 3 links: w = 2.6/3, F_3 = 1/4 + 3/4 w^3 = 0.738222...; equals two successive swaps."""
    w = 2.6 / 3
    assert werner_chain_fidelity(0.9, 3) == pytest.approx(0.25 + 0.75 * w**3, abs=1e-15)
    for n_links in range(1, 7):
        expected = 0.9
        for _ in range(n_links - 1):
            expected = werner_swap_fidelity(expected, 0.9)
        assert werner_chain_fidelity(0.9, n_links) == pytest.approx(expected, abs=1e-14)
    np.testing.assert_allclose(werner_chain_fidelity(0.9, np.array([1, 2])), [0.9, werner_swap_fidelity(0.9, 0.9)])


def test_imperfect_swap_factor_known_value():
    """s = p (4 eta^2 - 1)/3; p = 0.98, eta = 0.99: 0.98 * 2.9204 / 3."""
    assert swap_operation_factor(0.98, 0.99) == pytest.approx(0.98 * 2.9204 / 3, abs=1e-15)
    assert swap_operation_factor() == 1.0


def test_imperfect_werner_chain_equals_twirled_bell_diagonal_chain():
    for n_links in (1, 2, 3, 5):
        states = np.tile(werner_state(0.93), (n_links, 1))
        chained = swap_chain(states, gate_fidelity=0.98, measurement_fidelity=0.99, twirl=True)
        assert werner_chain_fidelity(0.93, n_links, 0.98, 0.99) == pytest.approx(fidelity(chained), abs=1e-14)


def test_twirled_bell_diagonal_swap_of_werner_pairs_is_the_werner_formula():
    out = bell_diagonal_swap(werner_state(0.9), werner_state(0.7))
    np.testing.assert_allclose(out, werner_state(werner_swap_fidelity(0.9, 0.7)), atol=1e-15)


def test_twirled_swap_uses_only_the_input_fidelities():
    a, b = [0.8, 0.15, 0.05, 0.0], [0.9, 0.0, 0.02, 0.08]
    np.testing.assert_allclose(bell_diagonal_swap(a, b), werner_state(werner_swap_fidelity(0.8, 0.9)), atol=1e-15)


@pytest.mark.parametrize(("gate_fidelity", "measurement_fidelity"), [(1.0, 1.0), (0.9, 0.95), (0.97, 0.8)])
def test_bell_diagonal_swap_matches_density_matrix_bell_measurement(gate_fidelity, measurement_fidelity):
    """Untwirled map vs a simulated CNOT-H Bell measurement with wrong readouts and a depolarising gate."""
    rng = np.random.default_rng(11)
    for _ in range(5):
        left, right = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(4))
        expected = swap_circuit(left, right, gate_fidelity, measurement_fidelity)
        result = bell_diagonal_swap(left, right, gate_fidelity, measurement_fidelity, twirl=False)
        np.testing.assert_allclose(result, expected, atol=1e-12)


def test_untwirled_chain_does_not_depend_on_swap_order():
    rng = np.random.default_rng(3)
    links = rng.dirichlet(np.ones(4), size=4)
    sequential = swap_chain(links, 0.95, 0.9, twirl=False)
    left = bell_diagonal_swap(links[0], links[1], 0.95, 0.9, twirl=False)
    right = bell_diagonal_swap(links[2], links[3], 0.95, 0.9, twirl=False)
    nested = bell_diagonal_swap(left, right, 0.95, 0.9, twirl=False)
    np.testing.assert_allclose(sequential, nested, atol=1e-14)
    np.testing.assert_allclose(swap_chain(links[::-1], 0.95, 0.9, twirl=False), sequential, atol=1e-14)


def test_swap_broadcasts_over_batches():
    batch = werner_state(np.array([0.6, 0.8, 1.0]))
    out = bell_diagonal_swap(batch, werner_state(0.9))
    np.testing.assert_allclose(out[:, 0], werner_swap_fidelity(np.array([0.6, 0.8, 1.0]), 0.9), atol=1e-15)


def test_bad_inputs_raise_config_error():
    with pytest.raises(ConfigError, match="n_links: must be an integer >= 1; got 0"):
        werner_chain_fidelity(0.9, 0)
    with pytest.raises(ConfigError, match="gate_fidelity"):
        bell_diagonal_swap(werner_state(0.9), werner_state(0.9), gate_fidelity=1.5)
    with pytest.raises(ConfigError, match="fidelity_right"):
        werner_swap_fidelity(0.9, -0.1)


# --- against SeQUeNCe's own method -----------------------------------------------------


def sequence_swapping_res(left, right, gate_fidelity, measurement_fidelity, twirled):
    """Call SeQUeNCe 1.3.1's ``EntanglementSwappingA_BDS.swapping_res`` on a minimal stand-in protocol."""
    from sequence.constants import BELL_DIAGONAL_STATE_FORMALISM
    from sequence.entanglement_management.swapping.swapping_bds import EntanglementSwappingA_BDS
    from sequence.kernel.quantum_state import BellDiagonalState

    states = {0: BellDiagonalState(left, [0, 9]), 1: BellDiagonalState(right, [1, 8])}
    quantum_manager = SimpleNamespace(
        get_active_formalism=lambda: BELL_DIAGONAL_STATE_FORMALISM, get=states.__getitem__
    )
    owner = SimpleNamespace(
        name="r",
        timeline=SimpleNamespace(quantum_manager=quantum_manager),
        gate_fid=gate_fidelity,
        meas_fid=measurement_fidelity,
    )
    protocol = SimpleNamespace(
        owner=owner,
        left_memo=SimpleNamespace(qstate_key=0),
        right_memo=SimpleNamespace(qstate_key=1),
        is_twirled=twirled,
    )
    return np.asarray(EntanglementSwappingA_BDS.swapping_res(protocol))


@pytest.mark.parametrize("twirled", [True, False])
@pytest.mark.parametrize(("gate_fidelity", "measurement_fidelity"), [(1.0, 1.0), (0.93, 0.87)])
def test_bell_diagonal_swap_equals_sequence_swapping_res(twirled, gate_fidelity, measurement_fidelity):
    rng = np.random.default_rng(17)
    for _ in range(5):
        left, right = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(4))
        expected = sequence_swapping_res(left, right, gate_fidelity, measurement_fidelity, twirled)
        result = bell_diagonal_swap(left, right, gate_fidelity, measurement_fidelity, twirl=twirled)
        np.testing.assert_allclose(result, expected, atol=1e-14)
