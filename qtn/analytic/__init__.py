"""Analytic reference physics of entanglement networks: pure functions of numbers.

These formulas serve two purposes: reference values that SeQUeNCe simulations
are tested against, and a fast link model that samples times to success and
delivered Bell-diagonal states without photon-level simulation. Each function
states its formula, units and sources; where SeQUeNCe 1.3.1 implements the same
map, the function reproduces it exactly (the tests compare them directly).
Nothing here imports SeQUeNCe.

Bell-diagonal coefficients are numpy arrays ``(..., 4)`` in SeQUeNCe's order
Phi+, Phi-, Psi+, Psi- (Pauli errors I, Z, X, Y); see
:mod:`qtn.analytic.bell_diagonal`.

Modules:
    bell_diagonal: conventions, Werner states, twirling, Pauli-error composition.
    swapping: Werner and Bell-diagonal swapping, repeater chains.
    teleportation: teleportation fidelity through a Bell-diagonal resource.
    purification: one round of BBPSSW and DEJMPS.
    recurrence: rounds of recurrence purification, fixed points, reachable targets.
    decoherence: SeQUeNCe's Pauli-channel memory decoherence.
    heralded_generation: single-heralded generation: success probability, timing, state.
"""

from qtn.analytic.bell_diagonal import (
    BELL_STATE_ORDER,
    PAULI_ERROR_ORDER,
    compose_pauli_errors,
    depolarise,
    fidelity,
    fidelity_from_werner_parameter,
    twirl,
    werner_parameter,
    werner_state,
)
from qtn.analytic.decoherence import (
    DEPOLARISING_WEIGHTS,
    decohere_both_halves,
    decohere_one_half,
    pauli_channel_probabilities,
    werner_decay_factor,
    werner_fidelity_after_storage,
)
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
from qtn.analytic.purification import FidelityOutcome, StateOutcome, bbpssw, bbpssw_bell_diagonal, dejmps
from qtn.analytic.recurrence import (
    PURIFICATION_PROTOCOLS,
    RecurrenceTrajectory,
    bbpssw_fixed_points,
    max_reachable_fidelity,
    recurrence,
    rounds_to_target,
)
from qtn.analytic.swapping import (
    bell_diagonal_swap,
    swap_chain,
    swap_operation_factor,
    werner_chain_fidelity,
    werner_swap_fidelity,
)
from qtn.analytic.teleportation import bloch_vector, teleportation_average_fidelity, teleportation_fidelity

__all__ = [
    "BELL_STATE_ORDER",
    "DEPOLARISING_WEIGHTS",
    "PAULI_ERROR_ORDER",
    "PURIFICATION_PROTOCOLS",
    "FidelityOutcome",
    "RecurrenceTrajectory",
    "StateOutcome",
    "bbpssw",
    "bbpssw_bell_diagonal",
    "bbpssw_fixed_points",
    "bell_diagonal_swap",
    "bloch_vector",
    "compose_pauli_errors",
    "decohere_both_halves",
    "decohere_one_half",
    "dejmps",
    "depolarise",
    "fidelity",
    "fidelity_from_werner_parameter",
    "max_reachable_fidelity",
    "mean_time_to_success_s",
    "pauli_channel_probabilities",
    "recurrence",
    "rounds_to_target",
    "sample_time_to_success_s",
    "sequence_requester_is_primary",
    "single_heralded_attempt_period_s",
    "single_heralded_herald_delay_s",
    "single_heralded_heralded_state",
    "single_heralded_raw_state",
    "single_heralded_success_probability",
    "swap_chain",
    "swap_operation_factor",
    "teleportation_average_fidelity",
    "teleportation_fidelity",
    "time_to_success_cdf",
    "twirl",
    "werner_chain_fidelity",
    "werner_decay_factor",
    "werner_fidelity_after_storage",
    "werner_parameter",
    "werner_state",
    "werner_swap_fidelity",
]
