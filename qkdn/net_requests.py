"""Relaying of a QKD network: key requests, routed by the controller and relayed hop by hop.

Part of :class:`qkdn.network.QKDNetwork`. A key request's life:

1. at its arrival time the source's key-management node asks the controller
   for a route (``key_request`` message);
2. the controller (:mod:`qkdn.controller`, with :mod:`qkdn.routing`) answers
   with one or more paths and the bits each carries; :meth:`KeyRequests.on_route`
   is where that answer arrives (an empty answer refuses the request, with the
   reason :func:`qkdn.routing.refusal_reason` finds);
3. each share is relayed under one-time pad (:meth:`KeyRequests.relay_key`,
   :mod:`qkdn.relay`), which every other user of relaying (key services,
   key-as-a-service) calls too;
4. the request ends served when every share arrived, or failed at the first
   failed share or at its deadline; :meth:`KeyRequests.finish` records its
   ``key_requests`` row and tells the ``request_listeners``.

The end users' keys are kept in memory (``delivered_keys``), never in tables.
"""

import functools
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import networkx as nx
import numpy as np

from qkdn.net_messaging import CONTROLLER, Port
from qkdn.relay import RelayOutcome, RelaySession
from qkdn.routing import refusal_reason
from qnetsim.core.errors import ConfigError
from qnetsim.core.randomness import generator
from qtn.sequence_backed import adapter


@dataclass(frozen=True)
class KeyRequest:
    """An application's request for a shared key of ``n_bits`` between ``src`` and ``dst``.

    Attributes:
        request_id: unique id in the run.
        t_s: arrival time.
        src: node that creates the key.
        dst: node that must end with it.
        n_bits: key length.
        deadline_s: absolute time by which the key must be delivered.
        priority: higher is served first when requests wait for key on a link.
    """

    request_id: int
    t_s: float
    src: str
    dst: str
    n_bits: int
    deadline_s: float
    priority: float = 0.0


@dataclass
class _RequestState:
    request: KeyRequest
    shares: list[tuple[list[str], int]] = field(default_factory=list)
    session_ids: list[int] = field(default_factory=list)
    outcomes: dict[int, RelayOutcome] = field(default_factory=dict)
    done: bool = False


class KeyRequests:
    """Key requests and relay sessions of one network.

    Attributes:
        request_records: one ``key_requests`` row per ended request, in the order they ended.
        request_listeners: functions that get each ended request's row.
        delivered_keys: request id -> (key at the source, key at the destination), for served requests.
    """

    def __init__(
        self,
        timeline: Any,
        ports: Mapping[str, Port],
        seed: int,
        routing_view: Callable[[], nx.Graph],
        untrusted: tuple[str, ...],
        no_relay: tuple[str, ...],
    ) -> None:
        self.timeline = timeline
        self.ports = ports
        self.routing_view = routing_view
        self.untrusted = untrusted
        self.no_relay = no_relay
        self.request_records: list[dict[str, Any]] = []
        self.request_listeners: list[Callable[[dict[str, Any]], None]] = []
        self.delivered_keys: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._requests: dict[int, _RequestState] = {}
        self._sessions: dict[int, RelaySession] = {}
        self._unfinished: dict[int, RelaySession] = {}  # sessions maybe not done (pruned when links fail)
        self._session_ids = itertools.count()
        self._relay_rng = generator(seed, "qkd.relay.keys")

    def add_request(self, request: KeyRequest) -> None:
        """Serve ``request`` at its arrival time."""
        if request.request_id in self._requests:
            raise ConfigError(f"key request id {request.request_id} used twice")
        self._requests[request.request_id] = _RequestState(request)
        adapter.schedule_call(self.timeline, request.t_s, self._arrive, request.request_id)
        adapter.schedule_call(self.timeline, request.deadline_s, self._expire, request.request_id)

    def _arrive(self, request_id: int) -> None:
        """The application at the source asks the controller for a route."""
        request = self._requests[request_id].request
        payload = {
            "type": "key_request",
            "request_id": request_id,
            "src": request.src,
            "dst": request.dst,
            "n_bits": request.n_bits,
            "deadline_s": request.deadline_s,
        }
        self.ports[request.src].send(CONTROLLER, payload, 256)

    def on_route(self, payload: dict[str, Any]) -> None:
        """The controller's answer for a request arrived at its source: relay each share, or refuse."""
        state = self._requests[payload["request_id"]]
        request_id = state.request.request_id
        request = state.request
        shares = payload["shares"]
        if state.done:
            return
        if not shares:
            reason = payload.get("reason") or refusal_reason(  # a policy's refusal says why itself
                self.routing_view(), request.src, request.dst, self.untrusted, self.no_relay
            )
            self.finish(state, False, reason)
            return
        state.shares = shares
        for path, bits in shares:
            session = self.relay_key(
                path,
                bits,
                request.deadline_s,
                functools.partial(self._share_done, request_id),
                request.priority,
            )
            state.session_ids.append(session.session_id)

    def relay_key(
        self,
        path: list[str],
        n_bits: int,
        deadline_s: float,
        on_done: Callable[[RelaySession, RelayOutcome], None],
        priority: float = 0.0,
    ) -> RelaySession:
        """Relay a fresh key of ``n_bits`` along ``path`` now (OTP hop by hop); ``on_done`` gets the outcome.

        The outcome carries the key as the source drew it and as the destination
        recovered it (identical when served).
        """
        session_id = next(self._session_ids)
        session = RelaySession(
            session_id=session_id,
            path=path,
            n_bits=n_bits,
            deadline_s=deadline_s,
            ports=self.ports,
            rng=self._relay_rng,
            on_done=on_done,
            priority=priority,
        )
        self._sessions[session_id] = session
        self._unfinished[session_id] = session
        adapter.schedule_call(self.timeline, deadline_s, session.expire)  # it fails then if still waiting
        session.start()
        return session

    def on_relay_mail(self, node: str, payload: dict[str, Any]) -> None:
        """A relay message arrived at ``node``: hand it to its session."""
        self._sessions[payload["session"]].receive(node, payload)

    def fail_link(self, a: str, b: str) -> None:
        """Link ``a``-``b`` failed: every unfinished relay over it fails."""
        self._unfinished = {key: session for key, session in self._unfinished.items() if not session.done}
        for session in list(self._unfinished.values()):  # in the order they started, as the sessions table
            if not session.done and any({a, b} == {u, v} for u, v in itertools.pairwise(session.path)):
                session.fail_link(a, b)

    @property
    def sessions(self) -> Mapping[int, RelaySession]:
        """Every relay session of the run by id (read-only; each records its hops, never key bits)."""
        return MappingProxyType(self._sessions)

    def request_sessions(self, request_id: int) -> list[RelaySession]:
        """The relay sessions (one per share) that served or tried to serve key request ``request_id``."""
        return self._sessions_of(self._requests[request_id])

    def _sessions_of(self, state: _RequestState) -> list[RelaySession]:
        return [self._sessions[session_id] for session_id in state.session_ids]

    def _share_done(self, request_id: int, session: RelaySession, outcome: RelayOutcome) -> None:
        state = self._requests[request_id]
        state.outcomes[session.session_id] = outcome
        if not outcome.served:
            self.finish(state, False, outcome.reason)
        elif len(state.outcomes) == len(state.shares) and all(o.served for o in state.outcomes.values()):
            self.finish(state, True, "")

    def _expire(self, request_id: int) -> None:
        state = self._requests[request_id]
        if not state.done:
            for session in self._sessions_of(state):
                session.expire()
            self.finish(state, False, "deadline passed before the key reached the destination")

    def finish(self, state: _RequestState, served: bool, reason: str) -> None:
        """End a request (once): keep the users' keys if served, record its row, tell the listeners."""
        if state.done:
            return
        state.done = True
        consumed = sum(session.key_consumed_bits for session in self._sessions_of(state))
        for session in self._sessions_of(state):
            session.expire()  # a failed share stops the others (messages in flight still settle keys)
        request = state.request
        now = adapter.now_s(self.timeline)
        outcomes = [state.outcomes[k] for k in sorted(state.outcomes)]
        if served:
            source = np.concatenate([o.source_key for o in outcomes])  # type: ignore[misc]
            destination = np.concatenate([o.destination_key for o in outcomes])  # type: ignore[misc]
            self.delivered_keys[request.request_id] = (source, destination)
        self.request_records.append(
            {
                "request_id": request.request_id,
                "t_s": request.t_s,
                "src": request.src,
                "dst": request.dst,
                "bits": request.n_bits,
                "priority": request.priority,
                "served": served,
                "latency_s": now - request.t_s if served else float("nan"),
                "path": " | ".join("-".join(path) for path, _ in state.shares),
                "n_hops": max((len(path) - 1 for path, _ in state.shares), default=0),
                "n_paths": len(state.shares),
                "key_consumed_bits": consumed,
                "reason": reason,
            }
        )
        for listener in self.request_listeners:
            listener(self.request_records[-1])
