"""Public messages of BB84 post-processing, each counting the key bits it discloses.

Alice and Bob never touch each other's objects: every effect of one end on the other
is one of these messages, passed by :func:`qkdn.photon.distillation.distil`. A message
counts

* ``n_disclosed_bits``: bits that are functions of the key (sampled key bits, parities,
  verification tags) - these are charged to the key length;
* ``n_public_bits``: everything else it carries (positions, ranges, seeds, counts) -
  public randomness and bookkeeping, known to Eve but independent of the key.

``repr`` shows the message kind and those counts only, never a payload, so a message
logged by accident leaks no key bits.
"""

import math
from dataclasses import dataclass, field

import numpy as np


def index_bits(n_items: int) -> int:
    """Bits needed to write an index below ``n_items``."""
    return max(1, math.ceil(math.log2(max(2, n_items))))


@dataclass(frozen=True, repr=False, eq=False)
class Message:
    """Base of post-processing messages."""

    sender: str

    @property
    def n_disclosed_bits(self) -> int:
        return 0

    @property
    def n_public_bits(self) -> int:
        return 0

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(sender={self.sender!r}, n_disclosed_bits={self.n_disclosed_bits}, "
            f"n_public_bits={self.n_public_bits})"
        )

    __str__ = __repr__


@dataclass(frozen=True, repr=False, eq=False)
class SampleDisclosure(Message):
    """Alice -> Bob: positions of the parameter-estimation sample and her bits there."""

    positions: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    bits: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))
    n_sifted_bits: int = 0

    @property
    def n_disclosed_bits(self) -> int:
        return int(self.bits.size)

    @property
    def n_public_bits(self) -> int:
        return int(self.positions.size) * index_bits(self.n_sifted_bits)


@dataclass(frozen=True, repr=False, eq=False)
class SampleReport(Message):
    """Bob -> Alice: errors in the sample and the public seed of Cascade's shuffles."""

    n_errors: int = 0
    n_samples: int = 0
    shuffle_seed: int = 0

    @property
    def n_public_bits(self) -> int:
        return index_bits(self.n_samples + 1) + 64


@dataclass(frozen=True, repr=False, eq=False)
class ParityReply(Message):
    """Alice -> Bob: parities of her key over the requested ranges (one disclosed bit each)."""

    parities: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))

    @property
    def n_disclosed_bits(self) -> int:
        return int(self.parities.size)


@dataclass(frozen=True, repr=False, eq=False)
class ParityRequest(Message):
    """Bob -> Alice: ranges ``[start, end)`` of pass ``pass_index`` whose parities he needs."""

    pass_indices: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    starts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    ends: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    n_key_bits: int = 0

    @property
    def n_public_bits(self) -> int:
        return int(self.starts.size) * (2 * index_bits(self.n_key_bits + 1) + 4)


@dataclass(frozen=True, repr=False, eq=False)
class ReconciliationDone(Message):
    """Bob -> Alice: Cascade has no odd block left."""

    @property
    def n_public_bits(self) -> int:
        return 1


@dataclass(frozen=True, repr=False, eq=False)
class VerificationRequest(Message):
    """Alice -> Bob: verification hash (seed and tag) and privacy-amplification seed and length."""

    tag_seed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))
    tag: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))
    amplification_seed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))
    n_secret_bits: int = 0

    @property
    def n_disclosed_bits(self) -> int:
        return int(self.tag.size)

    @property
    def n_public_bits(self) -> int:
        return int(self.tag_seed.size + self.amplification_seed.size) + 32


@dataclass(frozen=True, repr=False, eq=False)
class Verdict(Message):
    """Bob -> Alice: whether the verification tags agreed (the key is kept only if so)."""

    accepted: bool = False

    @property
    def n_public_bits(self) -> int:
        return 1


@dataclass(frozen=True, repr=False, eq=False)
class Abort(Message):
    """Alice -> Bob: the block is dropped (reason is a short public word)."""

    reason: str = ""

    @property
    def n_public_bits(self) -> int:
        return 8
