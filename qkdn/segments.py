"""Hybrid networks: which fibres are QKD links and which form repeater segments.

A hybrid network mixes direct QKD links with entanglement segments through
quantum repeaters. The split follows the nodes' roles alone:

* a fibre between two key-holding nodes (``end`` or ``trusted_relay``) is a
  direct QKD link (BB84, fast model or photon by photon);
* a fibre with a ``repeater`` at either end is a quantum fibre of the
  entanglement network;
* the repeaters joined by quantum fibres form islands; every pair of
  key-holding nodes bordering an island is joined by an entanglement
  **segment** along the entanglement network's route through that island
  (repeaters only in between).

To the QKD network a segment ``a~b`` is one more key link, with its own key
pools: BBM92 on the pairs the segment delivers fills them (:mod:`qkdn.bbm92`),
and routing, relaying, the controller and key delivery treat it like any other
link. Repeaters are not nodes of the QKD network at all, so no key is ever
routed through or held at one. :func:`split_network` returns the two views of
one :class:`~qnetsim.core.spec.NetworkSpec`: the QKD network's (key-holding nodes,
direct links and one virtual link per segment) and the entanglement network's
(repeaters, segment ends and quantum fibres).

A segment's virtual link carries the classical messages of the QKD network
(relay, reports) with the delay of the whole fibre path, so its ``length_km``
is the sum of the path's fibre lengths and its fibre parameters are those of
the path's first fibre.

Example:
    >>> from qnetsim.core.hardware import LinkHardwareConfig, NodeHardwareConfig
    >>> from qnetsim.core.spec import LinkSpec, NetworkSpec, NodeSpec
    >>> roles = {"a": "end", "r": "repeater", "t": "trusted_relay", "b": "end"}
    >>> nodes = tuple(NodeSpec(n, role, NodeHardwareConfig()) for n, role in roles.items())
    >>> fibres = [("a", "r", 10.0), ("r", "t", 10.0), ("t", "b", 20.0)]
    >>> links = tuple(LinkSpec(x, y, km, LinkHardwareConfig()) for x, y, km in fibres)
    >>> split = split_network(NetworkSpec(nodes, links))
    >>> [(s.name, s.path, s.length_km) for s in split.segments]
    [('a~t', ('a', 'r', 't'), 20.0)]
    >>> sorted(link.name for link in split.qkd_spec.links), split.link_kind("a~t")
    (['a~t', 'b~t'], 'bbm92-segment')
"""

import itertools
from dataclasses import dataclass

import networkx as nx

from qnetsim.core.errors import ConfigError
from qnetsim.core.spec import LinkSpec, NetworkSpec
from qtn.routing import Routes

__all__ = [
    "KEY_HOLDING_ROLES",
    "LINK_KINDS",
    "Segment",
    "HybridSplit",
    "split_network",
    "is_hybrid",
]

#: Roles of the nodes that hold keys (and end entanglement segments).
KEY_HOLDING_ROLES = ("end", "trusted_relay")

#: What made a QKD link's key: BB84 by a fast model, BB84 photon by photon, BBM92 over a repeater segment.
LINK_KINDS = ("bb84-fast", "bb84-photon", "bbm92-segment")


@dataclass(frozen=True)
class Segment:
    """An entanglement segment between key-holding nodes ``a`` and ``b`` (``a < b``) through repeaters.

    Attributes:
        a: first end (sorted by name); BBM92's "Alice", the entanglement request's initiator.
        b: second end.
        path: the nodes from ``a`` to ``b``, repeaters only in between.
        length_km: total fibre length of the path.
    """

    a: str
    b: str
    path: tuple[str, ...]
    length_km: float

    @property
    def name(self) -> str:
        """The key link's name ``a~b``."""
        return f"{self.a}~{self.b}"

    def uses_fibre(self, x: str, y: str) -> bool:
        """Whether fibre ``x``-``y`` lies on this segment's path."""
        return any({x, y} == {u, v} for u, v in itertools.pairwise(self.path))


@dataclass(frozen=True)
class HybridSplit:
    """One network seen by the QKD network and by the entanglement network.

    Attributes:
        qkd_spec: key-holding nodes; direct QKD fibres and one virtual link per segment.
        quantum_spec: repeaters and the key-holding nodes they touch, with every fibre
            that has a repeater at an end.
        segments: the entanglement segments, sorted by name.
    """

    qkd_spec: NetworkSpec
    quantum_spec: NetworkSpec
    segments: tuple[Segment, ...]

    def link_kind(self, link_name: str, bb84: str = "bb84-fast") -> str:
        """Kind of QKD link ``link_name``: ``bbm92-segment`` for a segment, else ``bb84`` (the link model's kind)."""
        return "bbm92-segment" if any(s.name == link_name for s in self.segments) else bb84

    def segments_of_fibre(self, x: str, y: str) -> list[Segment]:
        """The segments whose path runs over fibre ``x``-``y``."""
        return [segment for segment in self.segments if segment.uses_fibre(x, y)]


def is_hybrid(spec: NetworkSpec) -> bool:
    """Whether a QKD network on ``spec`` is hybrid: some node is a repeater."""
    return any(node.role == "repeater" for node in spec.nodes)


def split_network(spec: NetworkSpec, metric: str = "shortest") -> HybridSplit:
    """Split ``spec`` into its QKD and entanglement views (see the module docstring).

    Args:
        spec: the whole network.
        metric: the entanglement network's routing metric (:mod:`qtn.routing`);
            a segment runs along the route that network takes between its ends.

    Raises:
        ConfigError: a segment's route leaves its island through a key-holding
            node (which does not swap), or a pair of key-holding nodes would be
            joined by two key links (a direct fibre and a segment, or two
            segments); the message names the nodes.
    """
    roles = {node.name: node.role for node in spec.nodes}
    repeaters = {name for name, role in roles.items() if role == "repeater"}
    direct = [link for link in spec.links if link.a not in repeaters and link.b not in repeaters]
    quantum = [link for link in spec.links if link.a in repeaters or link.b in repeaters]
    quantum_names = sorted({n for link in quantum for n in (link.a, link.b)} | repeaters)
    quantum_spec = NetworkSpec(tuple(n for n in spec.nodes if n.name in quantum_names), tuple(quantum))
    segments = _segments(spec, quantum_spec, repeaters, metric)
    joined = {frozenset((link.a, link.b)): f"the direct fibre {link.a}-{link.b}" for link in direct}
    for segment in segments:
        ends = frozenset((segment.a, segment.b))
        if ends in joined:
            raise ConfigError(
                f"network: key-holding nodes {segment.a} and {segment.b} would be joined by two key links,"
                f" {joined[ends]} and the repeater segment {'-'.join(segment.path)}; give one of them up"
            )
        joined[ends] = f"the repeater segment {'-'.join(segment.path)}"
    by_name = {link.name: link for link in spec.links}
    virtual = tuple(
        LinkSpec(segment.a, segment.b, segment.length_km, by_name[_fibre_name(*segment.path[:2])].hardware)
        for segment in segments
    )
    qkd_spec = NetworkSpec(tuple(n for n in spec.nodes if n.name not in repeaters), tuple(direct) + virtual)
    return HybridSplit(qkd_spec, quantum_spec, segments)


def _fibre_name(x: str, y: str) -> str:
    return "~".join(sorted((x, y)))


def _segments(spec: NetworkSpec, quantum_spec: NetworkSpec, repeaters: set[str], metric: str) -> tuple[Segment, ...]:
    graph = spec.graph()
    islands = nx.connected_components(graph.subgraph(repeaters))
    segments = []
    routes = None  # found per border pair, only if an island has two border nodes
    island_of: dict[tuple[str, str], str] = {}
    for island in sorted(islands, key=min):
        border = sorted({peer for node in island for peer in graph[node] if peer not in repeaters})
        members = ", ".join(sorted(island))
        for a, b in itertools.combinations(border, 2):
            if (a, b) in island_of:
                raise ConfigError(
                    f"network: key-holding nodes {a} and {b} border two repeater islands ({island_of[a, b]}; "
                    f"{members}) and would be joined by two key links; join the islands or give one up"
                )
            island_of[a, b] = members
            if routes is None:
                routes = Routes(quantum_spec, metric)
            path = routes.route(a, b)
            if path is None:
                continue  # no usable fibre path (a link that can never succeed)
            outside = [node for node in path[1:-1] if node not in repeaters]
            if outside:
                raise ConfigError(
                    f"network: the entanglement route between {a} and {b} is {'-'.join(path)}, through"
                    f" {', '.join(outside)}, which {'is' if len(outside) == 1 else 'are'} not a repeater; only"
                    f" repeaters swap. Make the path through the island between them the shorter way or give"
                    f" the node the role 'repeater'"
                )
            length_km = sum(graph.edges[u, v]["length_km"] for u, v in itertools.pairwise(path))
            segments.append(Segment(a, b, tuple(path), float(length_km)))
    return tuple(sorted(segments, key=lambda segment: segment.name))
