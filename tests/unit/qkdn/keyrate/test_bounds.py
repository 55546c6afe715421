"""PLOB and TGW bounds: known values, ordering, limits."""

import math

import pytest

from qkdn.keyrate.bounds import PLOBBoundModel, TGWBoundModel, plob_bound, tgw_bound
from qkdn.keyrate.hardware import GYS, hardware_preset


def test_known_values():
    """PLOB -log2(1 - eta) and TGW log2((1 + eta)/(1 - eta)) at eta = 0.01 and 0.5."""
    assert math.isclose(plob_bound(0.5), 1.0, rel_tol=1e-15)
    assert math.isclose(tgw_bound(0.5), math.log2(3.0), rel_tol=1e-15)
    assert math.isclose(plob_bound(0.01), 0.014499569695115, rel_tol=1e-12)  # 0.01005034 / ln 2
    assert math.isclose(tgw_bound(0.01), 0.028854862672185, rel_tol=1e-12)  # (0.0099503 + 0.0100503) / ln 2


def test_limits_and_ordering():
    assert plob_bound(0.0) == 0.0 and tgw_bound(0.0) == 0.0
    assert plob_bound(1.0) == math.inf and tgw_bound(1.0) == math.inf
    for eta in (1e-9, 1e-4, 0.1, 0.7, 0.999):
        assert plob_bound(eta) < tgw_bound(eta)
    # high-loss scaling: PLOB ~ eta / ln 2 = 1.44 eta, TGW ~ 2.88 eta
    assert math.isclose(plob_bound(1e-8), 1e-8 / math.log(2), rel_tol=1e-7)
    assert math.isclose(tgw_bound(1e-8), 2e-8 / math.log(2), rel_tol=1e-7)


def test_models_use_the_fibre_only():
    """Detectors are trusted: changing their efficiency does not change the bound."""
    weak_detectors = hardware_preset("gys", detector_efficiency=0.01)
    for model in (PLOBBoundModel(), TGWBoundModel()):
        assert model.is_bound
        assert model.evaluate(50.0, GYS).key_rate_per_pulse == model.evaluate(50.0, weak_detectors).key_rate_per_pulse
    eta = 10 ** (-0.21 * 50 / 10)
    assert PLOBBoundModel().evaluate(50.0, GYS).key_rate_per_pulse == pytest.approx(-math.log2(1 - eta), rel=1e-12)


def test_bound_is_infinite_at_zero_distance():
    point = PLOBBoundModel().evaluate(0.0, GYS)
    assert point.key_rate_per_pulse == math.inf and point.key_rate_bps == math.inf
