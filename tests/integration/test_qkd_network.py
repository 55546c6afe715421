"""QKD networks built from scenarios: tables, services under outages, reproducibility, bad input, no key in logs."""

import itertools
import json
import logging
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from scenarios import ScenarioError, from_dict, load, run
from scenarios.build import key_requests, network_spec, outages
from scenarios.checks import check_scenario
from scenarios.tables import QKD_TABLES, TABLES
from tests.qkdn_support import delay_s, mesh_scenario, run_scenario_network

SPEED_DELAY_45_KM_S = delay_s(45.0)


@pytest.fixture(scope="module")
def chain_results():
    """The library's trusted-relay chain, 3 s of it."""
    data = load("qkd-trusted-relay-chain").model_dump(mode="json")
    data["duration_s"] = 3.0
    return run(from_dict(data))


def test_library_chain_fills_every_qkd_table_with_its_declared_columns(chain_results):
    core = {"requests", "link_blocks", "pools", "service_periods", "recoveries", "outages"}
    assert core <= set(chain_results.tables) <= {spec.name for spec in QKD_TABLES}
    for name, frame in chain_results.tables.items():
        assert list(frame.columns) == list(TABLES[name].all_columns())
    requests = chain_results.tables["requests"]
    assert len(requests) > 0 and requests["served"].all()
    assert (requests["path"] == "n0-n1-n2-n3-n4-n5").all() and (requests["n_hops"] == 5).all()
    assert (requests["key_consumed_bits"] == requests["bits"] * requests["n_hops"]).all()
    assert (requests["latency_s"] >= 5 * delay_s(40.0)).all()
    blocks = chain_results.tables["link_blocks"]
    assert set(blocks["link"]) == {f"n{i}~n{i + 1}" for i in range(5)}
    assert (blocks["secret_bits"] == 2048).all()
    assert (blocks["sifted_bits"] == blocks["secret_bits"] + blocks["disclosed_bits"]).all()
    assert blocks["qber"].between(0, 0.11).all()


def test_pools_table_is_never_negative_nor_above_capacity(chain_results):
    pools = chain_results.tables["pools"]
    assert len(pools) > 0
    assert (pools["level_bits"] >= 0).all() and (pools["level_bits"] <= pools["capacity_bits"]).all()
    assert set(pools["direction"]) == {"in", "out"}
    # both copies of a direction: the receiving copy never holds less than the sending one
    wide = pools.pivot_table(index=["t_s", "node", "peer"], columns="direction", values="level_bits")
    for (t_s, node, peer), row in wide.iterrows():
        mirror = wide.loc[(t_s, peer, node)]
        assert mirror["in"] >= row["out"]


def test_scheduled_outage_on_a_service_path_triggers_recovery():
    """a-b (on the service's a-b-c path) fails mid-period; the controller at d moves it to a-d-c.

    The source hears of it after the failure notice reaches the controller and the new
    paths come back: a <-> d is 45 km each way.
    """
    scenario = from_dict(
        mesh_scenario(
            qkd={"link_model": "decoy-bb84", "block_bits": 20_000, "controller_site": "d"},
            failures={"scheduled": [{"link": ["a", "b"], "at_s": 1.05, "repair_after_s": 0.5}]},
            traffic=[{"kind": "service", "src": "a", "dst": "c", "key_rate_bps": 20_000, "period_s": 0.1}],
        )
    )
    results = run(scenario)
    recoveries = results.tables["recoveries"]
    assert len(recoveries) == 1
    row = recoveries.iloc[0]
    assert (row["link"], row["service_id"], row["method"], bool(row["recovered"])) == ("a~b", 0, "OPM", True)
    assert row["recovery_time_s"] == pytest.approx(2 * SPEED_DELAY_45_KM_S, abs=1e-11)
    assert row["n_attempts"] == 1 and row["demand_bits"] == 2000 and row["key_lost_bits"] == 0
    periods = results.tables["service_periods"].set_index("t_s")
    assert (periods.loc[:1.0, "path"] == "a-b-c").all()
    assert (periods.loc[1.1:, "path"] == "a-d-c").all()
    assert (periods["delivered_bits"] == periods["demand_bits"]).all()
    outages_table = results.tables["outages"]
    assert outages_table[["link", "down_s", "up_s"]].values.tolist() == [["a~b", 1.05, 1.55]]


def test_overlapping_outages_keep_the_link_down_until_the_last_repair():
    """a-b down 0.5-1.5 s and again 0.7-0.9 s: nothing crosses a-b before 1.5 s."""
    scenario = from_dict(
        mesh_scenario(
            failures={
                "scheduled": [
                    {"link": ["a", "b"], "at_s": 0.5, "repair_after_s": 1.0},
                    {"link": ["a", "b"], "at_s": 0.7, "repair_after_s": 0.2},
                ]
            },
        )
    )
    network = run_scenario_network(scenario)
    hops_on_ab = [
        hop.t_s
        for session in network.sessions.values()
        for hop in session.hops
        if {hop.node, hop.next_node} == {"a", "b"}
    ]
    assert hops_on_ab and not any(0.5 <= t < 1.5 for t in hops_on_ab)
    assert any(t >= 1.5 for t in hops_on_ab)  # used again once really repaired
    assert network.controller.n_messages_in["link_state"] == 4


def test_key_requests_are_poisson_and_deterministic_per_seed():
    """Arrivals at rate 20/s over 30 s: count within 4 sigma of 600, gaps exponential (KS test, p > 0.001)."""
    base = mesh_scenario(duration_s=30.0)
    first, again = key_requests(from_dict(base)), key_requests(from_dict(base))
    other = key_requests(from_dict({**base, "seed": 6}))
    times = np.array([request.t_s for request in first])
    assert [r.t_s for r in again] == times.tolist()
    assert [r.t_s for r in other] != times.tolist()
    assert abs(len(times) - 600) < 4 * np.sqrt(600)
    assert np.all(np.diff(times) > 0) and times[0] >= 0 and times[-1] < 30.0
    assert stats.kstest(np.diff(times), "expon", args=(0, 1 / 20.0)).pvalue > 0.001
    assert [r.request_id for r in first] == list(range(len(first)))
    assert all(r.deadline_s == pytest.approx(r.t_s + 0.2) and r.n_bits == 256 for r in first)


def test_evenly_spaced_requests_when_a_count_is_given():
    scenario = from_dict(
        mesh_scenario(traffic=[{"kind": "key", "src": "a", "dst": "c", "n_requests": 4, "start_s": 1.0}])
    )
    assert [r.t_s for r in key_requests(scenario)] == [1.0, 1.25, 1.5, 1.75]


def test_random_outages_are_deterministic_per_seed():
    scenario = from_dict(mesh_scenario(duration_s=100.0, failures={"random": {"mtbf_s": 20.0, "mttr_s": 2.0}}))
    topology, _ = check_scenario(scenario)
    spec = network_spec(scenario, topology)
    drawn = outages(scenario, spec)
    assert drawn == outages(scenario, spec) and len(drawn) > 8
    assert all(0 < o.down_s < o.up_s and o.down_s < 100.0 for o in drawn)
    for link, items in itertools.groupby(sorted(drawn, key=lambda o: (o.a, o.b, o.down_s)), key=lambda o: (o.a, o.b)):
        items = list(items)
        assert all(x.up_s <= y.down_s for x, y in itertools.pairwise(items)), link  # one link's outages never overlap


def test_same_seed_gives_identical_tables_and_another_seed_does_not():
    data = mesh_scenario(duration_s=1.0, failures={"random": {"mtbf_s": 2.0, "mttr_s": 0.2}})
    first, second = run(from_dict(data)), run(from_dict(data))
    for name in ("requests", "link_blocks", "pools", "outages"):
        pd.testing.assert_frame_equal(first.tables[name], second.tables[name])
    third = run(from_dict({**data, "seed": 99}))
    assert not first.tables["outages"].equals(third.tables["outages"])
    assert not first.tables["requests"]["t_s"].equals(third.tables["requests"]["t_s"])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"failures": {"scheduled": [{"link": ["a", "c"], "at_s": 1.0, "repair_after_s": 1.0}]}},
            "failures.scheduled[0].link",
        ),
        ({"qkd": {"link_model": "decoy-bb48"}}, "qkd.link_model"),
        ({"qkd": {"untrusted_nodes": ["zz"]}}, "qkd.untrusted_nodes[0]"),
        ({"qkd": {"controller_site": "zz"}}, "qkd.controller_site"),
        ({"qkd": {"routing": "fastest"}}, "qkd.routing"),
        ({"failures": {"random": {"mtbf_s": -1.0, "mttr_s": 1.0}}}, "failures.random.mtbf_s"),
    ],
)
def test_bad_qkd_input_is_a_scenario_error_naming_the_field(changes, field):
    with pytest.raises(ScenarioError) as caught:
        run(from_dict(mesh_scenario(**changes)))
    assert any(problem.startswith(field) for problem in caught.value.problems), caught.value.problems


def test_unknown_link_model_suggests_the_close_name():
    with pytest.raises(ScenarioError, match="did you mean 'decoy-bb84'"):
        run(from_dict(mesh_scenario(qkd={"link_model": "decoy-bb48"})))


# --- key bits never leave memory ------------------------------------------------------


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def debug_logging():
    """Every logger at DEBUG, every record collected at the root."""
    handler = _Collect()
    root = logging.getLogger()
    saved = {
        name: (lg.level, lg.propagate)
        for name, lg in logging.root.manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    }
    saved_root = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    for lg in logging.root.manager.loggerDict.values():
        if isinstance(lg, logging.Logger):
            lg.setLevel(logging.DEBUG)
            lg.propagate = True
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_root)
        for name, (level, propagate) in saved.items():
            lg = logging.getLogger(name)
            lg.setLevel(level)
            lg.propagate = propagate


def _key_fragments(network) -> list[bytes]:
    """Ways a delivered key could be spelled in text or bytes: 0/1 string, hex, raw packed bytes, array print."""
    fragments = []
    for source, _ in network.delivered_keys.values():
        head = source[:96]
        fragments.append("".join(map(str, head)).encode())
        fragments.append(" ".join(map(str, head[:48])).encode())
        fragments.append(", ".join(map(str, head[:48])).encode())
        packed = np.packbits(head).tobytes()
        fragments.append(packed)
        fragments.append(packed.hex().encode())
    return fragments


def test_no_key_bits_in_logs_tables_or_manifest(debug_logging, tmp_path):
    data = mesh_scenario(
        duration_s=0.5,
        failures={"scheduled": [{"link": ["a", "b"], "at_s": 0.25, "repair_after_s": 0.1}]},
        traffic=[
            {"kind": "key", "src": "a", "dst": "c", "bits": 256, "rate_hz": 20.0, "deadline_s": 0.2},
            {"kind": "service", "src": "f", "dst": "b", "key_rate_bps": 4000, "period_s": 0.1},
        ],
    )
    network = run_scenario_network(from_dict(data))  # the same run as below (same seed): its keys are known
    assert len(network.delivered_keys) > 3
    fragments = _key_fragments(network)
    results = run(from_dict(data))
    folder = results.write(tmp_path / "out")
    records = debug_logging.records
    assert len(records) > 1000  # SeQUeNCe logs every event at DEBUG: the check has material
    texts = []
    for record in records:
        message = record.getMessage()
        texts.append(message)
        assert "cipher" not in message
        for arg in record.args if isinstance(record.args, tuple) else (record.args,):
            assert not isinstance(arg, np.ndarray)
            assert not (isinstance(arg, dict) and "cipher" in arg)
    assert not any(re.search(r"\[[01]( [01]){15}", text) for text in texts)
    log_bytes = "\n".join(texts).encode()
    files = {path.name: path.read_bytes() for path in folder.iterdir()}
    assert "requests.parquet" in files and "manifest.json" in files
    json.loads(files["manifest.json"])
    for fragment in fragments:
        assert fragment not in log_bytes
        for name, content in files.items():
            assert fragment not in content, name
    for name, content in files.items():
        assert b"cipher" not in content, name
