"""Toeplitz hashing over GF(2): agrees with the matrix product, is linear, and is universal_2."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import toeplitz

from qkdn.photon.toeplitz import toeplitz_hash, toeplitz_matrix, toeplitz_seed_length
from qnetsim.core.errors import ConfigError


def bit_arrays(n: int) -> st.SearchStrategy[np.ndarray]:
    return st.lists(st.integers(0, 1), min_size=n, max_size=n).map(lambda bits: np.array(bits, dtype=np.uint8))


@st.composite
def hash_cases(draw: st.DrawFn, max_in: int = 40) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    n_in = draw(st.integers(1, max_in))
    n_out = draw(st.integers(1, n_in))
    return draw(bit_arrays(n_in)), draw(bit_arrays(n_in)), draw(bit_arrays(n_in + n_out - 1)), n_out


def test_matrix_is_the_toeplitz_matrix_of_its_first_column_and_row():
    rng = np.random.default_rng(0)
    n_in, n_out = 7, 4
    seed = rng.integers(0, 2, toeplitz_seed_length(n_in, n_out), dtype=np.uint8)
    first_column = seed[n_in - 1 :]
    first_row = seed[n_in - 1 :: -1]
    np.testing.assert_array_equal(toeplitz_matrix(seed, n_in, n_out), toeplitz(first_column, first_row))


@pytest.mark.parametrize(("n_in", "n_out"), [(1, 1), (5, 3), (64, 64), (255, 17), (256, 40), (3000, 1000)])
def test_hash_equals_the_direct_matrix_product_mod_2(n_in, n_out):
    """Both the direct (short input) and the FFT (n_in >= 256) paths give T x mod 2."""
    rng = np.random.default_rng(n_in + n_out)
    seed = rng.integers(0, 2, toeplitz_seed_length(n_in, n_out), dtype=np.uint8)
    bits = rng.integers(0, 2, n_in, dtype=np.uint8)
    expected = (toeplitz_matrix(seed, n_in, n_out).astype(np.int64) @ bits) % 2
    np.testing.assert_array_equal(toeplitz_hash(bits, seed, n_out), expected)


@given(hash_cases())
@settings(max_examples=60, deadline=None)
def test_hash_is_linear_over_gf2(case):
    x, y, seed, n_out = case
    np.testing.assert_array_equal(
        toeplitz_hash(x ^ y, seed, n_out), toeplitz_hash(x, seed, n_out) ^ toeplitz_hash(y, seed, n_out)
    )


def test_collision_probability_of_two_fixed_inputs_is_two_to_the_minus_n_out():
    """Universal_2: P_seed[T x = T x'] = 2^-m for x != x' (Krawczyk 1994; Mansour et al. 1993).

    10,000 random seeds, m = 4: expected 625 collisions, binomial standard deviation 24.2;
    the count must lie within 4 standard deviations.
    """
    rng = np.random.default_rng(1)
    n_in, n_out, n_seeds = 120, 4, 10_000
    x = rng.integers(0, 2, n_in, dtype=np.uint8)
    other = x.copy()
    other[[3, 100]] ^= 1
    collisions = 0
    for _ in range(n_seeds):
        seed = rng.integers(0, 2, toeplitz_seed_length(n_in, n_out), dtype=np.uint8)
        collisions += bool(np.array_equal(toeplitz_hash(x, seed, n_out), toeplitz_hash(other, seed, n_out)))
    expected = n_seeds * 2.0**-n_out
    assert abs(collisions - expected) <= 4 * np.sqrt(expected * (1 - 2.0**-n_out))


def test_bad_shapes_and_values_raise_config_errors():
    with pytest.raises(ConfigError, match="seed: needs 5 bits"):
        toeplitz_hash(np.zeros(3, dtype=np.uint8), np.zeros(4, dtype=np.uint8), 3)
    with pytest.raises(ConfigError, match="bits: must hold only 0 and 1"):
        toeplitz_hash(np.array([0, 2]), np.zeros(2, dtype=np.uint8), 1)
    with pytest.raises(ConfigError, match="n_in >= 1"):
        toeplitz_seed_length(0, 1)
