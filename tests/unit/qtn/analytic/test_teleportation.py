"""Teleportation fidelity of :mod:`qtn.analytic.teleportation`.

Average fidelity through a resource of fidelity F: f = (2F + 1)/3 (M. Horodecki,
P. Horodecki, R. Horodecki, PRA 60, 1888 (1999); S. Popescu, PRL 72, 797 (1994)).
Per input state, f = p_I + p_X n_x^2 + p_Y n_y^2 + p_Z n_z^2 for a Bell-diagonal
resource; checked against a density-matrix simulation of the standard protocol
(Bennett et al., PRL 70, 1895 (1993)) and, averaged over Haar-random inputs,
against (2F + 1)/3.
"""

import numpy as np
import pytest

from qnetsim.core.errors import ConfigError
from qtn.analytic.bell_diagonal import werner_state
from qtn.analytic.teleportation import bloch_vector, teleportation_average_fidelity, teleportation_fidelity
from tests.unit.qtn.analytic.density_matrix import teleport_circuit


def haar_random_states(rng: np.random.Generator, n_states: int) -> np.ndarray:
    """Normalised complex Gaussian vectors are Haar-distributed pure states."""
    amplitudes = rng.normal(size=(n_states, 2)) + 1j * rng.normal(size=(n_states, 2))
    return amplitudes / np.linalg.norm(amplitudes, axis=1, keepdims=True)


def test_average_fidelity_known_values():
    """(2F + 1)/3: F = 1 -> 1, F = 1/2 -> 2/3 (the classical limit), F = 0.85 -> 0.9, F = 1/4 -> 1/2."""
    assert teleportation_average_fidelity(1.0) == 1.0
    assert teleportation_average_fidelity(0.5) == pytest.approx(2 / 3)
    assert teleportation_average_fidelity(0.85) == pytest.approx(0.9)
    assert teleportation_average_fidelity(0.25) == pytest.approx(0.5)


def test_bloch_vectors_of_known_states():
    s = 1 / np.sqrt(2)
    np.testing.assert_allclose(bloch_vector([1, 0]), [0, 0, 1], atol=1e-15)
    np.testing.assert_allclose(bloch_vector([0, 1]), [0, 0, -1], atol=1e-15)
    np.testing.assert_allclose(bloch_vector([s, s]), [1, 0, 0], atol=1e-15)
    np.testing.assert_allclose(bloch_vector([s, 1j * s]), [0, 1, 0], atol=1e-15)
    np.testing.assert_allclose(bloch_vector([2, 0]), [0, 0, 1], atol=1e-15)


def test_pure_error_resources_flip_the_expected_states():
    """Through |Psi+> (an X error) |0> arrives as |1> (f = 0) while |+> arrives intact (f = 1)."""
    psi_plus = [0, 0, 1, 0]
    assert teleportation_fidelity(psi_plus, [0, 0, 1]) == pytest.approx(0.0)
    assert teleportation_fidelity(psi_plus, [1, 0, 0]) == pytest.approx(1.0)
    phi_minus = [0, 1, 0, 0]  # a Z error
    assert teleportation_fidelity(phi_minus, [0, 0, 1]) == pytest.approx(1.0)
    assert teleportation_fidelity(phi_minus, [0, 1, 0]) == pytest.approx(0.0)


def test_formula_matches_density_matrix_teleportation():
    rng = np.random.default_rng(23)
    states = haar_random_states(rng, 20)
    for amplitudes in states:
        resource = rng.dirichlet(np.ones(4))
        expected = teleport_circuit(resource, amplitudes)
        assert teleportation_fidelity(resource, bloch_vector(amplitudes)) == pytest.approx(expected, abs=1e-12)
    assert teleport_circuit([1, 0, 0, 0], states[0]) == pytest.approx(1.0)


def test_werner_resource_teleports_every_state_with_the_average_fidelity():
    """p_X = p_Y = p_Z = (1 - F)/3 and n_x^2 + n_y^2 + n_z^2 = 1 give f = (2F + 1)/3 for every input."""
    states = haar_random_states(np.random.default_rng(7), 100)
    values = teleportation_fidelity(werner_state(0.8), bloch_vector(states))
    np.testing.assert_allclose(values, 2.6 / 3, atol=1e-14)


@pytest.mark.parametrize("resource", [np.array([0.7, 0.2, 0.06, 0.04]), np.array([0.55, 0.0, 0.45, 0.0])])
def test_haar_average_recovers_two_f_plus_one_over_three(resource):
    """Non-Werner resources: the mean over 20,000 Haar-random inputs (seed 2024) is within
    4 standard errors of (2F + 1)/3 although single inputs differ."""
    rng = np.random.default_rng(2024)
    values = teleportation_fidelity(resource, bloch_vector(haar_random_states(rng, 20_000)))
    standard_error = values.std(ddof=1) / np.sqrt(values.size)
    expected = (2 * resource[0] + 1) / 3
    assert values.std() > 0.01
    assert abs(values.mean() - expected) < 4 * standard_error
    assert teleportation_average_fidelity(resource[0]) == pytest.approx(expected)


def test_bad_inputs_raise_config_error():
    with pytest.raises(ConfigError, match="input_bloch_vector: must be a unit vector"):
        teleportation_fidelity(werner_state(0.9), [0.5, 0, 0])
    with pytest.raises(ConfigError, match="amplitudes: must not be the zero vector"):
        bloch_vector([0, 0])
    with pytest.raises(ConfigError, match="fidelity"):
        teleportation_average_fidelity(2.0)
