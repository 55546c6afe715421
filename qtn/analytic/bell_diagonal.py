"""Bell-diagonal two-qubit states: the convention shared by every analytic model here.

A Bell-diagonal state is a mixture of the four Bell states. We store its four
coefficients along the last axis of a numpy array, in SeQUeNCe's storage order::

    index:          0      1      2      3
    Bell state:   Phi+   Phi-   Psi+   Psi-
    Pauli error:    I      Z      X      Y

"Pauli error" is the single-qubit Pauli that, applied to either qubit of
``|Phi+>``, gives that Bell state (``Y`` up to a global phase). This is the order
of ``sequence.kernel.quantum_state.BellDiagonalState`` ("Phi+, Phi-, Psi+, Psi-
(i.e. I, Z, X, Y errors)"), of the raw pairs written by
``SingleHeraldedA.update_memory`` (``[raw_fidelity, z, x, y]``), of the
decoherence matrix in ``Memory.bds_decohere`` and of the DEJMPS code.
SeQUeNCe's swapping code (``swapping_bds.py``) names its intermediate sums
``c_I, c_X, c_Z, c_Y`` for positions 0..3, i.e. with X and Z swapped; its map is
symmetric under exchanging positions 1 and 2, so the result is the same in the
documented order (checked in the tests).

With this order the index is ``2 * x_bit + z_bit`` of the Pauli error, so
composing two Pauli errors is XOR of indices and the distribution of the product
of independent errors is an XOR convolution (:func:`compose_pauli_errors`). All
maps below (swapping, Pauli decoherence, measurement flips) are such
convolutions.

Arrays broadcast: a batch of states has shape ``(..., 4)``; scalar parameters
give Python floats back.
"""

from typing import Any

import numpy as np
import numpy.typing as npt

from qnetsim.core.errors import ConfigError

#: Names of the Bell states in storage order.
BELL_STATE_ORDER: tuple[str, ...] = ("Phi+", "Phi-", "Psi+", "Psi-")
#: The Pauli error that maps |Phi+> to each Bell state, in storage order.
PAULI_ERROR_ORDER: tuple[str, ...] = ("I", "Z", "X", "Y")
PHI_PLUS, PHI_MINUS, PSI_PLUS, PSI_MINUS = 0, 1, 2, 3

#: Tolerance on the normalisation of coefficients given by callers.
NORMALISATION_TOLERANCE = 1e-9

# _XOR_TABLE[i, j, k] = 1 when Pauli i times Pauli j is Pauli k (up to phase).
_XOR_TABLE = np.array([[[1.0 if i ^ j == k else 0.0 for k in range(4)] for j in range(4)] for i in range(4)])

FloatOrArray = float | npt.NDArray[np.float64]


def as_output(value: npt.ArrayLike) -> FloatOrArray:
    """A Python float for 0-d results, otherwise the float array itself."""
    array = np.asarray(value, dtype=float)
    return float(array) if array.ndim == 0 else array


def first_bad_value(values: npt.NDArray[np.float64], bad: npt.NDArray[np.bool_]) -> Any:
    """The first element of ``values`` where ``bad`` is true (for error messages)."""
    values = np.asarray(values)
    return values[bad].flat[0].item() if values.ndim else values.item()


def as_probability(value: npt.ArrayLike, name: str) -> npt.NDArray[np.float64]:
    """``value`` as a float array, each element checked to lie in [0, 1].

    Raises:
        ConfigError: naming ``name`` and the first bad value.
    """
    array = np.asarray(value, dtype=float)
    bad = ~((array >= 0.0) & (array <= 1.0))
    if np.any(bad):
        raise ConfigError(f"{name}: must be in [0, 1]; got {first_bad_value(array, bad)!r}")
    return array


def as_non_negative(value: npt.ArrayLike, name: str) -> npt.NDArray[np.float64]:
    """``value`` as a float array, each element checked to be >= 0 (inf allowed).

    Raises:
        ConfigError: naming ``name`` and the first bad value.
    """
    array = np.asarray(value, dtype=float)
    bad = ~(array >= 0.0)
    if np.any(bad):
        raise ConfigError(f"{name}: must be >= 0; got {first_bad_value(array, bad)!r}")
    return array


def as_positive(value: npt.ArrayLike, name: str) -> npt.NDArray[np.float64]:
    """``value`` as a float array, each element checked to be > 0 (inf allowed).

    Raises:
        ConfigError: naming ``name`` and the first bad value.
    """
    array = np.asarray(value, dtype=float)
    bad = ~(array > 0.0)
    if np.any(bad):
        raise ConfigError(f"{name}: must be > 0; got {first_bad_value(array, bad)!r}")
    return array


def as_bell_diagonal(state: npt.ArrayLike, name: str = "state") -> npt.NDArray[np.float64]:
    """``state`` as a float array of Bell-diagonal coefficients, shape ``(..., 4)``, checked.

    Each coefficient must lie in [0, 1] and each state's coefficients must sum to
    1 within :data:`NORMALISATION_TOLERANCE`.

    Raises:
        ConfigError: naming ``name`` and what is wrong.
    """
    array = np.asarray(state, dtype=float)
    if array.ndim == 0 or array.shape[-1] != 4:
        raise ConfigError(f"{name}: must have 4 Bell-diagonal coefficients on its last axis; got shape {array.shape}")
    as_probability(array, name)
    total = array.sum(axis=-1)
    bad = ~(np.abs(total - 1.0) <= NORMALISATION_TOLERANCE)
    if np.any(bad):
        raise ConfigError(f"{name}: coefficients must sum to 1; got sum {first_bad_value(total, bad)!r}")
    return array


def werner_state(fidelity: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Bell-diagonal coefficients of the Werner state of fidelity F with |Phi+>.

    rho_W = F |Phi+><Phi+| + (1 - F)/3 (1 - |Phi+><Phi+|), so the coefficients are
    ``[F, (1 - F)/3, (1 - F)/3, (1 - F)/3]``.

    Args:
        fidelity: F, in [0, 1] (dimensionless); any shape.

    Returns:
        Array of shape ``fidelity.shape + (4,)``.

    References:
        R. F. Werner, Phys. Rev. A 40, 4277 (1989).
    """
    fid = as_probability(fidelity, "fidelity")
    rest = (1.0 - fid) / 3.0
    return np.stack([fid, rest, rest, rest], axis=-1)


def werner_parameter(fidelity: npt.ArrayLike) -> FloatOrArray:
    """Werner parameter w = (4F - 1)/3 of a Werner state of fidelity F.

    rho_W = w |Phi+><Phi+| + (1 - w) 1/4: the weight of the pure Bell state in a
    mixture with white noise. Swapping multiplies w, depolarising scales it.

    Args:
        fidelity: F, in [0, 1]; any shape.

    Returns:
        w, in [-1/3, 1].

    References:
        W. Duer, H.-J. Briegel, J. I. Cirac, P. Zoller, Phys. Rev. A 59, 169 (1999).
    """
    return as_output((4.0 * as_probability(fidelity, "fidelity") - 1.0) / 3.0)


def fidelity_from_werner_parameter(werner: npt.ArrayLike) -> FloatOrArray:
    """Fidelity F = 1/4 + 3w/4 of the Werner state with parameter w (inverse of :func:`werner_parameter`)."""
    w = np.asarray(werner, dtype=float)
    bad = ~((w >= -1.0 / 3.0 - 1e-15) & (w <= 1.0))
    if np.any(bad):
        raise ConfigError(f"werner: must be in [-1/3, 1]; got {first_bad_value(w, bad)!r}")
    return as_output(0.25 + 0.75 * w)


def twirl(state: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Depolarising twirl: keep the Phi+ coefficient F, spread 1 - F evenly over the others.

    Applying a random bilateral rotation U (x) U* (U Haar-random, or drawn from
    the 12 bilateral rotations of Bennett et al.) turns any state into the
    Werner state of the same fidelity. SeQUeNCe's ``is_twirled`` swapping and its
    BBPSSW do this on the coefficients.

    References:
        C. H. Bennett et al., Phys. Rev. Lett. 76, 722 (1996).
    """
    coefficients = as_bell_diagonal(state)
    return werner_state(coefficients[..., PHI_PLUS])


def compose_pauli_errors(first: npt.ArrayLike, second: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Distribution of the product of two independent Pauli errors (XOR convolution).

    ``result[k] = sum_i first[i] * second[i XOR k]`` with indices in the
    I, Z, X, Y order of this module. Applied to Bell-diagonal coefficients it is
    (a) the state after swapping two Bell-diagonal pairs with perfect operations
    (the Bell measurement result and Pauli correction carry the two Pauli frames
    onto the new pair), and (b) the state after a Pauli channel with error
    probabilities ``second`` acts on one qubit of the pair ``first``.

    Args:
        first: coefficients or error probabilities, shape ``(..., 4)``.
        second: same, broadcast against ``first``.

    Returns:
        Array of shape ``broadcast(first, second)``.

    References:
        W. Duer, H.-J. Briegel, J. I. Cirac, P. Zoller, Phys. Rev. A 59, 169 (1999).
    """
    a = as_bell_diagonal(first, "first")
    b = as_bell_diagonal(second, "second")
    return np.einsum("...i,...j,ijk->...k", a, b, _XOR_TABLE)


def depolarise(state: npt.ArrayLike, keep_probability: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """With probability ``1 - keep_probability`` replace the pair by the maximally mixed state.

    ``result = q * state + (1 - q)/4``: SeQUeNCe's model of an imperfect gate
    (``gate_fid``) in swapping and purification.

    Args:
        state: Bell-diagonal coefficients, shape ``(..., 4)``.
        keep_probability: q in [0, 1] (dimensionless).
    """
    coefficients = as_bell_diagonal(state)
    keep = as_probability(keep_probability, "keep_probability")[..., np.newaxis]
    return keep * coefficients + (1.0 - keep) / 4.0


def fidelity(state: npt.ArrayLike) -> FloatOrArray:
    """Fidelity with |Phi+>: the first coefficient."""
    return as_output(as_bell_diagonal(state)[..., PHI_PLUS])
