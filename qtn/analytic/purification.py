"""One round of 2-to-1 entanglement purification (BBPSSW, DEJMPS) as formulas.

Both protocols take two pairs shared by nodes a and b, apply a CNOT at each node
from the kept pair (control) to the measured pair (target), measure the target
qubits in the Z basis and keep the first pair when the two results agree.
DEJMPS first rotates the qubits (R_x(pi/2) at a, R_x(-pi/2) at b) and needs no
twirl; BBPSSW twirls the pairs into Werner form.

Imperfect operations follow SeQUeNCe 1.3.1 (``bbpssw_bds.py``,
``dejmps_bds.py``; Eqs. (8)-(9) of Zang et al., arXiv:2305.14573): with
probability p_a p_b both CNOTs are perfect, otherwise the four qubits are left
maximally mixed (success 1/2, kept pair I/4); each node reports the wrong
measurement result with probability 1 - eta, so the two reports show the true
parity with probability s = eta_a eta_b + (1 - eta_a)(1 - eta_b) and the inverted
parity with probability o = 1 - s. All four gate and measurement parameters
default to 1 (perfect operations).

Differences of SeQUeNCe's BBPSSW from the textbook protocol: it takes
Bell-diagonal inputs but uses only their fidelities (it twirls them), it writes
the output as a Werner state, and it asserts that the success probability is
>= 1/2 (true for Werner inputs).
"""

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from qtn.analytic.bell_diagonal import (
    PHI_MINUS,
    PHI_PLUS,
    PSI_MINUS,
    PSI_PLUS,
    FloatOrArray,
    as_bell_diagonal,
    as_output,
    as_probability,
    werner_state,
)


class FidelityOutcome(NamedTuple):
    """Result of a purification round on Werner pairs.

    Attributes:
        fidelity: fidelity of the kept pair with |Phi+> given success (it is a Werner pair).
        success_probability: probability that the round succeeds.
    """

    fidelity: FloatOrArray
    success_probability: FloatOrArray


class StateOutcome(NamedTuple):
    """Result of a purification round on Bell-diagonal pairs.

    Attributes:
        state: Bell-diagonal coefficients of the kept pair given success, ``(..., 4)``.
        success_probability: probability that the round succeeds.
    """

    state: npt.NDArray[np.float64]
    success_probability: FloatOrArray


def _operations(
    gate_fidelity_a: npt.ArrayLike,
    gate_fidelity_b: npt.ArrayLike,
    measurement_fidelity_a: npt.ArrayLike,
    measurement_fidelity_b: npt.ArrayLike,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(P, s, o): both gates perfect; reports keep the true parity; reports invert it."""
    gate = as_probability(gate_fidelity_a, "gate_fidelity_a") * as_probability(gate_fidelity_b, "gate_fidelity_b")
    eta_a = as_probability(measurement_fidelity_a, "measurement_fidelity_a")
    eta_b = as_probability(measurement_fidelity_b, "measurement_fidelity_b")
    same = eta_a * eta_b + (1.0 - eta_a) * (1.0 - eta_b)
    return gate, same, 1.0 - same


def bbpssw(
    fidelity_kept: npt.ArrayLike,
    fidelity_measured: npt.ArrayLike,
    *,
    gate_fidelity_a: npt.ArrayLike = 1.0,
    gate_fidelity_b: npt.ArrayLike = 1.0,
    measurement_fidelity_a: npt.ArrayLike = 1.0,
    measurement_fidelity_b: npt.ArrayLike = 1.0,
) -> FidelityOutcome:
    """BBPSSW on two Werner pairs: output fidelity and success probability.

    With e_i = (1 - F_i)/3, P = p_a p_b and the report probabilities s, o (module
    docstring), as in SeQUeNCe's ``BBPSSW_BDS.purification_res``:

        p_succ = P [s (F1 F2 + F1 e2 + e1 F2 + 5 e1 e2) + o (2 F1 e2 + 2 e1 F2 + 4 e1 e2)] + (1 - P)/2
        F'     = (P [s (F1 F2 + e1 e2) + o (F1 e2 + e1 e2)] + (1 - P)/8) / p_succ

    With perfect operations (P = s = 1) this is Bennett et al.'s

        F' = (F1 F2 + e1 e2) / (F1 F2 + F1 e2 + e1 F2 + 5 e1 e2),

    which for F1 = F2 = F reads (F^2 + (1-F)^2/9) / (F^2 + 2F(1-F)/3 + 5(1-F)^2/9)
    and raises the fidelity exactly when F > 1/2.

    Args:
        fidelity_kept: F1 of the pair that is kept, in [0, 1]; broadcasts.
        fidelity_measured: F2 of the pair that is measured, in [0, 1].
        gate_fidelity_a: probability that node a's CNOT is perfect (``Node.gate_fid``).
        gate_fidelity_b: same for node b.
        measurement_fidelity_a: probability that node a reports its result correctly (``Node.meas_fid``).
        measurement_fidelity_b: same for node b.

    Returns:
        Fidelity of the (twirled, Werner) kept pair given success, and the success probability.

    References:
        C. H. Bennett, G. Brassard, S. Popescu, B. Schumacher, J. A. Smolin, W. K. Wootters,
        Phys. Rev. Lett. 76, 722 (1996); Y. Zang et al., arXiv:2305.14573, Eqs. (8)-(9);
        SeQUeNCe 1.3.1, ``sequence/entanglement_management/purification/bbpssw_bds.py``.
    """
    f1 = as_probability(fidelity_kept, "fidelity_kept")
    f2 = as_probability(fidelity_measured, "fidelity_measured")
    gate, same, opposite = _operations(gate_fidelity_a, gate_fidelity_b, measurement_fidelity_a, measurement_fidelity_b)
    e1, e2 = (1.0 - f1) / 3.0, (1.0 - f2) / 3.0
    agree = f1 * f2 + f1 * e2 + e1 * f2 + 5.0 * e1 * e2
    disagree = 2.0 * f1 * e2 + 2.0 * e1 * f2 + 4.0 * e1 * e2
    success = gate * (same * agree + opposite * disagree) + (1.0 - gate) / 2.0
    good = gate * (same * (f1 * f2 + e1 * e2) + opposite * (f1 * e2 + e1 * e2)) + (1.0 - gate) / 8.0
    return FidelityOutcome(as_output(good / success), as_output(success))


def bbpssw_bell_diagonal(
    kept: npt.ArrayLike,
    measured: npt.ArrayLike,
    *,
    gate_fidelity_a: npt.ArrayLike = 1.0,
    gate_fidelity_b: npt.ArrayLike = 1.0,
    measurement_fidelity_a: npt.ArrayLike = 1.0,
    measurement_fidelity_b: npt.ArrayLike = 1.0,
) -> StateOutcome:
    """SeQUeNCe's BBPSSW on Bell-diagonal pairs: twirl the inputs, apply :func:`bbpssw`, return a Werner state.

    Only the Phi+ coefficients of ``kept`` and ``measured`` matter. Returns what
    ``BBPSSW_BDS.purification_res`` returns: the success probability and the
    coefficients ``[F', (1 - F')/3, (1 - F')/3, (1 - F')/3]``.

    Args:
        kept: coefficients of the kept pair, ``(..., 4)``.
        measured: coefficients of the measured pair, broadcast against ``kept``.
        gate_fidelity_a: see :func:`bbpssw`.
        gate_fidelity_b: see :func:`bbpssw`.
        measurement_fidelity_a: see :func:`bbpssw`.
        measurement_fidelity_b: see :func:`bbpssw`.

    References:
        C. H. Bennett et al., Phys. Rev. Lett. 76, 722 (1996);
        SeQUeNCe 1.3.1, ``sequence/entanglement_management/purification/bbpssw_bds.py``.
    """
    outcome = bbpssw(
        as_bell_diagonal(kept, "kept")[..., PHI_PLUS],
        as_bell_diagonal(measured, "measured")[..., PHI_PLUS],
        gate_fidelity_a=gate_fidelity_a,
        gate_fidelity_b=gate_fidelity_b,
        measurement_fidelity_a=measurement_fidelity_a,
        measurement_fidelity_b=measurement_fidelity_b,
    )
    return StateOutcome(werner_state(outcome.fidelity), outcome.success_probability)


def dejmps(
    kept: npt.ArrayLike,
    measured: npt.ArrayLike,
    *,
    gate_fidelity_a: npt.ArrayLike = 1.0,
    gate_fidelity_b: npt.ArrayLike = 1.0,
    measurement_fidelity_a: npt.ArrayLike = 1.0,
    measurement_fidelity_b: npt.ArrayLike = 1.0,
) -> StateOutcome:
    """DEJMPS on two Bell-diagonal pairs: kept-pair coefficients and success probability.

    In Deutsch et al.'s notation A, B, C, D are the Phi+, Psi-, Psi+, Phi-
    coefficients (the local rotations exchange the roles of Phi- and Psi-). With
    perfect operations and N = (A1 + B1)(A2 + B2) + (C1 + D1)(C2 + D2):

        A' = (A1 A2 + B1 B2)/N,  B' = (C1 D2 + D1 C2)/N,
        C' = (C1 C2 + D1 D2)/N,  D' = (A1 B2 + B1 A2)/N,  p_succ = N.

    When the reports invert the true parity (probability o) the kept pair is
    A1 C2 + B1 D2 (Phi+), A1 D2 + B1 C2 (Phi-), C1 A2 + D1 B2 (Psi+),
    C1 B2 + D1 A2 (Psi-); the gate model adds (1 - P)/8 to each unnormalised
    coefficient, as in SeQUeNCe's ``DEJMPS_BDS.purification_res``:

        p_succ = P [s N + o (1 - N)] + (1 - P)/2.

    Args:
        kept: coefficients of the kept pair ``[Phi+, Phi-, Psi+, Psi-]``, ``(..., 4)``.
        measured: coefficients of the measured pair, broadcast against ``kept``.
        gate_fidelity_a: probability that node a's CNOT is perfect (``Node.gate_fid``).
        gate_fidelity_b: same for node b.
        measurement_fidelity_a: probability that node a reports its result correctly (``Node.meas_fid``).
        measurement_fidelity_b: same for node b.

    Returns:
        Coefficients of the kept pair given success (order Phi+, Phi-, Psi+, Psi-)
        and the success probability.

    References:
        D. Deutsch, A. Ekert, R. Jozsa, C. Macchiavello, S. Popescu, A. Sanpera,
        Phys. Rev. Lett. 77, 2818 (1996); SeQUeNCe 1.3.1,
        ``sequence/entanglement_management/purification/dejmps_bds.py``.
    """
    k = as_bell_diagonal(kept, "kept")
    m = as_bell_diagonal(measured, "measured")
    gate, same, opposite = _operations(gate_fidelity_a, gate_fidelity_b, measurement_fidelity_a, measurement_fidelity_b)
    a1, b1, c1, d1 = k[..., PHI_PLUS], k[..., PSI_MINUS], k[..., PSI_PLUS], k[..., PHI_MINUS]
    a2, b2, c2, d2 = m[..., PHI_PLUS], m[..., PSI_MINUS], m[..., PSI_PLUS], m[..., PHI_MINUS]
    parity_even = np.stack([a1 * a2 + b1 * b2, a1 * b2 + b1 * a2, c1 * c2 + d1 * d2, c1 * d2 + d1 * c2], axis=-1)
    parity_odd = np.stack([a1 * c2 + b1 * d2, a1 * d2 + b1 * c2, c1 * a2 + d1 * b2, c1 * b2 + d1 * a2], axis=-1)
    gate_, same_, opposite_ = (x[..., np.newaxis] for x in (gate, same, opposite))
    joint = gate_ * (same_ * parity_even + opposite_ * parity_odd) + (1.0 - gate_) / 8.0
    n_even = (a1 + b1) * (a2 + b2) + (c1 + d1) * (c2 + d2)
    success = gate * (same * n_even + opposite * (1.0 - n_even)) + (1.0 - gate) / 2.0
    return StateOutcome(joint / success[..., np.newaxis], as_output(success))
