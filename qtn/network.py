"""An entanglement-distribution network on SeQUeNCe, driven by requests, observed as records.

:class:`EntanglementNetwork` builds quantum routers and midpoint BSM nodes for a
:class:`~qtn.spec.NetworkSpec` through :mod:`qtn.sequence_adapter`, attaches an
:class:`~qtn.entanglement_app.EntanglementApp` to every router, issues
:class:`EntanglementRequest` s at their start times and collects one record per
delivered end-to-end pair and per request. SeQUeNCe's own network manager does
the work: RSVP reservations along static shortest paths, heralded generation on
every link, purification to the target fidelity and swapping at the repeaters.

It must be built and run inside :func:`qtn.sequence_adapter.sequence_globals`
(the runner does this).
"""

from dataclasses import dataclass, field

import networkx as nx

from qtn import sequence_adapter as adapter
from qtn.entanglement_app import EntanglementApp, PairDelivery, ReservationOutcome
from qtn.errors import ConfigError
from qtn.spec import NetworkSpec, QTNOptions
from qtn.units import fibre_delay_s, ps_to_s, s_to_ps

#: Extra time allowed beyond the reservation round trip before resources are used.
SETUP_GUARD_S = 1e-6


@dataclass(frozen=True)
class EntanglementRequest:
    """A request for end-to-end pairs between ``src`` and ``dst``.

    Attributes:
        request_id: unique id within the run.
        src: initiating node.
        dst: responding node.
        start_s: time the request is issued.
        end_s: time the reservation ends and its memories are released.
        n_memories: memories reserved at each node of the path per direction.
        target_fidelity: links are purified until they reach it; delivered
            end-to-end pairs must reach it.
    """

    request_id: int
    src: str
    dst: str
    start_s: float
    end_s: float
    n_memories: int
    target_fidelity: float


@dataclass
class _RequestState:
    request: EntanglementRequest
    setup_s: float
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
    _graph: nx.Graph = field(init=False)

    def __post_init__(self) -> None:
        self.built = adapter.build_entanglement_network(self.spec, self.seed, self.duration_s, self.options)
        self._graph = self.spec.graph()
        for link in self.spec.links:
            self._graph.edges[link.a, link.b]["delay_s"] = fibre_delay_s(
                link.length_km, link.hardware.fibre.speed_km_per_s
            )
        for name, router in self.built.routers.items():
            self._apps[name] = EntanglementApp(router, self._record_pair, self._record_outcome)

    # --- requests -----------------------------------------------------------------------

    def add_request(self, request: EntanglementRequest) -> None:
        """Issue ``request`` at its start time (before :meth:`run`)."""
        if request.request_id in self._requests:
            raise ConfigError(f"request id {request.request_id} used twice")
        for end in (request.src, request.dst):
            if end not in self._apps:
                raise ConfigError(f"request {request.request_id}: unknown node {end!r}")
        if not nx.has_path(self._graph, request.src, request.dst):
            raise ConfigError(f"request {request.request_id}: no path from {request.src} to {request.dst}")
        state = _RequestState(request, setup_s=self._setup_time_s(request.src, request.dst))
        self._requests[request.request_id] = state
        adapter.schedule_call(self.built.timeline, request.start_s, self._issue, request.request_id)

    def _setup_time_s(self, src: str, dst: str) -> float:
        # RSVP travels hop by hop to the responder and the approval travels back;
        # rules may only start once every node on the path has them.
        path = nx.dijkstra_path(self._graph, src, dst, weight="length_km")
        delay_s = sum(self._graph.edges[u, v]["delay_s"] for u, v in zip(path, path[1:], strict=False))
        return 2.0 * delay_s + SETUP_GUARD_S

    def _issue(self, request_id: int) -> None:
        state = self._requests[request_id]
        request = state.request
        start_s = request.start_s + state.setup_s
        if start_s >= request.end_s:
            state.approved = False
            state.outcome_time_s = request.start_s
            state.reason = (
                f"window of {request.end_s - request.start_s:.3g} s is shorter than the "
                f"reservation set-up time of {state.setup_s:.3g} s"
            )
            return
        self._apps[request.src].request(
            request_id=request_id,
            responder=request.dst,
            start_ps=s_to_ps(start_s),
            end_ps=s_to_ps(request.end_s),
            n_memories=request.n_memories,
            target_fidelity=request.target_fidelity,
        )

    # --- callbacks from the apps ----------------------------------------------------------

    def _record_outcome(self, outcome: ReservationOutcome) -> None:
        state = self._requests[outcome.request_id]
        state.outcome_time_s = ps_to_s(outcome.time_ps)
        state.approved = outcome.approved
        state.path = outcome.path
        if not outcome.approved:
            state.reason = "rejected by the network: not enough free memories on the path"

    def _record_pair(self, pair: PairDelivery) -> None:
        state = self._requests[pair.request_id]
        state.n_pairs += 1
        request = state.request
        self.pair_records.append(
            {
                "request_id": pair.request_id,
                "t_s": ps_to_s(pair.time_ps),
                "src": request.src,
                "dst": request.dst,
                "path": "-".join(pair.path),
                "n_hops": len(pair.path) - 1,
                "fidelity": pair.fidelity,
                "latency_s": ps_to_s(pair.wait_ps),
                "memory_index": pair.memory_index,
            }
        )

    # --- running --------------------------------------------------------------------------

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
        records = []
        for request_id, state in sorted(self._requests.items()):
            request = state.request
            records.append(
                {
                    "request_id": request_id,
                    "src": request.src,
                    "dst": request.dst,
                    "start_s": request.start_s,
                    "end_s": request.end_s,
                    "n_memories": request.n_memories,
                    "target_fidelity": request.target_fidelity,
                    "approved": bool(state.approved),
                    "setup_s": (state.outcome_time_s - request.start_s) if state.outcome_time_s is not None else None,
                    "path": "-".join(state.path),
                    "n_hops": max(len(state.path) - 1, 0),
                    "n_pairs": state.n_pairs,
                    "reason": state.reason if state.approved is not None else "no answer before the run ended",
                }
            )
        return records
