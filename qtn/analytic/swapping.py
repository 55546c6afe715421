"""Entanglement swapping of Werner and Bell-diagonal pairs, as formulas.

A repeater holding qubits of two pairs (left: A-R, right: R-B) measures them in
the Bell basis and tells A and B the result; after the Pauli correction A-B
share a pair whose Pauli frame is the product of the two input frames. For
Bell-diagonal inputs this is an XOR convolution of the coefficients
(:func:`qtn.analytic.bell_diagonal.compose_pauli_errors`); for Werner inputs it
multiplies the Werner parameters, w = w1 w2, i.e.

    F = F1 F2 + (1 - F1)(1 - F2)/3.

Imperfect operations follow SeQUeNCe 1.3.1
(``entanglement_management/swapping/swapping_bds.py``,
``EntanglementSwappingA_BDS.swapping_res``), which is also the model of Duer et
al. (1999): each of the two single-qubit measurement results is wrong with
probability 1 - eta (a wrong result is an uncorrected Z or X error, both wrong is
Y), and with probability 1 - p_gate the gate leaves the new pair maximally mixed.
SeQUeNCe twirls both inputs and the output into Werner form by default
(``is_twirled=True``; the rules that create swapping protocols do not change it).
"""

import numpy as np
import numpy.typing as npt

from qnetsim.core.errors import ConfigError
from qtn.analytic.bell_diagonal import (
    FloatOrArray,
    as_bell_diagonal,
    as_output,
    as_probability,
    compose_pauli_errors,
    depolarise,
    werner_parameter,
)
from qtn.analytic.bell_diagonal import twirl as twirl_state


def werner_swap_fidelity(fidelity_left: npt.ArrayLike, fidelity_right: npt.ArrayLike) -> FloatOrArray:
    """Fidelity after ideally swapping two Werner pairs.

    F = F1 F2 + (1 - F1)(1 - F2)/3, equivalently w = w1 w2 with w = (4F - 1)/3.
    The result is again a Werner state, so the formula chains.

    Args:
        fidelity_left: F1 of one pair, in [0, 1]; broadcasts.
        fidelity_right: F2 of the other pair, in [0, 1].

    Returns:
        Fidelity of the swapped pair with |Phi+> (dimensionless).

    References:
        H.-J. Briegel, W. Duer, J. I. Cirac, P. Zoller, Phys. Rev. Lett. 81, 5932 (1998);
        W. Duer, H.-J. Briegel, J. I. Cirac, P. Zoller, Phys. Rev. A 59, 169 (1999).
    """
    f1 = as_probability(fidelity_left, "fidelity_left")
    f2 = as_probability(fidelity_right, "fidelity_right")
    return as_output(f1 * f2 + (1.0 - f1) * (1.0 - f2) / 3.0)


def swap_operation_factor(
    gate_fidelity: npt.ArrayLike = 1.0, measurement_fidelity: npt.ArrayLike = 1.0
) -> FloatOrArray:
    """Factor by which an imperfect swap scales the Werner parameter: p_gate (4 eta^2 - 1)/3.

    Measurement errors turn a Werner pair of parameter w into a Bell-diagonal pair
    of fidelity eta^2 F + (1 - eta^2)(1 - F)/3, whose Werner parameter (after
    twirling) is w (4 eta^2 - 1)/3; the gate's depolarisation multiplies by p_gate.

    Args:
        gate_fidelity: p_gate, SeQUeNCe's ``Node.gate_fid`` (dimensionless, [0, 1]).
        measurement_fidelity: eta, SeQUeNCe's ``Node.meas_fid`` ([0, 1]).

    References:
        W. Duer, H.-J. Briegel, J. I. Cirac, P. Zoller, Phys. Rev. A 59, 169 (1999).
    """
    gate = as_probability(gate_fidelity, "gate_fidelity")
    meas = as_probability(measurement_fidelity, "measurement_fidelity")
    return as_output(gate * (4.0 * meas**2 - 1.0) / 3.0)


def werner_chain_fidelity(
    fidelity: npt.ArrayLike,
    n_links: npt.ArrayLike,
    gate_fidelity: npt.ArrayLike = 1.0,
    measurement_fidelity: npt.ArrayLike = 1.0,
) -> FloatOrArray:
    """End-to-end fidelity of a chain of ``n_links`` Werner pairs joined by n - 1 swaps.

    F_n = 1/4 + (3/4) w^n s^(n - 1),   w = (4F - 1)/3,   s = p_gate (4 eta^2 - 1)/3.

    Every swap multiplies Werner parameters (and by s when imperfect), so the
    result does not depend on the order of the swaps. It is exactly what SeQUeNCe
    delivers with twirled swapping and no decoherence; untwirled imperfect swaps
    give a different (non-Werner) state, see :func:`swap_chain`.

    Args:
        fidelity: F of every elementary link, in [0, 1].
        n_links: number of elementary links (>= 1).
        gate_fidelity: p_gate of every repeater.
        measurement_fidelity: eta of every repeater.

    Returns:
        Fidelity of the end-to-end pair with |Phi+>.

    References:
        H.-J. Briegel, W. Duer, J. I. Cirac, P. Zoller, Phys. Rev. Lett. 81, 5932 (1998);
        W. Duer, H.-J. Briegel, J. I. Cirac, P. Zoller, Phys. Rev. A 59, 169 (1999).
    """
    links = np.asarray(n_links)
    if not np.issubdtype(links.dtype, np.integer) or np.any(links < 1):
        raise ConfigError(f"n_links: must be an integer >= 1; got {n_links!r}")
    w = np.asarray(werner_parameter(fidelity))
    s = np.asarray(swap_operation_factor(gate_fidelity, measurement_fidelity))
    return as_output(0.25 + 0.75 * w**links * s ** (links - 1))


def measurement_error_distribution(measurement_fidelity: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Pauli-error distribution [I, Z, X, Y] left by two independent wrong Bell-measurement bits.

    Each of the two single-qubit measurements in the Bell measurement reports the
    wrong value with probability 1 - eta; one wrong bit leaves a Z or an X error,
    two leave Y: ``[eta^2, eta (1 - eta), eta (1 - eta), (1 - eta)^2]``.

    Args:
        measurement_fidelity: eta in [0, 1]; any shape.

    Returns:
        Array of shape ``eta.shape + (4,)``.
    """
    eta = as_probability(measurement_fidelity, "measurement_fidelity")
    one_wrong = eta * (1.0 - eta)
    return np.stack([eta**2, one_wrong, one_wrong, (1.0 - eta) ** 2], axis=-1)


def bell_diagonal_swap(
    left: npt.ArrayLike,
    right: npt.ArrayLike,
    gate_fidelity: npt.ArrayLike = 1.0,
    measurement_fidelity: npt.ArrayLike = 1.0,
    *,
    twirl: bool = True,
) -> npt.NDArray[np.float64]:
    """Bell-diagonal state after swapping two Bell-diagonal pairs, exactly as SeQUeNCe 1.3.1 does.

    With inputs a (left) and b (right), in the order [Phi+, Phi-, Psi+, Psi-]:

        c_k = sum_i a_i b_(i XOR k)                 (perfect swap: frames multiply)
        d   = c convolved with [eta^2, eta(1-eta), eta(1-eta), (1-eta)^2]
        out = p_gate d + (1 - p_gate)/4

    Written out, out_Phi+ = p_gate (eta^2 c_I + eta(1-eta)(c_X + c_Z) + (1-eta)^2 c_Y)
    + (1 - p_gate)/4, as in ``EntanglementSwappingA_BDS.swapping_res``. With
    ``twirl`` both inputs are first replaced by Werner states of the same
    fidelity and the output is twirled as well (SeQUeNCe's default
    ``is_twirled=True``). The swap's success probability (``success_prob``) is not
    part of the state map.

    Args:
        left: coefficients of one pair, shape ``(..., 4)``.
        right: coefficients of the other pair, broadcast against ``left``.
        gate_fidelity: p_gate of the swapping node (``Node.gate_fid``), [0, 1].
        measurement_fidelity: eta of the swapping node (``Node.meas_fid``), [0, 1].
        twirl: twirl inputs and output into Werner form (SeQUeNCe's default).

    Returns:
        Coefficients of the new pair, shape ``broadcast(left, right)``.

    References:
        W. Duer, H.-J. Briegel, J. I. Cirac, P. Zoller, Phys. Rev. A 59, 169 (1999);
        SeQUeNCe 1.3.1, ``sequence/entanglement_management/swapping/swapping_bds.py``.
    """
    a = as_bell_diagonal(left, "left")
    b = as_bell_diagonal(right, "right")
    if twirl:
        a, b = twirl_state(a), twirl_state(b)
    perfect = compose_pauli_errors(a, b)
    measured = compose_pauli_errors(perfect, measurement_error_distribution(measurement_fidelity))
    out = depolarise(measured, as_probability(gate_fidelity, "gate_fidelity"))
    return twirl_state(out) if twirl else out


def swap_chain(
    states: npt.ArrayLike,
    gate_fidelity: npt.ArrayLike = 1.0,
    measurement_fidelity: npt.ArrayLike = 1.0,
    *,
    twirl: bool = True,
) -> npt.NDArray[np.float64]:
    """End-to-end state of a chain of Bell-diagonal links joined by swaps, left to right.

    Folds :func:`bell_diagonal_swap` over the links. Every step is a convolution or
    a depolarisation, which commute, so without twirling the result does not
    depend on the swapping order; with twirling its fidelity does not either (the
    Phi+ coefficient of a convolution with a Werner state depends only on the
    fidelities).

    Args:
        states: link coefficients, shape ``(..., n_links, 4)`` with ``n_links >= 1``.
        gate_fidelity: p_gate of every repeater.
        measurement_fidelity: eta of every repeater.
        twirl: SeQUeNCe's ``is_twirled`` (default True).

    Returns:
        Coefficients of the end-to-end pair, shape ``(..., 4)``.

    References:
        W. Duer, H.-J. Briegel, J. I. Cirac, P. Zoller, Phys. Rev. A 59, 169 (1999).
    """
    links = as_bell_diagonal(states, "states")
    if links.ndim < 2 or links.shape[-2] < 1:
        raise ConfigError(f"states: must have shape (..., n_links, 4) with n_links >= 1; got {links.shape}")
    result = links[..., 0, :]
    for index in range(1, links.shape[-2]):
        result = bell_diagonal_swap(result, links[..., index, :], gate_fidelity, measurement_fidelity, twirl=twirl)
    return result
