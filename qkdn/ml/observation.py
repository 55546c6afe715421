"""What a key-routing decision sees: the candidate paths of a key request and the network's key levels.

One builder serves both sides of the learning loop, so an agent trained in the
Gymnasium environment (:mod:`scenarios.ml.env`) sees exactly what the learned
policy sees when a scenario runs it (:mod:`qkdn.ml.policy`):

* ``pool_levels``: each link's residual key as the controller knows it (the
  smaller of the two directions' reported levels), over the capacity of one
  direction's store, in [0, 1]; links in the network's link order;
* ``links_up``: 1 for a working link, 0 for a failed one;
* ``source``, ``destination``: the request's end points (node indices);
* ``request_bits``: the key size over one direction's store capacity, in [0, 1];
* ``time_to_deadline_s``: seconds left before the request's deadline;
* ``path_valid``, ``path_bottleneck``, ``path_hops``: for each of the ``k``
  candidate paths (the ``k`` shortest simple paths by hop count, ties by fibre
  length, over working links and relays allowed to relay), whether it exists,
  the smallest residual key on it (normalised like ``pool_levels``) and its
  number of hops; absent paths are zero.

The candidates come from Yen's algorithm as networkx implements it
(``shortest_simple_paths``; J. Y. Yen, Management Science 17(11), 712 (1971)),
cached per end points and set of failed links.
"""

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

__all__ = ["ObservationBuilder", "store_capacity_bits"]

#: Largest ``k`` (candidate paths per request) an observation may carry: Yen's algorithm costs grow with it.
MAX_CANDIDATE_PATHS = 32


def store_capacity_bits(pool_capacity_bits: int, direction_share: float) -> int:
    """Capacity of the smaller of a link's two direction stores (the normaliser of key levels).

    >>> store_capacity_bits(2_000_000, 0.5)
    1000000
    """
    first = int(pool_capacity_bits * direction_share)
    return max(1, min(first, pool_capacity_bits - first))


def _hops_then_length(u: str, v: str, data: dict[str, Any]) -> float:
    return 1.0 + 1e-6 * float(data.get("length_km", 0.0))


@dataclass
class ObservationBuilder:
    """Builds the observation of one key request from the controller's view of the network.

    Attributes:
        nodes: node names in index order (``source`` and ``destination`` are indices into it).
        links: links ``(a, b)`` in the order of ``pool_levels`` and ``links_up``.
        k: number of candidate paths.
        capacity_bits: the normaliser of key levels (:func:`store_capacity_bits`).
        no_relay: nodes never inside a path (they may still be its ends).
    """

    nodes: tuple[str, ...]
    links: tuple[tuple[str, str], ...]
    k: int
    capacity_bits: int
    no_relay: frozenset[str] = frozenset()
    _index: dict[str, int] = field(init=False, repr=False)
    _paths: dict[tuple[str, str, frozenset[frozenset[str]]], list[list[str]]] = field(
        init=False, repr=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        if not 1 <= self.k <= MAX_CANDIDATE_PATHS:
            raise ValueError(f"k: must be between 1 and {MAX_CANDIDATE_PATHS}; got {self.k}")
        self._index = {name: i for i, name in enumerate(self.nodes)}

    @classmethod
    def for_graph(
        cls, graph: nx.Graph, k: int, capacity_bits: int, no_relay: Iterable[str] = ()
    ) -> "ObservationBuilder":
        """The builder for ``graph``'s nodes and links, in the graph's order."""
        return cls(tuple(graph.nodes), tuple(graph.edges), k, capacity_bits, frozenset(no_relay))

    def candidate_paths(self, graph: nx.Graph, src: str, dst: str) -> list[list[str]]:
        """Up to ``k`` shortest simple paths from ``src`` to ``dst`` over working links and allowed relays."""
        down = frozenset(frozenset((u, v)) for u, v, data in graph.edges(data=True) if not data.get("up", True))
        key = (src, dst, down)
        cached = self._paths.get(key)
        if cached is None:
            banned = self.no_relay - {src, dst}
            usable = nx.subgraph_view(
                graph,
                filter_node=lambda n: n not in banned,
                filter_edge=lambda u, v: frozenset((u, v)) not in down,
            )
            try:
                cached = list(
                    itertools.islice(nx.shortest_simple_paths(usable, src, dst, weight=_hops_then_length), self.k)
                )
            except (nx.NetworkXNoPath, nx.NodeNotFound):
                cached = []
            self._paths[key] = cached
        return cached

    def observe(
        self, graph: nx.Graph, src: str, dst: str, n_bits: int, time_to_deadline_s: float
    ) -> tuple[dict[str, Any], list[list[str]]]:
        """The observation of a request for ``n_bits`` from ``src`` to ``dst``, and its candidate paths."""
        capacity = float(self.capacity_bits)
        levels = np.zeros(len(self.links), dtype=np.float32)
        up = np.zeros(len(self.links), dtype=np.int8)
        for i, (a, b) in enumerate(self.links):
            data = graph.edges[a, b]
            levels[i] = min(max(float(data.get("residual_bits", 0.0)), 0.0) / capacity, 1.0)
            up[i] = 1 if data.get("up", True) else 0
        paths = self.candidate_paths(graph, src, dst)
        valid = np.zeros(self.k, dtype=np.int8)
        bottleneck = np.zeros(self.k, dtype=np.float32)
        hops = np.zeros(self.k, dtype=np.float32)
        for i, path in enumerate(paths):
            residual = min(float(graph.edges[u, v].get("residual_bits", 0.0)) for u, v in itertools.pairwise(path))
            valid[i] = 1
            bottleneck[i] = min(max(residual, 0.0) / capacity, 1.0)
            hops[i] = len(path) - 1
        observation = {
            "pool_levels": levels,
            "links_up": up,
            "source": self._index[src],
            "destination": self._index[dst],
            "request_bits": np.array([min(n_bits / capacity, 1.0)], dtype=np.float32),
            "time_to_deadline_s": np.array([max(time_to_deadline_s, 0.0)], dtype=np.float32),
            "path_valid": valid,
            "path_bottleneck": bottleneck,
            "path_hops": hops,
        }
        return observation, paths

    def empty(self) -> dict[str, Any]:
        """An observation with no request and no candidate path (what an ended episode shows)."""
        return {
            "pool_levels": np.zeros(len(self.links), dtype=np.float32),
            "links_up": np.ones(len(self.links), dtype=np.int8),
            "source": 0,
            "destination": 0,
            "request_bits": np.zeros(1, dtype=np.float32),
            "time_to_deadline_s": np.zeros(1, dtype=np.float32),
            "path_valid": np.zeros(self.k, dtype=np.int8),
            "path_bottleneck": np.zeros(self.k, dtype=np.float32),
            "path_hops": np.zeros(self.k, dtype=np.float32),
        }
