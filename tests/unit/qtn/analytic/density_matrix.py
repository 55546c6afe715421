"""A small, independent density-matrix simulator of the circuits behind the analytic formulas.

The tests use it to derive swapping, teleportation and purification outcomes from
first principles (kets, gates, projective measurements, partial traces) instead of
from the formulas under test. Qubit 0 is the most significant bit of a basis index.
"""

from functools import reduce

import numpy as np
import numpy.typing as npt

IDENTITY = np.eye(2, dtype=complex)
PAULI_X = np.array([[0, 1], [1, 0]], dtype=complex)
PAULI_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
PAULI_Z = np.array([[1, 0], [0, -1]], dtype=complex)
HADAMARD = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
PROJECTORS = (np.diag([1.0, 0.0]).astype(complex), np.diag([0.0, 1.0]).astype(complex))

_S = 1 / np.sqrt(2)
#: |Phi+>, |Phi->, |Psi+>, |Psi-> as kets of two qubits (the order under test).
BELL_KETS = (
    np.array([_S, 0, 0, _S], dtype=complex),
    np.array([_S, 0, 0, -_S], dtype=complex),
    np.array([0, _S, _S, 0], dtype=complex),
    np.array([0, _S, -_S, 0], dtype=complex),
)


def rotation_x(angle: float) -> npt.NDArray[np.complex128]:
    """R_x(angle) = exp(-i angle X / 2)."""
    return np.cos(angle / 2) * IDENTITY - 1j * np.sin(angle / 2) * PAULI_X


def bell_diagonal_matrix(coefficients: npt.ArrayLike) -> npt.NDArray[np.complex128]:
    """sum_k p_k |B_k><B_k| from coefficients in the order of :data:`BELL_KETS`."""
    return sum(p * np.outer(ket, ket.conj()) for p, ket in zip(coefficients, BELL_KETS, strict=True))


def bell_coefficients(rho: npt.NDArray[np.complex128]) -> npt.NDArray[np.float64]:
    """<B_k| rho |B_k> for a two-qubit density matrix."""
    return np.array([np.real(ket.conj() @ rho @ ket) for ket in BELL_KETS])


def operator(gates: dict[int, npt.NDArray[np.complex128]], n_qubits: int) -> npt.NDArray[np.complex128]:
    """Tensor product acting with ``gates[q]`` on qubit q and identity elsewhere."""
    return reduce(np.kron, [gates.get(q, IDENTITY) for q in range(n_qubits)])


def cnot(control: int, target: int, n_qubits: int) -> npt.NDArray[np.complex128]:
    """CNOT from ``control`` to ``target``."""
    return operator({control: PROJECTORS[0]}, n_qubits) + operator({control: PROJECTORS[1], target: PAULI_X}, n_qubits)


def evolve(rho: npt.NDArray[np.complex128], unitary: npt.NDArray[np.complex128]) -> npt.NDArray[np.complex128]:
    return unitary @ rho @ unitary.conj().T


def partial_trace(rho: npt.NDArray[np.complex128], keep: list[int], n_qubits: int) -> npt.NDArray[np.complex128]:
    """Reduced state of the qubits ``keep`` (kept in increasing order)."""
    tensor = rho.reshape([2] * (2 * n_qubits))
    traced = [q for q in range(n_qubits) if q not in keep]
    for offset, q in enumerate(sorted(traced)):
        axis = q - offset
        tensor = np.trace(tensor, axis1=axis, axis2=axis + tensor.ndim // 2)
    dim = 2 ** len(keep)
    return tensor.reshape(dim, dim)


def measure_outcomes(
    rho: npt.NDArray[np.complex128], qubits: tuple[int, ...], n_qubits: int
) -> dict[tuple[int, ...], npt.NDArray[np.complex128]]:
    """Unnormalised post-measurement states for every Z-basis outcome of ``qubits``."""
    outcomes = {}
    for index in range(2 ** len(qubits)):
        bits = tuple((index >> (len(qubits) - 1 - i)) & 1 for i in range(len(qubits)))
        projector = operator({q: PROJECTORS[b] for q, b in zip(qubits, bits, strict=True)}, n_qubits)
        outcomes[bits] = projector @ rho @ projector
    return outcomes


def flip_probability(actual: tuple[int, ...], reported: tuple[int, ...], fidelities: tuple[float, ...]) -> float:
    """Probability that independent readouts with the given fidelities turn ``actual`` into ``reported``."""
    probability = 1.0
    for a, r, eta in zip(actual, reported, fidelities, strict=True):
        probability *= eta if a == r else 1.0 - eta
    return probability


def ket_density(ket: npt.ArrayLike) -> npt.NDArray[np.complex128]:
    vector = np.asarray(ket, dtype=complex)
    vector = vector / np.linalg.norm(vector)
    return np.outer(vector, vector.conj())


# --- circuits -------------------------------------------------------------------------


def swap_circuit(
    left: npt.ArrayLike, right: npt.ArrayLike, gate_fidelity: float = 1.0, measurement_fidelity: float = 1.0
) -> npt.NDArray[np.float64]:
    """Bell coefficients of (A, B) after a Bell measurement on (R1, R2) of pairs (A, R1) and (R2, B).

    Bell measurement: CNOT R1 -> R2, H on R1, Z measurements; B applies Z^m1 X^m2 for
    the reported bits (m1, m2), each reported wrongly with probability 1 - eta. With
    probability 1 - p_gate the measured qubits are replaced by white noise first.
    """
    n = 4
    rho = np.kron(bell_diagonal_matrix(left), bell_diagonal_matrix(right))
    outer = partial_trace(rho, [0, 3], n).reshape(2, 2, 2, 2)
    noisy = np.einsum("adAD,rR,sS->arsdARSD", outer, IDENTITY / 2, IDENTITY / 2).reshape(16, 16)
    rho = gate_fidelity * rho + (1 - gate_fidelity) * noisy
    rho = evolve(rho, operator({1: HADAMARD}, n) @ cnot(1, 2, n))
    result = np.zeros((4, 4), dtype=complex)
    for actual, state in measure_outcomes(rho, (1, 2), n).items():
        for reported in ((0, 0), (0, 1), (1, 0), (1, 1)):
            weight = flip_probability(actual, reported, (measurement_fidelity, measurement_fidelity))
            correction = np.linalg.matrix_power(PAULI_Z, reported[0]) @ np.linalg.matrix_power(PAULI_X, reported[1])
            result += weight * evolve(partial_trace(state, [0, 3], n), np.kron(IDENTITY, correction))
    return bell_coefficients(result)


def teleport_circuit(resource: npt.ArrayLike, amplitudes: npt.ArrayLike) -> float:
    """Fidelity of teleporting ``amplitudes`` from qubit 0 to qubit 2 through ``resource`` on (1, 2)."""
    n = 3
    psi = ket_density(amplitudes)
    rho = np.kron(psi, bell_diagonal_matrix(resource))
    rho = evolve(rho, operator({0: HADAMARD}, n) @ cnot(0, 1, n))
    output = np.zeros((2, 2), dtype=complex)
    for (m0, m1), state in measure_outcomes(rho, (0, 1), n).items():
        correction = np.linalg.matrix_power(PAULI_Z, m0) @ np.linalg.matrix_power(PAULI_X, m1)
        output += evolve(partial_trace(state, [2], n), correction)
    return float(np.real(np.trace(psi @ output)))


def purification_circuit(
    kept: npt.ArrayLike,
    measured: npt.ArrayLike,
    *,
    rotate: bool,
    gate_fidelity_a: float = 1.0,
    gate_fidelity_b: float = 1.0,
    measurement_fidelity_a: float = 1.0,
    measurement_fidelity_b: float = 1.0,
) -> tuple[npt.NDArray[np.float64], float]:
    """(Bell coefficients of the kept pair given success, success probability) of a 2-to-1 round.

    Qubits: a1, b1 (kept pair), a2, b2 (measured pair). With ``rotate`` (DEJMPS) node a
    applies R_x(pi/2) and node b R_x(-pi/2) to both its qubits. Then CNOT a1 -> a2 and
    b1 -> b2; with probability 1 - p_a p_b the four qubits end maximally mixed
    (SeQUeNCe's gate-error model); a2 and b2 are measured in Z, each result reported
    wrongly with probability 1 - eta, and the round succeeds when the reports agree.
    """
    n = 4
    rho = np.kron(bell_diagonal_matrix(kept), bell_diagonal_matrix(measured))
    if rotate:
        plus, minus = rotation_x(np.pi / 2), rotation_x(-np.pi / 2)
        rho = evolve(rho, operator({0: plus, 2: plus, 1: minus, 3: minus}, n))
    rho = evolve(rho, cnot(0, 2, n) @ cnot(1, 3, n))
    both_perfect = gate_fidelity_a * gate_fidelity_b
    rho = both_perfect * rho + (1 - both_perfect) * np.eye(16) / 16
    kept_state = np.zeros((4, 4), dtype=complex)
    for actual, state in measure_outcomes(rho, (2, 3), n).items():
        for reported in ((0, 0), (1, 1)):
            weight = flip_probability(actual, reported, (measurement_fidelity_a, measurement_fidelity_b))
            kept_state += weight * partial_trace(state, [0, 1], n)
    success = float(np.real(np.trace(kept_state)))
    return bell_coefficients(kept_state / success), success
