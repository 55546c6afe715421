"""The QKD network's logically central, SDN-style controller.

The controller sits at one node's site and talks to every key-management node
over classical channels (delay of the fibre route), never by direct calls. It
holds the topology, the link states and the key levels the nodes report, and:

* answers ``key_request`` from applications' nodes with the route (one or more
  ``(path, bits)`` shares) of the network's routing strategy on its view;
* registers services (long-lived key demands) and sends their source the paths
  to supply them over;
* receives notifications: periodic ``pool_report`` s, ``pool_low`` when a store
  runs low, and ``link_state`` when a link fails or is repaired; on a failure it
  re-allocates key supply for every service whose paths used the link
  (:mod:`qkdn.recovery`: OPM, then MPM, then retries within a time window: TWM)
  and reconfigures their sources.

Seed documents: 000 sections 3.1 and 4; 004 section II (QKD network controller).
"""

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import networkx as nx

from qkdn.recovery import Allocation, reallocate
from qkdn.routing import route_key, usable_graph


@dataclass(frozen=True)
class RouteQuery:
    """A key request as the controller's routing policy sees it (times in simulated seconds)."""

    request_id: int
    src: str
    dst: str
    n_bits: int
    deadline_s: float
    now_s: float
    untrusted: tuple[str, ...]
    k: int


#: How a policy answers: the shares ``(path, bits)`` of the key, or None to refuse (with the reason to record).
RouteReply = Callable[[list[tuple[list[str], int]] | None, str], None]


class KeyRoutingPolicy(Protocol):
    """A routing policy object in place of a named strategy (e.g. a learned one, :mod:`qkdn.ml.policy`).

    ``decide`` reads the controller's live view (``graph``: link states and reported key
    levels; it must not change it) and calls ``reply`` once, at once or later in
    simulated time (the Gymnasium environment answers after the agent's action).
    """

    def decide(self, graph: nx.Graph, query: RouteQuery, reply: RouteReply) -> None: ...


@dataclass(frozen=True)
class ControllerSettings:
    """Where the controller is and how it decides.

    Attributes:
        site: node whose site hosts the controller.
        routing: strategy for key requests (see :mod:`qkdn.routing`).
        k_paths: candidate paths for k-shortest routing and for recovery.
        untrusted: nodes that may not relay.
        twm_window_s: how long recovery retries (Time-Window Method) last.
        twm_retry_s: interval between retries.
        policy: a routing policy object deciding key requests instead of ``routing`` (None: ``routing``).
    """

    site: str
    routing: str = "shortest"
    k_paths: int = 5
    untrusted: tuple[str, ...] = ()
    twm_window_s: float = 1.0
    twm_retry_s: float = 0.05
    policy: KeyRoutingPolicy | None = None


@dataclass
class _Service:
    service_id: int
    src: str
    dst: str
    demand_bits: int
    shares: tuple[tuple[tuple[str, ...], int], ...] = ()


@dataclass
class _Recovery:
    failure_s: float
    link: tuple[str, str]
    service_id: int
    method: str = "none"
    recovered: bool = False
    decided_s: float = float("nan")
    attempts: int = 0


class Controller:
    """Decisions of the controller; ``send(node, payload, n_bits)`` is its mailbox, ``now_s`` its clock."""

    def __init__(
        self,
        graph: nx.Graph,
        settings: ControllerSettings,
        send: Callable[[str, dict[str, Any], int], None],
        now_s: Callable[[], float],
        schedule: Callable[[float, Callable[[], None]], None],
    ) -> None:
        self.settings = settings
        self._graph = graph.copy()
        for _, _, data in self._graph.edges(data=True):
            data["up"] = True
            data["residual_bits"] = 0  # kept equal to the smaller reported level of the two directions
        self._edge_data = {(u, v): data for u, v, data in self._graph.edges(data=True)}
        self._edge_data.update({(v, u): data for (u, v), data in list(self._edge_data.items())})
        self._send = send
        self._now_s = now_s
        self._schedule = schedule
        self.levels: dict[tuple[str, str], int] = {}
        self.services: dict[int, _Service] = {}
        self.recoveries: list[_Recovery] = []
        self.n_messages_in: dict[str, int] = {}
        self._handlers = {
            "key_request": self._on_key_request,
            "pool_report": self._on_pool_report,
            "pool_low": self._on_pool_report,
            "link_state": self._on_link_state,
            "service_register": self._on_service_register,
        }

    def on_mail(self, src: str, payload: dict[str, Any]) -> None:
        """Dispatch one message from node ``src``."""
        kind = payload["type"]
        self.n_messages_in[kind] = self.n_messages_in.get(kind, 0) + 1
        self._handlers[kind](src, payload)

    # --- view ---------------------------------------------------------------------------

    def set_link_rate(self, a: str, b: str, key_rate_bps: float) -> None:
        """Record link ``a``-``b``'s provisioned key rate (the capacity multipath routing splits keys by)."""
        self._graph.edges[a, b]["key_rate_bps"] = float(key_rate_bps)

    def view(self) -> nx.Graph:
        """The controller's graph: link states, provisioned key rates, reported key levels (smaller direction)."""
        return self._graph.copy()

    def _on_pool_report(self, src: str, payload: dict[str, Any]) -> None:
        levels, edge_data = self.levels, self._edge_data
        for peer, level in payload["levels"].items():
            bits = int(level)
            levels[(src, peer)] = bits
            data = edge_data.get((src, peer))
            if data is not None:
                data["residual_bits"] = min(bits, levels.get((peer, src), 0))

    # --- key requests -------------------------------------------------------------------

    def _on_key_request(self, src: str, payload: dict[str, Any]) -> None:
        reply = functools.partial(self._send_route, src, payload["request_id"])
        if self.settings.policy is not None:
            query = RouteQuery(
                payload["request_id"],
                payload["src"],
                payload["dst"],
                payload["n_bits"],
                payload["deadline_s"],
                self._now_s(),
                self.settings.untrusted,
                self.settings.k_paths,
            )
            self.settings.policy.decide(self._graph, query, reply)  # the live view: the policy only reads it
            return
        shares = route_key(
            self.settings.routing,
            self._graph,  # the live view (routing only reads it): no copy per request
            payload["src"],
            payload["dst"],
            payload["n_bits"],
            untrusted=self.settings.untrusted,
            k=self.settings.k_paths,
        )
        reply(shares, "")

    def _send_route(self, src: str, request_id: int, shares: list[tuple[list[str], int]] | None, reason: str) -> None:
        """Send a key request's route (or its refusal, with the ``reason`` to record if any) to its source."""
        answer: dict[str, Any] = {"type": "route", "request_id": request_id, "shares": shares}
        if reason:
            answer["reason"] = reason
        self._send(src, answer, 64 * (1 + sum(len(path) for path, _ in shares or [])))

    # --- services -----------------------------------------------------------------------

    def _on_service_register(self, src: str, payload: dict[str, Any]) -> None:
        service = _Service(payload["service_id"], payload["src"], payload["dst"], payload["demand_bits"])
        self.services[service.service_id] = service
        shares = route_key(
            "shortest", self._graph, service.src, service.dst, service.demand_bits, self.settings.untrusted
        )
        self._install(service, tuple((tuple(p), b) for p, b in shares) if shares else ())

    def _install(self, service: _Service, shares: tuple[tuple[tuple[str, ...], int], ...]) -> None:
        service.shares = shares
        payload = {
            "type": "service_paths",
            "service_id": service.service_id,
            "shares": [(list(p), b) for p, b in shares],
        }
        self._send(service.src, payload, 64 * (1 + sum(len(p) for p, _ in shares)))

    # --- failures and recovery ----------------------------------------------------------

    def _on_link_state(self, src: str, payload: dict[str, Any]) -> None:
        a, b = payload["link"]
        if not self._graph.has_edge(a, b):
            return
        was_up = self._graph.edges[a, b]["up"]
        self._graph.edges[a, b]["up"] = bool(payload["up"])
        if was_up and not payload["up"]:
            self._recover_services(a, b, payload["t_s"])
        elif payload["up"] and not was_up:
            for service in self.services.values():
                if not service.shares:  # nothing could supply it: try again now that a link is back
                    shares = route_key(
                        "shortest",
                        self._graph,
                        service.src,
                        service.dst,
                        service.demand_bits,
                        untrusted=self.settings.untrusted,
                    )
                    if shares:
                        self._install(service, tuple((tuple(p), bits) for p, bits in shares))

    def _recover_services(self, a: str, b: str, failure_s: float) -> None:
        for service in self.services.values():
            if any({a, b} == {u, v} for path, _ in service.shares for u, v in itertools.pairwise(path)):
                record = _Recovery(failure_s, (a, b), service.service_id)
                self.recoveries.append(record)
                self._try_recover(service, record)

    def _try_recover(self, service: _Service, record: _Recovery) -> None:
        record.attempts += 1
        usable = usable_graph(self._graph, service.src, service.dst, self.settings.untrusted)
        allocation: Allocation | None = reallocate(
            usable, self.levels, service.src, service.dst, service.demand_bits, k=self.settings.k_paths
        )
        now = self._now_s()
        if allocation is not None:
            record.method = allocation.method if record.attempts == 1 else f"TWM({allocation.method})"
            record.recovered = True
            record.decided_s = now
            self._install(service, allocation.shares)
            return
        if now + self.settings.twm_retry_s <= record.failure_s + self.settings.twm_window_s:
            self._schedule(self.settings.twm_retry_s, lambda: self._try_recover(service, record))
            return
        record.method = "none"
        record.decided_s = now
        self._install(service, ())  # nothing can supply it: the source stops until the next failure/repair
