"""Local key pools: real key bits at both ends of a QKD link, each bit consumed once.

Every link end keeps a :class:`KeyStore` for each direction of use. A link's
blocks are split between the two directions (by default half each; a
direction with no room passes its share to the other), and only
the node at the start of a direction takes keys from it (to encrypt towards
its neighbour); the neighbour takes exactly the same bits, named by their key
ids, when the message that used them arrives. So the two copies of a store
stay identical without any locking across the link, and no bit can be taken
twice: a segment is handed out once at the initiating end and accepted once at
the other end.

A key id ``(block, start, length)`` names ``length`` bits starting at bit
``start`` of block ``block`` of one store. Key bits never leave this module
except as NumPy arrays handed to the caller; ``repr`` shows levels only.

Each bit leaves a store at most once, whatever the caller passes: every call
is checked in full before anything is taken, and a refused call
(:class:`KeyIdError`) changes nothing.
"""

import heapq
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from qkdn.key_chunk import KeyChunk as _Chunk
from qkdn.key_chunk import is_count as _is_count
from qnetsim.core.errors import SimulationError


class KeyIdError(SimulationError):
    """A take names bits the store cannot hand out (taken already, out of order, outside a block, malformed).

    Raised before anything is taken: the store is left as it was.
    """


@dataclass(frozen=True)
class KeyId:
    """``length`` bits from bit ``start`` of block ``block`` of a store."""

    block: str
    start: int
    length: int


@dataclass(order=True)
class Waiter:
    """A request waiting in a store for ``n_bits`` bits; ``cancel()`` withdraws it."""

    rank: tuple[float, int]
    n_bits: int = field(compare=False)
    callback: Callable[[], None] = field(compare=False)
    wake: Callable[[], None] = field(compare=False, repr=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        """Withdraw the request: it is never called, and those behind it are served if key allows."""
        if not self.cancelled:
            self.cancelled = True
            self.wake()


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
    _used: int = 0  # bits taken from the front chunk
    _names: set[str] = field(default_factory=set)  # names of the blocks put here directly, held
    # The link's count of store copies holding each of its blocks (set by LinkPools, which checks the names).
    _link_blocks: dict[str, int] | None = None
    _level_bits: int = 0
    _waiters: list[Waiter] = field(default_factory=list)
    _n_waits: int = 0
    n_put_bits: int = 0
    n_taken_bits: int = 0
    on_take: Callable[[], None] | None = field(default=None, repr=False)  # told after every take (room freed)

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
        """Add a block of key bits (the same block is put at both ends).

        A block's name must differ from those of the blocks still held, so that
        a key id names one run of bits only.
        """
        if block in self._names:
            raise KeyIdError(f"key store {self.node}/{self.peer}: a block named {block!r} is already held")
        self._put_chunk(_Chunk.of(block, "", bits))
        self._names.add(block)

    def _put_chunk(self, chunk: _Chunk) -> None:
        """Add a block already packed (a link's chunk may be shared with the other end's copy)."""
        if chunk.n_bits > self.capacity_bits - self._level_bits:
            raise SimulationError(f"key store {self.node}/{self.peer}: block {chunk.block} overflows the capacity")
        self._chunks.append(chunk)
        self._level_bits += chunk.n_bits
        self.n_put_bits += chunk.n_bits
        if self._waiters:
            self._wake()

    def _drop_front(self) -> None:
        chunk = self._chunks.popleft()
        self._used = 0
        if not chunk.suffix:
            self._names.discard(chunk.prefix)
        elif self._link_blocks is not None:
            held = self._link_blocks
            held[chunk.prefix] -= 1
            if not held[chunk.prefix]:
                del held[chunk.prefix]

    def take(self, n_bits: int) -> tuple[np.ndarray, list[KeyId]]:
        """Take the oldest ``n_bits`` bits (initiator only); returns the bits and their key ids."""
        if self.node != self.initiator:
            raise SimulationError(f"key store {self.node}/{self.peer}: only {self.initiator} may take from it")
        if not _is_count(n_bits) or n_bits < 0:
            raise KeyIdError(f"key store {self.node}/{self.peer}: cannot take {n_bits!r} bits")
        if n_bits > self._level_bits:
            raise SimulationError(f"key store {self.node}/{self.peer}: {n_bits} bits asked, {self._level_bits} held")
        parts, ids = [], []
        needed = n_bits
        while needed:
            chunk = self._chunks[0]
            length = min(needed, chunk.n_bits - self._used)
            parts.append(chunk.bits(self._used, length))
            ids.append(KeyId(chunk.block, self._used, length))
            self._used += length
            needed -= length
            if self._used == chunk.n_bits:
                self._drop_front()
        self._level_bits -= n_bits
        self.n_taken_bits += n_bits
        if self.on_take is not None:
            self.on_take()
        return (np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint8)), ids

    def take_ids(self, ids: Iterable[KeyId]) -> np.ndarray:
        """Take exactly the bits named by ``ids`` (the non-initiating end, in the order used).

        The ids must name the next unused bits of this store, in order (as
        :meth:`take` handed them out at the other end). The whole call is
        checked first: an id with a negative start, a length below 1, bits
        outside its block, bits already taken, bits named twice in the call or
        not next in order raises :class:`KeyIdError` and takes nothing.
        """
        ids = list(ids)
        self._check_ids(ids)
        parts = []
        for key_id in ids:
            chunk = self._chunks[0]
            parts.append(chunk.bits(self._used, key_id.length))
            self._used += key_id.length
            self._level_bits -= key_id.length
            self.n_taken_bits += key_id.length
            if self._used == chunk.n_bits:
                self._drop_front()
        if parts and self.on_take is not None:
            self.on_take()
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint8)

    def _check_ids(self, ids: Sequence[KeyId]) -> None:
        """Raise :class:`KeyIdError` unless ``ids`` name the next unused bits in order (changes nothing)."""
        where = f"key store {self.node}/{self.peer}"
        index, used = 0, self._used  # a cursor walked over the held blocks
        for key_id in ids:
            if not isinstance(key_id, KeyId):
                raise KeyIdError(f"{where}: {key_id!r} is not a key id")
            if not isinstance(key_id.block, str) or not _is_count(key_id.start) or not _is_count(key_id.length):
                raise KeyIdError(f"{where}: key {key_id}: block must be a name, start and length integers")
            if key_id.start < 0 or key_id.length < 1:
                raise KeyIdError(f"{where}: key {key_id}: start must be >= 0 and length >= 1")
            chunk = self._chunks[index] if index < len(self._chunks) else None
            if chunk is None or chunk.block != key_id.block:
                raise KeyIdError(f"{where}: key {key_id} is not the next unused key here ({self._next(chunk, used)})")
            if key_id.start + key_id.length > chunk.n_bits:
                raise KeyIdError(f"{where}: key {key_id} runs past the end of its block ({chunk.n_bits} bits)")
            if key_id.start < used:
                raise KeyIdError(f"{where}: key {key_id} names bits already taken (bits before {used} are)")
            if key_id.start != used:
                raise KeyIdError(f"{where}: key {key_id} is not the next unused key here ({self._next(chunk, used)})")
            used += key_id.length
            if used == chunk.n_bits:
                index, used = index + 1, 0

    @staticmethod
    def _next(chunk: "_Chunk | None", used: int) -> str:
        return "nothing is held" if chunk is None else f"next is bit {used} of block {chunk.block!r}"

    def when_available(self, n_bits: int, callback: Callable[[], None], priority: float = 0.0) -> Waiter:
        """Call ``callback`` once ``n_bits`` bits are held (now, or when blocks arrive).

        Waiting requests are served in order of priority (higher first), then of
        arrival; a request at the head blocks those behind it (no overtaking).
        Returns the request, which its owner cancels if it stops waiting (a
        cancelled request is dropped, so it blocks nobody).
        """
        self._n_waits += 1
        waiter = Waiter((-priority, self._n_waits), n_bits, callback, self._wake)
        heapq.heappush(self._waiters, waiter)
        self._wake()
        return waiter

    @property
    def n_waiting(self) -> int:
        """Requests waiting for key (cancelled ones excluded)."""
        return sum(1 for waiter in self._waiters if not waiter.cancelled)

    def _wake(self) -> None:
        waiters = self._waiters
        while waiters and (waiters[0].cancelled or waiters[0].n_bits <= self._level_bits):
            waiter = heapq.heappop(waiters)
            if not waiter.cancelled:
                waiter.callback()

    def discard_waiters(self) -> int:
        """Drop every waiting request (e.g. the link failed); returns how many were live."""
        n = self.n_waiting
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
    on_room: Callable[[], None] | None = field(default=None, repr=False)  # told whenever a take frees room
    on_change: Callable[[], None] | None = field(default=None, repr=False)  # told whenever a level changes

    def __post_init__(self) -> None:
        half = {self.a: int(self.capacity_bits * self.share_a), self.b: 0}
        half[self.b] = self.capacity_bits - half[self.a]
        self.stores = {
            (holder, initiator): KeyStore(holder, self._other(holder), initiator, half[initiator])
            for holder in (self.a, self.b)
            for initiator in (self.a, self.b)
        }
        for store in self.stores.values():
            store.on_take = self._taken
        # Each direction's two copies (at a, at b), and the four stores in the order blocks are put.
        self._copies = {
            initiator: (self.stores[(self.a, initiator)], self.stores[(self.b, initiator)])
            for initiator in (self.a, self.b)
        }
        # a's direction at a and at b, then b's direction at a and at b (the room checks read them all).
        self._four = (*self._copies[self.a], *self._copies[self.b])
        self._put_order = [
            (self.stores[(holder, initiator)], holder_index, index)
            for holder_index, holder in enumerate((self.a, self.b))
            for index, initiator in enumerate((self.a, self.b))
        ]
        self._suffixes = (f".{self.a}", f".{self.b}")  # a block's chunk names: <block>.<initiator>
        self._held_blocks: dict[str, int] = {}  # the link's blocks still held: how many store copies hold one
        for store in self.stores.values():
            store._link_blocks = self._held_blocks

    def _taken(self) -> None:
        if self.on_change is not None:
            self.on_change()
        if self.on_room is not None:
            self.on_room()

    def _other(self, node: str) -> str:
        return self.b if node == self.a else self.a

    def store(self, holder: str, initiator: str) -> KeyStore:
        """The copy at ``holder`` of the keys ``initiator`` sends with."""
        return self.stores[(holder, initiator)]

    def _direction_free_bits(self, initiator: str) -> int:
        """Room in ``initiator``'s direction: the fuller of its two copies decides."""
        at_a, at_b = self._copies[initiator]
        return min(at_a.capacity_bits - at_a.level_bits, at_b.capacity_bits - at_b.level_bits)

    def _free_bits(self) -> tuple[int, int]:
        """Room in ``a``'s and in ``b``'s direction (:meth:`_direction_free_bits` of both, at once)."""
        a_at_a, a_at_b, b_at_a, b_at_b = self._four
        return (
            min(a_at_a.capacity_bits - a_at_a._level_bits, a_at_b.capacity_bits - a_at_b._level_bits),
            min(b_at_a.capacity_bits - b_at_a._level_bits, b_at_b.capacity_bits - b_at_b._level_bits),
        )

    def split(self, n_bits: int) -> int:
        """Bits of an ``n_bits`` block that go to ``a``'s direction (the rest go to ``b``'s).

        Nominally ``round(n_bits * share_a)``; when one direction has no room for
        its share, the other takes the remainder (both ends compute the same
        split from the same levels, so their copies stay identical). A direction
        nobody uses thus never stops the other from refilling.
        """
        nominal = int(round(n_bits * self.share_a))
        free_a, free_b = self._free_bits()
        to_a = min(nominal, free_a)
        to_b = min(n_bits - to_a, free_b)
        return n_bits - to_b

    def fits(self, n_bits: int) -> bool:
        """Whether a block of ``n_bits`` fits in the two directions together (a full link pauses, as devices do)."""
        free_a, free_b = self._free_bits()
        return n_bits <= free_a + free_b

    def deliver(self, block: str, bits_at_a: np.ndarray, bits_at_b: np.ndarray) -> None:
        """Put a block at both ends (each end's own copy of the key), split between the directions.

        Given one array for both ends (the same key, as a fast link makes it),
        each direction's part is packed once and shared by the two ends' stores.
        """
        if len(bits_at_a) != len(bits_at_b):
            raise SimulationError(f"link {self.a}-{self.b}: block {block} has different lengths at the two ends")
        self._check_new(block)
        split = self.split(len(bits_at_a))
        if bits_at_a is bits_at_b and split % 8 == 0:
            self._put_shared(block, np.packbits(bits_at_a).tobytes(), split, len(bits_at_a))
            return
        chunks = []
        for bits in (bits_at_a, bits_at_b) if bits_at_a is not bits_at_b else (bits_at_a,):
            parts = ((self._suffixes[0], bits[:split]), (self._suffixes[1], bits[split:]))
            chunks.append([_Chunk.of(block, suffix, part) if len(part) else None for suffix, part in parts])
        self._put_both(block, chunks[0], chunks[-1])

    def deliver_packed(self, block: str, packed: np.ndarray, n_bits: int) -> None:
        """Put a block given packed (``n_bits`` bits, eight to a byte, first bit in the high bit) at both ends.

        The same key at both ends, as a fast link's successful post-processing
        leaves it: each direction's part is stored once and shared, read-only, by
        the two ends' stores, each of which takes its bits once. A part that does
        not start on a byte boundary is re-packed.
        """
        if len(packed) != (n_bits + 7) // 8:
            raise SimulationError(f"link {self.a}-{self.b}: block {block} has {len(packed)} bytes for {n_bits} bits")
        self.put_packed(block, np.asarray(packed, dtype=np.uint8).tobytes(), 0, n_bits)

    def put_packed(self, block: str, data: bytes, first_byte: int, n_bits: int) -> None:
        """:meth:`deliver_packed` of the block whose bytes start at byte ``first_byte`` of ``data``.

        ``data`` is immutable and may hold other blocks (a fast link draws
        several at once): the stores point into it, read-only, and never read
        outside this block's bytes.
        """
        n_bytes = (n_bits + 7) // 8
        if not _is_count(first_byte) or first_byte < 0 or first_byte + n_bytes > len(data) or n_bits < 1:
            raise SimulationError(
                f"link {self.a}-{self.b}: block {block} of {n_bits} bits from byte {first_byte!r}"
                f" does not fit in {len(data)} bytes"
            )
        self._check_new(block)
        split = self.split(n_bits)
        if split % 8:
            bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8, count=n_bytes, offset=first_byte), count=n_bits)
            self.deliver(block, bits, bits)
            return
        self._put_shared(block, data, split, n_bits, first_byte)

    def _check_new(self, block: str) -> None:
        """A block's name must differ from those of the link's blocks still held, so a key id names one run."""
        if block in self._held_blocks:
            raise KeyIdError(f"link {self.a}-{self.b}: a block named {block!r} is still held")

    def _put_shared(self, block: str, data: bytes, split: int, n_bits: int, first_byte: int = 0) -> None:
        """Put a block packed in ``data`` from ``first_byte`` at both ends: ``a``'s direction gets bits < ``split``.

        ``split`` is a multiple of 8, so both directions' chunks point into
        ``data``; each end's store gets the same two chunks.
        """
        chunks = [
            _Chunk(block, self._suffixes[0], data, first_byte, split) if split else None,
            _Chunk(block, self._suffixes[1], data, first_byte + split // 8, n_bits - split) if n_bits > split else None,
        ]
        self._put_both(block, chunks, chunks)

    def _put_both(self, block: str, at_a: list[_Chunk | None], at_b: list[_Chunk | None]) -> None:
        """Put ``a``'s and ``b``'s direction chunks (None: no bits) into the stores at ``a`` and at ``b``.

        Same order of puts as before blocks were shared (``a``'s copies, then
        ``b``'s), so requests waiting for key are served in the same order.
        """
        chunks = (at_a, at_b)
        placed = [
            (store, chunk) for store, holder, index in self._put_order if (chunk := chunks[holder][index]) is not None
        ]
        if placed:  # counted first: a put may wake a relay that takes (and drops) the chunk at once
            self._held_blocks[block] = len(placed)
        for store, chunk in placed:
            if store._waiters or chunk.n_bits > store.capacity_bits - store._level_bits:
                store._put_chunk(chunk)  # wakes waiting requests, or refuses an overflow
            else:  # KeyStore._put_chunk without waiters (most puts), inline: four per block
                store._chunks.append(chunk)
                store._level_bits += chunk.n_bits
                store.n_put_bits += chunk.n_bits
        self._delivered()

    def _delivered(self) -> None:
        self.n_blocks += 1
        if self.on_change is not None:
            self.on_change()
