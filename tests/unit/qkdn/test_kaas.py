"""Key as a service on the timeline: KP assembly by slotted OTP relay, VKPs for services."""

import itertools

import numpy as np
import pytest

from qkdn.kaas import KaaSSettings, KeyAsAService
from qkdn.keyrate import get_model, hardware_preset
from qkdn.network import QKDNetwork, QKDSettings
from qnetsim.core.errors import ConfigError, SimulationError
from qnetsim.core.hardware import LinkHardwareConfig, NodeHardwareConfig
from qnetsim.core.spec import LinkSpec, NetworkSpec, NodeSpec
from qtn.sequence_backed import adapter

N_BITS = 256


def build(
    edges: list[tuple[str, str]], stop_s: float, length_km: float = 5.0, roles: dict | None = None, **settings
) -> QKDNetwork:
    names = sorted({n for edge in edges for n in edge})
    roles = roles or {}
    nodes = tuple(NodeSpec(name, roles.get(name, "trusted_relay"), NodeHardwareConfig()) for name in names)
    links = tuple(LinkSpec(a, b, length_km, LinkHardwareConfig()) for a, b in edges)
    timeline = adapter.new_timeline(stop_s)
    return QKDNetwork(NetworkSpec(nodes, links), QKDSettings(**settings), 1, timeline)


def chain_edges(n_nodes: int) -> list[tuple[str, str]]:
    return [(f"n{i}", f"n{i + 1}") for i in range(n_nodes - 1)]


def prefill(network: QKDNetwork, a: str, b: str, n_bits: int, seed: int = 0) -> None:
    bits = np.random.default_rng(seed).integers(0, 2, size=n_bits, dtype=np.uint8)
    assert network.deliver_block(a, b, f"pre.{a}{b}", bits, bits.copy())


def run(network: QKDNetwork) -> None:
    adapter.run_timeline(network.timeline)


def rows_by_pair(kaas: KeyAsAService) -> dict[tuple[str, str], dict]:
    return {(r["src"], r["dst"]): r for r in kaas.kp_assembly_records}


def test_kps_get_identical_relayed_keys_and_links_give_bits_times_hops():
    """Chain n0-n1-n2, 4 slots of 0.25 s, N = 256. First-Fit: n0-n1 slot 0, n0-n2 slot 1, n1-n2 slot 0.

    Link n0-n1 serves n0-n1 and n0-n2 (2 x 256 bits from n0's direction, at both ends);
    link n1-n2 serves n0-n2 and n1-n2 (2 x 256 from n1's direction); the reverse directions are untouched.
    """
    with adapter.sequence_globals():
        network = build(chain_edges(3), 1.0)
        for a, b in chain_edges(3):
            prefill(network, a, b, 4096)
        kaas = KeyAsAService(network, KaaSSettings(period_s=1.0, slot_s=0.25, n_bits_per_slot=N_BITS))
        kaas.start(0.0, 1.0)
        run(network)
    rows = rows_by_pair(kaas)
    assert len(kaas.kp_assembly_records) == 3
    assert {pair: (r["slot"], r["n_hops"], r["path"]) for pair, r in rows.items()} == {
        ("n0", "n1"): (0, 1, "n0-n1"),
        ("n0", "n2"): (1, 2, "n0-n1-n2"),
        ("n1", "n2"): (0, 1, "n1-n2"),
    }
    for row in rows.values():
        assert row["assembled"] and row["reason"] == "" and row["bits"] == N_BITS
        assert row["key_consumed_bits"] == N_BITS * row["n_hops"]
        assert row["slot_start_s"] <= row["end_s"] <= row["slot_start_s"] + 0.25
    for (a, b), kp in ((pair, kaas.kp_of(*pair)) for pair in rows):
        assert kp.level_bits == N_BITS
        bits, _ = kp.take(N_BITS)
        assert np.array_equal(bits[a], bits[b])
    for a, b in chain_edges(3):
        pools = network.pools_of(a, b)
        for holder in (a, b):
            assert pools.store(holder, a).n_taken_bits == 2 * N_BITS
            assert pools.store(holder, b).n_taken_bits == 0
    keys = [kaas.kp_of(*pair).copies[pair[0]].n_put_bits for pair in rows]
    assert keys == [N_BITS] * 3


def test_assemblies_without_a_slot_are_blocked_every_period():
    """Chain of 4 with 2 slots: n0-n3 and n1-n3 find no common free slot (see test_slots); 2 periods."""
    with adapter.sequence_globals():
        network = build(chain_edges(4), 2.0)
        for a, b in chain_edges(4):
            prefill(network, a, b, 8192)
        kaas = KeyAsAService(network, KaaSSettings(period_s=1.0, slot_s=0.5, n_bits_per_slot=128))
        kaas.start(0.0, 2.0)
        run(network)
    rows = kaas.kp_assembly_records
    assert len(rows) == 2 * 6  # n(n-1)/2 = 6 KPs per period
    blocked = {(r["period"], r["src"], r["dst"]) for r in rows if not r["assembled"]}
    assert blocked == {(p, s, d) for p in (0, 1) for s, d in (("n0", "n3"), ("n1", "n3"))}
    for row in rows:
        if not row["assembled"]:
            assert row["slot"] == -1 and "no slot free" in row["reason"] and row["key_consumed_bits"] == 0
    assert kaas.kp_of("n0", "n3").level_bits == 0
    assert kaas.kp_of("n0", "n1").level_bits == 2 * 128


def test_assembly_fails_at_the_slot_end_when_a_link_has_no_key():
    """Only link n0-n1 holds key: n0-n2 spends its first hop and then times out at its slot's end."""
    with adapter.sequence_globals():
        network = build(chain_edges(3), 1.0)
        prefill(network, "n0", "n1", 4096)
        kaas = KeyAsAService(network, KaaSSettings(period_s=1.0, slot_s=0.25, n_bits_per_slot=N_BITS))
        kaas.start(0.0, 1.0)
        run(network)
    rows = rows_by_pair(kaas)
    assert rows[("n0", "n1")]["assembled"]
    failed = rows[("n0", "n2")]
    assert not failed["assembled"] and "deadline" in failed["reason"] and failed["bits"] == 0
    assert failed["key_consumed_bits"] == N_BITS  # the first hop's key is spent
    assert failed["end_s"] == pytest.approx(0.5)  # slot 1 ends at 0.5 s
    assert not rows[("n1", "n2")]["assembled"]
    assert kaas.kp_of("n0", "n2").level_bits == 0 == kaas.kp_of("n1", "n2").level_bits


def test_plan_routes_around_failed_links_and_untrusted_relays():
    edges = [("a", "b"), ("b", "c"), ("c", "d"), ("d", "a")]
    with adapter.sequence_globals():
        network = build(edges, 1.0)
        network.set_link_up("a", "b", False)
        plan = {(p.src, p.dst): p for p in KeyAsAService(network, KaaSSettings(1.0, 0.1, 64)).plan()}
        assert plan[("a", "b")].path == ("a", "d", "c", "b") and plan[("a", "b")].slot == 0
        untrusted = build(edges, 1.0, untrusted=("b", "d"))
        plan = {(p.src, p.dst): p for p in KeyAsAService(untrusted, KaaSSettings(1.0, 0.1, 64)).plan()}
        assert plan[("a", "c")].path == () and "no path" in plan[("a", "c")].reason


@pytest.mark.parametrize("role", ["trusted_relay", "end", "repeater"])
def test_plan_never_relays_through_an_end_or_a_repeater(role):
    """Ring a-b-c-d: a-c goes through b when b is a trusted relay, else round through d (or nowhere)."""
    edges = [("a", "b"), ("b", "c"), ("c", "d"), ("d", "a")]
    settings = KaaSSettings(1.0, 0.1, 64)
    with adapter.sequence_globals():
        network = build(edges, 1.0, roles={"b": role})
        (assignment,) = KeyAsAService(network, settings, pairs=[("a", "c")]).plan()
        assert assignment.path == (("a", "b", "c") if role == "trusted_relay" else ("a", "d", "c"))
        network.set_link_up("d", "c", False)
        (assignment,) = KeyAsAService(network, settings, pairs=[("a", "c")]).plan()
        assert assignment.path == (("a", "b", "c") if role == "trusted_relay" else ())


def test_bad_settings_and_pairs_raise_config_errors():
    with adapter.sequence_globals():
        network = build(chain_edges(3), 1.0)
        with pytest.raises(ConfigError, match="slot_s"):
            KaaSSettings(period_s=1.0, slot_s=1.0, n_bits_per_slot=8)
        with pytest.raises(ConfigError, match="n_bits_per_slot"):
            KaaSSettings(period_s=1.0, slot_s=0.1, n_bits_per_slot=0)
        with pytest.raises(ConfigError, match="kaas.pairs"):
            KeyAsAService(network, KaaSSettings(1.0, 0.1, 8), pairs=[("n0", "x")])
        kaas = KeyAsAService(network, KaaSSettings(1.0, 0.1, 8), pairs=[("n2", "n0")])
        assert kaas.pairs == [("n0", "n2")]
        with pytest.raises(ConfigError, match="no key pool"):
            kaas.request_vkp(0.1, "svc", "n0", "n1", 8)


def test_end_to_end_ring_with_fast_links_and_services():
    """Ring of 5 nodes (5 km links, decoy BB84 model), T = 0.5 s, t = 0.1 s, N = 128, three periods.

    Every KP is assembled every period with identical bits at both ends; the link key spent equals the
    sum of bits x hops; two services get disjoint, identical keys from their VKPs of KP n0-n2, refreshed
    at the next assembly; an over-large request is blocked.
    """
    names = [f"n{i}" for i in range(5)]
    edges = [(names[i], names[(i + 1) % 5]) for i in range(5)]
    taken: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {"A": [], "B": []}
    with adapter.sequence_globals():
        network = build(edges, 2.0, block_bits=128)
        point = get_model("decoy-bb84").evaluate(5.0, hardware_preset("gys"))
        for a, b in edges:
            network.add_fast_link(a, b, point, 0.0, 2.0)
        kaas = KeyAsAService(network, KaaSSettings(period_s=0.5, slot_s=0.1, n_bits_per_slot=128))
        assert kaas.slow_links() == []  # 4.0 kb/s x 0.5 (direction share) x 0.1 s = 200 bits >= N
        too_short = KeyAsAService(network, KaaSSettings(period_s=0.5, slot_s=0.05, n_bits_per_slot=128))
        assert too_short.slow_links() == sorted(link.name for link in network.spec.links)  # 100 bits < N
        kaas.start(0.5, 2.0)  # the first half second fills the link pools
        kaas.request_vkp(0.8, "A", "n0", "n2", 60)
        kaas.request_vkp(0.8, "B", "n2", "n0", 60)
        kaas.request_vkp(0.8, "C", "n0", "n2", 100)  # 128 - 2 x 60 = 8 bits left: blocked
        for t_s in (0.9, 1.3):
            for service in ("A", "B"):
                adapter.schedule_call(network.timeline, t_s, lambda s=service: taken[s].append(kaas.take(s, 40)))
        run(network)
    rows = kaas.kp_assembly_records
    assert len(rows) == 3 * 10
    assert all(r["assembled"] for r in rows), [r["reason"] for r in rows if not r["assembled"]]
    assert {r["n_hops"] for r in rows} == {1, 2}
    for pair in itertools.combinations(names, 2):
        kp = kaas.kp_of(*pair)
        if pair != ("n0", "n2"):
            bits, _ = kp.take(kp.level_bits)
            assert len(bits[pair[0]]) == 3 * 128 and np.array_equal(bits[pair[0]], bits[pair[1]])
    spent = sum(network.pools_of(a, b).store(h, i).n_taken_bits for a, b in edges for h in (a, b) for i in (a, b))
    assert spent == 2 * sum(r["bits"] * r["n_hops"] for r in rows)  # each hop's key is taken at both ends
    requests = [r for r in kaas.vkp_records if r["event"] == "request"]
    assert [(r["service"], r["served"]) for r in requests] == [("A", True), ("B", True), ("C", False)]
    assert "8 unallocated bits, 100 requested" in requests[2]["reason"]
    refreshes = [r for r in kaas.vkp_records if r["event"] == "refresh"]
    assert [(r["service"], r["bits_allocated"], r["bits_destroyed"]) for r in refreshes] == [
        ("A", 60, 20),
        ("B", 60, 20),
        ("A", 60, 20),
        ("B", 60, 20),
    ]  # each service had 60 - 40 = 20 bits left; the KP held 8 + 128, then 16 + 128 bits
    assert kaas.kp_of("n0", "n2").level_bits == 16 + 128 - 2 * 60
    for service in ("A", "B"):
        assert len(taken[service]) == 2
        for at_src, at_dst in taken[service]:
            assert len(at_src) == 40 and np.array_equal(at_src, at_dst)
    a_ids = {(k.block, k.start + i) for k in kaas.vkp_of("A").allocated_ids for i in range(k.length)}
    b_ids = {(k.block, k.start + i) for k in kaas.vkp_of("B").allocated_ids for i in range(k.length)}
    assert a_ids and b_ids and not a_ids & b_ids


def test_full_kp_is_not_assembled_and_released_vkp_bits_are_destroyed():
    """A KP holding 100 bits at most, N = 64: period 0 fills 64, period 1 finds room for 36 only.
    A VKP of 50 then taken from and released leaves the KP 14 bits, and its own unused bits are gone."""
    taken = []
    with adapter.sequence_globals():
        network = build([("a", "b")], 2.0)
        prefill(network, "a", "b", 4096)
        kaas = KeyAsAService(network, KaaSSettings(1.0, 0.5, 64, kp_capacity_bits=100))
        kaas.start(0.0, 2.0)
        kaas.request_vkp(1.2, "svc", "a", "b", 50)
        adapter.schedule_call(network.timeline, 1.3, lambda: taken.append(kaas.take("svc", 10)))
        kaas.release_vkp(1.4, "svc")
        run(network)
    first, second = kaas.kp_assembly_records
    assert first["assembled"] and first["kp_level_bits"] == 64
    assert not second["assembled"] and "room for 36 bits, 64 to add" in second["reason"]
    assert second["key_consumed_bits"] == 0 and second["end_s"] == pytest.approx(1.0)
    assert network.pools_of("a", "b").store("a", "a").n_taken_bits == 64
    assert len(taken) == 1 and len(taken[0][0]) == 10
    assert kaas.vkp_of("svc") is None and kaas.kp_of("a", "b").level_bits == 14
    with pytest.raises(SimulationError, match="holds no VKP"):
        kaas.take("svc", 1)
