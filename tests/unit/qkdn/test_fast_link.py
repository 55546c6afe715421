"""Fast key links: blocks on their clock, identical at both ends, paused (without events) while the pools are full."""

from dataclasses import replace
from types import MappingProxyType

import numpy as np
import pytest

from qkdn.network import QKDNetwork, QKDSettings
from qnetsim.core.randomness import generator
from qtn.sequence_backed import adapter
from tests.qkdn_support import key_rate_point, network_spec, simulate

ONE_LINK = [("a", "b", 10.0)]


def test_blocks_arrive_every_block_time_with_their_rows():
    """1000-bit blocks at 100 kb/s: one every 10 ms; sifted bits = secret x sifted/secret per pulse (5)."""
    network = simulate(network_spec(ONE_LINK), 0.105, QKDSettings(block_bits=1000), reports=False)
    rows = network.block_records
    assert [row["t_s"] for row in rows] == pytest.approx([0.01 * k for k in range(1, 11)], abs=1e-9)
    assert all(row["secret_bits"] == 1000 and row["sifted_bits"] == 5000 for row in rows)
    assert all(row["disclosed_bits"] == 4000 and row["qber"] == pytest.approx(0.02) for row in rows)
    assert all(row["source"] == "model" for row in rows)
    assert all(row["key_length"] == "asymptotic" and row["asymptotic_secret_bits"] == 1000 for row in rows)
    assert all(np.isnan(row["finite_secret_bits"]) for row in rows)  # an asymptotic model has no finite length
    pools = network.pools_of("a", "b")
    assert pools.store("a", "a").level_bits == pools.store("b", "b").level_bits == 5000


def test_a_finite_key_model_link_says_its_blocks_are_finite_key():
    """A point of a finite-key model (its parameters name the block) makes rows with key_length finite."""
    point = key_rate_point(100_000.0)
    finite = replace(point, parameters=MappingProxyType({**point.parameters, "block_bits": 1e8}))
    with adapter.sequence_globals():
        timeline = adapter.new_timeline(0.025)
        network = QKDNetwork(network_spec(ONE_LINK), QKDSettings(block_bits=1000), 1, timeline)
        network.add_fast_link("a", "b", finite, 0.0, 0.025)
        adapter.run_timeline(timeline)
    rows = network.block_records
    assert len(rows) == 2 and all(row["key_length"] == "finite" and row["finite_secret_bits"] == 1000 for row in rows)
    assert all(np.isnan(row["asymptotic_secret_bits"]) for row in rows)


def test_consecutive_blocks_differ_and_both_ends_get_the_same_bits():
    network = simulate(network_spec(ONE_LINK), 0.035, QKDSettings(block_bits=1000), reports=False)
    pools = network.pools_of("a", "b")
    sent, ids = pools.store("a", "a").take(1500)
    assert np.array_equal(pools.store("b", "a").take_ids(ids), sent)
    blocks = sent.reshape(3, 500)
    assert not np.array_equal(blocks[0], blocks[1]) and not np.array_equal(blocks[1], blocks[2])


def test_a_full_link_pauses_without_events_and_resumes_on_its_block_clock():
    """Capacity 4000 bits = four blocks. After 0.04 s the link pauses; a block's worth of key taken at 0.503 s
    brings the next block at 0.51 s, on the 10 ms clock (all of it to the emptied direction), and the pause
    itself costs no events."""
    taken_at_s = 0.5 + 3e-3

    def setup(network: QKDNetwork) -> None:
        store = network.pools_of("a", "b").store("a", "a")
        other = network.pools_of("a", "b").store("b", "a")
        adapter.schedule_call(network.timeline, taken_at_s, lambda: other.take_ids(store.take(1000)[1]))

    network = simulate(
        network_spec(ONE_LINK),
        1.0,
        QKDSettings(block_bits=1000, pool_capacity_bits=4000),
        setup=setup,
        reports=False,
    )
    times = [row["t_s"] for row in network.block_records]
    assert times == pytest.approx([0.01, 0.02, 0.03, 0.04, 0.51], abs=1e-9)
    assert network.fast_links["a~b"].n_paused == 2  # at 0.05 s and again at 0.52 s
    assert adapter.events_executed(network.timeline) <= 10  # 7 ticks and 1 take, not 100 ticks
    pools = network.pools_of("a", "b")
    assert pools.store("a", "a").level_bits == pools.store("b", "b").level_bits == 2000


def test_a_failed_link_makes_no_key():
    from qkdn.failures import LinkOutage

    network = simulate(
        network_spec(ONE_LINK),
        0.1,
        QKDSettings(block_bits=1000),
        setup=lambda n: n.add_outage(LinkOutage("a", "b", 0.025, 0.065)),
        reports=False,
    )
    times = [row["t_s"] for row in network.block_records]
    assert times == pytest.approx([0.01, 0.02, 0.07, 0.08, 0.09], abs=1e-9)


def test_the_key_bits_are_the_links_own_random_bytes_in_order():
    """A block's bits are the link generator's uniform bytes, unpacked, first bit first: the stores keep them
    packed as drawn (one copy shared by the two ends), and taking them gives those bits at both ends."""
    network = simulate(network_spec(ONE_LINK), 0.035, QKDSettings(block_bits=1000), reports=False)
    rng = generator(1, "qkd.link.a~b.key")  # the seed simulate() runs with, the link's stream name
    expected = np.concatenate(
        [np.unpackbits(rng.integers(0, 256, size=125, dtype=np.uint8)) for _ in range(3)]
    ).reshape(3, 1000)
    pools = network.pools_of("a", "b")
    sent_a, ids_a = pools.store("a", "a").take(1500)
    sent_b, ids_b = pools.store("b", "b").take(1500)
    assert np.array_equal(sent_a, expected[:, :500].ravel())
    assert np.array_equal(sent_b, expected[:, 500:].ravel())
    assert np.array_equal(pools.store("b", "a").take_ids(ids_a), sent_a)
    assert np.array_equal(pools.store("a", "b").take_ids(ids_b), sent_b)


def test_block_rows_read_as_mappings_with_every_column():
    network = simulate(network_spec(ONE_LINK), 0.035, QKDSettings(block_bits=1000), reports=False)
    first, second = network.block_records[:2]
    assert dict(first).keys() == dict(second).keys() and len(first) == len(dict(first))
    assert first["t_s"] == pytest.approx(0.01) and second["t_s"] == pytest.approx(0.02)
    assert dict(first) | {"t_s": 0.02, "finite_secret_bits": 0} == pytest.approx(
        dict(second) | {"finite_secret_bits": 0}
    )
    assert first["link_kind"] == "bb84-fast" and first["link"] == "a~b"


@pytest.mark.parametrize("block_bits", [96, 100, 512, 1000, 4096])
def test_each_block_holds_the_bits_a_draw_of_its_own_would_give(block_bits):
    """Blocks drawn several at a time (whole 32-bit words) or one by one: block k holds the k-th draw's bits.

    Reference: the link's generator drawing ``ceil(block_bits / 8)`` random bytes per block, unpacked; the
    first half of each block goes to a's direction, the rest to b's (default share 0.5).
    """
    n_blocks = 20
    duration_s = (n_blocks + 0.5) * block_bits / 100_000.0
    network = simulate(network_spec(ONE_LINK), duration_s, QKDSettings(block_bits=block_bits), reports=False)
    reference = generator(1, "qkd.link.a~b.key")
    n_bytes = (block_bits + 7) // 8
    expected = np.array(
        [
            np.unpackbits(reference.integers(0, 256, size=n_bytes, dtype=np.uint8), count=block_bits)
            for _ in range(n_blocks)
        ]
    )
    pools = network.pools_of("a", "b")
    split = int(round(block_bits * 0.5))
    to_a = pools.store("a", "a").take(n_blocks * split)[0].reshape(n_blocks, split)
    to_b = pools.store("b", "b").take(n_blocks * (block_bits - split))[0].reshape(n_blocks, block_bits - split)
    assert network.fast_links["a~b"].n_blocks == n_blocks
    assert np.array_equal(np.hstack([to_a, to_b]), expected)
