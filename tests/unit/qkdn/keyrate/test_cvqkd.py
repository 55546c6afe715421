"""GG02 CV-QKD: closed-form limits, detector noise, the modulation-variance optimum."""

import math

import numpy as np
import pytest

from qkdn.keyrate.cvqkd import GG02Model, detector_noise_snu, gg02_key_rate
from qkdn.keyrate.hardware import GYS, hardware_preset
from qnetsim.core.errors import ConfigError


def test_lossless_noiseless_link_leaks_nothing():
    """T = 1, xi = 0, eta = 1, v_el = 0: Eve's state is pure (chi_BE = 0), so K = beta I_AB with
    I_AB = (1/2) log2 V for homodyne and log2((V + 1)/2) for heterodyne (chi_het = 1: the
    heterodyne's beam splitter adds one unit of vacuum noise)."""
    v_a = 15.0
    homodyne = gg02_key_rate(v_a, 1.0, 0.0, 1.0, 0.0, 0.9, "homodyne")
    heterodyne = gg02_key_rate(v_a, 1.0, 0.0, 1.0, 0.0, 0.9, "heterodyne")
    assert math.isclose(homodyne, 0.9 * 0.5 * math.log2(16.0), rel_tol=1e-12)
    assert math.isclose(heterodyne, 0.9 * math.log2(17.0 / 2.0), rel_tol=1e-12)


def test_detector_noise():
    """chi_hom = (1 - eta + v_el)/eta, chi_het = (2 - eta + 2 v_el)/eta (Lodewyck 2007; Fossier 2009)."""
    assert detector_noise_snu("homodyne", 1.0, 0.0) == 0.0
    assert detector_noise_snu("heterodyne", 1.0, 0.0) == 1.0  # the extra vacuum of the heterodyne split
    assert math.isclose(detector_noise_snu("homodyne", 0.6, 0.01), 0.41 / 0.6)
    assert math.isclose(detector_noise_snu("heterodyne", 0.6, 0.01), 1.42 / 0.6)
    with pytest.raises(ConfigError, match="detection: must be 'homodyne' or 'heterodyne'; got 'balanced'"):
        detector_noise_snu("balanced", 0.6, 0.0)
    with pytest.raises(ConfigError, match="detection"):
        GG02Model(detection="balanced")


def test_rate_is_vectorised_over_modulation_variance():
    variances = np.array([1.0, 4.0, 20.0])
    rates = gg02_key_rate(variances, 0.3, 0.01, 0.6, 0.01, 0.95)
    for variance, rate in zip(variances, rates, strict=True):
        assert math.isclose(rate, float(gg02_key_rate(variance, 0.3, 0.01, 0.6, 0.01, 0.95)), rel_tol=1e-14)


def test_more_excess_noise_never_helps():
    rates = [GG02Model().evaluate(40.0, hardware_preset("gys", excess_noise_snu=xi)).key_rate_per_pulse
             for xi in (0.0, 0.01, 0.03, 0.06)]  # fmt: skip
    assert rates == sorted(rates, reverse=True)
    assert rates[0] > rates[-1]


def test_model_reports_modulation_variance_and_mean_photon_number():
    point = GG02Model().evaluate(50.0, GYS)
    variance = point.parameters["modulation_variance_snu"]
    assert 1.0 < variance < 100.0
    assert math.isclose(point.optimal_mean_photon_number, variance / 2.0)
    assert point.qber is None
    best = float(gg02_key_rate(variance, 10 ** (-0.21 * 5), 0.01, 0.6, 0.01, 0.95))
    for other in (0.8 * variance, 1.25 * variance):
        assert float(gg02_key_rate(other, 10 ** (-0.21 * 5), 0.01, 0.6, 0.01, 0.95)) < best
