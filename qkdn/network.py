"""A trusted-relay QKD network on the SeQUeNCe timeline: links, key pools, relays, key requests.

:class:`QKDNetwork` gives every link a pair of key pools fed by a key
generator, gives every node a mailbox on SeQUeNCe classical channels of the
fibre's delay, and serves key requests: at its arrival time a request is routed
by the controller and its key relayed hop by hop under one-time pad. It records
a row per request, per key block and per pool sample; the end users' keys are
kept in memory (for tests and applications), never in tables.

The class assembles parts, one module each, and forwards its public methods to
them:

* pools and links (:mod:`qkdn.net_links`): key pools, key generators, link
  state; every key block's row is recorded in :meth:`KeyLinks.record_block`;
* messaging (:mod:`qkdn.net_messaging`): key-management nodes, ports, the
  controller's site; every message to a node arrives in :meth:`QKDNetwork._on_mail`;
* relaying (:mod:`qkdn.net_requests`): key requests and relay sessions; a
  request's route arrives in :meth:`KeyRequests.on_route` and every key is
  relayed by :meth:`KeyRequests.relay_key`;
* the controller's view (:mod:`qkdn.net_reports`): key-level reports;
* services and recovery (:mod:`qkdn.net_services`): outages, key services,
  recovery rows.

Keys follow the node roles (:mod:`qnetsim.core.roles`): only trusted relays are inside a
key path (ends and repeaters never forward keys), in routing, relaying, the
controller's service paths and their recovery, and key-as-a-service pools.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from qkdn.controller import Controller, ControllerSettings, KeyRoutingPolicy
from qkdn.failures import LinkOutage
from qkdn.fast_link import FastKeyLink
from qkdn.keyrate.model import KeyRatePoint
from qkdn.net_links import KeyLinks
from qkdn.net_messaging import build_messaging, centre
from qkdn.net_reports import LevelReports
from qkdn.net_requests import KeyRequest, KeyRequests
from qkdn.net_services import ServicesAndRecovery
from qkdn.photon.config import PhotonLinkConfig
from qkdn.photon.link import PhotonBB84Link
from qkdn.pool import LinkPools
from qkdn.relay import RelayOutcome, RelaySession
from qkdn.services import ServiceSpec
from qnetsim.core.errors import ConfigError
from qnetsim.core.roles import non_relays, role_map
from qnetsim.core.spec import NetworkSpec
from qtn.sequence_backed import adapter

__all__ = ["KeyRequest", "QKDNetwork", "QKDSettings"]


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
            (ends and repeaters; see :mod:`qnetsim.core.roles`).
        controller_site: node hosting the controller (None: the graph's centre by fibre delay).
        report_interval_s: interval of the nodes' key-level reports to the controller.
        pool_low_bits: a store falling below this is reported at once ("pool low").
        twm_window_s: time window of recovery retries after a failure.
        twm_retry_s: interval of those retries.
        routing_policy: a policy object that decides key requests instead of ``routing`` (``learned``:
            :class:`qkdn.ml.policy.LearnedRouting`).
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
    routing_policy: KeyRoutingPolicy | None = None


class QKDNetwork:
    """Key pools, key generation, messaging and relay for a trusted-relay QKD network.

    Attributes:
        links: pools and links (:class:`qkdn.net_links.KeyLinks`).
        requests: key requests and relaying (:class:`qkdn.net_requests.KeyRequests`).
        reports: the nodes' key-level reports to the controller (:class:`qkdn.net_reports.LevelReports`).
        services: outages, key services and recovery (:class:`qkdn.net_services.ServicesAndRecovery`).
        controller: the network's controller (:class:`qkdn.controller.Controller`).
        controller_site: the node hosting it.
        nodes: the key-management nodes on the timeline by name (``kms.<node>``, ``kms.ctrl``).
        ports: each node's port (its stores, links and mailbox) by node name.
    """

    def __init__(self, spec: NetworkSpec, settings: QKDSettings, seed: int, timeline: Any) -> None:
        self.spec = spec
        self.settings = settings
        self.seed = seed
        self.timeline = timeline
        self.graph = spec.graph()
        self.roles = role_map(spec)
        #: Nodes never inside a key path: those declared untrusted and every end and repeater.
        self.no_relay: tuple[str, ...] = tuple(sorted(set(settings.untrusted) | non_relays(self.roles)))
        self.links = KeyLinks(
            spec,
            settings.pool_capacity_bits,
            settings.direction_share,
            settings.block_bits,
            seed,
            timeline,
            on_store_change=lambda a, b: self.reports.store_changed(a, b),
        )
        self.controller_site = settings.controller_site or centre(spec)
        messaging = build_messaging(
            spec,
            self.controller_site,
            seed,
            timeline,
            self.links,
            took_key=self.after_take,
            on_node_mail=self._on_mail,
            on_controller_mail=lambda src, payload: self.controller.on_mail(src, payload),
        )
        self.nodes = messaging.nodes
        self.ports = messaging.ports
        self.controller = Controller(
            self.graph,
            ControllerSettings(
                site=self.controller_site,
                routing=settings.routing,
                k_paths=settings.k_paths,
                untrusted=self.no_relay,
                twm_window_s=settings.twm_window_s,
                twm_retry_s=settings.twm_retry_s,
                policy=settings.routing_policy,
            ),
            send=messaging.controller_mailbox.send,
            now_s=self.now_s,
            schedule=lambda delay_s, call: adapter.schedule_call(self.timeline, self.now_s() + delay_s, call),
        )
        self.reports = LevelReports(timeline, self.graph, self.links, self.ports, settings.pool_low_bits)
        self.requests = KeyRequests(timeline, self.ports, seed, self.routing_view, settings.untrusted, self.no_relay)
        self.services = ServicesAndRecovery(timeline, self.links, self.ports, self.requests, self.controller)

    def now_s(self) -> float:
        """Current simulated time."""
        return adapter.now_s(self.timeline)

    def _on_mail(self, node: str, payload: dict[str, Any]) -> None:
        """Every message to a node's key-management node arrives here and goes to the part that handles it."""
        kind = payload.get("type", "relay")
        if kind == "relay":
            self.requests.on_relay_mail(node, payload)
        elif kind == "route":
            self.requests.on_route(payload)
        elif kind == "service_paths":
            self.services.on_service_paths(payload)

    # --- pools and links (qkdn.net_links) -------------------------------------------------

    @property
    def pools(self) -> dict[frozenset[str], LinkPools]:
        """Each link's key pools, by the set of its two ends."""
        return self.links.pools

    @property
    def fast_links(self) -> dict[str, FastKeyLink]:
        """Model-based key generators by link name."""
        return self.links.fast_links

    @property
    def photon_links(self) -> list[PhotonBB84Link]:
        """Photon-level BB84 links in the order they were added."""
        return self.links.photon_links

    @property
    def link_kinds(self) -> dict[str, str]:
        """Link name -> what makes its key (:data:`qkdn.segments.LINK_KINDS`)."""
        return self.links.link_kinds

    @property
    def block_records(self) -> list[Mapping[str, Any]]:
        """One ``link_blocks`` row per key block."""
        return self.links.block_records

    @property
    def pool_records(self) -> list[Mapping[str, Any]]:
        """One ``pools`` row per key store and sample."""
        return self.links.pool_records

    def pools_of(self, a: str, b: str) -> LinkPools:
        """The key pools of link ``a``-``b`` (KeyError if there is no such link)."""
        return self.links.pools_of(a, b)

    def link_is_up(self, a: str, b: str) -> bool:
        """False while link ``a``-``b`` is failed."""
        return self.links.link_is_up(a, b)

    def set_link_up(self, a: str, b: str, up: bool) -> None:
        """Fail or repair link ``a``-``b``: no key generation and no relay over it while down."""
        self.links.set_link_up(a, b, up)

    def add_fast_link(self, a: str, b: str, point: KeyRatePoint, start_s: float, stop_s: float) -> FastKeyLink:
        """Feed link ``a``-``b`` with model-based blocks at the rate of ``point``."""
        link = self.links.add_fast_link(a, b, point, start_s, stop_s)
        self.controller.set_link_rate(a, b, point.key_rate_bps)  # known from provisioning, like the topology
        return link

    def add_photon_link(self, config: PhotonLinkConfig, start_s: float, stop_s: float) -> PhotonBB84Link:
        """Feed link ``config.alice``-``config.bob`` with photon-level BB84 blocks (accepted ones only)."""
        return self.links.add_photon_link(config, start_s, stop_s)

    def add_segment_link(self, a: str, b: str) -> Callable[[str, np.ndarray, np.ndarray], bool]:
        """Declare link ``a``-``b`` a repeater segment fed from outside; see :meth:`KeyLinks.add_segment_link`."""
        return self.links.add_segment_link(a, b)

    def record_block(self, row: Mapping[str, Any]) -> None:
        """Record a key block's ``link_blocks`` row, with the kind of link that made it."""
        self.links.record_block(row)

    def deliver_block(self, a: str, b: str, block: str, bits_at_a: np.ndarray, bits_at_b: np.ndarray) -> bool:
        """Put an externally generated block (e.g. photon-level) into the link's pools; False if no room."""
        return self.links.deliver_block(a, b, block, bits_at_a, bits_at_b)

    def close(self) -> None:
        """Release what links hold outside the simulation (the key-material log filter)."""
        self.links.close()

    def routing_view(self) -> nx.Graph:
        """The graph with each link's state: residual key (smaller direction), rate, up."""
        return self.links.routing_view(self.graph)

    def start_pool_sampling(self, interval_s: float, duration_s: float) -> None:
        """Sample every key store at 0, interval, 2 interval, ... before ``duration_s``."""
        self.links.start_pool_sampling(interval_s, duration_s)

    def sample_pools(self) -> None:
        """Record the level of every key store now (one row per node, peer and direction)."""
        self.links.sample_pools()

    # --- relaying (qkdn.net_requests) -----------------------------------------------------

    @property
    def request_records(self) -> list[dict[str, Any]]:
        """One ``key_requests`` row per ended request."""
        return self.requests.request_records

    @property
    def request_listeners(self) -> list[Callable[[dict[str, Any]], None]]:
        """Functions that get each ended request's row (append to listen)."""
        return self.requests.request_listeners

    @property
    def delivered_keys(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Request id -> (key at the source, key at the destination), for served requests."""
        return self.requests.delivered_keys

    @property
    def sessions(self) -> Mapping[int, RelaySession]:
        """Every relay session of the run by id (read-only; each records its hops, never key bits)."""
        return self.requests.sessions

    def add_request(self, request: KeyRequest) -> None:
        """Serve ``request`` at its arrival time."""
        self.requests.add_request(request)

    def relay_key(
        self,
        path: list[str],
        n_bits: int,
        deadline_s: float,
        on_done: Callable[[RelaySession, RelayOutcome], None],
        priority: float = 0.0,
    ) -> RelaySession:
        """Relay a fresh key of ``n_bits`` along ``path`` now; see :meth:`KeyRequests.relay_key`."""
        return self.requests.relay_key(path, n_bits, deadline_s, on_done, priority)

    def request_sessions(self, request_id: int) -> list[RelaySession]:
        """The relay sessions (one per share) that served or tried to serve key request ``request_id``."""
        return self.requests.request_sessions(request_id)

    # --- the controller's view (qkdn.net_reports) -----------------------------------------

    def after_take(self, node: str, peer: str) -> None:
        """A relay took key from ``node``'s store towards ``peer``: report it if it ran low."""
        self.reports.after_take(node, peer)

    def start_reports(self, duration_s: float) -> None:
        """Every node reports its changed key levels to the controller every report interval."""
        self.reports.start_reports(self.settings.report_interval_s, duration_s)

    # --- services and recovery (qkdn.net_services) ----------------------------------------

    @property
    def outages(self) -> list[LinkOutage]:
        """Every outage added, in order."""
        return self.services.outages

    @property
    def service_records(self) -> list[dict[str, Any]]:
        """One ``service_periods`` row per service and supply period."""
        return self.services.service_records

    def add_outage(self, outage: LinkOutage) -> None:
        """Fail link ``outage.a``-``outage.b`` from ``down_s`` and repair it at ``up_s``."""
        if not self.graph.has_edge(outage.a, outage.b):
            raise ConfigError(f"failure: no link {outage.a}-{outage.b}")
        self.services.add_outage(outage)

    def add_service(self, spec: ServiceSpec) -> None:
        """Register a key service at its start and supply it every period until its end."""
        self.services.add_service(spec)

    def recovery_records(self) -> list[dict[str, Any]]:
        """One row per (failure, affected service): method, recovered, recovery time, key lost."""
        return self.services.recovery_records()
