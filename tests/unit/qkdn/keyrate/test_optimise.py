"""The log-scale maximiser used for every intensity optimisation."""

import math

import numpy as np
import pytest

from qkdn.keyrate.optimise import maximise_on_log_scale


@pytest.mark.parametrize("peak", [1e-6, 3.7e-3, 0.48, 12.0])
def test_finds_an_interior_maximum_anywhere_in_the_range(peak):
    def rate(x):
        return 1.0 - (np.log(x) - math.log(peak)) ** 2

    argmax, maximum = maximise_on_log_scale(rate, 1e-7, 1e2)
    assert math.isclose(argmax, peak, rel_tol=1e-6)
    assert math.isclose(maximum, 1.0, rel_tol=1e-12)


def test_maximum_at_the_upper_end():
    argmax, maximum = maximise_on_log_scale(lambda x: x, 1e-3, 10.0)
    assert math.isclose(argmax, 10.0, rel_tol=1e-6)
    assert math.isclose(maximum, argmax, rel_tol=1e-15)


def test_nan_counts_as_no_key():
    def rate(x):
        return np.where(x < 1.0, np.nan, -((x - 2.0) ** 2))

    argmax, maximum = maximise_on_log_scale(rate, 1e-3, 10.0)
    assert math.isclose(argmax, 2.0, rel_tol=1e-6)
    assert maximum <= 0.0


def test_bad_range_is_rejected():
    with pytest.raises(ValueError):
        maximise_on_log_scale(lambda x: x, 0.0, 1.0)
    with pytest.raises(ValueError):
        maximise_on_log_scale(lambda x: x, 2.0, 1.0)
