"""What both entanglement engines check before a request gets resources: its ends, its route, its set-up time.

:class:`Admission` holds a network's fibre-delay graph and its forwarding tables
(computed once, on the first route asked for). Both engines behind
:class:`qtn.engine.EntanglementEngine` validate each request through it when it
is added, take the reservation set-up time from it, and ask it at the request's
start whether the request is refused before any memory is reserved (no route
through the node roles, or a window shorter than the set-up), so the two levels
give the same errors and the same refusal reasons.
"""

import networkx as nx

from qnetsim.core.bookkeeping import delay_graph, setup_time_s
from qnetsim.core.errors import ConfigError
from qnetsim.core.requests import EntanglementRequest
from qnetsim.core.spec import NetworkSpec
from qnetsim.core.units import s_to_ps
from qtn.routing import next_hops, no_route_reason, route


class Admission:
    """Request validation and routes of one network, with forwarding tables cached.

    Attributes:
        spec: the network.
        metric: the routing metric (:data:`qtn.routing.METRICS`).
        graph: the spec's graph with each link's fibre delay ``delay_s``.
    """

    def __init__(self, spec: NetworkSpec, metric: str) -> None:
        self.spec = spec
        self.metric = metric
        self.graph = delay_graph(spec)
        self._tables: dict[str, dict[str, str]] | None = None
        self._request_ids: set[int] = set()

    def route(self, src: str, dst: str) -> list[str] | None:
        """The forwarding tables' path from ``src`` to ``dst`` (None: the node roles leave none)."""
        if self._tables is None:
            self._tables = next_hops(self.spec, self.metric)
        return route(self.spec, src, dst, self.metric, self._tables)

    def check(self, request: EntanglementRequest) -> None:
        """Refuse a request that cannot be issued at all: a reused id, an unknown end, no fibre path.

        Raises:
            ConfigError: naming the request and the problem.
        """
        if request.request_id in self._request_ids:
            raise ConfigError(f"request id {request.request_id} used twice")
        for end in (request.src, request.dst):
            if end not in self.graph:
                raise ConfigError(f"request {request.request_id}: unknown node {end!r}")
        if not nx.has_path(self.graph, request.src, request.dst):
            raise ConfigError(f"request {request.request_id}: no path from {request.src} to {request.dst}")
        self._request_ids.add(request.request_id)

    def setup_s(self, src: str, dst: str) -> float:
        """Reservation set-up time between ``src`` and ``dst`` along their route.

        Without a route (the roles leave none) the fastest fibre path is used, so
        a refused request still gets a finite set-up time in its record.
        """
        path = self.route(src, dst) or nx.dijkstra_path(self.graph, src, dst)
        return setup_time_s(self.graph, path)

    def refusal(self, request: EntanglementRequest, setup_s: float) -> str:
        """Why ``request`` is refused at its start before any memory is reserved ('' if it is not).

        It has no route through the node roles, or its window ends before the
        reservation set-up is done (compared in SeQUeNCe's integer picoseconds).
        """
        if self.route(request.src, request.dst) is None:  # the roles leave no path (see qnetsim.core.roles)
            return no_route_reason(self.spec, request.src, request.dst, self.metric)
        if s_to_ps(request.start_s + setup_s) >= s_to_ps(request.end_s):
            return (
                f"window of {request.end_s - request.start_s:.3g} s is shorter than the "
                f"reservation set-up time of {setup_s:.3g} s"
            )
        return ""
