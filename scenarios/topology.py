"""Topology generators: chain, ring, star, grid, Waxman random graph and explicit edge lists.

Each generator is a pure function of its config (and, for Waxman, a seed) that
returns a :class:`Topology`: named nodes with roles and links with lengths. The
graphs themselves come from :mod:`networkx`; this module only names nodes,
assigns roles and lengths, and keeps random graphs connected.
"""

import math
from dataclasses import dataclass
from functools import singledispatch

import networkx as nx

from qnetsim.core.randomness import derive_seed
from scenarios.schema import (
    ChainGenerator,
    EdgesGenerator,
    GridGenerator,
    RingGenerator,
    StarGenerator,
    WaxmanGenerator,
)


@dataclass(frozen=True)
class Topology:
    """Generated nodes ``(name, role)`` and links ``(a, b, length_km)``."""

    nodes: tuple[tuple[str, str], ...]
    links: tuple[tuple[str, str, float], ...]

    def graph(self) -> nx.Graph:
        """The topology as a networkx graph with ``length_km`` edge weights."""
        graph = nx.Graph()
        graph.add_nodes_from(name for name, _ in self.nodes)
        graph.add_weighted_edges_from(self.links, weight="length_km")
        return graph


@singledispatch
def generate(config: object, seed: int = 0) -> Topology:
    """Build the topology described by a generator config."""
    raise TypeError(f"no topology generator for {type(config).__name__}")


@generate.register
def _chain(config: ChainGenerator, seed: int = 0) -> Topology:
    n = config.n_nodes
    nodes = tuple((f"n{i}", "end" if i in (0, n - 1) else config.interior_role) for i in range(n))
    links = tuple((f"n{i}", f"n{i + 1}", config.length_km) for i in range(n - 1))
    return Topology(nodes, links)


@generate.register
def _ring(config: RingGenerator, seed: int = 0) -> Topology:
    graph = nx.cycle_graph(config.n_nodes)
    nodes = tuple((f"n{i}", config.role) for i in graph.nodes)
    links = tuple((f"n{u}", f"n{v}", config.length_km) for u, v in graph.edges)
    return Topology(nodes, links)


@generate.register
def _star(config: StarGenerator, seed: int = 0) -> Topology:
    graph = nx.star_graph(config.n_leaves)  # node 0 is the hub

    def name(i: int) -> str:
        return "hub" if i == 0 else f"n{i}"

    nodes = tuple((name(i), config.hub_role if i == 0 else config.leaf_role) for i in graph.nodes)
    links = tuple((name(u), name(v), config.length_km) for u, v in graph.edges)
    return Topology(nodes, links)


@generate.register
def _grid(config: GridGenerator, seed: int = 0) -> Topology:
    graph = nx.grid_2d_graph(config.rows, config.cols)

    def name(cell: tuple[int, int]) -> str:
        return f"n{cell[0]}_{cell[1]}"

    nodes = tuple((name(cell), config.role) for cell in sorted(graph.nodes))
    links = tuple((name(u), name(v), config.length_km) for u, v in sorted(graph.edges))
    return Topology(nodes, links)


@generate.register
def _waxman(config: WaxmanGenerator, seed: int = 0) -> Topology:
    graph_seed = config.topology_seed if config.topology_seed is not None else derive_seed(seed, "topology")
    side = config.domain_km
    graph = nx.waxman_graph(
        config.n_nodes,
        beta=config.beta,
        alpha=config.alpha,
        domain=(0.0, 0.0, side, side),
        seed=graph_seed % (2**32),
    )
    positions = nx.get_node_attributes(graph, "pos")
    _connect_components(graph, positions)

    def length_km(u: int, v: int) -> float:
        # Co-located nodes still need a positive fibre length.
        return max(math.dist(positions[u], positions[v]), 1e-3)

    nodes = tuple((f"n{i}", config.role) for i in sorted(graph.nodes))
    links = tuple((f"n{u}", f"n{v}", length_km(u, v)) for u, v in sorted(graph.edges))
    return Topology(nodes, links)


def _connect_components(graph: nx.Graph, positions: dict[int, tuple[float, float]]) -> None:
    """Join components by the closest node pair between the largest and each other one."""
    while nx.number_connected_components(graph) > 1:
        components = sorted(nx.connected_components(graph), key=lambda c: (-len(c), min(c)))
        main, other = components[0], components[1]
        u, v = min(
            ((a, b) for a in sorted(main) for b in sorted(other)),
            key=lambda pair: math.dist(positions[pair[0]], positions[pair[1]]),
        )
        graph.add_edge(u, v)


@generate.register
def _edges(config: EdgesGenerator, seed: int = 0) -> Topology:
    names = dict.fromkeys(name for a, b, _ in config.edges for name in (a, b))  # first-seen order
    nodes = tuple((name, config.role) for name in names)
    links = tuple((a, b, float(length)) for a, b, length in config.edges)
    return Topology(nodes, links)
