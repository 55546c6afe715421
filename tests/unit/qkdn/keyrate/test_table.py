"""keyrate_table: declared columns and dtypes, one row per (protocol, distance); distance ranges."""

import math

import pytest

from qkdn.keyrate.hardware import GYS
from qkdn.keyrate.registry import get_model
from qkdn.keyrate.table import KEYRATE_COLUMNS, distances_from_range, keyrate_table
from qnetsim.core.errors import ConfigError


def test_columns_dtypes_and_rows():
    table = keyrate_table(["decoy-bb84", "bbm92", "plob"], [0.0, 50.0, 200.0], GYS)
    assert list(table.columns) == list(KEYRATE_COLUMNS)
    assert list(table.columns[:5]) == ["protocol", "distance_km", "key_rate_per_pulse", "key_rate_bps", "mu_opt"]
    assert {column: str(dtype) for column, dtype in table.dtypes.items()} == {
        "protocol": "str",
        "distance_km": "float64",
        "key_rate_per_pulse": "float64",
        "key_rate_bps": "float64",
        "mu_opt": "float64",
        "qber": "float64",
        "block_bits": "float64",
    }
    assert list(table["protocol"]) == ["decoy-bb84"] * 3 + ["bbm92"] * 3 + ["plob"] * 3
    assert list(table["distance_km"]) == [0.0, 50.0, 200.0] * 3


def test_rows_are_the_models_points():
    table = keyrate_table(["decoy-bb84"], [50.0], GYS)
    point = get_model("decoy-bb84").evaluate(50.0, GYS)
    row = table.iloc[0]
    assert row["key_rate_per_pulse"] == point.key_rate_per_pulse
    assert row["key_rate_bps"] == point.key_rate_bps == point.key_rate_per_pulse * GYS.repetition_rate_hz
    assert row["mu_opt"] == point.optimal_mean_photon_number
    assert row["qber"] == point.qber


def test_missing_values_are_nan():
    table = keyrate_table(["decoy-bb84", "plob"], [200.0], GYS)
    beyond_cutoff, bound = table.iloc[0], table.iloc[1]
    assert beyond_cutoff["key_rate_per_pulse"] == 0.0
    assert math.isnan(beyond_cutoff["mu_opt"]) and math.isnan(beyond_cutoff["qber"])
    assert math.isnan(bound["mu_opt"]) and bound["key_rate_per_pulse"] > 0.0


def test_bad_requests_raise_config_error():
    with pytest.raises(ConfigError, match="protocol: unknown key-rate model 'bb48'"):
        keyrate_table(["bb48"], [0.0], GYS)
    with pytest.raises(ConfigError, match="distance_km: must be a finite number >= 0; got -1.0"):
        keyrate_table(["plob"], [10.0, -1.0], GYS)


def test_distance_ranges():
    assert distances_from_range("0:200:10") == [10.0 * k for k in range(21)]
    assert distances_from_range("5:20:10") == [5.0, 15.0]
    assert distances_from_range("25") == [25.0]
    assert distances_from_range("0:0.3:0.1") == pytest.approx([0.0, 0.1, 0.2, 0.3])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("a:b:c", "expected 'start:stop:step' or a number"),
        ("0:10", "expected 'start:stop:step' or a number"),
        ("-5:10:1", "must be a finite number >= 0"),
        ("10:0:1", "stop must be >= start"),
        ("0:10:0", "step must be > 0"),
        ("-1", "must be a finite number >= 0"),
    ],
)
def test_bad_distance_ranges(spec, message):
    with pytest.raises(ConfigError, match=f"distance_km: .*{message}"):
        distances_from_range(spec)
