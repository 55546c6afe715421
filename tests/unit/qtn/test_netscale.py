"""Unit tests of the network-scale engine's parts (qtn.netscale) and of the ``network`` level's plumbing."""

import math

import numpy as np
import pytest
from sequence.resource_management.reservation_rule_registry import _get_swapping_neighbors

from qtn.analytic.bell_diagonal import werner_state
from qtn.analytic.decoherence import decohere_one_half
from qtn.analytic.swapping import bell_diagonal_swap
from qtn.netscale.bell import depolarise, storage_factor, swap_fidelity, werner
from qtn.netscale.clock import Clock
from qtn.netscale.memories import MemoryCards
from qtn.netscale.swapping import nested_partners, sequential_partners, swap_partners
from qtn.sequence_protocols import sequential_neighbours
from scenarios import ScenarioError, from_dict, run
from scenarios.runner import run_keeping_networks


def test_storage_factor_matches_the_pauli_channel_of_one_half():
    """One half idling t in a depolarising memory: c -> lambda c + (1 - lambda)/4, lambda = exp(-4t/(3T))
    (qtn.analytic.decoherence.decohere_one_half, SeQUeNCe's Memory.bds_decohere)."""
    state = [0.9, 0.05, 0.03, 0.02]
    for idle_s, coherence_s in ((1e-3, 1.0), (0.2, 0.1), (0.0, 0.5)):
        expected = decohere_one_half(state, idle_s, coherence_s)
        got = depolarise(state, storage_factor(round(idle_s * 1e12), coherence_s))
        assert got == pytest.approx(list(expected), abs=1e-12)
    assert storage_factor(10**12, None) == 1.0


@pytest.mark.parametrize("gate, meas", [(1.0, 1.0), (0.98, 0.99), (0.9, 0.95)])
def test_swap_fidelity_matches_the_bell_diagonal_swap(gate, meas):
    """Twirled swap: F = F1 F2 + (1-F1)(1-F2)/3, then measurement and gate errors
    (qtn.analytic.swapping.bell_diagonal_swap, Duer et al., PRA 59, 169 (1999))."""
    for f1, f2 in ((0.95, 0.9), (0.8, 0.7), (1.0, 0.6)):
        expected = bell_diagonal_swap(werner_state(f1), werner_state(f2), gate, meas)[0]
        assert swap_fidelity(f1, f2, gate, meas) == pytest.approx(float(expected), abs=1e-12)
    assert werner(0.7) == pytest.approx(list(werner_state(0.7)))


@pytest.mark.parametrize("n_nodes", range(3, 21))
def test_swapping_partners_are_sequences_rules(n_nodes):
    """Nested partners are SeQUeNCe's own (its rule registry); sequential ones are the fast/hardware modes'."""
    path = [f"n{i}" for i in range(n_nodes)]
    for node in path[1:-1]:
        assert nested_partners(node, path) == _get_swapping_neighbors(node, path)
        assert sequential_partners(node, path) == sequential_neighbours(node, path)
    assert set(swap_partners(path, "nested")) == set(path[1:-1])
    with pytest.raises(ValueError, match="swapping order"):
        swap_partners(path, "random")


def test_clock_runs_in_time_then_schedule_order_and_stops():
    clock = Clock(stop_ps=100)
    seen = []
    clock.at(50, seen.append, "b")
    clock.at(10, seen.append, "a")
    clock.at(50, seen.append, "c")
    clock.at(100, seen.append, "never")  # at the stop time: not run
    clock.at(10, lambda: clock.at(20, seen.append, "nested"))
    clock.run()
    assert seen == ["a", "nested", "b", "c"]
    assert clock.n_executed == 5
    with pytest.raises(ValueError, match="before now"):
        clock.at(5, seen.append, "past")


def test_memory_cards_reserve_all_or_nothing():
    cards = MemoryCards({"a": 2, "b": 4})
    chosen, short = cards.reserve({"a": 2, "b": 2}, 0, 100)
    assert short is None and chosen == {"a": [0, 1], "b": [0, 1]}
    # a is full in [50, 150): nothing is reserved, not even b's memories.
    chosen, short = cards.reserve({"b": 2, "a": 1}, 50, 150)
    assert (chosen, short) == ({}, "a")
    assert cards.free_memories("b", 50, 150) == [2, 3]
    # After the first window ends, a's memories are free again.
    assert cards.reserve({"a": 2}, 100, 200) == ({"a": [0, 1]}, None)


def _chain(level="network", n_nodes=4, **traffic):
    request = {"src": "n0", "dst": f"n{n_nodes - 1}", "n_memories": 1, **traffic}
    return from_dict(
        {
            "name": "netscale-unit",
            "seed": 5,
            "duration_s": 0.05,
            "fidelity_level": level,
            "templates": {"nodes": {"r": {"n_memories": 2, "memory": {"coherence_time_s": 0.5}}}},
            "network": {"generator": {"kind": "chain", "n_nodes": n_nodes, "length_km": 10.0}, "node_template": "r"},
            "traffic": [request],
        }
    )


def test_network_level_is_deterministic_and_says_so_in_the_manifest():
    first, second = run(_chain()), run(_chain())
    assert len(first.tables["pairs"]) > 5
    for name, table in first.tables.items():
        assert table.equals(second.tables[name]), name
    assert first.manifest["fidelity_level"] == "network"
    assert first.manifest["link_mode"].startswith("network:")
    assert first.manifest["events_executed"] > 0
    links = first.tables["links"]
    assert (links["link_mode"] == "network").all()
    assert (links["n_successes"] > 0).all()


def test_network_level_reports_requests_it_cannot_serve():
    """Two requests over the same routers: the second finds no free memory and is rejected with a reason."""
    scenario = _chain(n_nodes=3)
    data = scenario.model_dump()
    data["traffic"].append(dict(data["traffic"][0], start_s=0.001))
    requests = run(from_dict(data)).tables["entanglement_requests"]
    assert requests["approved"].tolist() == [True, False]
    assert "not enough free memories" in requests["reason"].iloc[1]
    assert requests["n_pairs"].iloc[1] == 0
    assert requests["path"].iloc[1] == "n0-n1-n2"


def test_network_level_serves_concurrent_requests_on_shared_routers():
    """Two requests through the same repeater, each with its own memories, both get pairs."""
    data = _chain(n_nodes=3).model_dump()
    data["templates"]["nodes"]["r"]["n_memories"] = 4
    data["traffic"].append(dict(data["traffic"][0], src="n2", dst="n0"))
    results = run(from_dict(data))
    requests = results.tables["entanglement_requests"]
    assert requests["approved"].all()
    assert (requests["n_pairs"] > 3).all()
    memories = results.tables["memories"]
    assert (memories["n_raw"] >= 0).all()
    assert (memories[["n_raw", "n_occupied", "n_entangled"]].sum(axis=1) == memories["n_memories"]).all()


@pytest.mark.parametrize("kind", ["teleportation"])
def test_network_level_refuses_traffic_it_does_not_run(kind):
    data = _chain().model_dump()
    data["traffic"] = [{"kind": kind, "src": "n0", "dst": "n3"}]
    with pytest.raises(ScenarioError, match=rf"traffic\[0\]\.kind: '{kind}' traffic needs fidelity_level"):
        run(from_dict(data))


def test_network_level_window_shorter_than_setup_is_reported():
    requests = run(_chain(end_s=1e-5)).tables["entanglement_requests"]
    assert not requests["approved"].iloc[0]
    assert "shorter than the reservation set-up time" in requests["reason"].iloc[0]
    assert math.isnan(requests["mean_fidelity"].iloc[0])
    assert np.isfinite(requests["setup_s"]).all()


def test_network_level_runs_bbm92_with_identical_keys_at_both_users():
    data = _chain().model_dump()
    data["duration_s"] = 10.0
    data["qkd"] = {"postprocessing": {"key_length": "asymptotic", "key_length_formula": "infinite_key"}}
    data["traffic"] = [{"kind": "bbm92", "src": "n0", "dst": "n3", "n_memories": 1, "frame_bits": 256}]
    (first, built), again = run_keeping_networks(from_dict(data)), run(from_dict(data))
    blocks = first.tables["link_blocks"]
    assert len(blocks) >= 2 and blocks["link"].eq("n0~n3 bbm92").all()
    assert (blocks["sifted_bits"] == 256).all() and blocks["secret_bits"].sum() > 0
    assert blocks.equals(again.tables["link_blocks"])  # same seed, same frames
    keys = built.bbm92[0].keys
    assert len(keys) == (blocks["secret_bits"] > 0).sum()
    assert all(np.array_equal(alice, bob) and len(alice) > 0 for alice, bob in keys)
