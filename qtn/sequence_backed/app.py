"""Entanglement request application: SeQUeNCe's App interface, recording every delivered pair.

SeQUeNCe's ``RequestApp`` only counts pairs (and records them in a global
metrics registry). :class:`EntanglementApp` follows the same protocol with the
network manager (reserve resources along a path, map memories to the
reservation while it is active, release delivered memories) but hands each
delivered end-to-end pair to a callback with its fidelity at delivery and the
time the initiator's memory waited for it. It holds no global state.
"""

from collections.abc import Callable
from typing import cast

from sequence.app.app import App
from sequence.components.memory import Memory
from sequence.kernel.event import Event
from sequence.kernel.process import Process
from sequence.network_management.reservation import Reservation
from sequence.resource_management.memory_manager import MemoryInfo
from sequence.topology.node import QuantumRouter

from qnetsim.core.delivery import HeldHalf, PairDelivery, ReservationOutcome
from qtn.sequence_backed.purification import rounds_of

_DELIVERABLE_STATES = (MemoryInfo.ENTANGLED, MemoryInfo.PURIFIED)


def _remote_memory_name(memory: Memory) -> str:
    """Name of the memory holding the other half of ``memory``'s pair (SeQUeNCe types the entry as None)."""
    return cast(str, memory.entangled_memory["memo_id"])


class EntanglementApp(App):
    """Requests entanglement and reports delivered pairs through callbacks.

    One instance per quantum router (SeQUeNCe allows one app per router); it
    serves as initiator for its own requests and as responder for others'.
    """

    def __init__(
        self,
        node: QuantumRouter,
        on_pair: Callable[[PairDelivery], None],
        on_outcome: Callable[[ReservationOutcome], None],
        on_held: Callable[[HeldHalf], None] | None = None,
    ) -> None:
        super().__init__(node)
        self._on_pair = on_pair
        self._on_outcome = on_outcome
        self._on_held = on_held
        self._held_requests: set[int] = set()
        self._hold_ps: dict[int, int] = {}
        self._release_lags_ps: dict[int, tuple[int, int]] = {}
        self._memory_reservation: dict[int, Reservation] = {}
        self._free_since_ps: dict[int, int] = {}

    def request(
        self,
        request_id: int,
        responder: str,
        start_ps: int,
        end_ps: int,
        n_memories: int,
        target_fidelity: float,
    ) -> None:
        """Ask the network for pairs with ``responder`` between ``start_ps`` and ``end_ps``."""
        self.node.reserve_net_resource(responder, start_ps, end_ps, n_memories, target_fidelity, identity=request_id)

    def store_pairs_of(self, request_id: int, hold_ps: int) -> None:
        """Keep each pair of ``request_id`` stored ``hold_ps`` before using (initiator) or freeing it."""
        self._hold_ps[request_id] = hold_ps

    def release_after(self, request_id: int, lags_ps: tuple[int, int]) -> None:
        """As responder of ``request_id``, keep each delivered half until the initiator knows the pair too.

        ``lags_ps``: how long after this end learns of a pair the initiator does, for a
        pair made by a swap or herald and for one purified end to end
        (:func:`qtn.swapping_order.responder_release_lags_ps`). The half is freed that
        long (plus the request's storage time) after this end learns of it, plus one
        picosecond, so that an initiator told at that very instant reads the pair
        before this half is reset (events at equal times have no set order).
        """
        self._release_lags_ps[request_id] = lags_ps

    def hold_pairs_of(self, request_id: int) -> None:
        """Keep pairs of reservation ``request_id`` at this node (report them, do not release)."""
        self._held_requests.add(request_id)

    def release(self, memory_name: str) -> None:
        """Free a held memory so the network can use it again."""
        self.node.resource_manager.update(None, self._memory(memory_name), MemoryInfo.RAW)

    def holds(self, half: HeldHalf) -> bool:
        """Whether the memory of ``half`` still holds that pair (it may have expired since)."""
        memory = self._memory(half.memory)
        info = self.node.resource_manager.memory_manager.get_info_by_memory(memory)
        return info.state in _DELIVERABLE_STATES and memory.entangled_memory["memo_id"] == half.remote_memory

    def _memory(self, name: str) -> Memory:
        """The memory called ``name`` on this node's timeline."""
        memory = self.node.timeline.get_entity_by_name(name)
        assert isinstance(memory, Memory), name
        return memory

    def pair_state(self, memory_name: str) -> list[float]:
        """Bell-diagonal coefficients [Phi+, Phi-, Psi+, Psi-] of the pair in ``memory_name`` now.

        Both halves are first decohered up to the present (the recorder reads the
        shared state; no node acts on the remote half).
        """
        memory = self._memory(memory_name)
        remote = self.node.timeline.get_entity_by_name(_remote_memory_name(memory))
        memory.bds_decohere()
        if remote is not None:
            remote.bds_decohere()
        return [float(x) for x in memory.get_bds_state()]

    # --- App interface (called by the QuantumRouter) ------------------------------------

    def get_reservation_result(self, reservation: Reservation, result: bool) -> None:
        """Record the network's answer; on approval, watch the reserved memories."""
        self._on_outcome(
            ReservationOutcome(
                request_id=reservation.identity,
                time_ps=self.node.timeline.now(),
                approved=result,
                path=tuple(reservation.path),
            )
        )
        if result:
            self._schedule_reservation(reservation)

    def get_other_reservation(self, reservation: Reservation) -> None:
        """Watch the memories of a reservation for which this node is the responder."""
        self._schedule_reservation(reservation)

    def get_memory(self, info: MemoryInfo) -> None:
        """Take a memory that no rule wants: deliver it if it holds an end-to-end pair."""
        if info.state not in _DELIVERABLE_STATES:
            return
        reservation = self._memory_reservation.get(info.index)
        if reservation is None:
            return
        is_initiator = info.remote_node == reservation.responder
        is_responder = info.remote_node == reservation.initiator
        if not (is_initiator or is_responder) or info.fidelity < reservation.fidelity:
            return
        if reservation.identity in self._held_requests and self._on_held is not None:
            self._on_held(
                HeldHalf(
                    request_id=reservation.identity,
                    time_ps=self.node.timeline.now(),
                    node=self.node.name,
                    memory=info.memory.name,
                    # SeQUeNCe types these as None (their initial value); an entangled memory has both.
                    remote_node=cast(str, info.remote_node),
                    remote_memory=cast(str, info.remote_memo),
                )
            )
            return
        hold_ps = self._hold_ps.get(reservation.identity, 0)
        lags_ps = self._release_lags_ps.get(reservation.identity)
        if is_responder and lags_ps is not None:
            hold_ps += lags_ps[1 if rounds_of(info) else 0] + 1
        if hold_ps > 0:
            # The pair stays in memory (and decoheres) until the application uses it.
            available_ps = self.node.timeline.now()
            use = Process(self, "_use_stored", [info, reservation, is_initiator, available_ps])
            self.node.timeline.schedule(Event(available_ps + hold_ps, use))
            return
        if is_initiator:
            self._deliver(info, reservation)
        self.node.resource_manager.update(None, info.memory, MemoryInfo.RAW)

    def _use_stored(self, info: MemoryInfo, reservation: Reservation, is_initiator: bool, available_ps: int) -> None:
        if info.state not in _DELIVERABLE_STATES:
            return  # the pair expired (cut-off) while stored
        if is_initiator:
            self._deliver(info, reservation, available_ps)
        self.node.resource_manager.update(None, info.memory, MemoryInfo.RAW)

    # --- internals ------------------------------------------------------------------------

    def _deliver(self, info: MemoryInfo, reservation: Reservation, available_ps: int | None = None) -> None:
        now_ps = self.node.timeline.now()
        available_ps = now_ps if available_ps is None else available_ps
        state = self._state_now(info)
        self._on_pair(
            PairDelivery(
                request_id=reservation.identity,
                time_ps=now_ps,
                path=tuple(reservation.path),
                fidelity=state[0],
                state=state,
                wait_ps=available_ps - self._free_since_ps.get(info.index, reservation.start_time),
                memory_index=info.index,
                stored_ps=now_ps - available_ps,
            )
        )
        self._free_since_ps[info.index] = now_ps

    def _state_now(self, info: MemoryInfo) -> tuple[float, float, float, float]:
        # The recorder, not the node, reads the shared state: both halves are
        # decohered up to now so the figures are those at delivery time.
        memory = info.memory
        remote = self.node.timeline.get_entity_by_name(_remote_memory_name(memory))
        memory.bds_decohere()
        if remote is not None:
            remote.bds_decohere()
        a, b, c, d = (float(x) for x in memory.get_bds_state())
        return (a, b, c, d)

    def _schedule_reservation(self, reservation: Reservation) -> None:
        timeline = self.node.timeline
        for card in self.node.network_manager.get_timecards():
            if reservation in card.reservations:
                start = Process(self, "_watch_memory", [card.memory_index, reservation])
                timeline.schedule(Event(reservation.start_time, start))
                stop = Process(self, "_unwatch_memory", [card.memory_index])
                timeline.schedule(Event(reservation.end_time, stop))

    def _watch_memory(self, index: int, reservation: Reservation) -> None:
        self._memory_reservation[index] = reservation
        self._free_since_ps[index] = reservation.start_time

    def _unwatch_memory(self, index: int) -> None:
        self._memory_reservation.pop(index, None)
        self._free_since_ps.pop(index, None)
