"""Recurrence purification: rounds, fixed points, and whether a target fidelity is reachable.

In the recurrence ("entanglement doubling") scheme every round purifies two
pairs produced by the previous round, so after k rounds the state is the k-th
iterate of the one-round map. SeQUeNCe's ``until_target`` rule does this: it only
pairs memories of equal recorded fidelity and repeats while the fidelity is
below the reservation's target. With perfect operations BBPSSW and DEJMPS drive
any pair with F > 1/2 towards F = 1; with imperfect gates or measurements the
iterates converge to a fixed point F* < 1, so targets above F* are impossible.

Each round consumes two pairs and succeeds with probability p_k, so the
expected number of elementary pairs per pair after n rounds is prod_k 2/p_k.
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numpy.polynomial import Polynomial

from qnetsim.core.errors import ConfigError, SimulationError
from qtn.analytic.bell_diagonal import PHI_PLUS, as_bell_diagonal, as_probability, werner_state
from qtn.analytic.purification import StateOutcome, bbpssw_bell_diagonal, dejmps

#: Registered one-round maps, by the name used in scenario files.
PURIFICATION_PROTOCOLS: dict[str, Callable[..., StateOutcome]] = {
    "bbpssw": bbpssw_bell_diagonal,
    "dejmps": dejmps,
}

_ROOT_IMAGINARY_TOLERANCE = 1e-9


class RecurrenceTrajectory(NamedTuple):
    """States after 0, 1, ..., n rounds of recurrence purification.

    Attributes:
        states: Bell-diagonal coefficients after each round, shape ``(n + 1, 4)``.
        success_probabilities: success probability of rounds 1..n, shape ``(n,)``.
        expected_pairs: expected elementary pairs consumed per pair after each round,
            prod_(j < k) 2/p_j, shape ``(n + 1,)`` (1 for round 0).
    """

    states: npt.NDArray[np.float64]
    success_probabilities: npt.NDArray[np.float64]
    expected_pairs: npt.NDArray[np.float64]

    @property
    def fidelities(self) -> npt.NDArray[np.float64]:
        """Fidelity with |Phi+> after each round, shape ``(n + 1,)``."""
        return self.states[:, PHI_PLUS]


def _protocol(name: str) -> Callable[..., StateOutcome]:
    try:
        return PURIFICATION_PROTOCOLS[name]
    except KeyError:
        known = ", ".join(sorted(PURIFICATION_PROTOCOLS))
        raise ConfigError(f"protocol: must be one of {known}; got {name!r}") from None


def _operations(
    gate_fidelity_a: float, gate_fidelity_b: float, measurement_fidelity_a: float, measurement_fidelity_b: float
) -> dict[str, float]:
    return {
        "gate_fidelity_a": gate_fidelity_a,
        "gate_fidelity_b": gate_fidelity_b,
        "measurement_fidelity_a": measurement_fidelity_a,
        "measurement_fidelity_b": measurement_fidelity_b,
    }


def _initial_state(initial: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """A Werner state for a scalar fidelity, otherwise the checked coefficients of one pair."""
    if np.ndim(initial) == 0:
        return werner_state(initial)
    state = as_bell_diagonal(initial, "initial")
    if state.shape != (4,):
        raise ConfigError(f"initial: must be one pair's fidelity or 4 coefficients; got shape {state.shape}")
    return state


def recurrence(
    protocol: str,
    initial: npt.ArrayLike,
    n_rounds: int,
    *,
    gate_fidelity_a: float = 1.0,
    gate_fidelity_b: float = 1.0,
    measurement_fidelity_a: float = 1.0,
    measurement_fidelity_b: float = 1.0,
) -> RecurrenceTrajectory:
    """Iterate one purification protocol ``n_rounds`` times on identical pairs.

    rho_(k+1) = map(rho_k, rho_k), p_k = its success probability.

    Args:
        protocol: ``"bbpssw"`` or ``"dejmps"`` (see :data:`PURIFICATION_PROTOCOLS`).
        initial: fidelity of a Werner pair, or the 4 Bell-diagonal coefficients of the pair.
        n_rounds: number of rounds (>= 0).
        gate_fidelity_a: probability that node a's CNOT is perfect.
        gate_fidelity_b: same for node b.
        measurement_fidelity_a: probability that node a reports correctly.
        measurement_fidelity_b: same for node b.

    Returns:
        The trajectory of states, success probabilities and expected pair costs.

    References:
        W. Duer, H.-J. Briegel, J. I. Cirac, P. Zoller, Phys. Rev. A 59, 169 (1999);
        D. Deutsch et al., Phys. Rev. Lett. 77, 2818 (1996);
        C. H. Bennett et al., Phys. Rev. Lett. 76, 722 (1996).
    """
    step = _protocol(protocol)
    if not isinstance(n_rounds, int | np.integer) or n_rounds < 0:
        raise ConfigError(f"n_rounds: must be an integer >= 0; got {n_rounds!r}")
    operations = _operations(gate_fidelity_a, gate_fidelity_b, measurement_fidelity_a, measurement_fidelity_b)
    states = [_initial_state(initial)]
    probabilities: list[float] = []
    for _ in range(n_rounds):
        outcome = step(states[-1], states[-1], **operations)
        states.append(outcome.state)
        probabilities.append(float(outcome.success_probability))
    p = np.asarray(probabilities, dtype=float)
    expected = np.concatenate([[1.0], np.cumprod(2.0 / p)]) if n_rounds else np.ones(1)
    return RecurrenceTrajectory(np.asarray(states), p, expected)


def bbpssw_fixed_points(
    *,
    gate_fidelity_a: float = 1.0,
    gate_fidelity_b: float = 1.0,
    measurement_fidelity_a: float = 1.0,
    measurement_fidelity_b: float = 1.0,
) -> npt.NDArray[np.float64]:
    """Fidelities F in [0, 1] with F'(F, F) = F for BBPSSW (:func:`qtn.analytic.purification.bbpssw`).

    F' = N(F)/D(F) with N, D quadratic in F, so the fixed points are the real
    roots of the cubic N(F) - F D(F). With perfect operations they are 1/4, 1/2
    and 1 (1/2 unstable: the threshold above which purification helps). With
    imperfect operations the largest root F* < 1 is the highest fidelity that
    recurrence can reach, and the middle root the threshold.

    Args:
        gate_fidelity_a: probability that node a's CNOT is perfect (> 0).
        gate_fidelity_b: same for node b (> 0).
        measurement_fidelity_a: probability that node a reports correctly.
        measurement_fidelity_b: same for node b.

    Returns:
        Sorted fixed points in [0, 1] (duplicates of a double root appear once).

    References:
        C. H. Bennett et al., Phys. Rev. Lett. 76, 722 (1996);
        W. Duer, H.-J. Briegel, J. I. Cirac, P. Zoller, Phys. Rev. A 59, 169 (1999).
    """
    gate = as_probability(gate_fidelity_a, "gate_fidelity_a") * as_probability(gate_fidelity_b, "gate_fidelity_b")
    if gate <= 0:
        raise ConfigError(f"gate_fidelity_a * gate_fidelity_b: must be > 0; got {float(gate)!r}")
    eta_a = as_probability(measurement_fidelity_a, "measurement_fidelity_a")
    eta_b = as_probability(measurement_fidelity_b, "measurement_fidelity_b")
    same = float(eta_a * eta_b + (1 - eta_a) * (1 - eta_b))
    opposite = 1.0 - same
    f = Polynomial([0.0, 1.0])
    e = (1.0 - f) / 3.0
    success = gate * (same * (f * f + 2 * f * e + 5 * e * e) + opposite * (4 * f * e + 4 * e * e)) + (1 - gate) / 2
    good = gate * (same * (f * f + e * e) + opposite * (f * e + e * e)) + (1 - gate) / 8
    roots = (good - f * success).roots()
    real = roots[np.abs(roots.imag) <= _ROOT_IMAGINARY_TOLERANCE].real
    inside = np.clip(real[(real >= -1e-12) & (real <= 1 + 1e-12)], 0.0, 1.0)
    return np.unique(np.round(inside, 12))


def max_reachable_fidelity(
    protocol: str,
    initial: npt.ArrayLike,
    *,
    gate_fidelity_a: float = 1.0,
    gate_fidelity_b: float = 1.0,
    measurement_fidelity_a: float = 1.0,
    measurement_fidelity_b: float = 1.0,
    tolerance: float = 1e-13,
    max_rounds: int = 100_000,
) -> float:
    """Highest fidelity that recurrence purification reaches from ``initial`` (0 rounds included).

    Iterates until the state changes by less than ``tolerance`` (max norm) and
    returns the largest fidelity seen: the limit F* for pairs above the
    threshold, the initial fidelity for pairs that purification only degrades.

    Args:
        protocol: ``"bbpssw"`` or ``"dejmps"``.
        initial: Werner fidelity or 4 Bell-diagonal coefficients.
        gate_fidelity_a: probability that node a's CNOT is perfect.
        gate_fidelity_b: same for node b.
        measurement_fidelity_a: probability that node a reports correctly.
        measurement_fidelity_b: same for node b.
        tolerance: convergence threshold on the coefficients (> 0).
        max_rounds: give up after this many rounds.

    Raises:
        SimulationError: if the iterates have not converged after ``max_rounds``.

    References:
        W. Duer, H.-J. Briegel, J. I. Cirac, P. Zoller, Phys. Rev. A 59, 169 (1999).
    """
    step = _protocol(protocol)
    operations = _operations(gate_fidelity_a, gate_fidelity_b, measurement_fidelity_a, measurement_fidelity_b)
    state = _initial_state(initial)
    best = float(state[PHI_PLUS])
    for _ in range(max_rounds):
        new_state = step(state, state, **operations).state
        best = max(best, float(new_state[PHI_PLUS]))
        if np.max(np.abs(new_state - state)) < tolerance:
            return best
        state = new_state
    raise SimulationError(f"{protocol} recurrence did not converge within {max_rounds} rounds")


def rounds_to_target(
    protocol: str,
    initial: npt.ArrayLike,
    target_fidelity: float,
    *,
    gate_fidelity_a: float = 1.0,
    gate_fidelity_b: float = 1.0,
    measurement_fidelity_a: float = 1.0,
    measurement_fidelity_b: float = 1.0,
    tolerance: float = 1e-13,
    max_rounds: int = 100_000,
) -> int | None:
    """Fewest recurrence rounds after which the fidelity is >= ``target_fidelity``, or None if never.

    None means the target is impossible for this hardware: the iterates converge
    (state change below ``tolerance``) without reaching it. SeQUeNCe's
    ``until_target`` rule keeps purifying while the fidelity is below the target,
    so for such targets it consumes pairs forever.

    Args:
        protocol: ``"bbpssw"`` or ``"dejmps"``.
        initial: Werner fidelity or 4 Bell-diagonal coefficients.
        target_fidelity: fidelity to reach, in [0, 1].
        gate_fidelity_a: probability that node a's CNOT is perfect.
        gate_fidelity_b: same for node b.
        measurement_fidelity_a: probability that node a reports correctly.
        measurement_fidelity_b: same for node b.
        tolerance: convergence threshold on the coefficients.
        max_rounds: give up after this many rounds.

    Raises:
        SimulationError: if neither the target nor convergence is reached within ``max_rounds``.
    """
    step = _protocol(protocol)
    target = float(as_probability(target_fidelity, "target_fidelity"))
    operations = _operations(gate_fidelity_a, gate_fidelity_b, measurement_fidelity_a, measurement_fidelity_b)
    state = _initial_state(initial)
    for n_rounds in range(max_rounds + 1):
        if state[PHI_PLUS] >= target:
            return n_rounds
        new_state = step(state, state, **operations).state
        if np.max(np.abs(new_state - state)) < tolerance:
            return None
        state = new_state
    raise SimulationError(f"{protocol} recurrence did not converge within {max_rounds} rounds")
