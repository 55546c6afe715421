"""Toeplitz hashing over GF(2): the universal hash family behind verification and privacy amplification.

A binary Toeplitz matrix ``T`` with ``n_out`` rows and ``n_in`` columns is fixed by
``n_in + n_out - 1`` seed bits (its first column and first row), ``T[i, j] =
seed[i - j + n_in - 1]``. The family of all such matrices is universal_2: for any two
different inputs ``x != x'``, a uniformly random seed gives ``T x = T x'`` with
probability exactly ``2**-n_out``. Privacy amplification uses it as a two-universal
extractor (leftover hash lemma); error verification uses it as a short tag whose
collision probability is ``2**-n_out``.

``T x`` is a slice of the linear convolution of ``seed`` with ``x``; it is computed by
FFT in ``O((n_in + n_out) log(n_in + n_out))`` instead of the ``O(n_in n_out)`` matrix
product, and reduced mod 2.

References:
    H. Krawczyk, "LFSR-based hashing and authentication", CRYPTO '94, LNCS 839,
    pp. 129-139 (1994) (Toeplitz hash family, collision probability 2^-m).
    Y. Mansour, N. Nisan, P. Tiwari, "The computational complexity of universal
    hashing", Theor. Comput. Sci. 107, 121-133 (1993) (Toeplitz matrices are universal_2).
"""

import numpy as np

from qnetsim.core.errors import ConfigError

#: Inputs at least this long are hashed by FFT; shorter ones by direct convolution.
_FFT_THRESHOLD = 256


def toeplitz_seed_length(n_in: int, n_out: int) -> int:
    """Number of seed bits that fix an ``n_out`` x ``n_in`` binary Toeplitz matrix."""
    if n_in < 1 or n_out < 0:
        raise ConfigError(f"toeplitz shape: needs n_in >= 1 and n_out >= 0; got n_in={n_in}, n_out={n_out}")
    return n_in + n_out - 1 if n_out > 0 else 0


def toeplitz_matrix(seed: np.ndarray, n_in: int, n_out: int) -> np.ndarray:
    """The dense ``n_out`` x ``n_in`` Toeplitz matrix of ``seed`` (for small cases and tests).

    Args:
        seed: ``n_in + n_out - 1`` bits (0/1); ``seed[n_in - 1 + i - j]`` is entry ``(i, j)``.
        n_in: number of columns (input length in bits).
        n_out: number of rows (output length in bits).

    Returns:
        uint8 array of shape ``(n_out, n_in)``.
    """
    seed = _bits(seed, "seed")
    _check_seed(seed, n_in, n_out)
    rows = np.arange(n_out)[:, None]
    cols = np.arange(n_in)[None, :]
    return seed[rows - cols + n_in - 1]


def toeplitz_hash(bits: np.ndarray, seed: np.ndarray, n_out: int) -> np.ndarray:
    """``T x mod 2`` for the Toeplitz matrix ``T`` of ``seed`` and the bit vector ``x = bits``.

    Args:
        bits: input bits (0/1), length ``n_in``.
        seed: ``n_in + n_out - 1`` seed bits (0/1), public.
        n_out: output length in bits.

    Returns:
        uint8 array of ``n_out`` bits.

    References:
        Krawczyk (1994); Mansour, Nisan, Tiwari (1993) (see module docstring).
    """
    bits = _bits(bits, "bits")
    seed = _bits(seed, "seed")
    n_in = bits.size
    _check_seed(seed, n_in, n_out)
    if n_out == 0:
        return np.zeros(0, dtype=np.uint8)
    # (seed * x)[n_in - 1 + i] = sum_j seed[n_in - 1 + i - j] x[j] = (T x)[i]
    if n_in < _FFT_THRESHOLD:
        counts = np.convolve(seed.astype(np.int64), bits.astype(np.int64))
        window = counts[n_in - 1 : n_in - 1 + n_out]
        return (window & 1).astype(np.uint8)
    from scipy.signal import fftconvolve  # imported on first use, as every scipy import of qkdn

    convolution = fftconvolve(seed.astype(np.float64), bits.astype(np.float64))
    window = convolution[n_in - 1 : n_in - 1 + n_out]
    counts = np.rint(window)
    # Every entry is an integer count <= n_in; a larger rounding residue means lost precision.
    assert np.max(np.abs(window - counts), initial=0.0) < 0.25, "FFT convolution lost integer precision"
    return (counts.astype(np.int64) & 1).astype(np.uint8)


def _bits(values: np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ConfigError(f"{name}: must be a one-dimensional bit array; got shape {array.shape}")
    if array.size and (array.min() < 0 or array.max() > 1):
        raise ConfigError(f"{name}: must hold only 0 and 1")
    return array.astype(np.uint8, copy=False)


def _check_seed(seed: np.ndarray, n_in: int, n_out: int) -> None:
    expected = toeplitz_seed_length(n_in, n_out)
    if seed.size != expected:
        raise ConfigError(f"seed: needs {expected} bits for a {n_out} x {n_in} Toeplitz matrix; got {seed.size}")
