"""Local key pools: real key bits at both ends of a QKD link, each bit consumed once.

Every link end keeps a :class:`KeyStore` for each direction of use. A link's
blocks are split between the two directions (by default half each), and only
the node at the start of a direction takes keys from it (to encrypt towards
its neighbour); the neighbour takes exactly the same bits, named by their key
ids, when the message that used them arrives. So the two copies of a store
stay identical without any locking across the link, and no bit can be taken
twice: a segment is handed out once at the initiating end and accepted once at
the other end.

A key id ``(block, start, length)`` names ``length`` bits starting at bit
``start`` of block ``block`` of one store. Key bits never leave this module
except as NumPy arrays handed to the caller; ``repr`` shows levels only.
"""

import heapq
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from qtn.errors import SimulationError


@dataclass(frozen=True)
class KeyId:
    """``length`` bits from bit ``start`` of block ``block`` of a store."""

    block: str
    start: int
    length: int


@dataclass
class _Chunk:
    block: str
    bits: np.ndarray
    used: int = 0  # bits taken from the front

    @property
    def left(self) -> int:
        return len(self.bits) - self.used


@dataclass(order=True)
class _Waiter:
    rank: tuple[float, int]
    n_bits: int = field(compare=False)
    callback: Callable[[], None] = field(compare=False)


@dataclass(repr=False)
class KeyStore:
    """One direction's keys at one end of a link (a FIFO of blocks).

    Attributes:
        node: the node holding this copy.
        peer: the node at the other end of the link.
        initiator: the node that takes keys from this store first (``node`` or ``peer``).
        capacity_bits: the store holds at most this many bits.
    """

    node: str
    peer: str
    initiator: str
    capacity_bits: int
    _chunks: deque[_Chunk] = field(default_factory=deque)
    _level_bits: int = 0
    _waiters: list[_Waiter] = field(default_factory=list)
    _n_waits: int = 0
    n_put_bits: int = 0
    n_taken_bits: int = 0

    @property
    def level_bits(self) -> int:
        """Bits available now."""
        return self._level_bits

    @property
    def free_bits(self) -> int:
        """Room left before the capacity."""
        return self.capacity_bits - self._level_bits

    def __repr__(self) -> str:
        return (
            f"KeyStore({self.node}<-{self.initiator}->{self.peer if self.initiator == self.node else self.node}, "
            f"level_bits={self._level_bits}, capacity_bits={self.capacity_bits})"
        )

    def put(self, block: str, bits: np.ndarray) -> None:
        """Add a block of key bits (the same block is put at both ends)."""
        if len(bits) > self.free_bits:
            raise SimulationError(f"key store {self.node}/{self.peer}: block {block} overflows the capacity")
        self._chunks.append(_Chunk(block, np.asarray(bits, dtype=np.uint8).copy()))
        self._level_bits += len(bits)
        self.n_put_bits += len(bits)
        self._wake()

    def take(self, n_bits: int) -> tuple[np.ndarray, list[KeyId]]:
        """Take the oldest ``n_bits`` bits (initiator only); returns the bits and their key ids."""
        if self.node != self.initiator:
            raise SimulationError(f"key store {self.node}/{self.peer}: only {self.initiator} may take from it")
        if n_bits > self._level_bits:
            raise SimulationError(f"key store {self.node}/{self.peer}: {n_bits} bits asked, {self._level_bits} held")
        parts, ids = [], []
        needed = n_bits
        while needed:
            chunk = self._chunks[0]
            length = min(needed, chunk.left)
            parts.append(chunk.bits[chunk.used : chunk.used + length])
            ids.append(KeyId(chunk.block, chunk.used, length))
            chunk.used += length
            needed -= length
            if chunk.left == 0:
                self._chunks.popleft()
        self._level_bits -= n_bits
        self.n_taken_bits += n_bits
        return (np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint8)), ids

    def take_ids(self, ids: Iterable[KeyId]) -> np.ndarray:
        """Take exactly the bits named by ``ids`` (the non-initiating end, in the order used)."""
        parts = []
        for key_id in ids:
            chunk = self._chunks[0] if self._chunks else None
            if chunk is None or chunk.block != key_id.block or chunk.used != key_id.start or chunk.left < key_id.length:
                raise SimulationError(
                    f"key store {self.node}/{self.peer}: key {key_id} is not the next unused key here"
                )
            parts.append(chunk.bits[chunk.used : chunk.used + key_id.length])
            chunk.used += key_id.length
            self._level_bits -= key_id.length
            self.n_taken_bits += key_id.length
            if chunk.left == 0:
                self._chunks.popleft()
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint8)

    def when_available(self, n_bits: int, callback: Callable[[], None], priority: float = 0.0) -> None:
        """Call ``callback`` once ``n_bits`` bits are held (now, or when blocks arrive).

        Waiting requests are served in order of priority (higher first), then of
        arrival; a request at the head blocks those behind it (no overtaking).
        """
        self._n_waits += 1
        heapq.heappush(self._waiters, _Waiter((-priority, self._n_waits), n_bits, callback))
        self._wake()

    @property
    def n_waiting(self) -> int:
        """Requests waiting for key."""
        return len(self._waiters)

    def _wake(self) -> None:
        while self._waiters and self._waiters[0].n_bits <= self._level_bits:
            waiter = heapq.heappop(self._waiters)
            waiter.callback()

    def discard_waiters(self) -> int:
        """Drop every waiting request (e.g. the link failed); returns how many."""
        n = len(self._waiters)
        self._waiters.clear()
        return n


@dataclass
class LinkPools:
    """The four stores of one link: two directions, a copy at each end.

    ``stores[(holder, initiator)]`` is the copy held by ``holder`` of the store
    used by ``initiator`` to send towards the other end.
    """

    a: str
    b: str
    capacity_bits: int
    share_a: float = 0.5
    stores: dict[tuple[str, str], KeyStore] = field(init=False)
    n_blocks: int = 0

    def __post_init__(self) -> None:
        half = {self.a: int(self.capacity_bits * self.share_a), self.b: 0}
        half[self.b] = self.capacity_bits - half[self.a]
        self.stores = {
            (holder, initiator): KeyStore(holder, self._other(holder), initiator, half[initiator])
            for holder in (self.a, self.b)
            for initiator in (self.a, self.b)
        }

    def _other(self, node: str) -> str:
        return self.b if node == self.a else self.a

    def store(self, holder: str, initiator: str) -> KeyStore:
        """The copy at ``holder`` of the keys ``initiator`` sends with."""
        return self.stores[(holder, initiator)]

    def fits(self, n_bits: int) -> bool:
        """Whether a block of ``n_bits`` fits in every copy (a full link pauses, as QKD devices do)."""
        split = int(round(n_bits * self.share_a))
        needs = {self.a: split, self.b: n_bits - split}
        return all(
            self.store(holder, initiator).free_bits >= needs[initiator]
            for holder in (self.a, self.b)
            for initiator in (self.a, self.b)
        )

    def deliver(self, block: str, bits_at_a: np.ndarray, bits_at_b: np.ndarray) -> None:
        """Put a block at both ends (each end's own copy of the key), split between the directions."""
        if len(bits_at_a) != len(bits_at_b):
            raise SimulationError(f"link {self.a}-{self.b}: block {block} has different lengths at the two ends")
        split = int(round(len(bits_at_a) * self.share_a))
        for holder, bits in ((self.a, bits_at_a), (self.b, bits_at_b)):
            for initiator, part in ((self.a, bits[:split]), (self.b, bits[split:])):
                if len(part):
                    self.store(holder, initiator).put(f"{block}.{initiator}", part)
        self.n_blocks += 1
