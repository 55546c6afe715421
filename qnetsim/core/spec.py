"""Description of a network to build: nodes, links and their hardware.

A :class:`NetworkSpec` is what the scenario layer hands down to ``qtn`` (and
``qkdn``) once templates are resolved and topology generators have run: every
node and link with concrete hardware and lengths. It is pure data with a
:mod:`networkx` view for routing.
"""

import functools
from dataclasses import dataclass
from typing import Literal

import networkx as nx

from qnetsim.core.hardware import LinkHardwareConfig, NodeHardwareConfig
from qnetsim.core.roles import NodeRole


@dataclass(frozen=True)
class NodeSpec:
    """One node: its unique name, its role (see :mod:`qnetsim.core.roles`) and its hardware."""

    name: str
    role: NodeRole
    hardware: NodeHardwareConfig


@dataclass(frozen=True)
class LinkSpec:
    """One undirected link between nodes ``a`` and ``b`` of ``length_km`` fibre."""

    a: str
    b: str
    length_km: float
    hardware: LinkHardwareConfig

    @property
    def name(self) -> str:
        """Stable link name ``a~b`` with the two ends in sorted order."""
        first, second = sorted((self.a, self.b))
        return f"{first}~{second}"


@dataclass(frozen=True)
class NetworkSpec:
    """A whole network: nodes and links with concrete hardware."""

    nodes: tuple[NodeSpec, ...]
    links: tuple[LinkSpec, ...]

    def node(self, name: str) -> NodeSpec:
        """The node called ``name`` (KeyError if absent)."""
        return self._node_by_name[name]

    @functools.cached_property
    def _node_by_name(self) -> dict[str, NodeSpec]:
        """Nodes by name, built on first use (a scan per look-up made per-link work quadratic)."""
        return {node.name: node for node in self.nodes}

    def graph(self) -> nx.Graph:
        """Undirected graph with ``length_km`` edge weights and ``role`` node attributes."""
        graph = nx.Graph()
        for node in self.nodes:
            graph.add_node(node.name, role=node.role)
        for link in self.links:
            graph.add_edge(link.a, link.b, length_km=link.length_km, name=link.name)
        return graph


LinkMode = Literal["hardware", "fast", "network"]
SwappingOrder = Literal["nested", "sequential"]
PurificationProtocolName = Literal["bbpssw", "dejmps"]
RoutingMetric = Literal["shortest", "fewest_hops", "highest_rate"]


@dataclass(frozen=True)
class QTNOptions:
    """How the entanglement network runs (network-wide protocol choices).

    Attributes:
        link_mode: ``hardware`` simulates every generation attempt photon by
            photon; ``fast`` samples the number of failed attempts per success
            from the same hardware (see :mod:`qtn.sequence_backed.protocols`);
            ``network`` is the network-scale engine (:mod:`qtn.netscale`).
        swapping_order: ``nested`` (SeQUeNCe's doubling schedule: pairs of
            neighbouring segments are joined level by level) or ``sequential``
            (every repeater joins its pair with the initiator to its pair with
            the next node, left to right).
        purification: ``bbpssw`` (Bennett et al. 1996) or ``dejmps``
            (Deutsch et al. 1996), used whenever a pair is below the target.
        purification_rounds: at most this many purification rounds per pair
            (``None``: as many as it takes to reach the target fidelity).
        cutoff_s: stored pairs older than this are discarded; ``None`` uses the
            memory coherence time (SeQUeNCe's default).
        routing: path metric: fibre length, number of hops, or expected link
            generation time (``highest_rate``).
    """

    link_mode: LinkMode = "hardware"
    swapping_order: SwappingOrder = "nested"
    purification: PurificationProtocolName = "bbpssw"
    purification_rounds: int | None = None
    cutoff_s: float | None = None
    routing: RoutingMetric = "shortest"
