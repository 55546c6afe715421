"""``qnetsim compare``: the same network as trusted relays, quantum repeaters and a hybrid, measured."""

import math

import pandas as pd
import pytest
from typer.testing import CliRunner

from qkdn.keyrate.entropy import binary_entropy
from scenarios import from_dict, load
from scenarios.cli import app
from scenarios.compare import compare
from scenarios.compare_designs import (
    CompareSettings,
    best_hybrid_roles,
    bottleneck_model_rate_bps,
    hybrid_supported,
    repeater_design,
    trusted_relay_design,
)
from scenarios.compare_measure import FORMULA_ON_SIMULATED, INPUT, MODEL, SIMULATED, TOPOLOGY
from scenarios.runner import run_keeping_networks

SHORT = CompareSettings(
    duration_s=0.2, bbm92_duration_s=20.0, bbm92_frame_bits=512, n_teleportations=20, teleportation_duration_s=0.05
)
SOURCES = {SIMULATED, MODEL, FORMULA_ON_SIMULATED, TOPOLOGY, INPUT}


@pytest.fixture(scope="module")
def chain():
    return load("compare-chain")


@pytest.fixture(scope="module")
def comparison(chain):
    return compare(chain, settings=SHORT, hybrid=False)


def _value(comparison, design, metric):
    rows = comparison.summary
    return rows[(rows["design"] == design) & (rows["metric"] == metric)]["value"].iloc[0]


def test_designs_assign_roles_and_runs(chain):
    tr, qr = trusted_relay_design(chain, SHORT), repeater_design(chain, SHORT)
    saturating = tr.runs["saturating"]
    assert saturating.network.node_roles == {"n0": "end", "n1": "trusted_relay", "n2": "trusted_relay", "n3": "end"}
    kinds = [(t.kind, t.src, t.dst, t.n_outstanding) for t in saturating.traffic]
    assert kinds == [("key", "n0", "n3", 12), ("key", "n3", "n0", 12)]  # both ways, 4 per hop, 3 hops
    assert tr.runs["load"].traffic == chain.traffic  # the scenario's own load, unchanged
    bbm92, teleportation = qr.runs["bbm92"], qr.runs["teleportation"]
    assert bbm92.network.node_roles["n1"] == "repeater" and bbm92.fidelity_level == "network"
    assert bbm92.qkd.postprocessing.key_length_formula == "infinite_key"
    assert [t.kind for t in teleportation.traffic] == ["teleportation"] and teleportation.fidelity_level == "fast"
    assert tr.n_trusted_nodes == {"n0-n3": 2} and qr.n_trusted_nodes == {"n0-n3": 0}


def test_every_figure_says_where_it_comes_from(comparison):
    summary = comparison.summary
    assert set(summary["source"]) <= SOURCES
    assert not summary["source"].isna().any()
    # One source per figure, whatever the design, so the table's source column is unambiguous.
    assert (summary.groupby("metric")["source"].nunique() == 1).all()
    assert set(summary["design"]) == {"trusted_relay", "quantum_repeater"}
    assert comparison.unavailable == {"hybrid": "not asked for"}


def test_trusted_relay_capacity_is_the_slowest_link(comparison, chain):
    """On a chain, the relayed key throughput is bounded by, and under saturation reaches, the
    slowest link's key rate (max-flow min-cut: Ford and Fulkerson, Can. J. Math. 8, 399 (1956))."""
    capacity = _value(comparison, "trusted_relay", "key_capacity_bps")
    bottleneck = bottleneck_model_rate_bps(chain, ["n0", "n1", "n2", "n3"])
    assert capacity <= bottleneck * 1.02
    assert capacity >= bottleneck * 0.9
    assert _value(comparison, "trusted_relay", "link_key_per_key_bit") == pytest.approx(3.0)  # one bit per hop
    assert _value(comparison, "trusted_relay", "served_fraction") > 0.9  # 512 kbit/s offered, far below capacity


def test_bbm92_frames_follow_the_infinite_key_formula(comparison):
    """Each BBM92 frame keeps n (1 - h(Q)) - f n h(Q) - t bits of its n = (1 - s) N unsampled bits,
    Q the sample QBER (Shor and Preskill, PRL 85, 441 (2000); f as in the fast BB84 model)."""
    blocks = comparison.results["quantum_repeater-bbm92"].tables["link_blocks"]
    assert len(blocks) >= 3
    f = 1.16
    for frame in blocks.itertuples():
        n = frame.sifted_bits - round(0.1 * frame.sifted_bits)
        expected = n * (1 - binary_entropy(frame.qber)) - math.ceil(f * n * binary_entropy(frame.qber)) - 40
        assert frame.secret_bits in (0, max(0, math.floor(expected)))
    rate = _value(comparison, "quantum_repeater", "key_capacity_bps")
    assert rate == pytest.approx(blocks["secret_bits"].sum() / blocks["t_s"].max())
    assert 0 < rate < _value(comparison, "quantum_repeater", "pair_rate_hz") / 2


def test_teleportation_fidelity_is_simulated_and_near_the_werner_value(comparison):
    """Mean teleportation fidelity over Haar-random inputs through a Werner pair of fidelity F is
    (2F + 1)/3 (Horodecki et al., PRA 60, 1888 (1999)); the simulated teleportations use pairs of the
    same chain, so their mean lies near that of the delivered pairs (tolerance 0.03: 20 qubits)."""
    teleported = _value(comparison, "quantum_repeater", "teleportation_fidelity")
    pairs = _value(comparison, "quantum_repeater", "pair_fidelity")
    assert teleported == pytest.approx((2 * pairs + 1) / 3, abs=0.03)
    assert teleported != (2 * pairs + 1) / 3  # measured, not the formula


def test_seeds_give_intervals(chain):
    settings = CompareSettings(
        duration_s=0.05, bbm92_duration_s=5.0, bbm92_frame_bits=256, n_teleportations=4, teleportation_duration_s=0.02
    )
    two = compare(chain, settings=settings, n_seeds=2, hybrid=False)
    assert two.seeds == [1, 2]
    summary = two.summary.set_index(["design", "metric"])
    assert (summary["n_seeds"] == 2).all()
    capacity = summary.loc[("trusted_relay", "key_capacity_bps")]
    assert capacity["ci_low"] <= capacity["value"] <= capacity["ci_high"]
    trusted = summary.loc[("trusted_relay", "n_trusted_nodes")]
    assert trusted["ci_low"] == trusted["ci_high"] == 2  # a count from the topology: no spread
    assert set(two.timings["seed"]) == {1, 2}
    assert two.run_keys["trusted_relay-saturating-seed2"] == ("trusted_relay", "saturating", 2)


def test_write_folder(comparison, tmp_path):
    folder = comparison.write(tmp_path / "cmp")
    assert (folder / "trusted_relay-saturating" / "requests.parquet").is_file()
    assert (folder / "quantum_repeater-bbm92" / "link_blocks.parquet").is_file()
    table = pd.read_parquet(folder / "comparison.parquet")
    assert {"design", "metric", "value", "ci_low", "ci_high", "source"} <= set(table.columns)
    assert len(pd.read_parquet(folder / "timings.parquet")) == 4


def test_best_hybrid_puts_a_repeater_on_the_longest_stretch():
    data = load("compare-chain").model_dump(mode="json", exclude_unset=True)
    data["network"] = {
        "nodes": [{"name": n} for n in ("a", "x", "y", "z", "b")],
        "links": [
            {"a": "a", "b": "x", "length_km": 10},
            {"a": "x", "b": "y", "length_km": 10},
            {"a": "y", "b": "z", "length_km": 40},
            {"a": "z", "b": "b", "length_km": 30},
        ],
    }
    data["traffic"] = [{"kind": "key", "src": "a", "dst": "b"}]
    assert best_hybrid_roles(from_dict(data)) == {"x": "trusted_relay", "y": "trusted_relay", "z": "repeater"}


@pytest.mark.skipif(
    not hybrid_supported(), reason="hybrid networks (repeater segments feeding key pools) not in this build"
)
def test_hybrid_column(chain):
    settings = CompareSettings(
        duration_s=1.0, bbm92_duration_s=5.0, bbm92_frame_bits=256, n_teleportations=4, teleportation_duration_s=0.02
    )
    three = compare(chain, settings=settings)
    rows = three.summary[three.summary["design"] == "hybrid"].set_index("metric")
    assert rows.loc["n_trusted_nodes", "value"] == 1
    assert rows.loc["key_capacity_bps", "source"] == SIMULATED


@pytest.mark.skipif(not hybrid_supported(), reason="hybrid networks not in this build")
def test_hybrid_segments_run_at_the_network_level():
    """The engine runs first; each segment frame's key reaches the pools at its time on SeQUeNCe's timeline."""
    data = load("metro-hybrid").model_dump(mode="json", exclude_unset=True)
    data["fidelity_level"] = "network"
    results, built = run_keeping_networks(from_dict(data))
    requests = results.tables["requests"]
    assert requests["served"].any()
    blocks = results.tables["link_blocks"]
    segment_frames = blocks[blocks["link_kind"] == "bbm92-segment"]
    first_key_s = segment_frames.loc[segment_frames["secret_bits"] > 0, "t_s"].min()
    served = requests[requests["served"]]
    assert (served["t_s"] + served["latency_s"] >= first_key_s).all()  # no key before the segments had some
    for source, destination in built.qkd.delivered_keys.values():
        assert (source == destination).all()


def test_cli_bad_input_exits_2(tmp_path):
    result = CliRunner().invoke(app, ["compare", "no-such-scenario", "-o", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "no scenario file or built-in scenario" in result.output
    result = CliRunner().invoke(app, ["compare", "--seeds", "0", "-o", str(tmp_path / "y")])
    assert result.exit_code == 2
    assert "seeds" in result.output


@pytest.mark.slow
def test_worker_processes_give_the_same_results(chain):
    settings = CompareSettings(
        duration_s=0.1, bbm92_duration_s=5.0, bbm92_frame_bits=256, n_teleportations=4, teleportation_duration_s=0.02
    )
    point = CompareSettings(duration_s=0.1, bbm92_duration_s=5.0, bbm92_frame_bits=256)
    here = compare(chain, settings=settings, distances_km=[30.0], distance_settings=point)
    there = compare(chain, settings=settings, distances_km=[30.0], distance_settings=point, n_workers=2)
    assert here.summary.equals(there.summary) and here.distance.equals(there.distance)
    for name, results in here.results.items():
        for table, frame in results.tables.items():
            assert frame.equals(there.results[name].tables[table]), (name, table)
