"""BB84 with weak coherent pulses: the channel model, GLLP, and the two decoy-state estimates."""

import math

import numpy as np
import pytest
from scipy.stats import poisson

from qkdn.keyrate.bb84 import (
    DecoyBB84Model,
    GLLPBB84Model,
    VacuumWeakDecoyBB84Model,
    decoy_infinite_rate,
    gllp_rate,
    shor_preskill_rate,
    signal_gain_and_error,
    single_photon_yield_and_error,
    vacuum_weak_decoy_bounds,
)
from qkdn.keyrate.hardware import GYS, hardware_preset
from qnetsim.core.units import fibre_transmittance

Y0, E_DET = GYS.dark_count_probability, GYS.misalignment_error


def gys_transmittance(distance_km: float) -> float:
    return fibre_transmittance(distance_km, GYS.attenuation_db_per_km) * GYS.detector_efficiency


@pytest.mark.parametrize("mu", [0.05, 0.48, 0.9])
@pytest.mark.parametrize("distance_km", [0.0, 60.0, 140.0])
def test_gain_is_the_poisson_sum_of_photon_number_yields(mu, distance_km):
    """Q_mu = sum_n P_n Y_n and E_mu Q_mu = sum_n P_n e_n Y_n with Y_n = eta_n + Y0 (1 - eta_n),
    e_n Y_n = e_det eta_n + Y0 (1 - eta_n) / 2, eta_n = 1 - (1 - eta)^n (Lo, Ma, Chen 2005)."""
    eta = gys_transmittance(distance_km)
    n = np.arange(0, 60)
    eta_n = 1.0 - (1.0 - eta) ** n
    weights = poisson.pmf(n, mu)
    expected_gain = np.sum(weights * (eta_n + Y0 * (1.0 - eta_n)))
    expected_error_gain = np.sum(weights * (E_DET * eta_n + 0.5 * Y0 * (1.0 - eta_n)))
    gain, error_gain = signal_gain_and_error(mu, eta, Y0, E_DET)
    assert math.isclose(gain, expected_gain, rel_tol=1e-12)
    assert math.isclose(error_gain, expected_error_gain, rel_tol=1e-12)


def test_single_photon_yield_and_error_are_the_n_equals_one_terms():
    eta = gys_transmittance(50.0)
    yield_1, error_1 = single_photon_yield_and_error(eta, Y0, E_DET)
    assert math.isclose(yield_1, eta + Y0 * (1 - eta), rel_tol=1e-15)
    assert math.isclose(error_1 * yield_1, E_DET * eta + 0.5 * Y0 * (1 - eta), rel_tol=1e-15)
    assert single_photon_yield_and_error(0.0, 0.0, E_DET) == (0.0, 0.5)


@pytest.mark.parametrize("distance_km", [0.0, 50.0, 100.0, 130.0])
def test_vacuum_weak_bounds_are_bounds(distance_km):
    """Y1^L <= Y1 and e1^U >= e1 for every signal intensity mu > nu (Ma, Qi, Zhao, Lo 2005)."""
    eta = gys_transmittance(distance_km)
    yield_1, error_1 = single_photon_yield_and_error(eta, Y0, E_DET)
    mu = np.linspace(0.1, 0.9, 17)
    yield_lower, error_upper = vacuum_weak_decoy_bounds(mu, 0.05, eta, Y0, E_DET)
    assert np.all(yield_lower <= yield_1 * (1 + 1e-12))
    assert np.all(error_upper >= error_1 * (1 - 1e-12))


def test_vacuum_weak_bounds_become_tight_as_the_weak_decoy_vanishes():
    eta = gys_transmittance(80.0)
    yield_1, error_1 = single_photon_yield_and_error(eta, Y0, E_DET)
    yield_lower, error_upper = vacuum_weak_decoy_bounds(0.5, 1e-4, eta, Y0, E_DET)
    assert math.isclose(yield_lower, yield_1, rel_tol=1e-3)
    assert math.isclose(error_upper, error_1, rel_tol=1e-3)


def test_gllp_is_below_decoy_at_every_intensity():
    """GLLP attributes all multi-photon pulses to Eve; decoys measure the single-photon part."""
    mu = np.geomspace(1e-4, 1.0, 30)
    for distance_km in (0.0, 20.0, 40.0):
        eta = gys_transmittance(distance_km)
        gllp = gllp_rate(mu, eta, Y0, E_DET, GYS.error_correction_efficiency)
        decoy = decoy_infinite_rate(mu, eta, Y0, E_DET, GYS.error_correction_efficiency)
        assert np.all(gllp < decoy)


def test_shor_preskill_rate_end_points():
    assert shor_preskill_rate(0.0) == 1.0
    assert shor_preskill_rate(0.2) == 0.0
    assert math.isclose(shor_preskill_rate(0.05), 1 - 2 * (-0.05 * math.log2(0.05) - 0.95 * math.log2(0.95)))


@pytest.mark.parametrize("model", [DecoyBB84Model(), GLLPBB84Model(), VacuumWeakDecoyBB84Model()])
def test_qber_at_short_distance_is_the_misalignment_error(model):
    point = model.evaluate(0.0, GYS)
    assert point.qber == pytest.approx(E_DET, rel=0.03)  # plus a little from background clicks
    assert 0.0 < point.optimal_mean_photon_number < 1.0


def test_no_key_at_or_above_the_shor_preskill_threshold():
    """With perfect detectors and Shannon-limit error correction the decoy rate is
    q [Q1 (1 - h(e)) - Q h(e)] with Q1 < Q: positive for e = 10%, zero for e = 11.1% > 11.0%."""
    model = DecoyBB84Model()
    assert model.evaluate(10.0, hardware_preset("ideal", misalignment_error=0.10)).key_rate_per_pulse > 0.0
    above = model.evaluate(10.0, hardware_preset("ideal", misalignment_error=0.111))
    assert above.key_rate_per_pulse == 0.0
    assert above.qber is None and above.optimal_mean_photon_number is None


def test_vacuum_weak_reports_its_weak_decoy_and_signal_above_it():
    hardware = hardware_preset("gys", weak_decoy_mean_photon_number=0.2)
    point = VacuumWeakDecoyBB84Model().evaluate(20.0, hardware)
    assert point.parameters["weak_decoy_mean_photon_number"] == 0.2
    assert point.optimal_mean_photon_number > 0.2
