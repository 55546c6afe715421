"""MDI-QKD: the rectilinear gains against a direct phase average, and the single-photon pair terms."""

import math

import numpy as np
import pytest
from scipy.integrate import quad

from qkdn.keyrate.hardware import GYS, hardware_preset
from qkdn.keyrate.mdi import MDIQKDModel, mdi_qkd_rate, rectilinear_gain_and_error, single_photon_pair_yield_and_error


def phase_averaged_z_gains(mu_a, mu_b, eta_a, eta_b, p_d):
    """Z-basis gains of a linear-optics Bell measurement, derived detector by detector.

    Orthogonal inputs (H from Alice, V from Bob, probability 1/2): a psi- needs one
    click in an H and one in a V detector at opposite outputs; each detector
    clicks with 1 - (1 - p_d) exp(-mean) and H, V modes do not interfere. Equal
    inputs (H and H): the pulses interfere with a random relative phase theta, so
    the H intensities at the two outputs are (a + b +- 2 sqrt(ab) cos theta) / 2
    and the V click is a dark count. Both Bell states psi+- are counted.
    """
    a, b = eta_a * mu_a, eta_b * mu_b
    no_dark = 1.0 - p_d

    def click(mean):
        return 1.0 - no_dark * math.exp(-mean)

    def silent(mean):
        return no_dark * math.exp(-mean)

    one_pattern = click(a / 2) * silent(a / 2) * click(b / 2) * silent(b / 2)
    correct = 0.5 * 2 * 2 * one_pattern  # P(orthogonal) x (psi+, psi-) x two detector pairs each

    def same_polarisation(theta):
        i1 = (a + b + 2 * math.sqrt(a * b) * math.cos(theta)) / 2
        i2 = a + b - i1
        h_pair = click(i1) * silent(i2) + click(i2) * silent(i1)
        return h_pair * p_d * no_dark / (2 * math.pi)

    error = 0.5 * 2 * quad(same_polarisation, 0.0, 2 * math.pi, epsabs=0, epsrel=1e-12)[0]
    return correct, error


@pytest.mark.parametrize(
    ("mu_a", "mu_b", "eta_a", "eta_b", "p_d"),
    [(0.4, 0.4, 0.1, 0.1, 1e-3), (0.3, 0.6, 0.02, 0.2, 1e-2), (0.5, 0.5, 1.0, 1.0, 0.0), (0.2, 0.2, 1e-4, 1e-4, 1e-6)],
)
def test_rectilinear_gains_match_a_direct_phase_average(mu_a, mu_b, eta_a, eta_b, p_d):
    """Q_C and Q_E of Xu, Curty, Qi, Lo, NJP 15, 113007 (2013) (the I0 Bessel form)
    against the detector-by-detector derivation with numerical phase averaging."""
    correct, error = phase_averaged_z_gains(mu_a, mu_b, eta_a, eta_b, p_d)
    e_d = 0.015
    gain, error_gain = rectilinear_gain_and_error(mu_a, mu_b, eta_a, eta_b, p_d, e_d)
    assert math.isclose(gain, correct + error, rel_tol=1e-9)
    assert math.isclose(error_gain, e_d * correct + (1 - e_d) * error, rel_tol=1e-9, abs_tol=1e-300)


def test_single_photon_pairs_without_dark_counts():
    """Y11 = eta_a eta_b / 2 (a linear-optics BSM identifies half the Bell states) and e11_X = e_d."""
    yield_11, error_11 = single_photon_pair_yield_and_error(0.3, 0.2, 0.0, 0.02)
    assert math.isclose(yield_11, 0.03)
    assert math.isclose(error_11, 0.02)


def test_gain_is_single_photon_pairs_at_low_intensity():
    """Without dark counts Q_Z -> mu_a mu_b Y11 as mu -> 0 (multi-photon terms are higher order)."""
    eta = 0.05
    yield_11, _ = single_photon_pair_yield_and_error(eta, eta, 0.0, 0.0)
    for mu in (1e-2, 1e-3):
        gain, _ = rectilinear_gain_and_error(mu, mu, eta, eta, 0.0, 0.0)
        assert math.isclose(gain, mu * mu * yield_11, rel_tol=2 * mu)


def test_rate_with_perfect_devices():
    """No errors: R = q mu^2 exp(-2 mu) eta^2 / 2, maximal at mu = 1."""
    eta = 0.1
    assert math.isclose(float(mdi_qkd_rate(1.0, eta, eta, 0.0, 0.0, 1.0)), 0.5 * math.exp(-2) * eta**2 / 2)
    point = MDIQKDModel().evaluate(100.0, hardware_preset("ideal"))
    assert point.optimal_mean_photon_number == pytest.approx(1.0, rel=1e-4)


def test_rate_is_symmetric_in_alice_and_bob():
    mu = np.array([0.2, 0.4])
    forward = mdi_qkd_rate(mu, 0.01, 0.03, 1e-6, 0.015, 1.16)
    backward = mdi_qkd_rate(mu, 0.03, 0.01, 1e-6, 0.015, 1.16)
    assert np.allclose(forward, backward, rtol=1e-12)


def test_gys_hardware_gives_a_key_with_qber_near_misalignment():
    point = MDIQKDModel().evaluate(20.0, GYS)
    assert point.key_rate_per_pulse > 0.0
    assert point.qber == pytest.approx(GYS.misalignment_error, rel=0.05)
