"""What every step of the network-scale engine shares: its state, its clock, classical delays.

:class:`EngineBase` declares the attributes :class:`qtn.netscale.NetworkScaleNetwork`
sets up and the steps use, computes classical delays between routers (the
fastest fibre route, as SeQUeNCe's router mesh does), and names the steps one
responsibility calls in another (each is defined in its own module; the engine
class combines them).
"""

import random
from collections.abc import Callable

from qnetsim.core.delivery import PairDelivery
from qnetsim.core.fibre_delays import FibreDelays
from qnetsim.core.hardware import NodeHardwareConfig
from qnetsim.core.spec import LinkSpec, NetworkSpec, QTNOptions
from qtn.admission import Admission
from qtn.netscale.clock import Clock
from qtn.netscale.memories import MemoryCards
from qtn.netscale.state import Counters, Pair, Session, Slot, Swap


class EngineBase:
    """State and shared helpers of the network-scale engine (see :mod:`qtn.netscale.engine`)."""

    spec: NetworkSpec
    seed: int
    duration_s: float
    options: QTNOptions
    memory_sample_interval_s: float | None
    clock: Clock
    pair_records: list[dict[str, object]]
    memory_records: list[dict[str, object]]
    _rng: random.Random
    _admission: Admission
    _hardware: dict[str, NodeHardwareConfig]
    _links: dict[frozenset[str], LinkSpec]
    _cards: MemoryCards
    _delays: FibreDelays
    _sessions: dict[int, Session]
    _link_counters: dict[str, Counters]
    _purification_counters: dict[tuple[str, str], Counters]
    _listeners: dict[int, list[Callable[[PairDelivery], None]]]
    _cutoff_s: dict[str, float | None]
    _coherence_s: dict[str, float | None]

    def _delay_ps(self, src: str, dst: str) -> int:
        """Classical delay between two routers: the fastest fibre route, integer ps (at least 1).

        Found once per pair (:class:`qnetsim.core.fibre_delays.FibreDelays`); pairs on a
        request's route take it from the route when that is a fastest one.
        """
        return self._delays.delay_ps(src, dst)

    def _live(self, session: Session) -> bool:
        return self.clock.now_ps < session.end_ps

    def _release(self, slot: Slot, epoch: int) -> None:
        if slot.epoch == epoch:
            self._free(slot)

    # --- steps of one responsibility that another one calls (defined in their own modules) ---

    def _consider(self, slot: Slot) -> None:
        """What a node does with a pair it knows (:mod:`qtn.netscale.engine`)."""
        raise NotImplementedError

    def _free(self, slot: Slot) -> None:
        """The memory is free again (:mod:`qtn.netscale.generation`)."""
        raise NotImplementedError

    def _state_now(self, pair: Pair) -> list[float]:
        """The pair's state decohered up to now (:mod:`qtn.netscale.storage`)."""
        raise NotImplementedError

    def _expire(self, pair: Pair) -> None:
        """Cut-off of a pair (:mod:`qtn.netscale.storage`)."""
        raise NotImplementedError

    def _expire_stale(self, slot: Slot, epoch: int, expire_ps: int) -> None:
        """Cut-off of a memory that missed its swap result (:mod:`qtn.netscale.storage`)."""
        raise NotImplementedError

    def _abandon_swap(self, swap: Swap, expired: Slot | None = None) -> None:
        """The repeater gives up a pending swap (:mod:`qtn.netscale.swaps`)."""
        raise NotImplementedError
