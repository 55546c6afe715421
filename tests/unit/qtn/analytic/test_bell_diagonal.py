"""Bell-diagonal conventions of :mod:`qtn.analytic.bell_diagonal`, checked against kets and Pauli matrices."""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qnetsim.core.errors import ConfigError
from qtn.analytic.bell_diagonal import (
    BELL_STATE_ORDER,
    PAULI_ERROR_ORDER,
    as_bell_diagonal,
    compose_pauli_errors,
    depolarise,
    fidelity,
    fidelity_from_werner_parameter,
    twirl,
    werner_parameter,
    werner_state,
)
from tests.unit.qtn.analytic.density_matrix import (
    BELL_KETS,
    IDENTITY,
    PAULI_X,
    PAULI_Y,
    PAULI_Z,
    bell_coefficients,
    bell_diagonal_matrix,
    evolve,
)

PAULIS = {"I": IDENTITY, "Z": PAULI_Z, "X": PAULI_X, "Y": PAULI_Y}
probability_vectors = st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4).filter(lambda v: sum(v) > 1e-3)


def normalised(values):
    array = np.asarray(values, dtype=float)
    return array / array.sum()


def overlap(ket_a, ket_b):
    return abs(np.vdot(ket_a, ket_b))


def test_storage_order_is_phi_plus_phi_minus_psi_plus_psi_minus():
    assert BELL_STATE_ORDER == ("Phi+", "Phi-", "Psi+", "Psi-")
    assert PAULI_ERROR_ORDER == ("I", "Z", "X", "Y")


@pytest.mark.parametrize("index", range(4))
def test_pauli_error_on_either_qubit_of_phi_plus_gives_the_bell_state_at_its_index(index):
    """(1 x sigma_k)|Phi+> and (sigma_k x 1)|Phi+> equal |B_k> up to a phase, for k in I, Z, X, Y."""
    sigma = PAULIS[PAULI_ERROR_ORDER[index]]
    phi_plus = BELL_KETS[0]
    assert overlap(np.kron(IDENTITY, sigma) @ phi_plus, BELL_KETS[index]) == pytest.approx(1.0)
    assert overlap(np.kron(sigma, IDENTITY) @ phi_plus, BELL_KETS[index]) == pytest.approx(1.0)


@pytest.mark.parametrize(("first", "second"), list(itertools.product(range(4), repeat=2)))
def test_composing_two_certain_errors_gives_their_matrix_product(first, second):
    """compose(e_i, e_j) = e_k with sigma_i sigma_j = phase * sigma_k (the XOR rule)."""
    product = PAULIS[PAULI_ERROR_ORDER[first]] @ PAULIS[PAULI_ERROR_ORDER[second]]
    expected = [
        k
        for k, name in enumerate(PAULI_ERROR_ORDER)
        if abs(np.trace(PAULIS[name].conj().T @ product)) == pytest.approx(2.0)
    ]
    result = compose_pauli_errors(np.eye(4)[first], np.eye(4)[second])
    np.testing.assert_allclose(result, np.eye(4)[expected[0]])


def test_composition_equals_pauli_channel_on_one_qubit_of_the_density_matrix():
    """sum_k p_k (1 x sigma_k) rho (1 x sigma_k)^dag has Bell coefficients compose(rho, p)."""
    rng = np.random.default_rng(5)
    for _ in range(10):
        state, errors = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(4))
        rho = bell_diagonal_matrix(state)
        channel = sum(
            p * evolve(rho, np.kron(IDENTITY, PAULIS[name])) for p, name in zip(errors, PAULI_ERROR_ORDER, strict=True)
        )
        np.testing.assert_allclose(compose_pauli_errors(state, errors), bell_coefficients(channel), atol=1e-12)


@given(probability_vectors, probability_vectors, probability_vectors)
def test_composition_is_a_commutative_associative_normalised_product(a, b, c):
    a, b, c = normalised(a), normalised(b), normalised(c)
    ab = compose_pauli_errors(a, b)
    np.testing.assert_allclose(ab, compose_pauli_errors(b, a), atol=1e-12)
    np.testing.assert_allclose(
        compose_pauli_errors(ab, c), compose_pauli_errors(a, compose_pauli_errors(b, c)), atol=1e-12
    )
    assert ab.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(compose_pauli_errors(a, [1, 0, 0, 0]), a, atol=1e-15)


def test_werner_state_and_parameter_known_values():
    """rho_W = [F, (1-F)/3, (1-F)/3, (1-F)/3], w = (4F - 1)/3 (Werner 1989; Duer et al. 1999)."""
    np.testing.assert_allclose(werner_state(0.85), [0.85, 0.05, 0.05, 0.05])
    assert werner_parameter(0.85) == pytest.approx(0.8)
    assert werner_parameter(0.25) == pytest.approx(0.0)
    assert fidelity_from_werner_parameter(0.8) == pytest.approx(0.85)
    assert werner_state(np.array([0.5, 0.9])).shape == (2, 4)
    assert isinstance(werner_parameter(0.7), float)


@given(st.floats(0.0, 1.0))
def test_werner_parameter_round_trip(value):
    assert fidelity_from_werner_parameter(werner_parameter(value)) == pytest.approx(value, abs=1e-12)


def test_twirl_keeps_fidelity_and_spreads_the_rest():
    np.testing.assert_allclose(twirl([0.7, 0.2, 0.06, 0.04]), [0.7, 0.1, 0.1, 0.1])
    np.testing.assert_allclose(twirl(werner_state(0.6)), werner_state(0.6))


def test_depolarise_mixes_with_white_noise():
    """q rho + (1 - q)/4."""
    np.testing.assert_allclose(depolarise([1, 0, 0, 0], 0.6), [0.7, 0.1, 0.1, 0.1])
    assert fidelity(depolarise([0.9, 0.1, 0, 0], 0.0)) == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ([0.5, 0.5, 0.5, -0.5], "state: must be in [0, 1]; got -0.5"),
        ([0.5, 0.4, 0.0, 0.0], "state: coefficients must sum to 1; got sum 0.9"),
        ([0.5, 0.5, 0.0], "state: must have 4 Bell-diagonal coefficients"),
        ([float("nan"), 0.5, 0.5, 0.0], "state: must be in [0, 1]; got nan"),
    ],
)
def test_bad_coefficients_raise_config_error_naming_the_value(state, message):
    with pytest.raises(ConfigError) as error:
        as_bell_diagonal(state)
    assert message in str(error.value)


def test_bad_fidelity_raises_config_error():
    with pytest.raises(ConfigError, match=r"fidelity: must be in \[0, 1\]; got 1.2"):
        werner_state(1.2)
    with pytest.raises(ConfigError, match="werner: must be in"):
        fidelity_from_werner_parameter(-0.5)
