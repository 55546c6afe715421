"""Blocks stored once for both ends of a link (fast links): each end still takes each of its bits once.

A fast link's block is the same key at both ends; its packed bits are stored in
one immutable ``bytes`` that both ends' stores point into, each store counting
the bits taken from its front block. These tests drive the link's pools with
blocks given packed (:meth:`LinkPools.deliver_packed`), as one unpacked array for
both ends, and as two arrays (photon links), then take at the initiating end and
by key ids at the other, and check against a plain model of the bits: both ends
get the same bits, every bit leaves each store at most once, levels add up and
never go negative, and the stored bytes cannot be written.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qkdn.pool import KeyIdError, LinkPools

A, B = "a", "b"


def _blocks(draw_kinds, seed):
    rng = np.random.default_rng(seed)
    for index, (kind, n_bits) in enumerate(draw_kinds):
        packed = rng.integers(0, 256, size=(n_bits + 7) // 8, dtype=np.uint8)
        yield f"blk#{index}", kind, packed, n_bits


def _put(pools, name, kind, packed, n_bits):
    """Deliver one block by one of the three ways; returns the bits both ends hold for it."""
    bits = np.unpackbits(packed, count=n_bits)
    if kind == "packed":
        pools.deliver_packed(name, packed.copy(), n_bits)
    elif kind == "one array":
        pools.deliver(name, bits, bits)
    else:
        pools.deliver(name, bits.copy(), bits.copy())
    return bits


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    blocks=st.lists(
        st.tuples(st.sampled_from(["packed", "one array", "two arrays"]), st.integers(1, 70)), min_size=1, max_size=12
    ),
    share=st.sampled_from([0.5, 0.25, 1.0, 0.0]),
    takes=st.lists(st.tuples(st.sampled_from([A, B]), st.integers(1, 60)), max_size=15),
    seed=st.integers(0, 1000),
)
def test_both_ends_agree_bit_for_bit_and_no_bit_leaves_a_store_twice(blocks, share, takes, seed):
    pools = LinkPools(A, B, capacity_bits=400, share_a=share)
    expected: dict[str, list[int]] = {A: [], B: []}  # each direction's bits in order, from the model
    for name, kind, packed, n_bits in _blocks(blocks, seed):
        if not pools.fits(n_bits):
            continue
        split = pools.split(n_bits)
        bits = _put(pools, name, kind, packed, n_bits)
        expected[A] += bits[:split].tolist()
        expected[B] += bits[split:].tolist()
    _check_held_block_counts(pools)
    for initiator in (A, B):
        other = B if initiator == A else A
        here, there = pools.store(initiator, initiator), pools.store(other, initiator)
        assert here.level_bits == there.level_bits == len(expected[initiator])
    taken = {A: 0, B: 0}
    for initiator, n_bits in takes:
        other = B if initiator == A else A
        here, there = pools.store(initiator, initiator), pools.store(other, initiator)
        n_bits = min(n_bits, here.level_bits)
        if n_bits == 0:
            continue
        bits, ids = here.take(n_bits)
        far_bits = there.take_ids(ids)
        start = taken[initiator]
        assert bits.tolist() == far_bits.tolist() == expected[initiator][start : start + n_bits]
        taken[initiator] += n_bits
        with pytest.raises(KeyIdError):  # the same ids again: those bits have left that store
            there.take_ids(ids)
        assert here.level_bits == there.level_bits == len(expected[initiator]) - taken[initiator] >= 0
        assert here.n_put_bits - here.n_taken_bits == here.level_bits
        _check_held_block_counts(pools)


def _check_held_block_counts(pools):
    """The link's count of store copies holding each block equals what the four stores hold."""
    counts: dict[str, int] = {}
    for store in pools.stores.values():
        for chunk in store._chunks:
            counts[chunk.prefix] = counts.get(chunk.prefix, 0) + 1
    assert pools._held_blocks == counts


def test_a_packed_block_is_the_bits_it_packs_split_between_the_directions():
    """deliver_packed gives the same stores, key ids and bits as delivering the unpacked block."""
    rng = np.random.default_rng(7)
    packed = rng.integers(0, 256, size=512, dtype=np.uint8)
    bits = np.unpackbits(packed)
    by_packed, by_bits = LinkPools(A, B, 10_000), LinkPools(A, B, 10_000)
    by_packed.deliver_packed("x#0", packed, 4096)
    by_bits.deliver("x#0", bits.copy(), bits.copy())
    for initiator, n_bits in ((A, 2048), (B, 2048)):
        first = by_packed.store(initiator, initiator).take(n_bits)
        second = by_bits.store(initiator, initiator).take(n_bits)
        assert first[1] == second[1]
        assert np.array_equal(first[0], second[0])
    assert np.array_equal(np.concatenate([bits[:2048], bits[2048:]]), bits)


def test_an_unaligned_split_still_puts_the_right_bits():
    """A split that is not a whole number of bytes (share 0.3 of 100 bits) re-packs each direction's part."""
    rng = np.random.default_rng(3)
    packed = rng.integers(0, 256, size=13, dtype=np.uint8)
    bits = np.unpackbits(packed, count=100)
    pools = LinkPools(A, B, 1000, share_a=0.3)
    pools.deliver_packed("y#0", packed, 100)
    assert pools.store(A, A).take(30)[0].tolist() == bits[:30].tolist()
    assert pools.store(B, B).take(70)[0].tolist() == bits[30:].tolist()


def test_stored_key_cannot_be_changed_through_a_shared_block():
    pools = LinkPools(A, B, 10_000)
    packed = np.arange(64, dtype=np.uint8)
    pools.deliver_packed("z#0", packed, 512)
    packed[:] = 0  # the caller's array is not what the stores hold
    at_a, at_b = pools.store(A, A)._chunks[0], pools.store(B, A)._chunks[0]
    assert at_a is at_b and isinstance(at_a.data, bytes)  # one immutable copy for both ends
    bits, _ = pools.store(A, A).take(256)
    assert bits.tolist() == np.unpackbits(np.arange(32, dtype=np.uint8)).tolist()
    assert pools.store(B, A).level_bits == 256  # the far end's copy still holds its bits until the ids arrive


def test_a_packed_block_of_the_wrong_size_is_refused():
    pools = LinkPools(A, B, 10_000)
    with pytest.raises(Exception, match="bytes for"):
        pools.deliver_packed("w#0", np.zeros(3, dtype=np.uint8), 64)


def test_a_block_name_still_held_at_either_end_is_refused_and_free_again_once_every_copy_is_used():
    pools = LinkPools(A, B, 10_000, share_a=1.0)  # every bit to a's direction
    pools.deliver_packed("v#0", np.zeros(8, dtype=np.uint8), 64)
    _, ids = pools.store(A, A).take(64)  # a's copy is used up; b's copy waits for the ids
    with pytest.raises(KeyIdError, match="still held"):
        pools.deliver_packed("v#0", np.zeros(8, dtype=np.uint8), 64)
    pools.store(B, A).take_ids(ids)
    assert pools._held_blocks == {}
    pools.deliver_packed("v#0", np.ones(8, dtype=np.uint8), 64)  # no copy holds it any more
    assert pools.store(A, A).level_bits == pools.store(B, A).level_bits == 64


def test_a_relay_waiting_for_key_may_use_a_whole_block_while_it_is_being_put():
    """A request waiting for key is served during the put, and may take the new block whole at once."""
    pools = LinkPools(A, B, 10_000, share_a=1.0)
    served = []
    store = pools.store(A, A)
    store.when_available(64, lambda: served.append(store.take(64)))
    pools.deliver_packed("u#0", np.full(8, 255, dtype=np.uint8), 64)
    assert len(served) == 1 and served[0][0].tolist() == [1] * 64
    assert pools._held_blocks == {"u#0": 1}  # b's copy still holds it until the ids arrive
    pools.store(B, A).take_ids(served[0][1])
    assert pools._held_blocks == {}


def test_blocks_put_from_one_shared_buffer_read_only_their_own_bytes():
    """put_packed: two blocks from one buffer (as a fast link draws them) each get their own bytes, both ends."""
    data = bytes(range(128))
    pools = LinkPools(A, B, 10_000)
    pools.put_packed("s#0", data, 0, 512)
    pools.put_packed("s#1", data, 64, 512)
    sent, ids = pools.store(A, A).take(512)  # the first half of both blocks
    expected = np.unpackbits(np.frombuffer(data, dtype=np.uint8))
    assert sent.tolist() == np.concatenate([expected[:256], expected[512:768]]).tolist()
    assert pools.store(B, A).take_ids(ids).tolist() == sent.tolist()
    assert pools.store(B, B).take(512)[0].tolist() == np.concatenate([expected[256:512], expected[768:]]).tolist()


@pytest.mark.parametrize("first_byte", [-1, 65, 1.0])
def test_a_block_outside_its_buffer_is_refused_and_nothing_is_put(first_byte):
    pools = LinkPools(A, B, 10_000)
    with pytest.raises(Exception, match="does not fit"):
        pools.put_packed("t#0", bytes(128), first_byte, 512)
    assert pools.n_blocks == 0 and pools._held_blocks == {}
