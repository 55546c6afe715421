"""Decoy tallies, the vacuum + weak decoy bounds on them, the block key length and the source options."""

import math

import numpy as np
import pytest
from pydantic import ValidationError

from qkdn.keyrate.bb84 import signal_gain_and_error, vacuum_weak_decoy_bounds
from qkdn.keyrate.tallies import DecoyTallies
from qkdn.photon.config import PhotonSourceConfig
from qkdn.photon.decoy import asymptotic_decoy_secret_length, decoy_tallies, estimate_single_photon_part
from qnetsim.core.errors import ConfigError

INTENSITIES = (0.5, 0.1, 0.0)
PROBABILITIES = (0.7, 0.2, 0.1)


def test_tallies_count_detections_and_errors_per_intensity():
    tallies = decoy_tallies(
        INTENSITIES,
        PROBABILITIES,
        key_intensities=np.array([0, 0, 1, 2, 0], dtype=np.uint8),
        key_errors=np.array([False, True, True, False, False]),
        test_intensities=np.array([1, 1, 0], dtype=np.uint8),
        test_errors=np.array([True, False, False]),
        pulses_sent=100,
    )
    assert tallies.key_detections == (3, 1, 1) and tallies.key_errors == (1, 1, 0)
    assert tallies.test_detections == (1, 2, 0) and tallies.test_errors == (0, 1, 0)
    assert tallies.key_bits == 5 and tallies.pulses_sent == 100


def expected_tallies(n_pulses: float, eta: float, y0: float, e_det: float, z_probability: float) -> DecoyTallies:
    """Expected counts (as numbers) of a link whose gains follow Lo, Ma, Chen (2005)."""
    gains, error_gains = signal_gain_and_error(np.array(INTENSITIES), eta, y0, e_det)
    z, x = n_pulses * z_probability**2, n_pulses * (1 - z_probability) ** 2
    return DecoyTallies(
        INTENSITIES, PROBABILITIES,
        tuple(z * p * q for p, q in zip(PROBABILITIES, gains, strict=True)),
        tuple(z * p * q for p, q in zip(PROBABILITIES, error_gains, strict=True)),
        tuple(x * p * q for p, q in zip(PROBABILITIES, gains, strict=True)),
        tuple(x * p * q for p, q in zip(PROBABILITIES, error_gains, strict=True)),
        int(n_pulses),
    )  # fmt: skip


@pytest.mark.parametrize("z_probability", [0.5, 0.8])
def test_bounds_on_expected_counts_are_those_of_ma_et_al(z_probability):
    """On exact expected counts the estimate equals Ma, Qi, Zhao, Lo (2005)'s Y1^L and e1^U for the channel."""
    eta, y0, e_det, n_pulses = 0.1, 1e-5, 0.015, 1e9
    estimate = estimate_single_photon_part(expected_tallies(n_pulses, eta, y0, e_det, z_probability))
    yield_lower, error_upper = vacuum_weak_decoy_bounds(0.5, 0.1, eta, y0, e_det)
    matched_z = n_pulses * z_probability**2
    assert estimate.single_photon_yield_counts / matched_z == pytest.approx(float(yield_lower), rel=1e-9)
    assert estimate.single_photon_error_upper == pytest.approx(float(error_upper), rel=1e-9)
    assert estimate.yields_per_pulse(matched_z)[0] == pytest.approx(y0)
    tau_1 = sum(p * mu * math.exp(-mu) for mu, p in zip(INTENSITIES, PROBABILITIES, strict=True))
    assert estimate.single_photon_events == pytest.approx(tau_1 * matched_z * float(yield_lower))


def test_key_length_is_the_gllp_form_with_decoy_bounds():
    """l = floor(r [s0 + s1 (1 - h(e1))] - leak - t) (Lim et al. 2014, Eq. (1), asymptotic)."""
    estimate = estimate_single_photon_part(expected_tallies(1e6, 0.1, 1e-5, 0.015, 0.5))
    h = -estimate.single_photon_error_upper * math.log2(estimate.single_photon_error_upper) - (
        1 - estimate.single_photon_error_upper
    ) * math.log2(1 - estimate.single_photon_error_upper)
    private = estimate.vacuum_events + estimate.single_photon_events * (1 - h)
    assert asymptotic_decoy_secret_length(estimate, 0.9, 100.0, 40) == math.floor(0.9 * private - 140)
    assert asymptotic_decoy_secret_length(estimate, 0.9, 1e9, 40) == 0


def test_no_certified_single_photons_give_no_key():
    """A block whose decoy counts are too low to certify Y1 > 0 gets e1 = 1/2 and no key."""
    tallies = DecoyTallies(INTENSITIES, PROBABILITIES, (1000, 0, 0), (10, 0, 0), (1000, 0, 0), (10, 0, 0), 10**6)
    estimate = estimate_single_photon_part(tallies)
    assert estimate.single_photon_events == 0.0 and estimate.single_photon_error_upper == 0.5
    assert asymptotic_decoy_secret_length(estimate, 0.9, 0.0, 0) == 0


def test_bounds_refuse_a_non_vacuum_third_intensity():
    tallies = DecoyTallies((0.5, 0.1, 0.01), PROBABILITIES, (10, 5, 1), (0, 0, 0), (10, 5, 1), (0, 0, 0), 1000)
    with pytest.raises(ConfigError, match="mu3 = 0"):
        estimate_single_photon_part(tallies)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"intensities": (0.3, 0.2, 0.15)}, "mu1 > mu2 \\+ mu3"),
        ({"intensities": (0.5, 0.1, 0.05)}, "mu3 must be 0"),
        ({"intensity_probabilities": (0.5, 0.4, 0.2)}, "sum to 1"),
        ({"z_basis_probability": 1.0}, "z_basis_probability"),
        ({"kind": "decoys"}, "kind"),
    ],
)
def test_source_options_are_checked(options, message):
    with pytest.raises(ValidationError, match=message):
        PhotonSourceConfig(**options)


def test_a_scenario_names_the_bad_intensities_with_their_path():
    from scenarios import from_dict, load
    from scenarios.errors import ScenarioError

    data = load("qkd-photon-link").model_dump(mode="json", exclude_unset=True)
    data["qkd"]["photon_link"] = {"intensities": [0.3, 0.2, 0.15]}
    with pytest.raises(ScenarioError) as raised:
        from_dict(data)
    assert "qkd.photon_link: intensities: need mu1 > mu2 + mu3 and mu2 > 0; got [0.3, 0.2, 0.15]" in str(raised.value)
