"""An entanglement-distribution network on SeQUeNCe, driven by requests, observed as records.

:class:`EntanglementNetwork` builds quantum routers and midpoint BSM nodes for a
:class:`~qnetsim.core.spec.NetworkSpec` through :mod:`qtn.sequence_backed.adapter`, attaches an
:class:`~qtn.sequence_backed.app.EntanglementApp` to every router, issues
:class:`EntanglementRequest` s at their start times and collects one record per
delivered end-to-end pair and per request. SeQUeNCe's own network manager does
the work: RSVP reservations along static shortest paths, heralded generation on
every link, purification to the target fidelity and swapping at the repeaters.

It must be built and run inside :func:`qtn.sequence_backed.adapter.sequence_globals`
(the runner does this).
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from qnetsim.core.bookkeeping import (
    link_record,
    pair_record,
    purification_record,
    request_record,
)
from qnetsim.core.delivery import HeldHalf, PairDelivery, ReservationOutcome
from qnetsim.core.errors import ConfigError
from qnetsim.core.requests import EntanglementRequest, TeleportationTraffic
from qnetsim.core.spec import NetworkSpec, QTNOptions
from qnetsim.core.units import ps_to_s, s_to_ps
from qtn.admission import Admission
from qtn.routing import link_success_probability
from qtn.sequence_backed import adapter
from qtn.sequence_backed.app import EntanglementApp
from qtn.sequence_backed.messaging import Mailbox
from qtn.swapping_order import responder_release_lags_ps
from qtn.teleportation import TeleportationRequest, TeleportationService

#: Link reservations of teleportation request r get ids LINK_ID_BASE * (r + 1) + hop.
LINK_ID_BASE = 1_000_000


@dataclass
class _Port:
    """What one node can do locally, for the teleportation services (see ``qtn.teleportation.NodePort``)."""

    app: EntanglementApp
    mailbox: Mailbox

    def now_s(self) -> float:
        return adapter.now_s(self.app.node.timeline)

    def send(self, dst: str, payload: object, n_bits: int) -> None:
        self.mailbox.send(dst, payload, n_bits)

    def release(self, memory: str) -> None:
        self.app.release(memory)

    def holds(self, half: HeldHalf) -> bool:
        return self.app.holds(half)

    def pair_state(self, memory: str) -> list[float]:
        return self.app.pair_state(memory)


@dataclass
class _RequestState:
    request: EntanglementRequest
    setup_s: float
    purpose: str = "pairs"
    outcome_time_s: float | None = None
    approved: bool | None = None
    path: tuple[str, ...] = ()
    reason: str = ""
    n_pairs: int = 0


@dataclass
class EntanglementNetwork:
    """A built network with its requests and what it delivered."""

    spec: NetworkSpec
    seed: int
    duration_s: float
    options: QTNOptions = field(default_factory=QTNOptions)
    built: adapter.BuiltNetwork = field(init=False)
    pair_records: list[dict[str, object]] = field(default_factory=list, init=False)
    _requests: dict[int, _RequestState] = field(default_factory=dict, init=False)
    _apps: dict[str, EntanglementApp] = field(default_factory=dict, init=False)
    _admission: Admission = field(init=False)
    _ports: dict[str, _Port] = field(default_factory=dict, init=False)
    _services: dict[int, TeleportationService] = field(default_factory=dict, init=False)
    _link_service: dict[int, int] = field(default_factory=dict, init=False)
    _pair_listeners: dict[int, list[Callable[[PairDelivery], None]]] = field(default_factory=dict, init=False)
    memory_sample_interval_s: float | None = None
    memory_records: list[dict[str, object]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.built = adapter.build_entanglement_network(self.spec, self.seed, self.duration_s, self.options)
        self._admission = Admission(self.spec, self.options.routing)
        for name, router in self.built.routers.items():
            app = EntanglementApp(router, self._record_pair, self._record_outcome, self._route_held)
            self._apps[name] = app
            mailbox = Mailbox(router, functools.partial(self._route_mail, name))
            self._ports[name] = _Port(app, mailbox)
        if self.memory_sample_interval_s is not None:
            adapter.schedule_call(self.built.timeline, 0.0, self._sample_memories)

    # --- requests -----------------------------------------------------------------------

    def add_request(self, request: EntanglementRequest, purpose: str = "pairs") -> None:
        """Issue ``request`` at its start time (before :meth:`run`)."""
        self._admission.check(request)
        state = _RequestState(request, setup_s=self._admission.setup_s(request.src, request.dst), purpose=purpose)
        # The responder frees its half only once the initiator knows the pair too (and has
        # used it, after hold_s): the ends learn of a pair from its last swap or purification
        # round at fixed delays, so the responder knows how much later the initiator does.
        # Its memory may then start a new pair while the finished generation protocol's last
        # message is in flight; each protocol has a name of its own so that message is not
        # read by the next one (qtn.sequence_backed.protocols).
        if request.hold_s > 0:
            self._apps[request.src].store_pairs_of(request.request_id, s_to_ps(request.hold_s))
            self._apps[request.dst].store_pairs_of(request.request_id, s_to_ps(request.hold_s))
        path = self._admission.route(request.src, request.dst)
        if path:
            lags_ps = responder_release_lags_ps(path, self.options.swapping_order, self._delay_ps)
            self._apps[request.dst].release_after(request.request_id, lags_ps)
        self._requests[request.request_id] = state
        adapter.schedule_call(self.built.timeline, request.start_s, self._issue, request.request_id)

    def _delay_ps(self, src: str, dst: str) -> int:
        """Classical delay between two routers as the adapter builds it: the fastest fibre route (ps, >= 1)."""
        return max(1, s_to_ps(nx.dijkstra_path_length(self._admission.graph, src, dst, weight="delay_s")))

    def _issue(self, request_id: int) -> None:
        state = self._requests[request_id]
        request = state.request
        start_s = request.start_s + state.setup_s
        reason = self._admission.refusal(request, state.setup_s)
        if reason:
            state.approved = False
            state.outcome_time_s = request.start_s
            state.reason = reason
            return
        self._apps[request.src].request(
            request_id=request_id,
            responder=request.dst,
            start_ps=s_to_ps(start_s),
            end_ps=s_to_ps(request.end_s),
            n_memories=request.n_memories,
            target_fidelity=request.target_fidelity,
        )

    def add_teleportation(self, traffic: TeleportationTraffic) -> list[str]:
        """Reserve every link of the route and teleport ``traffic``'s qubits; returns the path.

        Each link gets a single-hop reservation whose pairs both ends hold for the
        teleportation service instead of delivering them.
        """
        path = self._admission.route(traffic.src, traffic.dst)
        if path is None:
            raise ConfigError(f"teleportation {traffic.request_id}: no path from {traffic.src} to {traffic.dst}")
        link_ids = []
        for hop, (a, b) in enumerate(zip(path, path[1:], strict=False)):
            link_id = LINK_ID_BASE * (traffic.request_id + 1) + hop
            link = EntanglementRequest(
                link_id, a, b, traffic.start_s, traffic.end_s, traffic.n_memories, traffic.target_fidelity
            )
            self.add_request(link, purpose=f"teleportation {traffic.request_id} link {hop}")
            self._apps[a].hold_pairs_of(link_id)
            self._apps[b].hold_pairs_of(link_id)
            self._link_service[link_id] = traffic.request_id
            link_ids.append(link_id)
        request = TeleportationRequest(
            request_id=traffic.request_id,
            scheme=traffic.scheme,  # type: ignore[arg-type]
            path=tuple(path),
            start_times_s=traffic.start_times_s,
            inputs=traffic.inputs,
            link_request_ids=tuple(link_ids),
        )
        hardware = {node.name: node.hardware for node in self.spec.nodes}
        service = TeleportationService(request, self._ports, hardware)
        self._services[traffic.request_id] = service
        for index, start_s in enumerate(traffic.start_times_s):
            adapter.schedule_call(self.built.timeline, start_s, service.job_ready, index)
        return path

    def _route_held(self, half: HeldHalf) -> None:
        self._services[self._link_service[half.request_id]].pair_held(half)

    def _route_mail(self, node: str, src: str, payload: object) -> None:
        assert isinstance(payload, dict)
        self._services[payload["service"]].mail(node, src, payload)

    def teleportation_records(self) -> list[dict[str, object]]:
        """One record per teleported (or still pending) qubit."""
        return [record for _, service in sorted(self._services.items()) for record in service.records()]

    # --- callbacks from the apps ----------------------------------------------------------

    def _record_outcome(self, outcome: ReservationOutcome) -> None:
        state = self._requests[outcome.request_id]
        state.outcome_time_s = ps_to_s(outcome.time_ps)
        state.approved = outcome.approved
        state.path = outcome.path
        if not outcome.approved:
            state.reason = "rejected by the network: not enough free memories on the path"

    def add_pair_listener(self, request_id: int, listener: Callable[[PairDelivery], None]) -> None:
        """Also hand every pair delivered for ``request_id`` to ``listener`` (e.g. a BBM92 session)."""
        self._pair_listeners.setdefault(request_id, []).append(listener)

    def _record_pair(self, pair: PairDelivery) -> None:
        for listener in self._pair_listeners.get(pair.request_id, []):
            listener(pair)
        state = self._requests[pair.request_id]
        state.n_pairs += 1
        self.pair_records.append(
            pair_record(
                state.request, pair.time_ps, pair.path, pair.fidelity, pair.wait_ps, pair.stored_ps, pair.memory_index
            )
        )

    # --- observation --------------------------------------------------------------------

    def _sample_memories(self) -> None:
        """Record every node's memory occupancy now, then again one interval later.

        Sampling only reads state; the extra events keep the relative order of all
        other events, so results do not depend on the interval.
        """
        timeline = self.built.timeline
        t_s = adapter.now_s(timeline)
        for name, router in self.built.routers.items():
            counts = adapter.memory_state_counts(router)
            self.memory_records.append(
                {
                    "t_s": t_s,
                    "node": name,
                    "n_memories": sum(counts.values()),
                    "n_raw": counts["raw"],
                    "n_occupied": counts["occupied"],
                    "n_entangled": counts["entangled"],
                }
            )
        assert self.memory_sample_interval_s is not None
        next_s = t_s + self.memory_sample_interval_s
        if next_s < self.duration_s:
            adapter.schedule_call(timeline, next_s, self._sample_memories)

    def link_records(self) -> list[dict[str, object]]:
        """One record per link: attempts and successes counted, with the model's prediction."""
        records = []
        for link in self.spec.links:
            name = adapter.bsm_node_name(link)
            counters = self.built.observer.links.get(name)
            records.append(
                link_record(
                    link,
                    self.options.link_mode,
                    counters.n_attempts if counters else 0,
                    counters.n_successes if counters else 0,
                    ps_to_s(self.built.observer.periods_ps[(name, False)]),
                    link_success_probability(self.spec, link),
                )
            )
        return records

    def purification_records(self) -> list[dict[str, object]]:
        """One record per node pair that purified: rounds attempted and succeeded."""
        return [
            purification_record(a, b, self.options.purification, counters.n_attempts, counters.n_successes)
            for (a, b), counters in sorted(self.built.observer.purifications.items())
        ]

    # --- running --------------------------------------------------------------------------

    @property
    def shared_timeline(self) -> Any:
        """SeQUeNCe's timeline this network runs on; a QKD network of the same run shares it."""
        return self.built.timeline

    def schedule_call_s(self, time_s: float, function: Callable[..., None], *args: object) -> None:
        """Run ``function(*args)`` at ``time_s`` on this network's timeline (e.g. a BBM92 frame's end)."""
        adapter.schedule_call(self.built.timeline, time_s, function, *args)

    def run(self) -> None:
        """Initialise every entity and run the timeline to the end of the duration."""
        timeline = self.built.timeline
        timeline.init()
        timeline.run()

    def now_s(self) -> float:
        """Current simulated time (safe to poll from another thread)."""
        return adapter.now_s(self.built.timeline)

    def events_executed(self) -> int:
        """Events the timeline has executed so far."""
        return adapter.events_executed(self.built.timeline)

    def request_records(self) -> list[dict[str, object]]:
        """One record per request: its outcome, path and number of delivered pairs."""
        return [
            request_record(
                state.request,
                state.purpose,
                state.approved,
                state.outcome_time_s,
                state.path,
                state.n_pairs,
                state.reason,
            )
            for _, state in sorted(self._requests.items())
        ]
