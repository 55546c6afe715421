"""Key-rate hardware: the GYS preset, validation into ConfigError naming the field, presets."""

import math

import pydantic
import pytest

from qkdn.keyrate.hardware import GYS, HARDWARE_PRESETS, IDEAL, KeyRateHardwareConfig, hardware_preset
from qnetsim.core.errors import ConfigError


def test_gys_preset_is_lo_ma_chen_gys():
    """GYS parameters of Lo, Ma, Chen (2005): 0.21 dB/km, eta_Bob 4.5%, Y0 1.7e-6, e_det 3.3%, f 1.22."""
    assert HARDWARE_PRESETS["gys"] is GYS
    assert GYS.attenuation_db_per_km == 0.21
    assert GYS.detector_efficiency == 0.045
    assert GYS.dark_count_probability == 1.7e-6
    assert GYS.misalignment_error == 0.033
    assert GYS.error_correction_efficiency == 1.22


def test_defaults_are_the_gys_discrete_variable_fields():
    default = KeyRateHardwareConfig()
    for field in ("attenuation_db_per_km", "detector_efficiency", "dark_count_probability", "misalignment_error"):
        assert getattr(default, field) == getattr(GYS, field)


def test_ideal_preset_has_perfect_devices():
    assert IDEAL.detector_efficiency == IDEAL.homodyne_efficiency == IDEAL.reconciliation_efficiency == 1.0
    assert IDEAL.dark_count_probability == IDEAL.misalignment_error == IDEAL.excess_noise_snu == 0.0
    assert IDEAL.error_correction_efficiency == 1.0


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("detector_efficiency", 1.5, "detector_efficiency: must be <= 1; got 1.5"),
        ("detector_efficiency", 0.0, "detector_efficiency: must be > 0; got 0.0"),
        ("homodyne_efficiency", 1.01, "homodyne_efficiency: must be <= 1; got 1.01"),
        ("reconciliation_efficiency", 1.2, "reconciliation_efficiency: must be <= 1; got 1.2"),
        ("pair_emission_probability", 2.0, "pair_emission_probability: must be <= 1; got 2.0"),
        ("dark_count_probability", -1e-6, "dark_count_probability: must be >= 0; got -1e-06"),
        ("misalignment_error", 0.6, "misalignment_error: must be <= 0.5; got 0.6"),
        ("error_correction_efficiency", 0.9, "error_correction_efficiency: must be >= 1; got 0.9"),
        ("attenuation_db_per_km", -0.2, "attenuation_db_per_km: must be >= 0; got -0.2"),
        ("repetition_rate_hz", 0.0, "repetition_rate_hz: must be > 0; got 0.0"),
        ("weak_decoy_mean_photon_number", 1.0, "weak_decoy_mean_photon_number: must be < 1; got 1.0"),
        ("excess_noise_snu", math.nan, "excess_noise_snu: input should be a finite number; got nan"),
    ],
)
def test_bad_value_raises_config_error_naming_field_and_value(field, value, expected):
    with pytest.raises(ConfigError) as caught:
        KeyRateHardwareConfig(**{field: value})
    assert str(caught.value) == expected
    assert not isinstance(caught.value, pydantic.ValidationError)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as caught:
        KeyRateHardwareConfig(detector_efficiency=2.0, misalignment_error=-0.1)
    assert "detector_efficiency:" in str(caught.value)
    assert "misalignment_error:" in str(caught.value)


def test_unknown_field_suggests_the_closest():
    with pytest.raises(ConfigError, match=r"detector_eficiency: unknown field; did you mean 'detector_efficiency'\?"):
        KeyRateHardwareConfig(detector_eficiency=0.1)


def test_hardware_is_frozen():
    with pytest.raises(pydantic.ValidationError):
        GYS.detector_efficiency = 0.5


def test_preset_with_overrides_is_revalidated():
    custom = hardware_preset("gys", detector_efficiency=0.1)
    assert custom.detector_efficiency == 0.1
    assert custom.dark_count_probability == GYS.dark_count_probability
    assert GYS.detector_efficiency == 0.045  # the preset itself is untouched
    with pytest.raises(ConfigError, match="detector_efficiency: must be <= 1; got 3"):
        hardware_preset("gys", detector_efficiency=3)


def test_unknown_preset_suggests_the_closest():
    with pytest.raises(ConfigError, match=r"unknown preset 'gsy'; did you mean 'gys'\?"):
        hardware_preset("gsy")
