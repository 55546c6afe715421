"""Scalar Bell-diagonal arithmetic for the network-scale engine (plain floats, no NumPy).

The engine touches a pair's state a few times per protocol step, where NumPy's
per-call overhead would dominate; these are the closed forms of
:mod:`qtn.analytic` for the cases the engine meets (tests check them against it):

* storage: every memory in this project depolarises (SeQUeNCe's Pauli channel
  with weights 1/3), so a qubit idling t in a memory of coherence time T maps
  the coefficients c -> lambda c + (1 - lambda)/4 with lambda = exp(-4t/(3T))
  (:func:`qtn.analytic.decoherence.decohere_one_half`);
* swapping: SeQUeNCe twirls inputs and output, so only fidelities matter:
  F = F1 F2 + (1 - F1)(1 - F2)/3 for a perfect swap, then measurement errors
  (eta) and gate depolarisation (p) as in
  :func:`qtn.analytic.swapping.bell_diagonal_swap`.

States are lists ``[Phi+, Phi-, Psi+, Psi-]``.
"""

import math

State = list[float]

_PS_PER_S = 1e12


def werner(fidelity: float) -> State:
    """Werner state of ``fidelity``: [F, (1-F)/3, (1-F)/3, (1-F)/3]."""
    error = (1.0 - fidelity) / 3.0
    return [fidelity, error, error, error]


def storage_factor(idle_ps: int, coherence_time_s: float | None) -> float:
    """lambda = exp(-4 t / (3 T)) for one qubit idling ``idle_ps`` (1 without decoherence)."""
    if coherence_time_s is None or idle_ps <= 0:
        return 1.0
    return math.exp(-4.0 * idle_ps / (3.0 * coherence_time_s * _PS_PER_S))


def depolarise(state: State, factor: float) -> State:
    """c -> factor c + (1 - factor)/4 (the product of both halves' lambdas for a stored pair)."""
    if factor == 1.0:
        return state
    shift = (1.0 - factor) / 4.0
    return [factor * c + shift for c in state]


def swap_fidelity(
    fidelity_left: float, fidelity_right: float, gate_fidelity: float = 1.0, measurement_fidelity: float = 1.0
) -> float:
    """Fidelity of the twirled pair after swapping two pairs (SeQUeNCe's Bell-diagonal swap).

    F0 = F1 F2 + (1 - F1)(1 - F2)/3 (perfect swap of Werner pairs); measurement
    errors give eta^2 F0 + (1 - eta^2)(1 - F0)/3; the gate keeps that with
    probability p and depolarises otherwise: p x + (1 - p)/4.
    """
    perfect = fidelity_left * fidelity_right + (1.0 - fidelity_left) * (1.0 - fidelity_right) / 3.0
    eta2 = measurement_fidelity * measurement_fidelity
    measured = eta2 * perfect + (1.0 - eta2) * (1.0 - perfect) / 3.0
    return gate_fidelity * measured + (1.0 - gate_fidelity) / 4.0
