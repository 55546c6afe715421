"""Pair key pools and virtual key pools: identical bits at both ends, first-fit, exclusive, used once."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qkdn.pair_pool import PairKeyPool, SharedKey, VirtualKeyPool
from qkdn.pool import KeyId
from qnetsim.core.errors import ConfigError, SimulationError


def random_bits(n_bits: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2, size=n_bits, dtype=np.uint8)


def filled_kp(*block_sizes: int, capacity_bits: int = 10_000) -> PairKeyPool:
    kp = PairKeyPool("a", "b", capacity_bits)
    for index, size in enumerate(block_sizes):
        bits = random_bits(size, index)
        kp.add_assembly({"a": bits, "b": bits.copy()})
    return kp


def covered(ids: list[KeyId]) -> set[tuple[str, int]]:
    return {(key_id.block, bit) for key_id in ids for bit in range(key_id.start, key_id.start + key_id.length)}


def test_shared_key_gives_the_same_bits_at_both_ends_once():
    key = SharedKey("a", "b", 100)
    bits = random_bits(64, 1)
    key.put("k0", {"a": bits, "b": bits.copy()})
    got, ids = key.take(40)
    assert np.array_equal(got["a"], bits[:40]) and np.array_equal(got["b"], bits[:40])
    assert ids == [KeyId("k0", 0, 40)]
    assert key.level_bits == 24 and key.copies["b"].level_bits == 24
    with pytest.raises(SimulationError):
        key.take(25)
    with pytest.raises(SimulationError, match="overflows"):
        key.put("k1", {"a": random_bits(77, 2), "b": random_bits(77, 2)})
    with pytest.raises(ConfigError, match="differ"):
        SharedKey("a", "a", 10)


def test_vkps_are_carved_first_fit_and_exclusively():
    """KP of blocks 600 + 400. A(300) gets bits 0-299 of block 0; B(500) gets 300-599 and 0-199 of block 1;
    C(300) is blocked (200 left); D(200), after C, still fits and gets bits 200-399 of block 1."""
    kp = filled_kp(600, 400)
    b0, b1 = "kp.a~b#0", "kp.a~b#1"
    outcomes = {
        name: kp.register(VirtualKeyPool(name, "a", "b", bits))
        for name, bits in (("A", 300), ("B", 500), ("C", 300), ("D", 200))
    }
    assert [o.served for o in outcomes.values()] == [True, True, False, True]
    assert "200 unallocated bits, 300 requested" in outcomes["C"].reason
    assert kp.vkps["A"].allocated_ids == [KeyId(b0, 0, 300)]
    assert kp.vkps["B"].allocated_ids == [KeyId(b0, 300, 300), KeyId(b1, 0, 200)]
    assert kp.vkps["D"].allocated_ids == [KeyId(b1, 200, 200)]
    assert "C" not in kp.vkps and kp.level_bits == 0
    sets = [covered(kp.vkps[name].allocated_ids) for name in ("A", "B", "D")]
    assert sum(len(s) for s in sets) == len(set().union(*sets)) == 1000


def test_a_service_takes_identical_bits_at_its_two_ends_in_its_own_orientation():
    kp = PairKeyPool("a", "b", 1000)
    at_a, at_b = random_bits(200, 5), random_bits(200, 5)
    kp.add_assembly({"a": at_a, "b": at_b})
    vkp = VirtualKeyPool("svc", "b", "a", 120)  # the service runs from b to a
    assert kp.register(vkp).served
    at_src, at_dst = vkp.take(50)
    assert np.array_equal(at_src, at_b[:50]) and np.array_equal(at_dst, at_a[:50])
    assert vkp.level_bits == 70
    with pytest.raises(SimulationError, match="71 bits asked"):
        vkp.take(71)


def test_refresh_destroys_unused_bits_and_reallocates_in_registration_order():
    kp = filled_kp(500)
    first, second = VirtualKeyPool("first", "a", "b", 200), VirtualKeyPool("second", "a", "b", 250)
    kp.register(first), kp.register(second)
    first.take(150)
    kp.add_assembly({"a": random_bits(300, 9), "b": random_bits(300, 9)})  # KP now 50 + 300
    outcomes = kp.refresh()
    assert [(o.service, o.destroyed_bits, o.allocated_bits, o.served) for o in outcomes] == [
        ("first", 50, 200, True),
        ("second", 250, 0, False),  # 150 left after first's refill
    ]
    assert first.level_bits == 200 and second.level_bits == 0 and kp.level_bits == 150
    assert first.allocated_ids[-2:] == [KeyId("kp.a~b#0", 450, 50), KeyId("kp.a~b#1", 0, 150)]
    assert kp.release("first") == 200 and "first" not in kp.vkps and kp.level_bits == 150


def test_register_rejects_foreign_nodes_duplicates_and_empty_requests():
    kp = filled_kp(100)
    with pytest.raises(ConfigError, match="not those of KP"):
        kp.register(VirtualKeyPool("x", "a", "c", 10))
    kp.register(VirtualKeyPool("y", "a", "b", 10))
    with pytest.raises(ConfigError, match="already holds"):
        kp.register(VirtualKeyPool("y", "a", "b", 10))
    with pytest.raises(ConfigError, match="must be > 0"):
        VirtualKeyPool("z", "a", "b", 0)


operation = st.one_of(
    st.tuples(st.just("assemble"), st.integers(1, 300)),
    st.tuples(st.just("register"), st.integers(1, 200)),
    st.tuples(st.just("take"), st.integers(0, 200)),
    st.tuples(st.just("refresh"), st.just(0)),
    st.tuples(st.just("release"), st.just(0)),
)


@settings(max_examples=80, deadline=None)
@given(operations=st.lists(st.tuples(operation, st.integers(0, 5)), max_size=40))
def test_no_key_bit_is_handed_out_twice_and_levels_stay_consistent(operations):
    """Property: VKPs never share a KP bit; both ends always agree; levels never negative; bits are conserved."""
    kp = PairKeyPool("a", "b", 2000)
    vkps: list[VirtualKeyPool] = []
    n_put = 0
    for step, ((kind, amount), pick) in enumerate(operations):
        live = list(kp.vkps.values())
        if kind == "assemble" and amount <= kp.free_bits:
            bits = random_bits(amount, step)
            kp.add_assembly({"a": bits, "b": bits.copy()})
            n_put += amount
        elif kind == "register":
            vkp = VirtualKeyPool(f"s{step}", *(("a", "b") if pick % 2 else ("b", "a")), amount)
            if kp.register(vkp).served:
                vkps.append(vkp)
        elif kind == "take" and live:
            vkp = live[pick % len(live)]
            at_src, at_dst = vkp.take(min(amount, vkp.level_bits))
            assert np.array_equal(at_src, at_dst)
        elif kind == "refresh":
            kp.refresh()
        elif kind == "release" and live:
            kp.release(live[pick % len(live)].service)
        levels = [kp.level_bits, *(v.level_bits for v in vkps)]
        assert min(levels) >= 0
        for store in [*kp.copies.values(), *(c for v in vkps for c in v.key.copies.values())]:
            assert 0 <= store.level_bits <= store.capacity_bits
    handed = [covered(v.allocated_ids) for v in vkps]
    assert sum(len(h) for h in handed) == len(set().union(*handed))
    assert kp.level_bits + sum(len(h) for h in handed) == n_put
    for vkp in vkps:
        allocated = sum(key_id.length for key_id in vkp.allocated_ids)
        assert vkp.key.n_taken_bits + vkp.level_bits == allocated
