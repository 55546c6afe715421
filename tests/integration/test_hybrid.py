"""Hybrid networks: repeater segments and trusted relays in one run, on one timeline.

A key from alice to dave in the library's metro-hybrid network crosses the
repeater segment alice~t1 (BBM92 on the pairs the repeater rw delivers) and the
trusted relays t1 and t2 (decoy-BB84 links t1-t2 and t2-dave). The users' keys
and every link-key bit the relay used are compared bit for bit at both ends.
"""

import numpy as np
import pytest

from scenarios import ScenarioError, from_dict, load
from scenarios.build import hybrid_split, network_spec, outages
from scenarios.checks import check_scenario
from scenarios.runner import run_keeping_networks
from scenarios.summary import segment_summary
from scenarios.tables import TABLES
from tests.reference.test_qkd_invariants import TakeLog


def metro_west(**changes) -> dict:
    """metro-hybrid without its east island: one segment (alice~t1), one 64-bit key alice -> dave.

    A frame of 1,024 sifted bits (about 2,000 pairs, some 200 secret bits) is
    distilled after about 0.4 s; the request arrives at 0.1 s and waits for it
    (about 10 s of wall time on an idle machine).
    """
    data = load("metro-hybrid").model_dump(mode="json", exclude_unset=True)
    network = data["network"]
    network["nodes"] = [node for node in network["nodes"] if node["name"] not in ("bob", "re")]
    network["links"] = [link for link in network["links"] if not {link["a"], link["b"]} & {"bob", "re"}]
    data["qkd"]["segments"] = {"n_memories": 4, "frame_bits": 1024}
    data["traffic"] = [
        {"kind": "key", "src": "alice", "dst": "dave", "bits": 64, "start_s": 0.1, "n_requests": 1, "deadline_s": 0.34}
    ]
    data["duration_s"] = 0.45
    data.update(changes)
    return data


@pytest.fixture(scope="module")
def west_run():
    log = TakeLog()
    take, take_ids = log.patches()
    with take, take_ids:
        results, built = run_keeping_networks(from_dict(metro_west()))
    return results, built, log


def test_a_key_crosses_a_repeater_segment_and_trusted_relays_identical_at_both_ends(west_run):
    results, built, log = west_run
    requests = results.tables["requests"]
    assert len(requests) == 1 and requests["served"].all(), requests["reason"].tolist()
    assert requests["path"].tolist() == ["alice-t1-t2-dave"]
    source, destination = built.qkd.delivered_keys[0]
    assert len(source) == 64 and np.array_equal(source, destination)
    # The first hop took key from the segment's pools: BBM92 frames (blocks "alice~t1#<frame>"),
    # the same ids and bits at alice (sending) and at t1 (receiving).
    sent, received = log.sent[("alice", "t1", "alice")], log.received[("t1", "alice", "alice")]
    assert len(sent) == len(received) == 1
    (sent_ids, sent_bits), (got_ids, got_bits) = sent[0], received[0]
    assert sent_ids == got_ids and np.array_equal(sent_bits, got_bits) and len(sent_bits) == 64
    assert all(key_id.block.startswith("alice~t1#") for key_id in sent_ids)
    # The next hops took decoy-BB84 key, again identical at both ends.
    for node, peer in (("t1", "t2"), ("t2", "dave")):
        (ids_a, bits_a), (ids_b, bits_b) = log.sent[(node, peer, node)][0], log.received[(peer, node, node)][0]
        assert ids_a == ids_b and np.array_equal(bits_a, bits_b)
        assert not any(key_id.block.startswith("alice~t1#") for key_id in ids_a)
    # No key was ever taken at a repeater: it is no node of the QKD network.
    assert "rw" not in built.qkd.ports and all("rw" not in key for key in (*log.sent, *log.received))


def test_tables_say_which_kind_each_link_is(west_run):
    results, _, _ = west_run
    for name, frame in results.tables.items():
        assert list(frame.columns) == list(TABLES[name].all_columns())
    blocks = results.tables["link_blocks"]
    kinds = blocks.groupby("link")["link_kind"].unique().map(list).to_dict()
    assert kinds == {
        "alice~t1": ["bbm92-segment"],
        "dave~t2": ["bb84-fast"],
        "t1~t2": ["bb84-fast"],
        "t1~t3": ["bb84-fast"],
        "t2~t3": ["bb84-fast"],
    }
    frames = blocks[blocks["link_kind"] == "bbm92-segment"]
    assert len(frames) >= 1 and (frames["sifted_bits"] == 1024).all() and (frames["secret_bits"] > 64).all()
    sources = blocks.groupby("link_kind")["source"].unique().map(list).to_dict()
    assert sources == {"bbm92-segment": ["simulated"], "bb84-fast": ["model"]}
    pools = results.tables["pools"]
    assert set(pools.loc[pools["node"] == "alice", "link_kind"]) == {"bbm92-segment"}
    assert set(pools.loc[pools["node"] == "dave", "link_kind"]) == {"bb84-fast"}
    links = results.tables["links"]
    assert links.set_index("link")["segment"].to_dict() == {"alice~rw": "alice~t1", "rw~t1": "alice~t1"}
    requests = results.tables["entanglement_requests"]
    assert requests["purpose"].tolist() == ["bbm92 segment alice~t1"] and requests["approved"].all()
    assert results.manifest["networks"] == ["entanglement", "qkd"]
    summary = segment_summary(results.tables)  # as qnetsim run prints it
    assert summary["segment"].tolist() == ["alice~t1"] and summary["frames"].tolist() == [
        f"{len(frames)}/{len(frames)}"
    ]
    assert summary["pairs"].iloc[0] == requests["n_pairs"].iloc[0] >= 2 * 1024


def test_an_outage_of_a_segment_fibre_takes_the_segment_link_down():
    scenario = from_dict(
        metro_west(failures={"scheduled": [{"link": ["rw", "t1"], "at_s": 0.2, "repair_after_s": 0.1}]})
    )
    topology, _ = check_scenario(scenario)
    spec = network_spec(scenario, topology)
    mapped = outages(scenario, spec, hybrid_split(scenario, spec))
    assert [(o.a, o.b, o.down_s, o.up_s) for o in mapped] == [("alice", "t1", 0.2, pytest.approx(0.3))]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"traffic": [{"kind": "key", "src": "rw", "dst": "dave"}]},
            "traffic[0].src: 'rw' is a repeater; key traffic needs an end or trusted_relay node",
        ),
        (
            {"qkd": {"segments": {"n_memories": 5}}},
            "qkd.segments.n_memories: node rw would reserve 10 memories for its repeater segments (2 x 5: alice~t1),"
            " but its template 'site' has 8; got 5",
        ),
        (
            {
                "traffic": [
                    {"kind": "key", "src": "alice", "dst": "dave"},
                    {"kind": "entanglement", "src": "t1", "dst": "dave"},
                ]
            },
            "traffic[1]: in a hybrid network entanglement traffic runs on the fibres of the repeaters only",
        ),
    ],
)
def test_bad_hybrid_input_is_a_scenario_error_naming_the_field(changes, message):
    with pytest.raises(ScenarioError) as error:
        from_dict(metro_west(**changes))
    assert message in str(error.value)


def _crosses(path: str, links: set[str]) -> bool:
    nodes = path.split("-")
    return any("~".join(sorted(pair)) in links for pair in zip(nodes, nodes[1:], strict=False))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "paths"),
    [
        ("metro-hybrid", ["alice-t1-t3-bob", "alice-t1-t2-dave", "alice-t1-t3-bob"]),
        ("trunk-hybrid", ["a-t1-t2-t3-t4-b", "a-t1-t2-t3-t4-b"]),
    ],
)
def test_library_hybrid_scenarios_serve_every_key_through_segments_and_relays(name, paths):
    """The library runs as shipped (about 30 s each): every request served, keys identical at both ends."""
    results, built = run_keeping_networks(name)
    requests = results.tables["requests"].sort_values("request_id")
    assert requests["served"].all() and requests["path"].tolist() == paths
    segments = {segment.name for segment in built.split.segments}
    assert all(_crosses(path, segments) for path in paths)
    assert set(built.qkd.delivered_keys) == set(requests["request_id"])
    for source, destination in built.qkd.delivered_keys.values():
        assert len(source) == 128 and np.array_equal(source, destination)
    frames = results.tables["link_blocks"].query("link_kind == 'bbm92-segment'")
    assert set(frames["link"]) == segments and (frames["secret_bits"] > 0).all()
    if name == "metro-hybrid":  # the figures quoted in docs/hybrid-networks.md
        assert frames.set_index("link")["secret_bits"].to_dict() == {"bob~t3": 891, "alice~t1": 913}
        assert (results.tables["link_blocks"]["link_kind"] == "bb84-fast").sum() == 1952
