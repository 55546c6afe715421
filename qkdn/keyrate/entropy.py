"""Entropy functions shared by the key-rate models.

Both accept numbers or numpy arrays (the optimisers evaluate a model on a grid
of intensities at once) and handle the end points exactly: 0 log 0 = 0.
"""

import math

import numpy as np
from numpy.typing import ArrayLike

_LN2 = math.log(2.0)


def binary_entropy(probability: ArrayLike) -> np.ndarray | float:
    """Shannon entropy of a biased coin, in bits.

    h(p) = -p log2 p - (1 - p) log2 (1 - p), with h(0) = h(1) = 0 and h(1/2) = 1.

    Args:
        probability: p in [0, 1] (number or array).

    Returns:
        h(p) in bits, a float for a scalar input.
    """
    from scipy.special import xlogy  # scipy is imported on first use: runs without QKD never load it

    p = np.asarray(probability, dtype=float)
    value = -(xlogy(p, p) + xlogy(1.0 - p, 1.0 - p)) / _LN2
    return float(value) if value.ndim == 0 else value


def privacy_fraction(phase_error_rate: ArrayLike) -> np.ndarray | float:
    """Secret fraction 1 - h(e) of the bits whose phase error rate is e, zero for e >= 1/2.

    Beyond e = 1/2 the formula 1 - h(e) would rise again; no key can be distilled
    there (the eavesdropper may know everything), so the fraction is held at zero.

    Args:
        phase_error_rate: e (number or array); values above 1/2 are clipped to 1/2.

    Returns:
        1 - h(min(e, 1/2)), a float for a scalar input.
    """
    e = np.minimum(np.asarray(phase_error_rate, dtype=float), 0.5)
    value = 1.0 - np.asarray(binary_entropy(e))
    return float(value) if value.ndim == 0 else value


def thermal_entropy(symplectic_eigenvalue: ArrayLike) -> np.ndarray | float:
    """Von Neumann entropy, in bits, of a Gaussian mode with symplectic eigenvalue nu.

    g(x) = (x + 1) log2(x + 1) - x log2 x with x = (nu - 1) / 2, the mean photon
    number of the thermal state; nu = 1 (vacuum units) is a pure state, g = 0.

    Args:
        symplectic_eigenvalue: nu >= 1 in shot-noise units (number or array).

    Returns:
        g((nu - 1) / 2) in bits, a float for a scalar input.

    References:
        Weedbrook et al., "Gaussian quantum information", Rev. Mod. Phys. 84, 621
        (2012): entropy of a Gaussian state from its symplectic spectrum.
    """
    from scipy.special import xlogy

    x = np.maximum((np.asarray(symplectic_eigenvalue, dtype=float) - 1.0) / 2.0, 0.0)
    value = (xlogy(x + 1.0, x + 1.0) - xlogy(x, x)) / _LN2
    return float(value) if value.ndim == 0 else value
