"""Entropy helpers: binary entropy, the clipped privacy fraction, the thermal-state entropy."""

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from qkdn.keyrate.entropy import binary_entropy, privacy_fraction, thermal_entropy

probabilities = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def test_binary_entropy_known_values():
    assert binary_entropy(0.0) == 0.0
    assert binary_entropy(1.0) == 0.0
    assert binary_entropy(0.5) == 1.0
    by_hand = -0.11 * math.log2(0.11) - 0.89 * math.log2(0.89)  # 0.49991596...
    assert math.isclose(binary_entropy(0.11), by_hand, rel_tol=1e-14)
    assert math.isclose(by_hand, 0.49991596, abs_tol=1e-8)


@given(probabilities)
def test_binary_entropy_is_symmetric_and_bounded(p):
    value = binary_entropy(p)
    assert 0.0 <= value <= 1.0
    assert math.isclose(value, binary_entropy(1.0 - p), abs_tol=1e-12)


def test_binary_entropy_of_an_array_keeps_its_shape():
    values = binary_entropy(np.array([[0.0, 0.5], [0.25, 1.0]]))
    assert values.shape == (2, 2)
    assert math.isclose(values[1, 0], 0.8112781244591328, rel_tol=1e-12)  # h(1/4) = 2 - (3/4) log2 3


def test_privacy_fraction_is_one_minus_entropy_then_zero():
    assert math.isclose(privacy_fraction(0.1), 1.0 - binary_entropy(0.1), rel_tol=1e-15)
    assert privacy_fraction(0.0) == 1.0
    assert privacy_fraction(0.5) == 0.0
    assert privacy_fraction(0.9) == 0.0  # 1 - h(0.9) would be 0.53: clipped, no key above e = 1/2
    assert list(privacy_fraction(np.array([0.6, 0.7]))) == [0.0, 0.0]


def test_thermal_entropy_known_values():
    assert thermal_entropy(1.0) == 0.0  # vacuum: pure
    assert math.isclose(thermal_entropy(3.0), 2.0, rel_tol=1e-15)  # mean photon number 1: 2 log2 2
    n = 4.0  # nu = 2n + 1
    assert math.isclose(thermal_entropy(2 * n + 1), (n + 1) * math.log2(n + 1) - n * math.log2(n), rel_tol=1e-14)
