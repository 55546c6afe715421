"""``qnetsim compare``: the same network as trusted relays and as quantum repeaters."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from qkdn.keyrate.entropy import binary_entropy
from scenarios import from_dict, load
from scenarios.cli import app
from scenarios.compare import bbm92_secret_fraction, compare, repeater_variant, trusted_relay_variant


@pytest.fixture(scope="module")
def short_chain():
    data = load("compare-chain").model_dump(mode="json", exclude_unset=True)
    data["duration_s"] = 0.15
    return from_dict(data)


@pytest.fixture(scope="module")
def comparison(short_chain):
    return compare(short_chain, distances_km=[30.0, 90.0])


def test_variants_assign_roles_and_traffic(short_chain):
    tr, qr = trusted_relay_variant(short_chain), repeater_variant(short_chain)
    assert tr.network.node_roles == {"n0": "end", "n1": "trusted_relay", "n2": "trusted_relay", "n3": "end"}
    assert qr.network.node_roles["n1"] == "repeater" and qr.fidelity_level == "fast"
    assert [item.kind for item in tr.traffic] == ["key"] and [item.kind for item in qr.traffic] == ["entanglement"]


def test_summary_rows(comparison):
    rows = comparison.summary.set_index("design")
    tr, qr = rows.loc["trusted_relay"], rows.loc["quantum_repeater"]
    assert tr["n_trusted_nodes"] == 2 and qr["n_trusted_nodes"] == 0
    assert tr["link_key_per_key_bit"] == pytest.approx(3.0)  # a relayed key bit uses one bit per hop
    assert tr["end_to_end_key_rate_bps"] > 0 and qr["end_to_end_key_rate_bps"] >= 0
    assert tr["end_to_end_key_rate_bps"] <= tr["key_capacity_bps"] * 1.05


def test_repeater_rates_follow_the_bbm92_formula(comparison, short_chain):
    """R = r_pairs (1/2)(1 - 2 h(Q)), Q = 2(1 - F)/3 (Ma, Fung, Lo, PRA 76, 012307 (2007));
    teleportation average (2F + 1)/3 (Horodecki et al., PRA 60, 1888 (1999))."""
    pairs = comparison.results["quantum_repeater"].tables["pairs"]
    row = comparison.summary.set_index("design").loc["quantum_repeater"]
    fidelity = pairs["fidelity"].mean()
    qber = 2 * (1 - fidelity) / 3
    rate = len(pairs) / short_chain.duration_s * 0.5 * max(0.0, 1 - 2 * float(binary_entropy(qber)))
    assert row["end_to_end_key_rate_bps"] == pytest.approx(rate)
    assert row["teleportation_fidelity"] == pytest.approx((2 * fidelity + 1) / 3)
    assert bbm92_secret_fraction(1.0) == 1.0 and bbm92_secret_fraction(0.8) == 0.0


def test_distance_sweep_has_every_design(comparison):
    frame = comparison.distance
    assert set(frame["design"]) == {"trusted_relay", "quantum_repeater", "plob", "point_to_point_decoy_bb84"}
    assert sorted(frame["distance_km"].unique()) == [30.0, 90.0]
    repeater = frame[frame["design"] == "quantum_repeater"].sort_values("distance_km")["key_rate_bps"]
    assert repeater.iloc[0] >= repeater.iloc[-1]
    p2p = frame[frame["design"] == "point_to_point_decoy_bb84"].set_index("distance_km")["key_rate_bps"]
    tr = frame[frame["design"] == "trusted_relay"].set_index("distance_km")["key_rate_bps"]
    assert (tr >= p2p).all()  # relays shorten each hop
    assert not frame["key_rate_bps"].isna().any()


def test_write_folder(comparison, tmp_path):
    folder = comparison.write(tmp_path / "cmp")
    assert (folder / "trusted_relay" / "requests.parquet").is_file()
    assert (folder / "quantum_repeater" / "pairs.parquet").is_file()
    assert (folder / "key_rate_vs_distance.png").read_bytes()[:4] == b"\x89PNG"
    assert len(pd.read_parquet(folder / "comparison.parquet")) == 2


def test_cli_bad_input_exits_2(tmp_path):
    result = CliRunner().invoke(app, ["compare", "no-such-scenario", "-o", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "no scenario file or built-in scenario" in result.output
