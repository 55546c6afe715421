"""Fast (model-based) QKD link: key blocks at the modelled rate, real random bits, on the timeline.

A link whose key rate comes from an analytic model (:mod:`qkdn.keyrate`)
delivers a block of ``block_bits`` secret bits every ``block_bits / key_rate_bps``
seconds to the key pools at both of its ends. The bits are drawn from the link's
own generator (derived from the run seed and the link name), and both ends get
identical copies, as a successful post-processing would leave them. The
``link_blocks`` row of a block gives the sifted bits it took
(``block_bits * sifted_per_pulse / key_rate_per_pulse``), the model's QBER and the
disclosed (public or sacrificed) bits, so fast and photon links fill the same table.

When the pools have no room for a block, the link pauses (the block is not
generated), as QKD devices stop when key storage is full, and resumes on its
block clock (at the first block time after enough key has been used); a paused
link costs no events. When the link is down (failed), it generates nothing.
"""

import functools
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qkdn.keyrate.model import KeyRatePoint
from qkdn.pool import LinkPools
from qnetsim.core.errors import ConfigError
from qtn.sequence_backed import adapter


class BlockRow(Mapping[str, Any]):
    """A ``link_blocks`` row: its time, and the columns every block of its link shares (one dict per link).

    A fast link makes up to millions of blocks whose rows differ only in their
    time; a row is this small object rather than a dict of its own, and reads
    as a mapping like any other row.
    """

    __slots__ = ("_fields", "t_s")

    def __init__(self, t_s: float, fields: Mapping[str, Any]) -> None:
        self.t_s = t_s
        self._fields = fields  # never holds "t_s"

    @property
    def fields(self) -> Mapping[str, Any]:
        """The columns but the time (shared by the link's blocks)."""
        return self._fields

    def __getitem__(self, key: str) -> Any:
        return self.t_s if key == "t_s" else self._fields[key]

    def __iter__(self) -> Iterator[str]:
        yield "t_s"
        yield from self._fields

    def __len__(self) -> int:
        return len(self._fields) + 1


#: Key bytes a fast link draws at once (several blocks share one buffer; see ``FastKeyLink._draw_if_fits``).
DRAW_AHEAD_BYTES = 4096


@dataclass
class FastKeyLink:
    """Schedules key blocks on ``timeline`` into ``pools`` at the rate of ``point``.

    Attributes:
        name: link name (``a~b``).
        point: the model's figures for this link's length and hardware.
        pools: the link's key pools at both ends.
        block_bits: secret bits per block.
        rng: the link's own generator of key bits.
        on_block: called with each block's ``link_blocks`` row.
        up: False while the link has failed.
    """

    name: str
    point: KeyRatePoint
    pools: LinkPools
    block_bits: int
    rng: np.random.Generator
    on_block: Callable[[Mapping[str, Any]], None]
    up: bool = True
    n_blocks: int = 0
    n_paused: int = 0
    _timeline: Any = field(default=None, repr=False)
    _stop_s: float = 0.0
    _paused_at_s: float | None = None
    _clock: Any = field(default=None, repr=False)  # the tick's reused event (adapter.RepeatingCall)
    _drawn: bytes = field(default=b"", repr=False)  # key bytes drawn ahead, packed (see _draw)
    _drawn_at: int = 0  # where the next block's bytes start in ``_drawn``

    def __post_init__(self) -> None:
        if self.point.key_rate_bps > 0 and "sifted_per_pulse" not in self.point.parameters:
            raise ConfigError(
                f"qkd.link_model: {self.point.protocol!r} gives no sifted rate, so it cannot drive key links;"
                " use a BB84 model (decoy-bb84, decoy-bb84-vacuum-weak, bb84-gllp)"
            )

    @property
    def interval_s(self) -> float:
        """Time to generate one block (infinite if the link yields no key)."""
        rate = self.point.key_rate_bps
        return self.block_bits / rate if rate > 0 else float("inf")

    def start(self, timeline: Any, start_s: float, stop_s: float) -> None:
        """Generate blocks from ``start_s`` (the first one interval later) until ``stop_s``."""
        self._timeline, self._stop_s = timeline, stop_s
        self._clock = adapter.RepeatingCall(timeline, self._tick)
        first = start_s + self.interval_s
        if first <= stop_s:
            self._clock.at(first)

    def _tick(self) -> None:
        now = adapter.now_s(self._timeline)
        if self.up:
            data, first_byte = self._draw_if_fits()
            if data is None:
                self._pause(now)
                return
            self.pools.put_packed(f"{self.name}#{self.n_blocks}", data, first_byte, self.block_bits)
            self.n_blocks += 1
            self.on_block(BlockRow(now, self._row))
        following = now + self.interval_s
        if following <= self._stop_s:
            self._clock.at(following)

    def _pause(self, now: float) -> None:
        """No room for this block: stop ticking until a take makes room for a whole block."""
        self.n_paused += 1
        self._paused_at_s = now
        self.pools.on_room = self._room_freed

    def _room_freed(self) -> None:
        """Key was taken: if a block fits now, resume at the next time on the block clock.

        Only takes happen while the link is paused, so a block that fits now
        still fits at that time: the blocks are those that ticking through the
        pause would have made.
        """
        if self._paused_at_s is None or not self.pools.fits(self.block_bits):
            return
        now = adapter.now_s(self._timeline)
        interval = self.interval_s
        following = self._paused_at_s + (math.floor((now - self._paused_at_s) / interval) + 1) * interval
        self._paused_at_s = None
        self.pools.on_room = None
        if following <= self._stop_s:
            self._clock.at(following)

    def _draw_if_fits(self) -> tuple[bytes | None, int]:
        """The next block's key bytes and where they start in the returned buffer, or (None, 0) if no room.

        Uniform random bytes: the block's bits eight to a byte (the same uniform
        bits as drawing each bit, 8x fewer draws), stored packed as drawn; each
        end's store takes its own copy's bits once. NumPy's ``integers`` for
        bytes takes each 32-bit output of the bit generator four bytes at a time,
        so when a block is a whole number of 32-bit words, one call for several
        blocks gives each block exactly the bytes a call of its own would (the
        link's generator serves nothing else); one draw then serves up to
        :data:`DRAW_AHEAD_BYTES` of key, and the blocks share that buffer.
        """
        if not self.pools.fits(self.block_bits):
            return None, 0
        n_bytes = (self.block_bits + 7) // 8
        if n_bytes % 4:
            return self.rng.integers(0, 256, size=n_bytes, dtype=np.uint8).tobytes(), 0
        if self._drawn_at + n_bytes > len(self._drawn):
            n_blocks = max(1, DRAW_AHEAD_BYTES // n_bytes)
            self._drawn = self.rng.integers(0, 256, size=n_blocks * n_bytes, dtype=np.uint8).tobytes()
            self._drawn_at = 0
        first_byte = self._drawn_at
        self._drawn_at += n_bytes
        return self._drawn, first_byte

    @functools.cached_property
    def _row(self) -> dict[str, Any]:
        """The ``link_blocks`` row of every block of this link, but its time (the model's figures are fixed)."""
        point = self.point
        sifted = int(round(self.block_bits * point.parameters["sifted_per_pulse"] / point.key_rate_per_pulse))
        key_length = "finite" if "block_bits" in point.parameters else "asymptotic"  # a finite-key model's rate
        return {
            "link": self.name,
            "sifted_bits": sifted,
            "qber": float(point.qber) if point.qber is not None else float("nan"),
            "disclosed_bits": sifted - self.block_bits,
            "secret_bits": self.block_bits,
            "source": "model",
            "asymptotic_secret_bits": self.block_bits if key_length == "asymptotic" else float("nan"),
            "finite_secret_bits": self.block_bits if key_length == "finite" else float("nan"),
            "key_length": key_length,
        }
