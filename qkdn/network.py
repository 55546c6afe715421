"""A trusted-relay QKD network on the SeQUeNCe timeline: links, key pools, relays, key requests.

:class:`QKDNetwork` gives every link a pair of key pools (:mod:`qkdn.pool`) fed
by a key generator — a fast model-based link (:mod:`qkdn.fast_link`) or, for
photon-level links, blocks supplied from outside — gives every node a mailbox on
SeQUeNCe classical channels of the fibre's delay, and serves key requests: at
its arrival time a request is routed (:mod:`qkdn.routing`) and its key relayed
hop by hop under one-time pad (:mod:`qkdn.relay`). It records a row per
request, per key block and per pool sample; the end users' keys are kept in
memory (for tests and applications), never in tables.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from qkdn.fast_link import FastKeyLink
from qkdn.keyrate.model import KeyRatePoint
from qkdn.pool import KeyStore, LinkPools
from qkdn.relay import RelayOutcome, RelaySession
from qkdn.routing import route_key
from qtn import sequence_adapter as adapter
from qtn.errors import ConfigError
from qtn.messaging import Mailbox
from qtn.randomness import generator
from qtn.sequence_classical import ClassicalLink, build_classical_nodes
from qtn.spec import NetworkSpec
from qtn.units import fibre_delay_s


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


@dataclass(frozen=True)
class QKDSettings:
    """Network-wide QKD choices (see the scenario's ``qkd`` section)."""

    routing: str = "shortest"
    k_paths: int = 3
    block_bits: int = 4096
    pool_capacity_bits: int = 2_000_000
    direction_share: float = 0.5
    untrusted: tuple[str, ...] = ()


@dataclass
class _Port:
    """One node's local view for the relays: its stores, links and mailbox."""

    name: str
    network: "QKDNetwork"
    mailbox: Mailbox | None = None

    def now_s(self) -> float:
        return adapter.now_s(self.network.timeline)

    def store_towards(self, peer: str) -> KeyStore:
        return self.network.pools_of(self.name, peer).store(self.name, self.name)

    def store_from(self, peer: str) -> KeyStore:
        return self.network.pools_of(self.name, peer).store(self.name, peer)

    def send(self, dst: str, payload: Any, n_bits: int) -> None:
        assert self.mailbox is not None
        self.mailbox.send(dst, payload, n_bits)

    def link_up(self, peer: str) -> bool:
        return self.network.link_is_up(self.name, peer)


@dataclass
class _RequestState:
    request: KeyRequest
    shares: list[tuple[list[str], int]] = field(default_factory=list)
    session_ids: list[int] = field(default_factory=list)
    outcomes: dict[int, RelayOutcome] = field(default_factory=dict)
    done: bool = False


class QKDNetwork:
    """Key pools, key generation, messaging and relay for a trusted-relay QKD network."""

    def __init__(self, spec: NetworkSpec, settings: QKDSettings, seed: int, timeline: Any) -> None:
        self.spec = spec
        self.settings = settings
        self.seed = seed
        self.timeline = timeline
        self.graph = spec.graph()
        self.pools: dict[frozenset[str], LinkPools] = {}
        self.fast_links: dict[str, FastKeyLink] = {}
        self._down: set[frozenset[str]] = set()
        self.block_records: list[dict[str, Any]] = []
        self.request_records: list[dict[str, Any]] = []
        self.pool_records: list[dict[str, Any]] = []
        self.delivered_keys: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._requests: dict[int, _RequestState] = {}
        self._sessions: dict[int, RelaySession] = {}
        self._session_ids = itertools.count()
        self._relay_rng = generator(seed, "qkd.relay.keys")
        for link in spec.links:
            self.pools[frozenset((link.a, link.b))] = LinkPools(
                link.a, link.b, settings.pool_capacity_bits, settings.direction_share
            )
        self._build_messaging()

    # --- structure ----------------------------------------------------------------------

    def _build_messaging(self) -> None:
        links = []
        for link in self.spec.links:
            delay = fibre_delay_s(link.length_km, link.hardware.fibre.speed_km_per_s)
            links += [ClassicalLink(link.a, link.b, delay, link.length_km)]
            links += [ClassicalLink(link.b, link.a, delay, link.length_km)]
        names = [node.name for node in self.spec.nodes]
        self.nodes = build_classical_nodes(self.timeline, [f"kms.{n}" for n in names], self._kms(links), self.seed)
        self.ports = {name: _Port(name, self) for name in names}
        for name in names:
            node = self.nodes[f"kms.{name}"]
            self.ports[name].mailbox = _KMSMailbox(node, lambda src, payload, at=name: self._on_mail(at, payload))

    @staticmethod
    def _kms(links: list[ClassicalLink]) -> list[ClassicalLink]:
        # Key-management nodes are named kms.<node> on the timeline (the QTN may own <node>).
        return [ClassicalLink(f"kms.{c.src}", f"kms.{c.dst}", c.delay_s, c.length_km) for c in links]

    def pools_of(self, a: str, b: str) -> LinkPools:
        """The key pools of link ``a``-``b`` (KeyError if there is no such link)."""
        return self.pools[frozenset((a, b))]

    def link_is_up(self, a: str, b: str) -> bool:
        """False while link ``a``-``b`` is failed."""
        return frozenset((a, b)) not in self._down

    def set_link_up(self, a: str, b: str, up: bool) -> None:
        """Fail or repair link ``a``-``b``: no key generation and no relay over it while down."""
        key = frozenset((a, b))
        if up:
            self._down.discard(key)
        else:
            self._down.add(key)
        name = "~".join(sorted((a, b)))
        if name in self.fast_links:
            self.fast_links[name].up = up

    # --- key generation -----------------------------------------------------------------

    def add_fast_link(self, a: str, b: str, point: KeyRatePoint, start_s: float, stop_s: float) -> FastKeyLink:
        """Feed link ``a``-``b`` with model-based blocks at the rate of ``point``."""
        name = "~".join(sorted((a, b)))
        link = FastKeyLink(
            name=name,
            point=point,
            pools=self.pools_of(a, b),
            block_bits=self.settings.block_bits,
            rng=generator(self.seed, f"qkd.link.{name}.key"),
            on_block=self.block_records.append,
        )
        link.start(self.timeline, start_s, stop_s)
        self.fast_links[name] = link
        return link

    def deliver_block(self, a: str, b: str, block: str, bits_at_a: np.ndarray, bits_at_b: np.ndarray) -> bool:
        """Put an externally generated block (e.g. photon-level) into the link's pools; False if no room."""
        pools = self.pools_of(a, b)
        if not self.link_is_up(a, b) or not pools.fits(len(bits_at_a)):
            return False
        pools.deliver(block, bits_at_a, bits_at_b)
        return True

    # --- key requests -------------------------------------------------------------------

    def add_request(self, request: KeyRequest) -> None:
        """Serve ``request`` at its arrival time."""
        if request.request_id in self._requests:
            raise ConfigError(f"key request id {request.request_id} used twice")
        self._requests[request.request_id] = _RequestState(request)
        adapter.schedule_call(self.timeline, request.t_s, self._arrive, request.request_id)
        adapter.schedule_call(self.timeline, request.deadline_s, self._expire, request.request_id)

    def routing_view(self, initiator_side: bool = True) -> nx.Graph:
        """The graph with each link's state: residual key (smaller direction), rate, up."""
        graph = self.graph.copy()
        for (u, v), data in zip(graph.edges, graph.edges.values(), strict=True):
            pools = self.pools_of(u, v)
            data["residual_bits"] = min(pools.store(u, u).level_bits, pools.store(v, v).level_bits)
            name = "~".join(sorted((u, v)))
            link = self.fast_links.get(name)
            data["key_rate_bps"] = link.point.key_rate_bps if link else 0.0
            data["up"] = self.link_is_up(u, v)
        return graph

    def _arrive(self, request_id: int) -> None:
        state = self._requests[request_id]
        request = state.request
        shares = route_key(
            self.settings.routing,
            self.routing_view(),
            request.src,
            request.dst,
            request.n_bits,
            untrusted=self.settings.untrusted,
            k=self.settings.k_paths,
        )
        if not shares:
            self._finish(state, False, "no path of working links through trusted nodes")
            return
        state.shares = shares
        for path, bits in shares:
            session = self.relay_key(
                path,
                bits,
                request.deadline_s,
                lambda s, outcome, rid=request_id: self._share_done(rid, s, outcome),
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
        session.start()
        return session

    def _on_mail(self, node: str, payload: dict[str, Any]) -> None:
        self._sessions[payload["session"]].receive(node, payload)

    def _share_done(self, request_id: int, session: RelaySession, outcome: RelayOutcome) -> None:
        state = self._requests[request_id]
        state.outcomes[session.session_id] = outcome
        if not outcome.served:
            self._finish(state, False, outcome.reason)
        elif len(state.outcomes) == len(state.shares) and all(o.served for o in state.outcomes.values()):
            self._finish(state, True, "")

    def _expire(self, request_id: int) -> None:
        state = self._requests[request_id]
        if not state.done:
            for session in self._sessions_of(state):
                session.expire()
            self._finish(state, False, "deadline passed before the key reached the destination")

    def _sessions_of(self, state: _RequestState) -> list[RelaySession]:
        return [self._sessions[session_id] for session_id in state.session_ids]

    def _finish(self, state: _RequestState, served: bool, reason: str) -> None:
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

    # --- observation --------------------------------------------------------------------

    def start_pool_sampling(self, interval_s: float, duration_s: float) -> None:
        """Sample every key store at 0, interval, 2 interval, ... before ``duration_s``."""

        def sample() -> None:
            self.sample_pools()
            following = adapter.now_s(self.timeline) + interval_s
            if following < duration_s:
                adapter.schedule_call(self.timeline, following, sample)

        adapter.schedule_call(self.timeline, 0.0, sample)

    def sample_pools(self) -> None:
        """Record the level of every key store now (one row per node, peer and direction)."""
        now = adapter.now_s(self.timeline)
        for pools in self.pools.values():
            for (holder, initiator), store in sorted(pools.stores.items()):
                self.pool_records.append(
                    {
                        "t_s": now,
                        "node": holder,
                        "peer": store.peer,
                        "direction": "out" if initiator == holder else "in",
                        "level_bits": store.level_bits,
                        "capacity_bits": store.capacity_bits,
                    }
                )


class _KMSMailbox(Mailbox):
    """A key-management node's mailbox (messages between ``kms.*`` nodes)."""

    def send(self, dst: str, payload: Any, n_bits: int) -> None:
        super().send(f"kms.{dst}", payload, n_bits)
