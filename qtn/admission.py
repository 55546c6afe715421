"""What both entanglement engines check before a request gets resources: its ends, its route, its set-up time.

:class:`Admission` holds a network's fibre-delay graph and its routes (each
found once, when first asked for: :class:`qtn.routing.Routes`). Both engines behind
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
from qtn.routing import Routes


class Admission:
    """Request validation and routes of one network, each route found once.

    Attributes:
        spec: the network.
        metric: the routing metric (:data:`qtn.routing.METRICS`).
        graph: the spec's graph with each link's fibre delay ``delay_s``.
        routes: the routes asked for so far, each found by one search.
    """

    def __init__(self, spec: NetworkSpec, metric: str) -> None:
        self.spec = spec
        self.metric = metric
        self.graph = delay_graph(spec)
        self.routes = Routes(spec, metric)
        self._request_ids: set[int] = set()
        self._components: dict[str, int] | None = None

    def route(self, src: str, dst: str) -> list[str] | None:
        """The route from ``src`` to ``dst`` for the metric (None: the node roles leave none)."""
        return self.routes.route(src, dst)

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
        if self._component_of(request.src) != self._component_of(request.dst):
            raise ConfigError(f"request {request.request_id}: no path from {request.src} to {request.dst}")
        self._request_ids.add(request.request_id)

    def _component_of(self, node: str) -> int:
        """Which connected piece of the fibre graph ``node`` is in (all pieces found once, on first use)."""
        if self._components is None:
            self._components = {
                member: index for index, piece in enumerate(nx.connected_components(self.graph)) for member in piece
            }
        return self._components[node]

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
            return self.routes.no_route_reason(request.src, request.dst)
        if s_to_ps(request.start_s + setup_s) >= s_to_ps(request.end_s):
            return (
                f"window of {request.end_s - request.start_s:.3g} s is shorter than the "
                f"reservation set-up time of {setup_s:.3g} s"
            )
        return ""
