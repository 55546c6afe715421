"""A trusted-relay QKD network on the SeQUeNCe timeline: links, key pools, relays, key requests.

:class:`QKDNetwork` gives every link a pair of key pools (:mod:`qkdn.pool`) fed
by a key generator — a fast model-based link (:mod:`qkdn.fast_link`) or, for
photon-level links, blocks supplied from outside — gives every node a mailbox on
SeQUeNCe classical channels of the fibre's delay, and serves key requests: at
its arrival time a request is routed (:mod:`qkdn.routing`) and its key relayed
hop by hop under one-time pad (:mod:`qkdn.relay`). It records a row per
request, per key block and per pool sample; the end users' keys are kept in
memory (for tests and applications), never in tables.

Keys follow the node roles (:mod:`qtn.roles`): only trusted relays are inside a
key path (ends and repeaters never forward keys), in routing, relaying, the
controller's service paths and their recovery, and key-as-a-service pools.
"""

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import networkx as nx
import numpy as np

from qkdn.controller import Controller, ControllerSettings
from qkdn.failures import LinkOutage
from qkdn.fast_link import FastKeyLink
from qkdn.keyrate.model import KeyRatePoint
from qkdn.photon.config import PhotonLinkConfig
from qkdn.photon.link import KeyBlock, PhotonBB84Link
from qkdn.pool import KeyStore, LinkPools
from qkdn.relay import RelayOutcome, RelaySession
from qkdn.routing import refusal_reason
from qkdn.services import ServiceSource, ServiceSpec
from qtn import sequence_adapter as adapter
from qtn.errors import ConfigError
from qtn.messaging import Mailbox
from qtn.randomness import generator
from qtn.roles import non_relays, role_map
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
    """Network-wide QKD choices (see the scenario's ``qkd`` section).

    Attributes:
        routing: key routing strategy (:mod:`qkdn.routing`).
        k_paths: candidate paths for k-shortest routing and recovery.
        block_bits: secret bits per fast-link block.
        pool_capacity_bits: key storage per link end (both directions).
        direction_share: share of a link's key for its first node's use.
        untrusted: nodes that may not relay, besides those whose role never relays
            (ends and repeaters; see :mod:`qtn.roles`).
        controller_site: node hosting the controller (None: the graph's centre by fibre delay).
        report_interval_s: interval of the nodes' key-level reports to the controller.
        pool_low_bits: a store falling below this is reported at once ("pool low").
        twm_window_s: time window of recovery retries after a failure.
        twm_retry_s: interval of those retries.
    """

    routing: str = "shortest"
    k_paths: int = 3
    block_bits: int = 4096
    pool_capacity_bits: int = 2_000_000
    direction_share: float = 0.5
    untrusted: tuple[str, ...] = ()
    controller_site: str | None = None
    report_interval_s: float = 0.1
    pool_low_bits: int = 4096
    twm_window_s: float = 1.0
    twm_retry_s: float = 0.05


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

    def took(self, peer: str) -> None:
        self.network.after_take(self.name, peer)


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
        self.roles = role_map(spec)
        #: Nodes never inside a key path: those declared untrusted and every end and repeater.
        self.no_relay: tuple[str, ...] = tuple(sorted(set(settings.untrusted) | non_relays(self.roles)))
        self.pools: dict[frozenset[str], LinkPools] = {}
        self.fast_links: dict[str, FastKeyLink] = {}
        self.photon_links: list[PhotonBB84Link] = []
        self.link_kinds: dict[str, str] = {}  # link name -> what makes its key (qkdn.segments.LINK_KINDS)
        self._down: set[frozenset[str]] = set()
        self._n_outages: dict[frozenset[str], int] = {}  # outages in progress per link (they may overlap)
        self._repairs: dict[frozenset[str], list[float]] = {}  # times each link came back up
        self._service_of_session: dict[int, int] = {}
        self._reported: dict[str, dict[str, int]] = {node.name: {} for node in spec.nodes}  # levels last sent
        self._changed_nodes: set[str] = {node.name for node in spec.nodes}  # a store of theirs changed since
        self.block_records: list[dict[str, Any]] = []
        self.request_records: list[dict[str, Any]] = []
        self.request_listeners: list[Callable[[dict[str, Any]], None]] = []  # get each ended request's row
        self.pool_records: list[dict[str, Any]] = []
        self.delivered_keys: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._requests: dict[int, _RequestState] = {}
        self._sessions: dict[int, RelaySession] = {}
        self._session_ids = itertools.count()
        self._relay_rng = generator(seed, "qkd.relay.keys")
        self._services: dict[int, ServiceSource] = {}
        self.service_records: list[dict[str, Any]] = []
        self.outages: list[LinkOutage] = []
        for link in spec.links:
            pools = LinkPools(link.a, link.b, settings.pool_capacity_bits, settings.direction_share)
            pools.on_change = lambda ends=(link.a, link.b): self._changed_nodes.update(ends)
            self.pools[frozenset((link.a, link.b))] = pools
        self._build_messaging()

    # --- structure ----------------------------------------------------------------------

    def _build_messaging(self) -> None:
        links = []
        for link in self.spec.links:
            delay = fibre_delay_s(link.length_km, link.hardware.fibre.speed_km_per_s)
            links += [ClassicalLink(link.a, link.b, delay, link.length_km)]
            links += [ClassicalLink(link.b, link.a, delay, link.length_km)]
        names = [node.name for node in self.spec.nodes]
        site = self.settings.controller_site or _centre(self.graph, self.spec)
        self.controller_site = site
        delays = nx.single_source_dijkstra_path_length(_delay_graph(self.spec), site, weight="delay_s")
        lengths = nx.single_source_dijkstra_path_length(self.graph, site, weight="length_km")
        for name in names:
            links += [ClassicalLink("ctrl", name, delays.get(name, 0.0), lengths.get(name, 0.0))]
            links += [ClassicalLink(name, "ctrl", delays.get(name, 0.0), lengths.get(name, 0.0))]
        self.nodes = build_classical_nodes(
            self.timeline, [f"kms.{n}" for n in [*names, "ctrl"]], self._kms(links), self.seed
        )
        self.ports = {name: _Port(name, self) for name in names}
        for name in names:
            node = self.nodes[f"kms.{name}"]
            self.ports[name].mailbox = _KMSMailbox(node, lambda src, payload, at=name: self._on_mail(at, payload))
        self._controller_mailbox = _KMSMailbox(
            self.nodes["kms.ctrl"], lambda src, payload: self.controller.on_mail(src.removeprefix("kms."), payload)
        )
        self.controller = Controller(
            self.graph,
            ControllerSettings(
                site=site,
                routing=self.settings.routing,
                k_paths=self.settings.k_paths,
                untrusted=self.no_relay,
                twm_window_s=self.settings.twm_window_s,
                twm_retry_s=self.settings.twm_retry_s,
            ),
            send=self._controller_mailbox.send,
            now_s=lambda: adapter.now_s(self.timeline),
            schedule=lambda delay_s, call: adapter.schedule_call(
                self.timeline, adapter.now_s(self.timeline) + delay_s, call
            ),
        )

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
            on_block=self.record_block,
        )
        self.link_kinds[name] = "bb84-fast"
        link.start(self.timeline, start_s, stop_s)
        self.fast_links[name] = link
        self.controller.set_link_rate(a, b, point.key_rate_bps)  # known from provisioning, like the topology
        return link

    def add_photon_link(self, config: PhotonLinkConfig, start_s: float, stop_s: float) -> PhotonBB84Link:
        """Feed link ``config.alice``-``config.bob`` with photon-level BB84 blocks (accepted ones only)."""

        def on_block(block: KeyBlock) -> None:
            self.record_block(block.row())
            if block.accepted:
                self.deliver_block(
                    config.alice, config.bob, f"{config.name}#{block.index}", block.alice_key, block.bob_key
                )

        link = PhotonBB84Link(self.timeline, config, self.seed, on_block)
        self.link_kinds["~".join(sorted((config.alice, config.bob)))] = "bb84-photon"
        link.start(start_s, stop_s)
        self.photon_links.append(link)
        return link

    def add_segment_link(self, a: str, b: str) -> Callable[[str, np.ndarray, np.ndarray], bool]:
        """Declare link ``a``-``b`` a repeater segment whose key comes from outside (BBM92 on its pairs).

        Returns the function that puts a distilled block (``name``, bits at
        ``a``, bits at ``b``) into the link's pools; it refuses (returns False)
        while the link is down or full, like :meth:`deliver_block`. Record the
        frames' rows with :meth:`record_block`.
        """
        self.pools_of(a, b)  # KeyError if the spec has no such link
        self.link_kinds["~".join(sorted((a, b)))] = "bbm92-segment"
        return lambda block, bits_at_a, bits_at_b: self.deliver_block(a, b, block, bits_at_a, bits_at_b)

    def record_block(self, row: dict[str, Any]) -> None:
        """Record a key block's ``link_blocks`` row, with the kind of link that made it.

        A row that does not say where its numbers come from gets ``source`` from
        the link's kind: ``model`` for a fast link, ``simulated`` for photon and
        entanglement-segment blocks.
        """
        kind = self.link_kinds.get(row["link"], "")
        source = "model" if kind == "bb84-fast" else "simulated"
        lengths = {"asymptotic_secret_bits": math.nan, "finite_secret_bits": math.nan, "key_length": ""}
        self.block_records.append({"source": source, **lengths, **row, "link_kind": kind})

    def close(self) -> None:
        """Release what links hold outside the simulation (the key-material log filter)."""
        for link in self.photon_links:
            link.close()

    def deliver_block(self, a: str, b: str, block: str, bits_at_a: np.ndarray, bits_at_b: np.ndarray) -> bool:
        """Put an externally generated block (e.g. photon-level) into the link's pools; False if no room."""
        pools = self.pools_of(a, b)
        if not self.link_is_up(a, b) or not pools.fits(len(bits_at_a)):
            return False
        if a != pools.a:
            bits_at_a, bits_at_b = bits_at_b, bits_at_a
        pools.deliver(block, bits_at_a, bits_at_b)
        return True

    # --- key requests -------------------------------------------------------------------

    def now_s(self) -> float:
        """Current simulated time."""
        return adapter.now_s(self.timeline)

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
        """The application at the source asks the controller for a route."""
        request = self._requests[request_id].request
        payload = {
            "type": "key_request",
            "request_id": request_id,
            "src": request.src,
            "dst": request.dst,
            "n_bits": request.n_bits,
        }
        self.ports[request.src].send("ctrl", payload, 256)

    def _on_route(self, node: str, payload: dict[str, Any]) -> None:
        state = self._requests[payload["request_id"]]
        request_id = state.request.request_id
        request = state.request
        shares = payload["shares"]
        if state.done:
            return
        if not shares:
            reason = refusal_reason(
                self.routing_view(), request.src, request.dst, self.settings.untrusted, self.no_relay
            )
            self._finish(state, False, reason)
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
        adapter.schedule_call(self.timeline, deadline_s, session.expire)  # it fails then if still waiting
        session.start()
        return session

    def _on_mail(self, node: str, payload: dict[str, Any]) -> None:
        kind = payload.get("type", "relay")
        if kind == "relay":
            self._sessions[payload["session"]].receive(node, payload)
        elif kind == "route":
            self._on_route(node, payload)
        elif kind == "service_paths":
            self._services[payload["service_id"]].install(adapter.now_s(self.timeline), payload["shares"])

    # --- reports, failures and services -------------------------------------------------

    def after_take(self, node: str, peer: str) -> None:
        """A relay took key from ``node``'s store towards ``peer``: report it if it ran low."""
        level = self.pools_of(node, peer).store(node, node).level_bits
        if level < self.settings.pool_low_bits:
            self.ports[node].send("ctrl", {"type": "pool_low", "levels": {peer: level}}, 64)
            self._reported[node][peer] = level

    def start_reports(self, duration_s: float) -> None:
        """Every node reports its outgoing key levels to the controller every report interval.

        A report carries only the levels that changed since the node last told
        the controller (by report or "pool low"); a node with nothing new sends
        nothing. The controller keeps the last level it heard per store, so its
        view is the same as with full reports, at a fraction of the messages
        (in steady state most pools are full and unchanged).
        """
        outgoing = {  # each node's stores towards its neighbours, looked up once
            node: [(peer, self.pools_of(node, peer).store(node, node)) for peer in self.graph[node]]
            for node in self.ports
        }

        def report() -> None:
            changed = self._changed_nodes
            for node, port in self.ports.items():
                if node not in changed:
                    continue  # no store of this node changed: nothing new to tell
                told = self._reported[node]
                levels = {
                    peer: store.level_bits for peer, store in outgoing[node] if told.get(peer) != store.level_bits
                }
                if levels:
                    told.update(levels)
                    port.send("ctrl", {"type": "pool_report", "levels": levels}, 64 * (1 + len(levels)))
            changed.clear()
            following = adapter.now_s(self.timeline) + self.settings.report_interval_s
            if following < duration_s:
                adapter.schedule_call(self.timeline, following, report)

        adapter.schedule_call(self.timeline, 0.0, report)

    def add_outage(self, outage: LinkOutage) -> None:
        """Fail link ``outage.a``-``outage.b`` from ``down_s`` and repair it at ``up_s``."""
        if not self.graph.has_edge(outage.a, outage.b):
            raise ConfigError(f"failure: no link {outage.a}-{outage.b}")
        self.outages.append(outage)
        adapter.schedule_call(self.timeline, outage.down_s, self._link_event, outage.a, outage.b, False)
        adapter.schedule_call(self.timeline, outage.up_s, self._link_event, outage.a, outage.b, True)

    def _link_event(self, a: str, b: str, up: bool) -> None:
        key = frozenset((a, b))
        n_before = self._n_outages.get(key, 0)
        self._n_outages[key] = n_before + (-1 if up else 1)
        if (up and n_before != 1) or (not up and n_before != 0):
            return  # overlapping outages: the link is repaired only when the last of them ends
        self.set_link_up(a, b, up)
        now = adapter.now_s(self.timeline)
        if up:
            self._repairs.setdefault(key, []).append(now)
        for node in (a, b):  # both ends notice and tell the controller
            self.ports[node].send("ctrl", {"type": "link_state", "link": (a, b), "up": up, "t_s": now}, 128)
        if not up:
            for store in self.pools_of(a, b).stores.values():
                store.discard_waiters()
            for session in self._sessions.values():
                if not session.done and any({a, b} == {u, v} for u, v in itertools.pairwise(session.path)):
                    session.fail_link(a, b)

    def add_service(self, spec: ServiceSpec) -> None:
        """Register a key service at its start and supply it every period until its end."""

        def relay(path: list[str], n_bits: int, deadline_s: float, on_done: Any) -> RelaySession:
            session = self.relay_key(path, n_bits, deadline_s, on_done)
            self._service_of_session[session.session_id] = spec.service_id
            return session

        source = ServiceSource(spec, relay, self.service_records)
        self._services[spec.service_id] = source
        payload = {
            "type": "service_register",
            "service_id": spec.service_id,
            "src": spec.src,
            "dst": spec.dst,
            "demand_bits": spec.demand_bits,
        }
        adapter.schedule_call(self.timeline, spec.start_s, self.ports[spec.src].send, "ctrl", payload, 256)
        t = spec.start_s + spec.period_s
        while t <= spec.end_s + 1e-12:
            adapter.schedule_call(self.timeline, t, source.supply, t)
            t += spec.period_s

    def recovery_records(self) -> list[dict[str, Any]]:
        """One row per (failure, affected service): method, recovered, recovery time, key lost."""
        rows = []
        for record in self.controller.recoveries:
            source = self._services[record.service_id]
            installed = [t for t, shares in source.installs if t >= record.failure_s and shares]
            link = frozenset(record.link)
            repaired_s = min((t for t in self._repairs.get(link, []) if t > record.failure_s), default=float("inf"))
            lost = sum(  # this service's relays aborted by this outage
                s.key_consumed_bits
                for s in self._sessions.values()
                if s.failed_link == link
                and record.failure_s <= s.failed_at_s < repaired_s
                and self._service_of_session.get(s.session_id) == record.service_id
            )
            rows.append(
                {
                    "t_s": record.failure_s,
                    "link": "~".join(sorted(record.link)),
                    "service_id": record.service_id,
                    "method": record.method,
                    "recovered": record.recovered and bool(installed),
                    "recovery_time_s": (installed[0] - record.failure_s)
                    if record.recovered and installed
                    else float("nan"),
                    "n_attempts": record.attempts,
                    "demand_bits": source.spec.demand_bits,
                    "key_lost_bits": lost,
                }
            )
        return rows

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

    @property
    def sessions(self) -> Mapping[int, RelaySession]:
        """Every relay session of the run by id (read-only; each records its hops, never key bits)."""
        return MappingProxyType(self._sessions)

    def request_sessions(self, request_id: int) -> list[RelaySession]:
        """The relay sessions (one per share) that served or tried to serve key request ``request_id``."""
        return self._sessions_of(self._requests[request_id])

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
        for listener in self.request_listeners:
            listener(self.request_records[-1])

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
            kind = self.link_kinds.get("~".join(sorted((pools.a, pools.b))), "")
            for (holder, initiator), store in sorted(pools.stores.items()):
                self.pool_records.append(
                    {
                        "t_s": now,
                        "node": holder,
                        "peer": store.peer,
                        "direction": "out" if initiator == holder else "in",
                        "level_bits": store.level_bits,
                        "capacity_bits": store.capacity_bits,
                        "link_kind": kind,
                    }
                )


class _KMSMailbox(Mailbox):
    """A key-management node's mailbox (messages between ``kms.*`` nodes)."""

    def send(self, dst: str, payload: Any, n_bits: int) -> None:
        super().send(f"kms.{dst}", payload, n_bits)


def _delay_graph(spec: NetworkSpec) -> nx.Graph:
    graph = spec.graph()
    for link in spec.links:
        graph.edges[link.a, link.b]["delay_s"] = fibre_delay_s(link.length_km, link.hardware.fibre.speed_km_per_s)
    return graph


def _centre(graph: nx.Graph, spec: NetworkSpec) -> str:
    """The node with the smallest largest fibre delay to the others (ties: first by name)."""
    delays = _delay_graph(spec)
    if not nx.is_connected(delays):
        return min(graph.nodes)
    eccentricity = nx.eccentricity(delays, weight="delay_s")
    return min(eccentricity, key=lambda node: (eccentricity[node], node))
