"""``qnetsim keyrate``: tables, CSV, plots and bad input."""

import io

import pandas as pd
import pytest
from typer.testing import CliRunner

from scenarios.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, ["keyrate", *args])


def test_csv_has_the_documented_columns_and_gys_figures():
    result = invoke("--protocol", "decoy-bb84", "--distance-km", "0:160:20", "--format", "csv")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout))
    columns = ["protocol", "distance_km", "key_rate_per_pulse", "key_rate_bps", "mu_opt", "qber", "block_bits"]
    assert list(table.columns) == columns and table["block_bits"].isna().all()
    assert list(table["distance_km"]) == [0, 20, 40, 60, 80, 100, 120, 140, 160]
    # GYS (Lo, Ma, Chen, PRL 94, 230504 (2005)): mu_opt near 0.48, no key at 160 km (max ~142 km).
    assert table.loc[table.distance_km == 40, "mu_opt"].item() == pytest.approx(0.48, abs=0.02)
    assert table.loc[table.distance_km == 160, "key_rate_per_pulse"].item() == 0
    rate = table["key_rate_bps"] / table["key_rate_per_pulse"]
    assert rate.dropna().round().eq(2.0e6).all()


def test_hardware_options_change_the_rate():
    base = invoke("--distance-km", "50", "--format", "csv")
    worse = invoke("--distance-km", "50", "--format", "csv", "--detector-efficiency", "0.01")
    assert base.exit_code == worse.exit_code == 0
    rate = lambda out: pd.read_csv(io.StringIO(out.stdout))["key_rate_per_pulse"].item()  # noqa: E731
    assert rate(worse) < rate(base)


def test_plot_writes_a_png(tmp_path):
    path = tmp_path / "rates.png"
    result = invoke("-p", "decoy-bb84", "-p", "cv-qkd-gg02", "--distance-km", "0:100:25", "--plot", str(path))
    assert result.exit_code == 0, result.output
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = invoke("--distance-km", "0:100:50", "--plot", str(path))  # a PNG qnetsim drew may be replaced
    assert again.exit_code == 0, again.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rates.png"]  # no temporary file left beside it


def test_plot_into_a_missing_folder_or_over_a_file_of_the_user_is_refused(tmp_path):
    missing = tmp_path / "figures" / "rates.png"
    result = invoke("--plot", str(missing))
    assert result.exit_code == 2
    assert result.stderr == f"error: --plot {missing}: folder {missing.parent} does not exist; create it first\n"
    mine = tmp_path / "photo.png"
    mine.write_bytes(b"\x89PNG\r\n\x1a\n mine")
    result = invoke("--plot", str(mine))
    assert result.exit_code == 2
    assert result.stderr == f"error: --plot {mine} exists and was not written by qnetsim; choose another name\n"
    assert mine.read_bytes() == b"\x89PNG\r\n\x1a\n mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--protocol", "decoy-bb8"], "unknown key-rate model 'decoy-bb8'; did you mean 'decoy-bb84'?"),
        (["--distance-km", "10:5:1"], "distance_km: stop must be >= start"),
        (["--distance-km", "abc"], "distance_km: expected 'start:stop:step' or a number; got 'abc'"),
        (["--hardware", "gyss"], "unknown preset 'gyss'"),
        (["--detector-efficiency", "1.5"], "detector_efficiency: must be <= 1; got 1.5"),
        (["--set", "nonsense=1"], "nonsense"),
        (["--set", "excess_noise_snu"], "--set: expected NAME=VALUE"),
        (["--format", "xml"], "--format: must be one of table, csv; got 'xml'"),
    ],
)
def test_bad_input_exits_2_with_a_message(args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.output


def test_block_bits_adds_finite_key_curves_below_their_large_block_limit(tmp_path):
    """BBM92 (Tomamichel et al. 2012): the rate grows with the block toward the same protocol's limit."""
    path = tmp_path / "finite.png"
    result = invoke(
        "-p", "bbm92", "--distance-km", "0:100:50", "--block-bits", "1e4", "--block-bits", "1e6",
        "--format", "csv", "--plot", str(path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout))
    assert table.loc[table.protocol == "bbm92", "block_bits"].isna().all()
    assert list(table.loc[table.protocol == "bbm92-finite", "block_bits"].unique()) == [1e4, 1e6, float("inf")]
    finite = table[table.protocol == "bbm92-finite"].pivot(index="distance_km", columns="block_bits")
    rates = finite["key_rate_per_pulse"]
    assert (rates[1e4] > 0).all() and (rates[1e4] < rates[1e6]).all() and (rates[1e6] < rates[float("inf")]).all()
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_block_bits_for_a_protocol_without_finite_key_model_is_refused():
    result = invoke("-p", "mdi-qkd", "--block-bits", "1e6")
    assert result.exit_code == 2
    assert "block_bits: no finite-key model for 'mdi-qkd'" in result.stderr
    result = invoke("-p", "bbm92", "--block-bits", "10")
    assert result.exit_code == 2 and "block_bits: must be a number of sifted key bits" in result.stderr
