"""Photon-level BB84 link: sifted frames from SeQUeNCe photons turned into secret key blocks.

:class:`PhotonBB84Link` builds the link on a SeQUeNCe timeline through
:mod:`qkdn.photon.sequence_bb84` (it imports no ``sequence`` itself), pairs Alice's and
Bob's sifted frames by index and distils each pair with
:func:`qkdn.photon.distillation.distil`. The post-processing messages are not simulated
one by one on the timeline; each costs one classical one-way delay, so a block is
delivered ``n_messages`` delays after Alice completed the frame (processing time is
taken as zero). Blocks arrive through a callback as :class:`KeyBlock`s carrying both
ends' keys as NumPy arrays, held in memory only.
"""

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from qkdn.keyrate.tallies import DecoyTallies
from qkdn.photon import sequence_bb84
from qkdn.photon.config import PhotonLinkConfig
from qkdn.photon.decoy import DecoyEstimate
from qkdn.photon.decoy_distillation import distil_decoy_block
from qkdn.photon.distillation import DistillationOutcome, distil
from qkdn.photon.postprocessing import single_photon_fraction
from qkdn.photon.sequence_bb84 import SiftedFrame
from qtn.randomness import generator

logger = logging.getLogger(__name__)

#: Columns of the ``link_blocks`` table, in order.
LINK_BLOCK_COLUMNS = (
    "t_s",
    "link",
    "sifted_bits",
    "qber",
    "disclosed_bits",
    "secret_bits",
    "source",
    "asymptotic_secret_bits",
    "finite_secret_bits",
    "key_length",
)


@dataclass(frozen=True, repr=False, eq=False)
class KeyBlock:
    """One post-processed block of a link; ``repr``/``str`` never show key bits.

    Attributes:
        t_s: simulated time at which both ends hold the block.
        link: link name.
        index: frame number on the link.
        sifted_bits: sifted bits that went into the block.
        reconciled_bits: bits left after the estimation sample (the corrected key's length).
        qber: QBER estimated from the disclosed sample.
        qber_upper_bound: Clopper-Pearson upper bound used for the key length.
        disclosed_bits: key-dependent bits made public (sample, parities, tag).
        secret_bits: length of the secret key (0 unless accepted).
        asymptotic_secret_bits: the asymptotic length of the frame (kept for the report).
        finite_secret_bits: the finite-key length of the frame (kept for the report).
        key_length: which of the two sized the key (``finite`` or ``asymptotic``).
        status: ``"accepted"`` or why the block was dropped.
        n_corrected_bits: bits Cascade corrected at Bob.
        n_messages: post-processing messages exchanged.
        alice_key: Alice's secret key (uint8 bits; empty unless accepted).
        bob_key: Bob's secret key (equal to Alice's when accepted).
        tallies: detections and errors per intensity and basis (decoy source only).
        decoy_estimate: single-photon bounds from the tallies (decoy source only).
    """

    t_s: float
    link: str
    index: int
    sifted_bits: int
    reconciled_bits: int
    qber: float
    qber_upper_bound: float
    disclosed_bits: int
    secret_bits: int
    status: str
    n_corrected_bits: int
    n_messages: int
    alice_key: np.ndarray
    bob_key: np.ndarray
    asymptotic_secret_bits: int = 0
    finite_secret_bits: int = 0
    key_length: str = "asymptotic"
    tallies: DecoyTallies | None = None
    decoy_estimate: DecoyEstimate | None = None

    @property
    def accepted(self) -> bool:
        """True when both ends hold the same non-empty secret key."""
        return self.status == "accepted"

    @property
    def source(self) -> str:
        """Where the block's numbers come from: photons simulated event by event."""
        return "simulated"

    def row(self) -> dict[str, Any]:
        """The block's row of the ``link_blocks`` table (no key material)."""
        return {column: getattr(self, column) for column in LINK_BLOCK_COLUMNS}

    def __repr__(self) -> str:
        return (
            f"KeyBlock(link={self.link!r}, index={self.index}, t_s={self.t_s:.6g}, status={self.status!r}, "
            f"sifted_bits={self.sifted_bits}, qber={self.qber:.4g}, disclosed_bits={self.disclosed_bits}, "
            f"secret_bits={self.secret_bits})"
        )

    __str__ = __repr__


BlockCallback = Callable[[KeyBlock], None]


class PhotonBB84Link:
    """Runs BB84 on SeQUeNCe photons and post-processing, delivering :class:`KeyBlock`s.

    Usage: build on a timeline, ``start(start_s, stop_s)``, then ``timeline.init()`` and
    ``timeline.run()``; ``close()`` (or use it as a context manager) afterwards.
    """

    def __init__(
        self,
        timeline: Any,
        config: PhotonLinkConfig,
        seed: int,
        on_block: BlockCallback,
        *,
        weak_coherent_source: bool = True,
    ) -> None:
        self.config = config
        self._timeline = timeline
        self._on_block = on_block
        self._settings = config.postprocessing.distillation_settings()
        self._rngs = {end: generator(seed, f"qkd.{config.name}.{end}.postprocessing") for end in ("alice", "bob")}
        self._frames: dict[int, dict[str, SiftedFrame]] = {}
        self._log_filter: sequence_bb84.KeyMaterialLogFilter | None = None
        self.built = sequence_bb84.build_bb84_link(
            timeline, config, seed, self._on_frame, weak_coherent_source=weak_coherent_source
        )

    def start(self, start_s: float, stop_s: float) -> int:
        """Start emitting at ``start_s`` and keep going until ``stop_s``; returns the number of trains."""
        if self._log_filter is None:
            self._log_filter = sequence_bb84.install_key_log_filter()
        return sequence_bb84.start_sifting(self.built, start_s, stop_s)

    def close(self) -> None:
        """Remove the key-material log filter."""
        if self._log_filter is not None:
            sequence_bb84.remove_key_log_filter(self._log_filter)
            self._log_filter = None

    def __enter__(self) -> "PhotonBB84Link":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _on_frame(self, frame: SiftedFrame) -> None:
        pair = self._frames.setdefault(frame.index, {})
        pair[frame.end] = frame
        if len(pair) < 2:
            return
        del self._frames[frame.index]
        self._distil(pair["alice"], pair["bob"])

    def _distil(self, alice: SiftedFrame, bob: SiftedFrame) -> None:
        if self.config.source.kind == "decoy":
            self._distil_decoy(alice, bob)
            return
        outcome = distil(
            alice.bits,
            bob.bits,
            self._settings,
            self._rngs["alice"],
            self._rngs["bob"],
            single_photon_fraction=self._single_photon_fraction(alice),
        )
        t_s = alice.time_s + outcome.n_messages * self.built.classical_delay_s
        block = _key_block(t_s, self.config.name, alice.index, outcome)
        logger.debug("link %s: %r", self.config.name, block)
        sequence_bb84.schedule_at(self._timeline, t_s, self._on_block, block)

    def _distil_decoy(self, alice: SiftedFrame, bob: SiftedFrame) -> None:
        result = distil_decoy_block(
            alice, bob, self.config.source, self._settings, self._rngs["alice"], self._rngs["bob"]
        )
        t_s = alice.time_s + result.n_messages * self.built.classical_delay_s
        block = _key_block(t_s, self.config.name, alice.index, result.outcome, result.n_messages)
        block = replace(block, tallies=result.tallies, decoy_estimate=result.estimate)
        logger.debug("link %s: %r", self.config.name, block)
        sequence_bb84.schedule_at(self._timeline, t_s, self._on_block, block)

    def _single_photon_fraction(self, frame: SiftedFrame) -> float:
        if not self.config.postprocessing.multi_photon_correction or frame.n_detections == 0:
            return 1.0
        return single_photon_fraction(self.config.light_source.mean_photon_number, frame.n_detections / frame.n_pulses)


def _key_block(
    t_s: float, link: str, index: int, outcome: DistillationOutcome, n_messages: int | None = None
) -> KeyBlock:
    return KeyBlock(
        t_s=t_s,
        link=link,
        index=index,
        sifted_bits=outcome.n_sifted_bits,
        reconciled_bits=outcome.n_sifted_bits - outcome.n_sample_bits,
        qber=outcome.qber_estimate,
        qber_upper_bound=outcome.qber_upper_bound if not math.isnan(outcome.qber_upper_bound) else 1.0,
        disclosed_bits=outcome.disclosed_bits,
        secret_bits=outcome.secret_bits,
        status=outcome.status,
        n_corrected_bits=outcome.n_corrected_bits,
        n_messages=outcome.n_messages if n_messages is None else n_messages,
        alice_key=outcome.alice_key,
        bob_key=outcome.bob_key,
        asymptotic_secret_bits=outcome.asymptotic_secret_bits,
        finite_secret_bits=outcome.finite_secret_bits,
        key_length=outcome.key_length,
    )
