"""Conformance suite run on every model in the registry.

Each model, on each of three hardware sets, over 0..600 km: the rate is finite
(except a bound's infinity on a lossless channel) and non-negative, does not
rise with distance, stays zero once it has fallen to zero, and converts to bits
per second through the repetition rate; bad inputs raise ConfigError naming the
field. The "noisy" hardware gives every protocol a cut-off inside the range, so
the zero-stays-zero check is never vacuous for protocols.
"""

import functools
import math

import numpy as np
import pytest

from qkdn.keyrate.hardware import GYS, IDEAL, KeyRateHardwareConfig, hardware_preset
from qkdn.keyrate.model import KeyRatePoint
from qkdn.keyrate.registry import KEY_RATE_MODELS, get_model
from qnetsim.core.errors import ConfigError
from qnetsim.core.units import fibre_transmittance

HARDWARE = {
    "gys": GYS,
    "ideal": IDEAL,
    "noisy": hardware_preset("gys", excess_noise_snu=0.05, source_visibility=0.95, pair_emission_probability=0.1),
}
DISTANCES_KM = tuple(float(d) for d in np.arange(0.0, 601.0, 10.0))
#: Relative slack for "non-increasing": the intensity optimum is found to ~1e-9 in log(mu),
#: so the optimised rate is exact to far better than this.
MONOTONE_RELATIVE_SLACK = 1e-9

MODEL_NAMES = list(KEY_RATE_MODELS)
CASES = [(name, hardware) for name in MODEL_NAMES for hardware in HARDWARE]


@functools.cache
def curve(name: str, hardware_name: str) -> tuple[KeyRatePoint, ...]:
    model, hardware = get_model(name), HARDWARE[hardware_name]
    return tuple(model.evaluate(distance, hardware) for distance in DISTANCES_KM)


def rates(name: str, hardware_name: str) -> list[float]:
    return [point.key_rate_per_pulse for point in curve(name, hardware_name)]


@pytest.mark.parametrize(("name", "hardware_name"), CASES)
def test_rate_is_finite_and_non_negative(name, hardware_name):
    model, hardware = get_model(name), HARDWARE[hardware_name]
    for distance, rate in zip(DISTANCES_KM, rates(name, hardware_name), strict=True):
        lossless = fibre_transmittance(distance, hardware.attenuation_db_per_km) == 1.0
        if model.is_bound and lossless:
            assert rate == math.inf  # a lossless channel carries unbounded key
        else:
            assert math.isfinite(rate) and rate >= 0.0, (distance, rate)


@pytest.mark.parametrize(("name", "hardware_name"), CASES)
def test_rate_does_not_rise_with_distance(name, hardware_name):
    values = rates(name, hardware_name)
    for nearer, farther, distance in zip(values, values[1:], DISTANCES_KM[1:], strict=False):
        assert farther <= nearer * (1 + MONOTONE_RELATIVE_SLACK), (distance, nearer, farther)
    assert values[-1] < values[0]


@pytest.mark.parametrize(("name", "hardware_name"), CASES)
def test_zero_beyond_the_cutoff_stays_zero(name, hardware_name):
    values = rates(name, hardware_name)
    if 0.0 in values:
        first_zero = values.index(0.0)
        assert all(value == 0.0 for value in values[first_zero:])


@pytest.mark.parametrize("name", [name for name in MODEL_NAMES if not get_model(name).is_bound])
def test_every_protocol_has_a_cutoff_on_noisy_hardware(name):
    values = rates(name, "noisy")
    assert values[0] > 0.0
    assert values[-1] == 0.0


@pytest.mark.parametrize(("name", "hardware_name"), CASES)
def test_points_are_consistent(name, hardware_name):
    hardware = HARDWARE[hardware_name]
    for distance, point in zip(DISTANCES_KM, curve(name, hardware_name), strict=True):
        assert point.protocol == name
        assert point.distance_km == distance
        assert point.key_rate_bps == point.key_rate_per_pulse * hardware.repetition_rate_hz
        if point.key_rate_per_pulse == 0.0:
            assert point.qber is None and point.optimal_mean_photon_number is None
        if point.qber is not None:
            assert 0.0 <= point.qber <= 0.5
        if point.optimal_mean_photon_number is not None:
            assert point.optimal_mean_photon_number > 0.0


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_model_is_a_pure_function(name):
    model = get_model(name)
    first = model.evaluate(35.0, GYS)
    model.evaluate(120.0, IDEAL)
    assert model.evaluate(35.0, GYS) == first


@pytest.mark.parametrize("name", MODEL_NAMES)
@pytest.mark.parametrize("distance_km", [-1.0, -1e-9, math.nan, math.inf, "10", None, True])
def test_bad_distance_raises_config_error_naming_it(name, distance_km):
    with pytest.raises(ConfigError, match="^distance_km: "):
        get_model(name).evaluate(distance_km, GYS)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_hardware_must_be_a_key_rate_hardware_config(name):
    with pytest.raises(ConfigError, match="^hardware: must be a KeyRateHardwareConfig; got dict"):
        get_model(name).evaluate(10.0, {"detector_efficiency": 0.5})


@pytest.mark.parametrize(
    "field", ["detector_efficiency", "homodyne_efficiency", "reconciliation_efficiency", "pair_emission_probability"]
)
def test_efficiency_above_one_raises_config_error_naming_it(field):
    with pytest.raises(ConfigError, match=f"^{field}: must be <= 1; got 1.2$"):
        KeyRateHardwareConfig(**{field: 1.2})
    with pytest.raises(ConfigError, match=f"^{field}: must be <= 1; got 1.2$"):
        hardware_preset("gys", **{field: 1.2})
