"""Key stores and link pools: each bit handed out once, both ends identical, waiting by priority."""

import numpy as np
import pytest

from qkdn.pool import KeyId, KeyIdError, KeyStore, LinkPools
from qnetsim.core.errors import SimulationError


def bits(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.uint8)


def random_bits(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2, size=n, dtype=np.uint8)


def pair(capacity_bits: int = 100) -> tuple[KeyStore, KeyStore]:
    """The two copies of the store ``a`` sends with towards ``b``: at a (initiator) and at b."""
    return KeyStore("a", "b", "a", capacity_bits), KeyStore("b", "a", "a", capacity_bits)


# --- KeyStore ---------------------------------------------------------------------------


def test_put_then_take_returns_oldest_bits_with_their_ids():
    store, _ = pair()
    store.put("k0", bits(1, 0, 1))
    store.put("k1", bits(0, 0, 1, 1))
    taken, ids = store.take(5)
    assert taken.tolist() == [1, 0, 1, 0, 0]
    assert ids == [KeyId("k0", 0, 3), KeyId("k1", 0, 2)]
    assert store.level_bits == 2 and store.free_bits == 98
    taken, ids = store.take(2)
    assert taken.tolist() == [1, 1] and ids == [KeyId("k1", 2, 2)]
    assert store.level_bits == 0
    assert (store.n_put_bits, store.n_taken_bits) == (7, 7)


def test_put_copies_the_block():
    store, _ = pair()
    block = bits(1, 1, 1, 1)
    store.put("k0", block)
    block[:] = 0
    assert store.take(4)[0].tolist() == [1, 1, 1, 1]


def test_take_zero_bits_is_empty():
    store, _ = pair()
    store.put("k0", bits(1))
    taken, ids = store.take(0)
    assert len(taken) == 0 and ids == [] and store.level_bits == 1


def test_take_more_than_held_is_refused_and_changes_nothing():
    store, _ = pair()
    store.put("k0", bits(1, 0))
    with pytest.raises(SimulationError, match="3 bits asked, 2 held"):
        store.take(3)
    assert store.level_bits == 2


def test_take_negative_bits_is_refused():
    store, _ = pair()
    store.put("k0", bits(1, 0, 1))
    with pytest.raises(SimulationError, match="-2"):
        store.take(-2)
    assert store.level_bits == 3


def test_only_the_initiator_takes_fresh_keys():
    _, copy_at_b = pair()
    copy_at_b.put("k0", bits(1, 0))
    with pytest.raises(SimulationError, match="only a may take"):
        copy_at_b.take(1)


def test_put_beyond_capacity_is_refused():
    store, _ = pair(capacity_bits=4)
    store.put("k0", bits(1, 0, 1))
    with pytest.raises(SimulationError, match="overflows"):
        store.put("k1", bits(1, 1))
    assert store.level_bits == 3 and store.free_bits == 1


def test_take_ids_at_the_other_end_yields_the_same_bits():
    at_a, at_b = pair()
    for store in (at_a, at_b):
        store.put("k0", random_bits(40, seed=1))
        store.put("k1", random_bits(40, seed=2))
    for n in (13, 30, 37):
        taken, ids = at_a.take(n)
        assert np.array_equal(at_b.take_ids(ids), taken)
    assert at_a.level_bits == at_b.level_bits == 0


def test_take_ids_refuses_bits_out_of_order_or_twice():
    at_a, at_b = pair()
    for store in (at_a, at_b):
        store.put("k0", random_bits(20))
    _, first = at_a.take(5)
    _, second = at_a.take(5)
    with pytest.raises(SimulationError, match="not the next unused key"):
        at_b.take_ids(second)  # skips the first segment
    at_b.take_ids(first)
    with pytest.raises(SimulationError, match="already taken"):
        at_b.take_ids(first)  # the same bits a second time
    at_b.take_ids(second)
    with pytest.raises(SimulationError, match="runs past the end of its block"):
        at_b.take_ids([KeyId("k0", 10, 11)])  # more bits than the block has left
    assert at_b.level_bits == 10


def test_negative_length_cannot_move_the_position_back_and_hand_out_bits_twice():
    """Regression: KeyId(blk0, 16, -16) used to move the position back, so bits 0-15 left twice."""
    store = KeyStore("b", "a", "a", 100)
    store.put("blk0", random_bits(32))
    first = store.take_ids([KeyId("blk0", 0, 16)])
    with pytest.raises(KeyIdError, match="length >= 1"):
        store.take_ids([KeyId("blk0", 16, -16)])
    with pytest.raises(KeyIdError, match="already taken"):
        store.take_ids([KeyId("blk0", 0, 16)])
    assert store.level_bits == 16 and store.n_taken_bits == 16
    rest = store.take_ids([KeyId("blk0", 16, 16)])
    assert len(first) == len(rest) == 16 and store.level_bits == 0


@pytest.mark.parametrize(
    ("key_id", "message"),
    [
        (KeyId("k0", -1, 4), "start must be >= 0"),
        (KeyId("k0", 0, 0), "length >= 1"),
        (KeyId("k0", 0, 21), "runs past the end"),
        (KeyId("k0", 2.0, 4), "integers"),  # type: ignore[arg-type]
        (KeyId("k0", 0, True), "integers"),  # type: ignore[arg-type]
        (KeyId("nope", 0, 4), "not the next unused key"),
        (("k0", 0, 4), "not a key id"),
    ],
)
def test_take_ids_refuses_malformed_ids(key_id, message):
    store = KeyStore("b", "a", "a", 100)
    store.put("k0", random_bits(20))
    with pytest.raises(KeyIdError, match=message):
        store.take_ids([key_id])
    assert store.level_bits == 20 and store.n_taken_bits == 0


def test_a_refused_call_takes_nothing_even_after_valid_ids():
    """All or nothing: the valid first id of a refused call stays in the store."""
    store = KeyStore("b", "a", "a", 100)
    store.put("k0", random_bits(20, seed=3))
    expected = random_bits(20, seed=3)
    with pytest.raises(KeyIdError, match="already taken"):
        store.take_ids([KeyId("k0", 0, 8), KeyId("k0", 4, 4)])  # the second overlaps the first
    assert store.level_bits == 20
    assert np.array_equal(store.take_ids([KeyId("k0", 0, 8), KeyId("k0", 8, 12)]), expected)


def test_take_ids_may_cross_blocks_in_order():
    store = KeyStore("b", "a", "a", 100)
    store.put("k0", bits(1, 0, 1))
    store.put("k1", bits(0, 1))
    assert store.take_ids([KeyId("k0", 0, 3), KeyId("k1", 0, 1)]).tolist() == [1, 0, 1, 0]
    with pytest.raises(KeyIdError, match="not the next unused key"):
        store.take_ids([KeyId("k0", 0, 1)])


def test_take_refuses_a_count_that_is_not_an_integer():
    store, _ = pair()
    store.put("k0", bits(1, 0, 1))
    with pytest.raises(KeyIdError, match="cannot take 1.5 bits"):
        store.take(1.5)  # type: ignore[arg-type]
    assert store.level_bits == 3


def test_put_refuses_a_block_name_still_held():
    store, _ = pair()
    store.put("k0", bits(1, 0))
    with pytest.raises(KeyIdError, match="already held"):
        store.put("k0", bits(1))
    assert store.level_bits == 2


def test_repr_shows_levels_never_bits():
    store, _ = pair()
    store.put("k0", bits(1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1))
    text = repr(store)
    assert "level_bits=11" in text
    assert "1 0 1" not in text and "array" not in text


# --- waiting for key --------------------------------------------------------------------


def test_when_available_calls_at_once_if_enough_key():
    store, _ = pair()
    store.put("k0", random_bits(10))
    calls = []
    store.when_available(10, lambda: calls.append("now"))
    assert calls == ["now"] and store.n_waiting == 0


def test_waiters_are_served_by_priority_then_arrival_without_overtaking():
    store, _ = pair()
    order = []

    def waiter(name: str, n_bits: int):
        def callback() -> None:
            order.append(name)
            store.take(n_bits)

        return callback

    store.when_available(4, waiter("low-first", 4), priority=0.0)
    store.when_available(8, waiter("high", 8), priority=5.0)
    store.when_available(2, waiter("low-second", 2), priority=0.0)
    store.when_available(2, waiter("mid", 2), priority=1.0)
    assert store.n_waiting == 4
    store.put("k0", random_bits(6))
    assert order == []  # "high" (8 bits) heads the queue and blocks the smaller ones behind it
    store.put("k1", random_bits(6))
    assert order == ["high", "mid"]  # 12 held: high takes 8, mid 2; low-first (4) waits, so low-second waits too
    store.put("k2", random_bits(10))
    assert order == ["high", "mid", "low-first", "low-second"]
    assert store.n_waiting == 0


def test_waiter_taking_key_wakes_the_next_only_if_enough_left():
    store, _ = pair()
    woken = []
    store.when_available(6, lambda: (woken.append(1), store.take(6)))
    store.when_available(6, lambda: (woken.append(2), store.take(6)))
    store.put("k0", random_bits(10))
    assert woken == [1] and store.level_bits == 4
    store.put("k1", random_bits(2))
    assert woken == [1, 2] and store.level_bits == 0


def test_discard_waiters_drops_them():
    store, _ = pair()
    called = []
    store.when_available(5, lambda: called.append(1))
    store.when_available(5, lambda: called.append(2))
    assert store.discard_waiters() == 2
    store.put("k0", random_bits(10))
    assert called == [] and store.n_waiting == 0


def test_cancelled_waiter_neither_runs_nor_blocks_those_behind():
    store, _ = pair()
    called = []
    handle = store.when_available(50, lambda: called.append("big"), priority=9.0)
    store.when_available(5, lambda: called.append("small"))
    store.put("k0", random_bits(10))
    assert called == []  # the big request heads the queue
    handle.cancel()
    store.put("k1", random_bits(1))
    assert called == ["small"] and store.n_waiting == 0


# --- LinkPools --------------------------------------------------------------------------


def test_link_pools_split_capacity_and_blocks_between_directions():
    pools = LinkPools("a", "b", capacity_bits=1000, share_a=0.25)
    assert pools.store("a", "a").capacity_bits == pools.store("b", "a").capacity_bits == 250
    assert pools.store("a", "b").capacity_bits == pools.store("b", "b").capacity_bits == 750
    block = random_bits(100, seed=7)
    pools.deliver("blk", block, block.copy())
    assert pools.store("a", "a").level_bits == pools.store("b", "a").level_bits == 25
    assert pools.store("a", "b").level_bits == pools.store("b", "b").level_bits == 75
    assert pools.n_blocks == 1


def test_both_ends_hold_identical_bits_in_each_direction():
    pools = LinkPools("a", "b", capacity_bits=10_000)
    for k in range(5):
        block = random_bits(300, seed=k)
        pools.deliver(f"blk{k}", block, block.copy())
    for initiator in ("a", "b"):
        other = "b" if initiator == "a" else "a"
        sent, ids = pools.store(initiator, initiator).take(700)
        assert np.array_equal(pools.store(other, initiator).take_ids(ids), sent)


def test_the_two_directions_use_disjoint_parts_of_a_block():
    pools = LinkPools("a", "b", capacity_bits=16)
    block = bits(1, 1, 1, 1, 0, 0, 0, 0)
    pools.deliver("x", block, block.copy())
    assert pools.store("a", "a").take(4)[0].tolist() == [1, 1, 1, 1]
    assert pools.store("b", "b").take(4)[0].tolist() == [0, 0, 0, 0]


def test_deliver_refuses_ends_of_different_lengths():
    pools = LinkPools("a", "b", capacity_bits=100)
    with pytest.raises(SimulationError, match="different lengths"):
        pools.deliver("blk", random_bits(10), random_bits(9))


def test_fits_checks_every_copy():
    pools = LinkPools("a", "b", capacity_bits=100)
    assert pools.fits(100) and not pools.fits(101)
    block = random_bits(60)
    pools.deliver("blk", block, block.copy())
    assert pools.fits(40) and not pools.fits(42)
    pools.store("a", "a").take(30)  # a's direction emptied at a only: b's copy still holds it
    assert not pools.fits(42)
    pools.store("b", "a").take_ids([KeyId("blk.a", 0, 30)])
    assert pools.fits(100 - 30)


def test_a_full_direction_does_not_stop_the_other_from_refilling():
    """One direction unused (full) while the other is drained: blocks still feed the drained one."""
    pools = LinkPools("a", "b", capacity_bits=100)
    for k in range(2):
        block = random_bits(50, seed=k)
        pools.deliver(f"blk{k}", block, block.copy())
    assert pools.store("a", "a").level_bits == 50 and pools.store("b", "b").level_bits == 50
    _, ids = pools.store("a", "a").take(50)
    pools.store("b", "a").take_ids(ids)
    assert pools.fits(50)
    block = random_bits(50, seed=9)
    pools.deliver("blk2", block, block.copy())
    assert pools.store("a", "a").level_bits == pools.store("b", "a").level_bits == 50
    assert pools.store("b", "b").level_bits == pools.store("a", "b").level_bits == 50
    assert not pools.fits(1)  # both directions full: the link pauses
    sent, ids = pools.store("a", "a").take(50)
    assert np.array_equal(sent, block) and np.array_equal(pools.store("b", "a").take_ids(ids), block)
