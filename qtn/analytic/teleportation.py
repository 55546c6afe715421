"""Fidelity of standard teleportation through a noisy Bell-diagonal resource pair.

Teleporting |psi> with the standard protocol (Bell measurement, two classical
bits, Pauli correction) through the resource (1 (x) sigma_k)|Phi+> delivers
sigma_k |psi> up to a global phase, so a Bell-diagonal resource with
coefficients p_k (order Phi+, Phi-, Psi+, Psi- = I, Z, X, Y) acts on the input
as the Pauli channel rho -> sum_k p_k sigma_k rho sigma_k. For an input with
Bloch vector n = (n_x, n_y, n_z), |<psi| sigma_k |psi>|^2 = n_k^2, so

    f(psi) = p_I + p_X n_x^2 + p_Y n_y^2 + p_Z n_z^2,

and averaging over the Bloch sphere (<n_k^2> = 1/3) gives

    f_avg = p_I + (1 - p_I)/3 = (2F + 1)/3,

the Horodecki formula for a resource of fully entangled fraction F. Perfect
local operations and classical communication are assumed.
"""

import numpy as np
import numpy.typing as npt

from qnetsim.core.errors import ConfigError
from qtn.analytic.bell_diagonal import (
    PHI_MINUS,
    PHI_PLUS,
    PSI_MINUS,
    PSI_PLUS,
    FloatOrArray,
    as_bell_diagonal,
    as_output,
    as_probability,
    first_bad_value,
)

_BLOCH_NORM_TOLERANCE = 1e-9


def teleportation_average_fidelity(fidelity: npt.ArrayLike) -> FloatOrArray:
    """Average fidelity of teleporting a uniformly random qubit state: (2F + 1)/3.

    Holds for a Werner resource of fidelity F and, more generally, for any
    resource whose fully entangled fraction is F (here: any Bell-diagonal state
    with Phi+ coefficient F >= 1/4, using the standard protocol). Above F = 1/2
    it beats the classical measure-and-prepare limit 2/3.

    Args:
        fidelity: F of the resource pair with |Phi+>, in [0, 1]; broadcasts.

    Returns:
        Average fidelity over the Haar measure of input states (dimensionless).

    References:
        M. Horodecki, P. Horodecki, R. Horodecki, Phys. Rev. A 60, 1888 (1999);
        S. Popescu, Phys. Rev. Lett. 72, 797 (1994).
    """
    return as_output((2.0 * as_probability(fidelity, "fidelity") + 1.0) / 3.0)


def bloch_vector(amplitudes: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Bloch vector (n_x, n_y, n_z) of pure qubit states a|0> + b|1>.

    n_x = 2 Re(conj(a) b), n_y = 2 Im(conj(a) b), n_z = |a|^2 - |b|^2, after
    normalising (a, b).

    Args:
        amplitudes: complex amplitudes ``(..., 2)``, not all zero.

    Returns:
        Real array ``(..., 3)`` of unit vectors.
    """
    psi = np.asarray(amplitudes, dtype=complex)
    if psi.ndim == 0 or psi.shape[-1] != 2:
        raise ConfigError(f"amplitudes: must have 2 complex amplitudes on the last axis; got shape {psi.shape}")
    norm = np.linalg.norm(psi, axis=-1, keepdims=True)
    if np.any(norm == 0):
        raise ConfigError("amplitudes: must not be the zero vector; got 0")
    a, b = np.moveaxis(psi / norm, -1, 0)
    coherence = np.conj(a) * b
    return np.stack([2.0 * coherence.real, 2.0 * coherence.imag, np.abs(a) ** 2 - np.abs(b) ** 2], axis=-1)


def teleportation_fidelity(resource: npt.ArrayLike, input_bloch_vector: npt.ArrayLike) -> FloatOrArray:
    """Fidelity of teleporting the pure state with Bloch vector n through a Bell-diagonal resource.

    f = p_I + p_X n_x^2 + p_Y n_y^2 + p_Z n_z^2, where p_I, p_Z, p_X, p_Y are the
    resource's coefficients for Phi+, Phi-, Psi+, Psi-. Standard protocol with
    perfect Bell measurement and corrections.

    Args:
        resource: Bell-diagonal coefficients of the shared pair, ``(..., 4)``.
        input_bloch_vector: unit Bloch vector(s) of the input state, ``(..., 3)``
            (see :func:`bloch_vector`); broadcasts against ``resource``.

    Returns:
        Fidelity <psi| rho_out |psi> (dimensionless).

    References:
        C. H. Bennett et al., Phys. Rev. Lett. 70, 1895 (1993) (protocol);
        M. Horodecki, P. Horodecki, R. Horodecki, Phys. Rev. A 60, 1888 (1999)
        (teleportation through mixed resources).
    """
    p = as_bell_diagonal(resource, "resource")
    n = np.asarray(input_bloch_vector, dtype=float)
    if n.ndim == 0 or n.shape[-1] != 3:
        raise ConfigError(f"input_bloch_vector: must have 3 components on the last axis; got shape {n.shape}")
    norm = np.linalg.norm(n, axis=-1)
    bad = ~(np.abs(norm - 1.0) <= _BLOCH_NORM_TOLERANCE)
    if np.any(bad):
        raise ConfigError(
            f"input_bloch_vector: must be a unit vector (pure state); got norm {first_bad_value(norm, bad)!r}"
        )
    squares = n**2
    return as_output(
        p[..., PHI_PLUS]
        + p[..., PSI_PLUS] * squares[..., 0]
        + p[..., PSI_MINUS] * squares[..., 1]
        + p[..., PHI_MINUS] * squares[..., 2]
    )
