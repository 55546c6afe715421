"""One round of BBPSSW and DEJMPS in :mod:`qtn.analytic.purification`.

BBPSSW on Werner pairs (Bennett et al., PRL 76, 722 (1996)):
    F' = (F1 F2 + e1 e2) / (F1 F2 + F1 e2 + e1 F2 + 5 e1 e2),  e = (1 - F)/3,
    p  = F1 F2 + F1 e2 + e1 F2 + 5 e1 e2.
DEJMPS on Bell-diagonal pairs (Deutsch et al., PRL 77, 2818 (1996)), with A, B, C, D
the Phi+, Psi-, Psi+, Phi- weights: A' = (A1 A2 + B1 B2)/N, B' = (C1 D2 + D1 C2)/N,
C' = (C1 C2 + D1 D2)/N, D' = (A1 B2 + B1 A2)/N, N = (A1 + B1)(A2 + B2) + (C1 + D1)(C2 + D2).
Imperfect gates and readouts as in SeQUeNCe 1.3.1 (Zang et al., arXiv:2305.14573,
Eqs. (8)-(9)); checked against a density-matrix simulation and SeQUeNCe's own methods.
"""

from types import SimpleNamespace

import numpy as np
import pytest

from qnetsim.core.errors import ConfigError
from qtn.analytic.bell_diagonal import werner_state
from qtn.analytic.purification import bbpssw, bbpssw_bell_diagonal, dejmps
from tests.unit.qtn.analytic.density_matrix import purification_circuit

IMPERFECT = {
    "gate_fidelity_a": 0.97,
    "gate_fidelity_b": 0.95,
    "measurement_fidelity_a": 0.9,
    "measurement_fidelity_b": 0.8,
}


def test_bbpssw_known_value():
    """F = 0.8, e = 0.2/3: F' = (0.64 + e^2)/(0.64 + 2 * 0.8 e + 5 e^2) = 0.838150..., p = 0.768888..."""
    e = 0.2 / 3
    good, success = 0.64 + e * e, 0.64 + 2 * 0.8 * e + 5 * e * e
    outcome = bbpssw(0.8, 0.8)
    assert outcome.fidelity == pytest.approx(good / success, abs=1e-15)
    assert outcome.success_probability == pytest.approx(success, abs=1e-15)
    assert outcome.fidelity == pytest.approx(0.838150289, abs=1e-9)


def test_bbpssw_raises_fidelity_exactly_above_one_half():
    """F' > F for 1/2 < F < 1, F' < F for 1/4 < F < 1/2; 1/4, 1/2 and 1 are fixed points."""
    fidelities = np.linspace(0.26, 0.99, 74)
    fidelities = fidelities[np.abs(fidelities - 0.5) > 1e-9]
    gain = bbpssw(fidelities, fidelities).fidelity - fidelities
    np.testing.assert_array_equal(gain > 0, fidelities > 0.5)
    for fixed in (0.25, 0.5, 1.0):
        assert bbpssw(fixed, fixed).fidelity == pytest.approx(fixed, abs=1e-15)


def test_bbpssw_with_one_perfect_pair_and_perfect_operations():
    """Purifying with a perfect measured pair: F' = F1 / (F1 + e1), p = F1 + e1 (the X-type errors are caught)."""
    outcome = bbpssw(0.7, 1.0)
    assert outcome.fidelity == pytest.approx(0.7 / (0.7 + 0.1))
    assert outcome.success_probability == pytest.approx(0.8)


@pytest.mark.parametrize("operations", [{}, IMPERFECT])
def test_bbpssw_matches_density_matrix_circuit(operations):
    for f1, f2 in [(0.7, 0.8), (0.95, 0.6), (0.5, 0.5)]:
        kept_state, success = purification_circuit(werner_state(f1), werner_state(f2), rotate=False, **operations)
        outcome = bbpssw(f1, f2, **operations)
        assert outcome.fidelity == pytest.approx(kept_state[0], abs=1e-12)
        assert outcome.success_probability == pytest.approx(success, abs=1e-12)


def test_bbpssw_bell_diagonal_twirls_inputs_and_output():
    outcome = bbpssw_bell_diagonal([0.8, 0.2, 0.0, 0.0], [0.8, 0.0, 0.1, 0.1])
    np.testing.assert_allclose(outcome.state, werner_state(bbpssw(0.8, 0.8).fidelity), atol=1e-15)
    assert outcome.success_probability == pytest.approx(bbpssw(0.8, 0.8).success_probability)


def test_dejmps_known_value():
    """A = 0.7 (Phi+), B = 0.05 (Psi-), C = 0.15 (Psi+), D = 0.1 (Phi-); N = 0.75^2 + 0.25^2 = 0.625.

    A' = (0.49 + 0.0025)/N = 0.788, D' = 2AB/N = 0.112, C' = (0.0225 + 0.01)/N = 0.052,
    B' = 2CD/N = 0.048; in storage order [Phi+, Phi-, Psi+, Psi-] = [A', D', C', B'].
    """
    state = [0.7, 0.1, 0.15, 0.05]
    outcome = dejmps(state, state)
    np.testing.assert_allclose(outcome.state, [0.788, 0.112, 0.052, 0.048], atol=1e-15)
    assert outcome.success_probability == pytest.approx(0.625)


@pytest.mark.parametrize("operations", [{}, IMPERFECT])
def test_dejmps_matches_density_matrix_circuit(operations):
    rng = np.random.default_rng(31)
    for _ in range(6):
        kept, measured = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(4))
        expected_state, expected_success = purification_circuit(kept, measured, rotate=True, **operations)
        outcome = dejmps(kept, measured, **operations)
        np.testing.assert_allclose(outcome.state, expected_state, atol=1e-12)
        assert outcome.success_probability == pytest.approx(expected_success, abs=1e-12)


def test_dejmps_on_werner_pairs_gives_the_bbpssw_fidelity():
    """For Werner inputs DEJMPS's A' = (F^2 + e^2)/((F + e)^2 + 4 e^2), Bennett's F'."""
    for value in (0.55, 0.7, 0.9):
        outcome = dejmps(werner_state(value), werner_state(value))
        assert outcome.state[0] == pytest.approx(bbpssw(value, value).fidelity, abs=1e-15)
        assert outcome.success_probability == pytest.approx(bbpssw(value, value).success_probability, abs=1e-15)


def test_perfect_pairs_stay_perfect_and_always_succeed():
    outcome = dejmps([1, 0, 0, 0], [1, 0, 0, 0])
    np.testing.assert_allclose(outcome.state, [1, 0, 0, 0])
    assert outcome.success_probability == 1.0


def test_functions_broadcast_over_batches():
    batch = np.array([0.6, 0.8, 0.95])
    outcome = bbpssw(batch, batch)
    assert outcome.fidelity.shape == (3,)
    states = dejmps(werner_state(batch), werner_state(batch))
    np.testing.assert_allclose(states.state[:, 0], outcome.fidelity, atol=1e-15)


def test_bad_inputs_raise_config_error():
    with pytest.raises(ConfigError, match="measurement_fidelity_b: must be in"):
        bbpssw(0.8, 0.8, measurement_fidelity_b=1.1)
    with pytest.raises(ConfigError, match="kept: coefficients must sum to 1"):
        dejmps([0.5, 0.1, 0.1, 0.1], werner_state(0.9))


# --- against SeQUeNCe's own methods -----------------------------------------------------


def sequence_purification_res(protocol_class, kept, measured, operations):
    """Call SeQUeNCe 1.3.1's ``purification_res`` on a minimal stand-in protocol (owner = node a)."""
    from sequence.constants import BELL_DIAGONAL_STATE_FORMALISM
    from sequence.kernel.quantum_state import BellDiagonalState

    states = {0: BellDiagonalState(kept, [0, 9]), 1: BellDiagonalState(measured, [1, 8])}
    remote = SimpleNamespace(gate_fid=operations["gate_fidelity_b"], meas_fid=operations["measurement_fidelity_b"])
    timeline = SimpleNamespace(
        quantum_manager=SimpleNamespace(
            get_active_formalism=lambda: BELL_DIAGONAL_STATE_FORMALISM, get=states.__getitem__
        ),
        get_entity_by_name=lambda name: remote,
    )
    owner = SimpleNamespace(
        name="a",
        timeline=timeline,
        gate_fid=operations["gate_fidelity_a"],
        meas_fid=operations["measurement_fidelity_a"],
    )
    protocol = SimpleNamespace(
        name="EP",
        owner=owner,
        remote_node_name="b",
        kept_memo=SimpleNamespace(qstate_key=0),
        meas_memo=SimpleNamespace(qstate_key=1),
    )
    success, state = protocol_class.purification_res(protocol)
    return float(success), np.asarray(state)


PERFECT = dict.fromkeys(IMPERFECT, 1.0)


@pytest.mark.parametrize("operations", [PERFECT, IMPERFECT])
def test_bbpssw_bell_diagonal_equals_sequence_purification_res(operations):
    from sequence.entanglement_management.purification.bbpssw_bds import BBPSSW_BDS

    rng = np.random.default_rng(41)
    for _ in range(5):
        kept, measured = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(4))
        success, state = sequence_purification_res(BBPSSW_BDS, kept, measured, operations)
        outcome = bbpssw_bell_diagonal(kept, measured, **operations)
        np.testing.assert_allclose(outcome.state, state, atol=1e-14)
        assert outcome.success_probability == pytest.approx(success, abs=1e-14)


@pytest.mark.parametrize("operations", [PERFECT, IMPERFECT])
def test_dejmps_equals_sequence_purification_res(operations):
    from sequence.entanglement_management.purification.dejmps_bds import DEJMPS_BDS

    rng = np.random.default_rng(43)
    for _ in range(5):
        kept, measured = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(4))
        success, state = sequence_purification_res(DEJMPS_BDS, kept, measured, operations)
        outcome = dejmps(kept, measured, **operations)
        np.testing.assert_allclose(outcome.state, state, atol=1e-14)
        assert outcome.success_probability == pytest.approx(success, abs=1e-14)
