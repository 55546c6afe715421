"""Property test of a key store: each bit leaves at most once, whatever the calls.

A hypothesis state machine puts blocks, takes at the initiating end and takes
by key ids (valid next ids, and ids that are stale, overlapping, negative,
outside their block or out of order), and checks every result against a plain
model: the set of (block, bit) positions that have left, and the block bits.
"""

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from qkdn.pool import KeyId, KeyIdError, KeyStore

CAPACITY_BITS = 256


class KeyStoreMachine(RuleBasedStateMachine):
    """Drives one store (taken from both by ``take`` and ``take_ids``) against a model of the bits that left."""

    @initialize()
    def start(self) -> None:
        self.store = KeyStore("a", "b", "a", CAPACITY_BITS)
        self.blocks: dict[str, np.ndarray] = {}  # every block ever put, by name
        self.order: list[str] = []  # names in the order put
        self.left: set[tuple[str, int]] = set()  # (block, bit) positions handed out
        self.n_blocks = 0

    # --- the model ---------------------------------------------------------------------

    def _held(self) -> list[tuple[str, int]]:
        """Positions still held, oldest first (the store is a FIFO)."""
        return [
            (name, bit) for name in self.order for bit in range(len(self.blocks[name])) if (name, bit) not in self.left
        ]

    def _next_ids(self, n_bits: int) -> list[KeyId]:
        """Key ids of the next ``n_bits`` held bits, one per block touched."""
        ids: list[KeyId] = []
        for name, bit in self._held()[:n_bits]:
            if ids and ids[-1].block == name:
                ids[-1] = KeyId(name, ids[-1].start, ids[-1].length + 1)
            else:
                ids.append(KeyId(name, bit, 1))
        return ids

    def _record(self, ids: list[KeyId], taken: np.ndarray) -> None:
        """Check that ``taken`` are the bits ``ids`` name and that none had left before."""
        positions = [(key_id.block, key_id.start + k) for key_id in ids for k in range(key_id.length)]
        assert len(positions) == len(set(positions)) == len(taken)
        assert not self.left.intersection(positions), "a bit left the store twice"
        expected = [self.blocks[name][bit] for name, bit in positions]
        assert taken.tolist() == expected
        self.left.update(positions)

    # --- rules -------------------------------------------------------------------------

    @rule(n_bits=st.integers(1, 40), seed=st.integers(0, 2**16))
    def put(self, n_bits: int, seed: int) -> None:
        bits = np.random.default_rng(seed).integers(0, 2, n_bits, dtype=np.uint8)
        name = f"k{self.n_blocks}"
        if n_bits > self.store.free_bits:
            return
        self.store.put(name, bits)
        self.blocks[name], self.n_blocks = bits, self.n_blocks + 1
        self.order.append(name)

    @rule(n_bits=st.integers(0, 60))
    def take(self, n_bits: int) -> None:
        held = len(self._held())
        if n_bits > held:
            return
        taken, ids = self.store.take(n_bits)
        self._record(ids, taken)

    @precondition(lambda self: self.store.level_bits > 0)
    @rule(data=st.data())
    def take_next_ids(self, data: st.DataObject) -> None:
        """Valid ids (the next bits, in order) are accepted."""
        n_bits = data.draw(st.integers(1, self.store.level_bits))
        ids = self._next_ids(n_bits)
        self._record(ids, self.store.take_ids(ids))

    @rule(
        ids=st.lists(
            st.builds(
                KeyId,
                st.sampled_from([f"k{n}" for n in range(12)]),
                st.integers(-50, 60),
                st.integers(-50, 60),
            ),
            min_size=1,
            max_size=4,
        ),
        prefix=st.integers(0, 30),
    )
    def take_any_ids(self, ids: list[KeyId], prefix: int) -> None:
        """Arbitrary ids, possibly after some valid ones: either exactly right, or refused with no change."""
        ids = self._next_ids(min(prefix, self.store.level_bits)) + ids
        level, n_taken = self.store.level_bits, self.store.n_taken_bits
        try:
            taken = self.store.take_ids(ids)
        except KeyIdError:
            assert (self.store.level_bits, self.store.n_taken_bits) == (level, n_taken)
            return
        self._record(ids, taken)

    @invariant()
    def level_matches_the_model(self) -> None:
        held = len(self._held())
        assert self.store.level_bits == held >= 0
        assert self.store.n_put_bits - self.store.n_taken_bits == held


TestKeyStoreMachine = KeyStoreMachine.TestCase
TestKeyStoreMachine.settings = settings(
    max_examples=60, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
