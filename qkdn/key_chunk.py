"""One block's key bits as a key store holds them: packed, immutable, possibly shared by both ends of a link.

Part of :mod:`qkdn.pool`: a key store is a FIFO of these chunks and counts the
bits taken from its front chunk; a chunk itself never changes, so the two ends'
stores of a fast link (which received the same key) can point to one copy.
"""

import numbers

import numpy as np


class KeyChunk:
    """One block's bits, packed eight to a byte in an immutable ``bytes`` (a store holds megabits per link end).

    A chunk never changes: the store counts the bits taken from its front chunk.
    So when both ends of a link received the same bits (a fast link's block),
    their two stores hold the same chunk, and the two directions' chunks of a
    block share one ``bytes``: no copy of the key is made for the other end, and
    each end still takes each bit once. The name is kept in two parts (the
    link's block name, shared by the block's chunks, and ``.<initiator>``, shared
    by the direction's), joined only when a key id is made. ``data`` may hold
    other blocks' bytes too (a fast link draws several blocks at once); a chunk
    reads only its own ``n_bits`` bits from ``first_byte`` on.
    """

    __slots__ = ("data", "first_byte", "n_bits", "prefix", "suffix")

    def __init__(self, prefix: str, suffix: str, data: bytes, first_byte: int, n_bits: int) -> None:
        self.prefix = prefix
        self.suffix = suffix  # "" for a block put into a store directly (its name is the prefix)
        self.data = data
        self.first_byte = first_byte  # where this chunk's bits start in ``data``
        self.n_bits = n_bits

    @classmethod
    def of(cls, prefix: str, suffix: str, bits: np.ndarray) -> "KeyChunk":
        return cls(prefix, suffix, np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes(), 0, len(bits))

    @property
    def block(self) -> str:
        """The block's name in key ids."""
        return self.prefix + self.suffix

    def bits(self, start: int, length: int) -> np.ndarray:
        """Bits ``start`` to ``start + length`` as 0/1 bytes."""
        first = start // 8
        n_bytes = (start + length + 7) // 8 - first
        packed = np.frombuffer(self.data, dtype=np.uint8, count=n_bytes, offset=self.first_byte + first)
        offset = start - 8 * first
        return np.unpackbits(packed)[offset : offset + length]


def is_count(value: object) -> bool:
    """Whether ``value`` is an integer (Python or NumPy), not a bool or a float."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)
