"""The network-scale entanglement network: SeQUeNCe's repeater protocol, one event per protocol step.

:class:`NetworkScaleNetwork` takes the same requests and writes the same records
as :class:`qtn.sequence_backed.network.EntanglementNetwork`, but builds no SeQUeNCe objects. Each
request reserves memories along its route (:mod:`qtn.netscale.memories`) and then
runs, per memory, the steps SeQUeNCe's rules would run, with the same classical
delays (fastest fibre route between any two routers) and the same choices:

* **Generation.** On each link the node nearer the initiator (requester) pairs a
  free memory with a free memory of its neighbour by a REQUEST that takes one
  classical delay tau to arrive; a request that finds no free memory is refused
  and repeated every 2 tau (the engine computes the first request that succeeds
  instead of simulating the refusals). The success then comes N attempt
  periods after that request was sent, N ~ Geometric(p), with p and the period
  of :mod:`qtn.analytic.heralded_generation` (the fast mode's law). The pair is
  the raw Werner state with both halves decohered during the herald delay, and
  both ends know it at the decision.
* **Purification** (when a pair's recorded fidelity is below the target): the
  end farther from the initiator pairs two pairs with the same far end and the
  same number of rounds (BBPSSW or DEJMPS, :mod:`qtn.analytic.purification`);
  REQUEST/RESPONSE round trip, the far end applies the round on arrival, each
  end learns the outcome when the other's result arrives.
* **Swapping** (nested or sequential, :mod:`qtn.swapping_order`): a repeater
  holding pairs towards both its partners sends a REQUEST to each far end;
  a far end accepts if its memory waits for a swap of that pair and is then
  tied to that swap until the result, a release or its expiry; the swap
  happens when both acceptances are back, with the node's success probability
  and the twirled Bell-diagonal map, and each far end learns the new pair one
  classical delay later. Refusals, releases and results follow SeQUeNCe's
  resource manager message by message, including its matching by protocol
  name (see :meth:`NetworkScaleNetwork._swap_response`): a refusal abandons
  the swap without telling the far end that accepted, which then refuses
  every request until its memory expires, and a result for a far end released
  meanwhile is dropped. These rules decide how many pairs survive when the
  cut-off binds.
* **Storage.** Every half decoheres in its memory (depolarising, coherence time
  of its node). Each memory expires at the cut-off counted from the emission
  that made its link pair (SeQUeNCe re-arms a memory's expiry at every
  emission); a swapped pair expires with the earlier of the two it was made of.
  What else an expiry frees is what SeQUeNCe's protocol holding the memory
  does: a pending swap releases far ends whose answer is not back, a
  purification resets both its memories.
* **Delivery.** The initiator uses each end-to-end pair once it knows it (after
  ``hold_s`` if set) and frees the memory; the responder frees its half once
  the initiator knows the pair too (:func:`qtn.swapping_order.responder_release_lags_ps`),
  as :class:`qtn.sequence_backed.app.EntanglementApp` does.

What is left out: dark counts and detector dead time (as in the fast mode),
and the detailed message choreography (NEGOTIATE/ACK, stray messages) beyond
the timing of each step. Tests compare it with the hardware mode on the same
scenarios (pairs per second, mean fidelity, link success probability).
"""

import random
from collections.abc import Callable

from qnetsim.core.delivery import PairDelivery
from qnetsim.core.errors import ConfigError
from qnetsim.core.fibre_delays import FibreDelays
from qnetsim.core.randomness import derive_seed
from qnetsim.core.requests import EntanglementRequest, TeleportationTraffic
from qnetsim.core.spec import LinkSpec, NetworkSpec, QTNOptions
from qnetsim.core.units import ps_to_s, s_to_ps
from qtn.admission import Admission
from qtn.netscale.clock import Clock
from qtn.netscale.delivery import DeliverySteps
from qtn.netscale.generation import GenerationSteps
from qtn.netscale.memories import MemoryCards
from qtn.netscale.purification import PurificationSteps
from qtn.netscale.records import RecordSteps
from qtn.netscale.state import HOLDING, Counters, Session, Slot
from qtn.netscale.storage import StorageSteps
from qtn.netscale.swaps import SwappingSteps
from qtn.swapping_order import responder_release_lags_ps, swap_partners


class NetworkScaleNetwork(GenerationSteps, StorageSteps, SwappingSteps, PurificationSteps, DeliverySteps, RecordSteps):
    """Entanglement distribution for network-scale runs (the ``network`` fidelity level).

    An :class:`qtn.engine.EntanglementEngine`, like
    :class:`qtn.sequence_backed.network.EntanglementNetwork`. This class sets the
    engine up, admits requests, reserves their memories and applies SeQUeNCe's
    rules to each pair a node knows (:meth:`_consider`); the steps of each
    responsibility are in their own module (generation, storage, swaps,
    purification, delivery, records).
    """

    def __init__(
        self,
        spec: NetworkSpec,
        seed: int,
        duration_s: float,
        options: QTNOptions | None = None,
        memory_sample_interval_s: float | None = None,
    ) -> None:
        self.spec = spec
        self.seed = seed
        self.duration_s = duration_s
        self.options = options or QTNOptions()
        self.memory_sample_interval_s = memory_sample_interval_s
        self.clock = Clock(s_to_ps(duration_s))
        self.pair_records: list[dict[str, object]] = []
        self.memory_records: list[dict[str, object]] = []
        self._rng = random.Random(derive_seed(seed, "netscale"))
        self._admission = Admission(spec, self.options.routing)
        self._hardware = {node.name: node.hardware for node in spec.nodes}
        self._links: dict[frozenset[str], LinkSpec] = {frozenset((link.a, link.b)): link for link in spec.links}
        self._cards = MemoryCards({node.name: node.hardware.n_memories for node in spec.nodes})
        self._delays = FibreDelays(self._admission.graph)
        self._sessions: dict[int, Session] = {}
        self._link_counters: dict[str, Counters] = {}
        self._purification_counters: dict[tuple[str, str], Counters] = {}
        self._listeners: dict[int, list[Callable[[PairDelivery], None]]] = {}
        self._cutoff_s = {
            name: self.options.cutoff_s or hw.memory.coherence_time_s for name, hw in self._hardware.items()
        }
        self._coherence_s = {name: hw.memory.coherence_time_s for name, hw in self._hardware.items()}
        if memory_sample_interval_s is not None:
            self.clock.at(0, self._sample_memories)

    def add_request(self, request: EntanglementRequest, purpose: str = "pairs") -> None:
        """Issue ``request`` at its start time (before :meth:`run`)."""
        self._admission.check(request)
        session = Session(request, purpose, self._admission.setup_s(request.src, request.dst))
        self._sessions[request.request_id] = session
        self.clock.at(s_to_ps(request.start_s), self._issue, session)

    def add_teleportation(self, traffic: TeleportationTraffic) -> list[str]:
        """Refused: teleportation is not part of the network-scale level (the scenario checks refuse it first)."""
        raise ConfigError(
            f"teleportation {traffic.request_id}: the network-scale level runs entanglement traffic only;"
            " use fidelity_level 'hardware' or 'fast'"
        )

    @property
    def shared_timeline(self) -> None:
        """None: this engine runs on its own event loop (:class:`qtn.netscale.clock.Clock`), shared with nobody."""
        return None

    def add_pair_listener(self, request_id: int, listener: Callable[[PairDelivery], None]) -> None:
        """Also hand every pair delivered for ``request_id`` to ``listener``."""
        self._listeners.setdefault(request_id, []).append(listener)

    def _issue(self, session: Session) -> None:
        request = session.request
        now_ps = self.clock.now_ps
        reason = self._admission.refusal(request, session.setup_s)
        if reason:
            session.approved = False
            session.outcome_time_s = request.start_s
            session.reason = reason
            return
        path = tuple(self._admission.route(request.src, request.dst) or ())
        self._delays.note_route(path)  # its steps message along it: one search instead of one per pair
        n = request.n_memories
        need = {node: (n if i in (0, len(path) - 1) else 2 * n) for i, node in enumerate(path)}
        chosen, short = self._cards.reserve(need, session.start_ps, session.end_ps)
        if short is not None:
            session.path = path
            session.approved = False
            session.outcome_time_s = ps_to_s(now_ps + 2 * self._delay_ps(path[0], short))
            session.reason = "rejected by the network: not enough free memories on the path"
            return
        session.approved = True
        session.outcome_time_s = ps_to_s(now_ps + 2 * self._delay_ps(path[0], path[-1]))
        session.path = path
        session.partners = swap_partners(path, self.options.swapping_order)
        session.release_lags_ps = responder_release_lags_ps(path, self.options.swapping_order, self._delay_ps)
        self._build_session(session, chosen)
        self.clock.at(session.start_ps, self._start, session)

    def _build_session(self, session: Session, chosen: dict[str, list[int]]) -> None:
        path = session.path
        n = session.request.n_memories
        sides: dict[str, tuple[list[Slot], list[Slot]]] = {}
        for i, node in enumerate(path):
            slots = [Slot(node, index, session) for index in chosen[node]]
            session.slots.extend(slots)
            for slot in slots:
                slot.neighbours = [other for other in slots if other is not slot]
            # SeQUeNCe: the first n memories face the previous node, the rest the next one.
            left, right = (slots[:n], slots[n:]) if 0 < i < len(path) - 1 else ((slots, []) if i else ([], slots))
            sides[node] = (left, right)
        for u, v in zip(path, path[1:], strict=False):
            hop = self._new_hop(session, u, v)
            for slot in sides[u][1]:
                slot.hop, slot.requester = hop, True
            for slot in sides[v][0]:
                slot.hop = hop
                hop.responders.append(slot)

    def _consider(self, slot: Slot) -> None:
        pair = slot.pair
        if slot.busy or pair is None or not pair.alive or slot.stale_expire_ps is not None:
            return
        session = slot.session
        remote = pair.other(slot)
        target = session.request.target_fidelity
        if pair.recorded(slot) < target:
            if slot is pair.b and self._purifiable(slot, target):
                for other in slot.neighbours:
                    if (
                        other.state == HOLDING
                        and not other.busy
                        and other.stale_expire_ps is None
                        and other.pair is not None  # holds one (state HOLDING)
                        and other.pair.alive
                        and other.pair.b is other
                        and other.pair.a.node == remote.node
                        and other.pair.rounds == pair.rounds
                        and self._purifiable(other, target)
                    ):
                        self._start_purification(slot, other)
                        return
            return
        path = session.path
        if slot.node in (path[0], path[-1]):
            if remote.node == (path[-1] if slot.node == path[0] else path[0]):
                self._deliver_or_hold(slot)
            return
        left, right = session.partners[slot.node]
        if remote.node not in (left, right):
            return  # waits for the swap of another node
        wanted = right if remote.node == left else left
        for other in slot.neighbours:
            if (
                other.state == HOLDING
                and not other.busy
                and other.stale_expire_ps is None
                and other.pair is not None  # holds one (state HOLDING)
                and other.pair.alive
                and other.pair.other(other).node == wanted
                and other.pair.recorded(other) >= target
            ):
                self._start_swap(slot, other)
                return

    def run(self) -> None:
        """Run to the end of the duration."""
        self.clock.run()

    def now_s(self) -> float:
        """Current simulated time."""
        return ps_to_s(self.clock.now_ps)

    def schedule_call_s(self, time_s: float, function: Callable[..., None], *args: object) -> None:
        """Run ``function(*args)`` at ``time_s`` on this engine's loop (e.g. a BBM92 frame's end)."""
        self.clock.at(s_to_ps(time_s), function, *args)

    def events_executed(self) -> int:
        """Events run so far."""
        return self.clock.n_executed
