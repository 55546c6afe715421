"""Messaging of a QKD network: key-management nodes, their mailboxes and ports, and the controller's site.

Part of :class:`qkdn.network.QKDNetwork`. Every node has a key-management
node ``kms.<node>`` on the SeQUeNCe timeline (the quantum network may own
``<node>`` itself) and the controller has ``kms.ctrl``. Node to node messages
travel over classical channels with the fibre's delay; node to controller
messages over a channel with the delay of the shortest fibre path to the
controller's site, which by default is the network's centre by fibre delay.

A :class:`Port` is one node's local view for the relays (:class:`qkdn.relay.RelayPort`):
its clock, its key stores, its mailbox and the state of its links.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from qkdn.net_links import KeyLinks
from qkdn.pool import KeyStore
from qnetsim.core.spec import NetworkSpec
from qnetsim.core.units import fibre_delay_s
from qtn.sequence_backed import adapter
from qtn.sequence_backed.classical import ClassicalLink, build_classical_nodes
from qtn.sequence_backed.messaging import Mailbox

#: Name of the controller's key-management node (``kms.ctrl`` on the timeline).
CONTROLLER = "ctrl"

MailHandler = Callable[[str, dict[str, Any]], None]


@dataclass
class Port:
    """One node's local view for the relays: its stores, links and mailbox.

    ``took(node, peer)`` hears that a relay took key from the node's store towards ``peer``.
    """

    name: str
    links: KeyLinks
    timeline: Any
    took_key: Callable[[str, str], None]
    mailbox: Mailbox | None = None

    def now_s(self) -> float:
        return adapter.now_s(self.timeline)

    def store_towards(self, peer: str) -> KeyStore:
        return self.links.pools_of(self.name, peer).store(self.name, self.name)

    def store_from(self, peer: str) -> KeyStore:
        return self.links.pools_of(self.name, peer).store(self.name, peer)

    def send(self, dst: str, payload: Any, n_bits: int) -> None:
        assert self.mailbox is not None
        self.mailbox.send(dst, payload, n_bits)

    def link_up(self, peer: str) -> bool:
        return self.links.link_is_up(self.name, peer)

    def took(self, peer: str) -> None:
        self.took_key(self.name, peer)


class KMSMailbox(Mailbox):
    """A key-management node's mailbox (messages between ``kms.*`` nodes)."""

    def send(self, dst: str, payload: Any, n_bits: int) -> None:
        super().send(f"kms.{dst}", payload, n_bits)


@dataclass
class KMSMessaging:
    """The key-management nodes of a network on the timeline, with a port per node and the controller's mailbox.

    Attributes:
        nodes: the SeQUeNCe classical nodes by name (``kms.<node>`` and ``kms.ctrl``).
        ports: each node's port, by node name.
        controller_mailbox: the controller's mailbox (its ``send`` is the controller's way out).
    """

    nodes: dict[str, Any]
    ports: dict[str, Port]
    controller_mailbox: KMSMailbox


def build_messaging(
    spec: NetworkSpec,
    site: str,
    seed: int,
    timeline: Any,
    links: KeyLinks,
    took_key: Callable[[str, str], None],
    on_node_mail: MailHandler,
    on_controller_mail: MailHandler,
) -> KMSMessaging:
    """Key-management nodes and channels for ``spec`` with the controller at ``site``.

    ``on_node_mail(node, payload)`` gets what arrives at a node;
    ``on_controller_mail(src_node, payload)`` what arrives at the controller.
    """
    channels = []
    for link in spec.links:
        delay = fibre_delay_s(link.length_km, link.hardware.fibre.speed_km_per_s)
        channels += [ClassicalLink(link.a, link.b, delay, link.length_km)]
        channels += [ClassicalLink(link.b, link.a, delay, link.length_km)]
    names = [node.name for node in spec.nodes]
    delays = nx.single_source_dijkstra_path_length(delay_graph(spec), site, weight="delay_s")
    lengths = nx.single_source_dijkstra_path_length(spec.graph(), site, weight="length_km")
    for name in names:
        channels += [ClassicalLink(CONTROLLER, name, delays.get(name, 0.0), lengths.get(name, 0.0))]
        channels += [ClassicalLink(name, CONTROLLER, delays.get(name, 0.0), lengths.get(name, 0.0))]
    kms_channels = [ClassicalLink(f"kms.{c.src}", f"kms.{c.dst}", c.delay_s, c.length_km) for c in channels]
    nodes = build_classical_nodes(timeline, [f"kms.{n}" for n in [*names, CONTROLLER]], kms_channels, seed)
    ports = {name: Port(name, links, timeline, took_key) for name in names}
    for name in names:
        ports[name].mailbox = KMSMailbox(nodes[f"kms.{name}"], _addressed_to(name, on_node_mail))
    controller_mailbox = KMSMailbox(
        nodes[f"kms.{CONTROLLER}"], lambda src, payload: on_controller_mail(src.removeprefix("kms."), payload)
    )
    return KMSMessaging(nodes, ports, controller_mailbox)


def _addressed_to(node: str, handler: MailHandler) -> Callable[[str, Any], None]:
    """A mailbox's receiver that hands ``handler`` what arrives at ``node``."""
    return lambda _src, payload: handler(node, payload)


def delay_graph(spec: NetworkSpec) -> nx.Graph:
    """The network's graph with each link's fibre delay as ``delay_s``."""
    graph = spec.graph()
    for link in spec.links:
        graph.edges[link.a, link.b]["delay_s"] = fibre_delay_s(link.length_km, link.hardware.fibre.speed_km_per_s)
    return graph


def centre(spec: NetworkSpec) -> str:
    """The node with the smallest largest fibre delay to the others (ties: first by name).

    The default controller site: it minimises the longest report and routing delay.
    A disconnected network has no centre; its first node by name is used.
    """
    delays = delay_graph(spec)
    if not nx.is_connected(delays):
        return min(spec.graph().nodes)
    eccentricity = nx.eccentricity(delays, weight="delay_s")
    return min(eccentricity, key=lambda node: (eccentricity[node], node))
