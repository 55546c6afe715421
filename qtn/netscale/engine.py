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
  ``hold_s`` if set) and frees the memory; the responder frees its half a
  reservation round trip later, as :class:`qtn.sequence_backed.app.EntanglementApp` does.

What is left out: dark counts and detector dead time (as in the fast mode),
and the detailed message choreography (NEGOTIATE/ACK, stray messages) beyond
the timing of each step. Tests compare it with the hardware mode on the same
scenarios (pairs per second, mean fidelity, link success probability).
"""

import math
import random
from collections.abc import Callable

import networkx as nx

from qnetsim.core.bookkeeping import (
    link_record,
    pair_record,
    purification_record,
    request_record,
)
from qnetsim.core.delivery import PairDelivery
from qnetsim.core.errors import ConfigError
from qnetsim.core.randomness import derive_seed
from qnetsim.core.requests import EntanglementRequest, TeleportationTraffic
from qnetsim.core.spec import LinkSpec, NetworkSpec, QTNOptions
from qnetsim.core.units import ps_to_s, s_to_ps
from qtn.admission import Admission
from qtn.analytic.heralded_generation import single_heralded_herald_delay_s
from qtn.analytic.purification import bbpssw_bell_diagonal, dejmps
from qtn.netscale.bell import depolarise, storage_factor, swap_fidelity, werner
from qtn.netscale.clock import Clock
from qtn.netscale.memories import MemoryCards
from qtn.routing import link_attempt_period_s, link_success_probability
from qtn.swapping_order import swap_partners

# Memory states within a reservation.
_FREE = 0  # requesting a partner (requester side) or waiting for a request (responder side)
_GENERATING = 1
_HOLDING = 2  # holds a pair (possibly inside a swap or purification handshake: ``busy``)


class _Counters:
    __slots__ = ("n_attempts", "n_successes")

    def __init__(self) -> None:
        self.n_attempts = 0
        self.n_successes = 0


class _Pair:
    """A shared Bell-diagonal pair between memory ``a`` (nearer the initiator) and ``b``."""

    __slots__ = (
        "a",
        "b",
        "state",
        "updated_ps",
        "expire_ps",
        "fidelity_a",
        "fidelity_b",
        "rounds",
        "alive",
    )

    def __init__(self, a: "_Slot", b: "_Slot", state: list[float], now_ps: int, expire_ps: int | None) -> None:
        self.a = a
        self.b = b
        self.state = state
        self.updated_ps = now_ps
        self.expire_ps = expire_ps
        # Fidelity as each end's memory records it (SeQUeNCe's ``memory.fidelity``): set
        # when that end learns the pair, so the two ends of a swapped pair may differ.
        self.fidelity_a = self.fidelity_b = state[0]
        self.rounds = 0
        self.alive = True

    def other(self, slot: "_Slot") -> "_Slot":
        return self.b if slot is self.a else self.a

    def recorded(self, slot: "_Slot") -> float:
        """The fidelity ``slot``'s memory has recorded for this pair."""
        return self.fidelity_a if slot is self.a else self.fidelity_b

    def record(self, slot: "_Slot", fidelity: float) -> None:
        if slot is self.a:
            self.fidelity_a = fidelity
        else:
            self.fidelity_b = fidelity


class _Slot:
    """One reserved memory of one node for one request."""

    __slots__ = (
        "node",
        "index",
        "session",
        "hop",
        "requester",
        "state",
        "pair",
        "busy",
        "epoch",
        "t_send_ps",
        "neighbours",
        "free_since_ps",
        "swap",
        "awaiting_result",
        "group",
        "stale_expire_ps",
    )

    def __init__(self, node: str, index: int, session: "_Session") -> None:
        self.node = node
        self.index = index
        self.session = session
        self.hop: _Hop | None = None
        self.requester = False
        self.state = _FREE
        self.pair: _Pair | None = None
        self.busy = False
        self.epoch = 0  # bumped whenever the memory is freed: events of its past life are stale
        self.t_send_ps = 0
        self.neighbours: list[_Slot] = []  # the request's other memories at the same node
        self.free_since_ps = session.start_ps  # for the pairs table's latency (initiator)
        self.swap: _Swap | None = None  # the swap this (repeater) memory is in, while its requests are out
        self.awaiting_result = False  # accepted a swap request: waits for that swap's result (SeQUeNCe's running ESB)
        self.group: tuple[_Slot, ...] = ()  # memories of one purification round: they expire together
        # Set when a swap result was dropped here: the memory holds the swapped pair without
        # knowing it (it waits for a swap of its old one) and expires at the old pair's time.
        self.stale_expire_ps: int | None = None


class _Hop:
    """Generation on one link of a request's path: requester memories, responder memories, timing."""

    __slots__ = (
        "raw_fidelity",
        "tau_ps",
        "period_ps",
        "log_fail",
        "herald_ps",
        "raw_state",
        "expire_after_ps",
        "counters",
        "responders",
        "waiting",
    )

    def __init__(self) -> None:
        self.responders: list[_Slot] = []
        self.waiting: list[_Slot] = []


class _Swap:
    """A repeater's swap while its REQUESTs to the two far ends are out (SeQUeNCe's pending ``ESA`` protocol).

    SeQUeNCe matches answers to protocols by name, and the name is made of the
    two memories' names (``ESA.<first>.<second>``): an answer meant for an
    abandoned swap counts for a newer one on the same two memories, in the same
    order. ``key`` is that name.
    """

    __slots__ = ("key", "slots", "pairs", "fars", "approved")

    def __init__(self, first: "_Slot", second: "_Slot") -> None:
        assert first.pair is not None and second.pair is not None
        self.key = (first.node, first.index, second.index)
        self.slots = (first, second)
        self.pairs: tuple[_Pair, _Pair] = (first.pair, second.pair)
        self.fars = (first.pair.other(first), second.pair.other(second))
        self.approved = [False, False]


class _Session:
    """One approved request: its path, memories and progress."""

    def __init__(self, request: EntanglementRequest, purpose: str, setup_s: float) -> None:
        self.request = request
        self.purpose = purpose
        self.setup_s = setup_s
        self.path: tuple[str, ...] = ()
        self.partners: dict[str, tuple[str, str]] = {}
        self.slots: list[_Slot] = []
        self.start_ps = s_to_ps(request.start_s + setup_s)
        self.end_ps = s_to_ps(request.end_s)
        self.hold_ps = s_to_ps(request.hold_s)
        self.approved: bool | None = None
        self.outcome_time_s: float | None = None
        self.reason = ""
        self.n_pairs = 0
        self.swaps: dict[tuple[str, int, int], _Swap] = {}  # pending swaps by SeQUeNCe protocol name


class NetworkScaleNetwork:
    """Entanglement distribution for network-scale runs (the ``network`` fidelity level).

    Same interface as :class:`qtn.sequence_backed.network.EntanglementNetwork` for what the runner
    uses: :meth:`add_request`, :meth:`run`, ``pair_records``, :meth:`request_records`,
    :meth:`link_records`, :meth:`purification_records`, ``memory_records``.
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
        self._delays_ps: dict[str, dict[str, int]] = {}
        self._sessions: dict[int, _Session] = {}
        self._link_counters: dict[str, _Counters] = {}
        self._purification_counters: dict[tuple[str, str], _Counters] = {}
        self._listeners: dict[int, list[Callable[[PairDelivery], None]]] = {}
        self._cutoff_s = {
            name: self.options.cutoff_s or hw.memory.coherence_time_s for name, hw in self._hardware.items()
        }
        self._coherence_s = {name: hw.memory.coherence_time_s for name, hw in self._hardware.items()}
        if memory_sample_interval_s is not None:
            self.clock.at(0, self._sample_memories)

    # --- requests -----------------------------------------------------------------------

    def add_request(self, request: EntanglementRequest, purpose: str = "pairs") -> None:
        """Issue ``request`` at its start time (before :meth:`run`)."""
        self._admission.check(request)
        session = _Session(request, purpose, self._admission.setup_s(request.src, request.dst))
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

    def _delay_ps(self, src: str, dst: str) -> int:
        """Classical delay between two routers: the fastest fibre route, integer ps (at least 1)."""
        table = self._delays_ps.get(src)
        if table is None:
            lengths = nx.single_source_dijkstra_path_length(self._admission.graph, src, weight="delay_s")
            table = self._delays_ps[src] = {dst: max(1, s_to_ps(delay)) for dst, delay in lengths.items()}
        return table[dst]

    def _issue(self, session: _Session) -> None:
        request = session.request
        now_ps = self.clock.now_ps
        reason = self._admission.refusal(request, session.setup_s)
        if reason:
            session.approved = False
            session.outcome_time_s = request.start_s
            session.reason = reason
            return
        path = tuple(self._admission.route(request.src, request.dst) or ())
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
        self._build_session(session, chosen)
        self.clock.at(session.start_ps, self._start, session)

    def _build_session(self, session: _Session, chosen: dict[str, list[int]]) -> None:
        path = session.path
        n = session.request.n_memories
        sides: dict[str, tuple[list[_Slot], list[_Slot]]] = {}
        for i, node in enumerate(path):
            slots = [_Slot(node, index, session) for index in chosen[node]]
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

    def _new_hop(self, session: _Session, requester: str, responder: str) -> _Hop:
        link = self._links[frozenset((requester, responder))]
        hop = _Hop()
        tau_ps = self._delay_ps(requester, responder)
        hop.tau_ps = tau_ps
        hop.period_ps = s_to_ps(
            link_attempt_period_s(
                self.spec, link, requester_is_primary=requester > responder, classical_delay_s=ps_to_s(tau_ps)
            )
        )
        p = link_success_probability(self.spec, link)
        hop.log_fail = math.log1p(-p) if p < 1.0 else -math.inf  # 0.0 when p = 0
        hop.herald_ps = s_to_ps(single_heralded_herald_delay_s(link.length_km, link.hardware.fibre.speed_km_per_s))
        raw = hop.raw_fidelity = min(
            self._hardware[requester].memory.raw_fidelity, self._hardware[responder].memory.raw_fidelity
        )
        factor = storage_factor(hop.herald_ps, self._coherence_s[requester]) * storage_factor(
            hop.herald_ps, self._coherence_s[responder]
        )
        hop.raw_state = depolarise(werner(raw), factor)
        cutoffs = [c for c in (self._cutoff_s[requester], self._cutoff_s[responder]) if c is not None]
        hop.expire_after_ps = s_to_ps(min(cutoffs)) if cutoffs else None
        hop.counters = self._link_counters.setdefault(link.name, _Counters())
        return hop

    # --- generation -----------------------------------------------------------------------

    def _start(self, session: _Session) -> None:
        for slot in session.slots:
            if slot.requester:
                self._send_request(slot)

    def _live(self, session: _Session) -> bool:
        return self.clock.now_ps < session.end_ps

    def _send_request(self, slot: _Slot) -> None:
        now_ps = self.clock.now_ps
        self.clock.at(now_ps + slot.hop.tau_ps, self._request_arrives, slot, now_ps, slot.epoch)

    def _request_arrives(self, slot: _Slot, t_send_ps: int, epoch: int) -> None:
        if slot.epoch != epoch or not self._live(slot.session):
            return
        hop = slot.hop
        for responder in hop.responders:
            if responder.state == _FREE:
                break
        else:
            slot.t_send_ps = t_send_ps
            hop.waiting.append(slot)  # refused; repeated every 2 tau until a memory frees
            return
        slot.state = responder.state = _GENERATING
        if hop.log_fail == 0.0:  # p = 0: attempts until the end, never a success
            hop.counters.n_attempts += max(0, (slot.session.end_ps - t_send_ps) // hop.period_ps)
            return
        n_attempts = 1 if hop.log_fail == -math.inf else 1 + int(math.log(1.0 - self._rng.random()) / hop.log_fail)
        success_ps = t_send_ps + n_attempts * hop.period_ps
        end_ps = slot.session.end_ps
        hop.counters.n_attempts += n_attempts if success_ps < end_ps else max(0, (end_ps - t_send_ps) // hop.period_ps)
        self.clock.at(success_ps, self._herald, slot, responder, epoch, responder.epoch)

    def _responder_free(self, responder: _Slot) -> None:
        responder.state = _FREE
        hop = responder.hop
        if not hop.waiting:
            return
        now_ps, tau_ps = self.clock.now_ps, hop.tau_ps
        best, best_arrival = None, 0
        for slot in hop.waiting:
            # Refused requests are repeated every 2 tau: the next one to arrive after now.
            first = slot.t_send_ps + tau_ps
            arrival = first + 2 * tau_ps * max(0, -(-(now_ps - first) // (2 * tau_ps)))
            if best is None or arrival < best_arrival:
                best, best_arrival = slot, arrival
        hop.waiting.remove(best)
        self.clock.at(best_arrival, self._request_arrives, best, best_arrival - tau_ps, best.epoch)

    def _herald(self, requester: _Slot, responder: _Slot, epoch_a: int, epoch_b: int) -> None:
        if requester.epoch != epoch_a or responder.epoch != epoch_b or not self._live(requester.session):
            return
        hop = requester.hop
        hop.counters.n_successes += 1
        now_ps = self.clock.now_ps
        expire_ps = None if hop.expire_after_ps is None else now_ps - hop.herald_ps + hop.expire_after_ps
        pair = _Pair(requester, responder, list(hop.raw_state), now_ps, expire_ps)
        pair.fidelity_a = pair.fidelity_b = hop.raw_fidelity  # SeQUeNCe records the raw fidelity, not the decohered one
        requester.state = responder.state = _HOLDING
        requester.pair = responder.pair = pair
        if expire_ps is not None:
            self.clock.at(max(expire_ps, now_ps), self._expire, pair)
        self._consider(requester)
        self._consider(responder)

    def _free(self, slot: _Slot) -> None:
        """The memory is free again: it starts generating on its link (if the request is still running)."""
        slot.epoch += 1
        slot.pair = None
        slot.busy = False
        slot.awaiting_result = False
        slot.swap = None
        slot.group = ()
        slot.stale_expire_ps = None
        slot.state = _FREE
        if not self._live(slot.session):
            return
        if slot.requester:
            self._send_request(slot)
        else:
            self._responder_free(slot)

    def _expire(self, pair: _Pair) -> None:
        """Cut-off: each memory still holding ``pair`` expires (SeQUeNCe's ``Memory.expire``).

        Also for a pair already gone: a memory that never learnt what became of it
        (its swap result was dropped) keeps it until its own expiry time.
        """
        pair.alive = False
        for slot in (pair.a, pair.b):
            if slot.pair is pair and slot.stale_expire_ps is None:
                self._expire_slot(slot)

    def _expire_stale(self, slot: _Slot, epoch: int, expire_ps: int) -> None:
        """A memory that missed its swap result expires at its own (old) expiry time."""
        if slot.epoch == epoch and slot.stale_expire_ps == expire_ps:
            if slot.pair is not None:
                slot.pair.alive = False
            self._expire_slot(slot)

    def _expire_slot(self, slot: _Slot) -> None:
        """One memory expires; what else goes with it is what SeQUeNCe's protocol holding it does."""
        swap = slot.swap
        if swap is not None:
            # Pending swap (``EntanglementSwappingA.memory_expire``): release both far
            # ends, the expired memory is freed, the other one goes back to the rules.
            self._abandon_swap(swap, expired=slot)
            return
        if slot.group:
            # Purification (``PurificationProtocol.memory_expire``): all its memories are reset.
            for member in slot.group:
                if member.group is slot.group:
                    if member.pair is not None:
                        member.pair.alive = False
                    self._free(member)
            return
        self._free(slot)

    def _state_now(self, pair: _Pair) -> list[float]:
        """Decohere both halves up to now (as SeQUeNCe's ``bds_decohere`` does when a protocol reads the pair)."""
        now_ps = self.clock.now_ps
        idle_ps = now_ps - pair.updated_ps
        if idle_ps > 0:
            factor = storage_factor(idle_ps, self._coherence_s[pair.a.node]) * storage_factor(
                idle_ps, self._coherence_s[pair.b.node]
            )
            pair.state = depolarise(pair.state, factor)
            pair.updated_ps = now_ps
        return pair.state

    # --- what a node does with a pair it knows (SeQUeNCe's rules) ---------------------------

    def _consider(self, slot: _Slot) -> None:
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
                        other.state == _HOLDING
                        and not other.busy
                        and other.stale_expire_ps is None
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
                other.state == _HOLDING
                and not other.busy
                and other.stale_expire_ps is None
                and other.pair.alive
                and other.pair.other(other).node == wanted
                and other.pair.recorded(other) >= target
            ):
                self._start_swap(slot, other)
                return

    def _purifiable(self, slot: _Slot, target: float) -> bool:
        """Whether ``slot``'s pair may enter a purification round, by the fidelity its memory recorded."""
        pair = slot.pair
        rounds = self.options.purification_rounds
        return pair is not None and 0.5 < pair.recorded(slot) < target and (rounds is None or pair.rounds < rounds)

    # --- swapping -------------------------------------------------------------------------

    def _start_swap(self, first: _Slot, second: _Slot) -> None:
        """A repeater pairs two memories for a swap and sends a REQUEST to each far end.

        ``first`` is the memory whose rule check found ``second`` (SeQUeNCe's
        ``es_rule_condition_A``); the order matters when the swap is abandoned.
        """
        swap = _Swap(first, second)
        first.session.swaps[swap.key] = swap
        now_ps = self.clock.now_ps
        for side, slot in enumerate(swap.slots):
            slot.busy = True
            slot.swap = swap
            far = swap.fars[side]
            self.clock.at(
                now_ps + self._delay_ps(slot.node, far.node), self._swap_request, swap, side, far, swap.pairs[side]
            )

    def _awaits_swap(self, slot: _Slot, pair: _Pair) -> bool:
        """Whether ``slot`` waits for a swap of ``pair`` (SeQUeNCe: a waiting ``EntanglementSwappingB``)."""
        return (
            slot.pair is pair
            and pair.alive
            and slot.state == _HOLDING
            and not slot.busy
            and (slot.stale_expire_ps is not None or pair.recorded(slot) >= slot.session.request.target_fidelity)
        )

    def _swap_request(self, swap: _Swap, side: int, far: _Slot, pair: _Pair) -> None:
        """A swap REQUEST reaches a far end: accepted if that memory waits for a swap of this pair, refused otherwise.

        An accepted request ties the far memory to the swap until the result, a
        release or its expiry comes (whatever becomes of the swap meanwhile).
        """
        if not self._live(far.session):
            return
        accepted = self._awaits_swap(far, pair)
        if accepted:
            far.busy = True
            far.awaiting_result = True
        delay_ps = self._delay_ps(far.node, swap.key[0])
        self.clock.at(self.clock.now_ps + delay_ps, self._swap_response, swap, side, far, accepted)

    def _swap_response(self, swap: _Swap, side: int, far: _Slot, accepted: bool) -> None:
        """An answer reaches the repeater; it counts for the pending swap of the same name, if any.

        A refusal abandons that swap at once (the far end that accepted already
        is not told, as in SeQUeNCe's resource manager); an acceptance for no
        pending swap releases the far memory again.
        """
        session = far.session
        if not self._live(session):
            return
        current = session.swaps.get(swap.key)
        if current is None:
            if accepted:
                delay_ps = self._delay_ps(swap.key[0], far.node)
                self.clock.at(self.clock.now_ps + delay_ps, self._release_far, far)
            return
        if not accepted:
            self._abandon_swap(current)
            return
        current.approved[side] = True
        if all(current.approved):
            self._swap(current)

    def _abandon_swap(self, swap: _Swap, expired: _Slot | None = None) -> None:
        """The repeater gives up a pending swap: refused, or one of its memories expired.

        On a refusal nobody is told. On expiry SeQUeNCe 1.3.1
        (``EntanglementSwappingA.memory_expire``) sends a ``RELEASE_MEMORY`` to a
        far end whose answer has not come back, which frees that memory, and a
        ``RELEASE_PROTOCOL`` to one that has accepted; the latter carries the
        swap protocol itself instead of the far end's protocol name
        (``release_remote_protocol(remote_node, self)``), matches nothing there
        and leaves the far memory waiting for a result until its own expiry.
        The levels follow SeQUeNCe here (it costs pairs when the cut-off binds).
        The memories go back to the rules in the swap's order, the first while
        the second is still held.
        """
        first, second = swap.slots
        del first.session.swaps[swap.key]
        now_ps = self.clock.now_ps
        if expired is not None:
            for far, approved in zip(swap.fars, swap.approved, strict=True):
                if not approved:
                    self.clock.at(now_ps + self._delay_ps(swap.key[0], far.node), self._release_far, far)
        for slot in (first, second):
            slot.swap = None
        for slot in (first, second):
            if slot is expired:
                self._free(slot)
            else:
                slot.busy = False
                self._consider(slot)

    def _release_far(self, far: _Slot) -> None:
        """A release reaches a far end: a memory waiting for a swap result waits for a new swap instead.

        SeQUeNCe finds the protocol by name (one per memory), so this releases
        whatever swap the memory waits for now, not necessarily the one meant.
        """
        if far.awaiting_result and self._live(far.session):
            far.awaiting_result = False
            far.busy = False
            self._consider(far)

    def _swap(self, swap: _Swap) -> None:
        """Both far ends accepted: the repeater swaps and sends each far end the result."""
        first, second = swap.slots
        session = first.session
        del session.swaps[swap.key]
        first.swap = second.swap = None
        if swap.fars[0].node == session.partners[first.node][0]:
            (left_slot, right_slot), (left, right) = swap.slots, swap.pairs
        else:
            (right_slot, left_slot), (right, left) = swap.slots, swap.pairs
        node = left_slot.node
        hardware = self._hardware[node]
        fidelity = swap_fidelity(
            self._state_now(left)[0], self._state_now(right)[0], hardware.gate_fidelity, hardware.measurement_fidelity
        )
        succeeded = hardware.swap_success_probability >= 1.0 or self._rng.random() < hardware.swap_success_probability
        far_left, far_right = left.other(left_slot), right.other(right_slot)
        left.alive = right.alive = False
        self._free(left_slot)
        self._free(right_slot)
        now_ps = self.clock.now_ps
        delay_left, delay_right = self._delay_ps(node, far_left.node), self._delay_ps(node, far_right.node)
        pair = None
        if succeeded:
            expiries = [e for e in (left.expire_ps, right.expire_ps) if e is not None]
            pair = _Pair(far_left, far_right, werner(fidelity), now_ps, min(expiries) if expiries else None)
            if pair.expire_ps is not None:
                self.clock.at(max(pair.expire_ps, now_ps), self._expire, pair)
        self.clock.at(now_ps + delay_left, self._swap_result, far_left, far_left.epoch, pair)
        self.clock.at(now_ps + delay_right, self._swap_result, far_right, far_right.epoch, pair)

    def _swap_result(self, far: _Slot, epoch: int, pair: _Pair | None) -> None:
        """A swap result reaches a far end.

        If the memory still waits for a result, it now holds the new pair (or is
        freed if the swap failed or the pair has expired). If it was released
        meanwhile, SeQUeNCe drops the result: the memory holds the new pair
        without knowing it, keeps waiting for a swap of its old one, answers
        swap requests for it by name (so the pair can still be swapped on) and
        expires at its old expiry time.
        """
        if far.epoch != epoch or not self._live(far.session):
            return
        if not far.awaiting_result:
            old = far.pair
            if pair is not None and pair.alive and old is not None and far.stale_expire_ps is None:
                far.pair = pair
                expire_ps = old.expire_ps if old.expire_ps is not None else self.clock.stop_ps
                far.stale_expire_ps = expire_ps
                self.clock.at(max(expire_ps, self.clock.now_ps), self._expire_stale, far, far.epoch, expire_ps)
            return
        far.awaiting_result = False
        if pair is None or not pair.alive:
            self._free(far)
            return
        far.pair = pair
        far.busy = False
        far.stale_expire_ps = None
        pair.record(far, self._state_now(pair)[0])  # decohered up to now, as SeQUeNCe's swapping B records it
        self._consider(far)

    def _both_still_held(self, first: _Slot, first_pair: _Pair, second: _Slot, second_pair: _Pair) -> bool:
        """Whether a purification's two memories still hold their pairs; if not, a survivor acts again.

        A pair can be gone by the time the far end takes up the request (expired,
        or reset with the other memory of a purification at its far end).
        """
        if first_pair.alive and second_pair.alive and first.pair is first_pair and second.pair is second_pair:
            return True
        for slot, pair in ((first, first_pair), (second, second_pair)):
            if slot.pair is pair and pair.alive:
                slot.busy = False
                slot.group = ()
                self._consider(slot)
        return False

    def _learn(self, slot: _Slot, pair: _Pair, epoch: int) -> None:
        """A result reaches ``slot``'s node: it now holds ``pair`` (or frees the memory if the pair is gone)."""
        if slot.epoch != epoch or not self._live(slot.session):
            return
        if not pair.alive:
            self._free(slot)
            return
        slot.pair = pair
        slot.busy = False
        slot.group = ()
        pair.record(slot, self._state_now(pair)[0])  # decohered up to now, as SeQUeNCe's BBPSSW/DEJMPS record it
        self._consider(slot)

    def _release(self, slot: _Slot, epoch: int) -> None:
        if slot.epoch == epoch:
            self._free(slot)

    # --- purification ---------------------------------------------------------------------

    def _start_purification(self, kept: _Slot, measured: _Slot) -> None:
        """``kept`` and ``measured`` are at the end farther from the initiator (the requesting end)."""
        assert kept.pair is not None and measured.pair is not None
        kept.busy = measured.busy = True
        kept.group = measured.group = (kept, measured)  # SeQUeNCe resets both if either expires
        delay_ps = self._delay_ps(kept.node, kept.pair.a.node)
        # The far end applies the round when it accepts the request.
        self.clock.at(self.clock.now_ps + delay_ps, self._purify, kept, measured, kept.pair, measured.pair)

    def _awaits_purification(self, slot: _Slot, pair: _Pair, rounds: int) -> bool:
        """Whether the far end's memory waits for a round on ``pair`` (SeQUeNCe's awaiting purification protocol)."""
        return (
            slot.pair is pair
            and not slot.busy
            and slot.stale_expire_ps is None
            and pair.rounds == rounds
            and self._purifiable(slot, slot.session.request.target_fidelity)
        )

    def _purification_refused(self, kept: _Slot, measured: _Slot, kept_pair: _Pair, measured_pair: _Pair) -> None:
        """The refusal is back: both memories go back to the rules (the kept one first, as SeQUeNCe orders them)."""
        if kept.pair is not kept_pair or measured.pair is not measured_pair or kept.group is not measured.group:
            return  # one of them expired meanwhile (and took the other with it)
        kept.group = measured.group = ()
        kept.busy = False
        self._consider(kept)
        measured.busy = False
        self._consider(measured)

    def _purify(self, kept: _Slot, measured: _Slot, kept_pair: _Pair, measured_pair: _Pair) -> None:
        """The request reaches the far end: refused unless both its memories await a round, else the round runs."""
        if not self._live(kept.session) or not self._both_still_held(kept, kept_pair, measured, measured_pair):
            return
        if not (
            self._awaits_purification(kept_pair.a, kept_pair, kept_pair.rounds)
            and self._awaits_purification(measured_pair.a, measured_pair, kept_pair.rounds)
        ):
            delay_ps = self._delay_ps(kept_pair.a.node, kept.node)
            self.clock.at(
                self.clock.now_ps + delay_ps, self._purification_refused, kept, measured, kept_pair, measured_pair
            )
            return
        near, far = kept.node, kept_pair.a.node
        hw_near, hw_far = self._hardware[near], self._hardware[far]
        protocol = bbpssw_bell_diagonal if self.options.purification == "bbpssw" else dejmps
        outcome = protocol(
            self._state_now(kept_pair),
            self._state_now(measured_pair),
            gate_fidelity_a=hw_far.gate_fidelity,
            gate_fidelity_b=hw_near.gate_fidelity,
            measurement_fidelity_a=hw_far.measurement_fidelity,
            measurement_fidelity_b=hw_near.measurement_fidelity,
        )
        succeeded = self._rng.random() < float(outcome.success_probability)
        counters = self._purification_counters.setdefault(tuple(sorted((near, far))), _Counters())  # type: ignore[arg-type]
        counters.n_attempts += 1
        counters.n_successes += int(succeeded)
        now_ps = self.clock.now_ps
        delay_ps = self._delay_ps(near, far)
        # The requesting (near) end decides one delay later, the far end one more delay later.
        measured_pair.alive = False
        measured_pair.a.busy = kept_pair.a.busy = True
        measured_pair.a.group = kept_pair.a.group = (kept_pair.a, measured_pair.a)
        self.clock.at(now_ps + delay_ps, self._release, measured, measured.epoch)
        self.clock.at(now_ps + 2 * delay_ps, self._release, measured_pair.a, measured_pair.a.epoch)
        if not succeeded:
            kept_pair.alive = False
            self.clock.at(now_ps + delay_ps, self._release, kept, kept.epoch)
            self.clock.at(now_ps + 2 * delay_ps, self._release, kept_pair.a, kept_pair.a.epoch)
            return
        kept_pair.state = [float(c) for c in outcome.state]
        kept_pair.updated_ps = now_ps
        kept_pair.fidelity_a = kept_pair.fidelity_b = kept_pair.state[0]
        kept_pair.rounds += 1
        self.clock.at(now_ps + delay_ps, self._learn, kept, kept_pair, kept.epoch)
        self.clock.at(now_ps + 2 * delay_ps, self._learn, kept_pair.a, kept_pair, kept_pair.a.epoch)

    # --- delivery -------------------------------------------------------------------------

    def _deliver_or_hold(self, slot: _Slot) -> None:
        session = slot.session
        slot.busy = True
        now_ps = self.clock.now_ps
        if slot.node == session.path[0]:
            if session.hold_ps > 0:
                self.clock.at(now_ps + session.hold_ps, self._use, slot, slot.pair, now_ps, slot.epoch)
            else:
                self._use(slot, slot.pair, now_ps, slot.epoch)
        else:
            # The responder frees its half once the initiator has surely used the pair.
            release_ps = now_ps + session.hold_ps + s_to_ps(session.setup_s)
            self.clock.at(release_ps, self._release, slot, slot.epoch)

    def _use(self, slot: _Slot, pair: _Pair, available_ps: int, epoch: int) -> None:
        if slot.epoch != epoch or not self._live(slot.session) or not pair.alive or slot.pair is not pair:
            return
        session = slot.session
        now_ps = self.clock.now_ps
        state = self._state_now(pair)
        wait_ps = available_ps - slot.free_since_ps
        slot.free_since_ps = now_ps
        request = session.request
        listeners = self._listeners.get(request.request_id)
        if listeners:
            delivery = PairDelivery(
                request_id=request.request_id,
                time_ps=now_ps,
                path=session.path,
                fidelity=state[0],
                wait_ps=wait_ps,
                memory_index=slot.index,
                stored_ps=now_ps - available_ps,
                state=(state[0], state[1], state[2], state[3]),
            )
            for listener in listeners:
                listener(delivery)
        session.n_pairs += 1
        self.pair_records.append(
            pair_record(request, now_ps, session.path, state[0], wait_ps, now_ps - available_ps, slot.index)
        )
        self._free(slot)

    # --- running and records --------------------------------------------------------------

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

    def _sample_memories(self) -> None:
        now_ps = self.clock.now_ps
        counts = {name: [0, 0] for name in self._hardware}  # occupied, entangled
        for session in self._sessions.values():
            if not session.approved or not session.start_ps <= now_ps < session.end_ps:
                continue
            for slot in session.slots:
                entangled = slot.state == _HOLDING and not slot.busy
                counts[slot.node][1 if entangled else 0] += 1
        for name, (occupied, entangled) in counts.items():
            n_memories = self._hardware[name].n_memories
            self.memory_records.append(
                {
                    "t_s": ps_to_s(now_ps),
                    "node": name,
                    "n_memories": n_memories,
                    "n_raw": n_memories - occupied - entangled,
                    "n_occupied": occupied,
                    "n_entangled": entangled,
                }
            )
        assert self.memory_sample_interval_s is not None
        self.clock.at(now_ps + s_to_ps(self.memory_sample_interval_s), self._sample_memories)

    def link_records(self) -> list[dict[str, object]]:
        """One record per link: attempts and successes drawn, with the model's prediction."""
        records = []
        for link in self.spec.links:
            counters = self._link_counters.get(link.name, _Counters())
            delay_s = ps_to_s(self._delay_ps(link.a, link.b))
            period_s = link_attempt_period_s(self.spec, link, requester_is_primary=False, classical_delay_s=delay_s)
            records.append(
                link_record(
                    link,
                    "network",
                    counters.n_attempts,
                    counters.n_successes,
                    ps_to_s(s_to_ps(period_s)),
                    link_success_probability(self.spec, link),
                )
            )
        return records

    def purification_records(self) -> list[dict[str, object]]:
        """One record per node pair that purified: rounds attempted and succeeded."""
        return [
            purification_record(a, b, self.options.purification, counters.n_attempts, counters.n_successes)
            for (a, b), counters in sorted(self._purification_counters.items())
        ]

    def teleportation_records(self) -> list[dict[str, object]]:
        """Teleportation is not part of the network-scale mode (the scenario checks refuse it)."""
        return []

    def request_records(self) -> list[dict[str, object]]:
        """One record per request: its outcome, path and number of delivered pairs."""
        return [
            request_record(
                session.request,
                session.purpose,
                session.approved,
                session.outcome_time_s,
                session.path,
                session.n_pairs,
                session.reason,
            )
            for _, session in sorted(self._sessions.items())
        ]
