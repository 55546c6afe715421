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
  number of hops; absent paths are zero;
* ``path_key_aware_cost``: each candidate's key-aware routing cost (the sum of
  :func:`qkdn.route_search.key_aware_cost` over its links, shortfall penalty the
  number of nodes, as :func:`qkdn.routing.key_aware` charges) over the number of nodes;
* ``path_is_key_aware``: 1 for the path key-aware routing would take;
* ``path_short_links``: how many of its links hold less key than the request;
* ``path_hops_before_short``: hops before its first such link (the link key a
  relay spends before it waits there, lost if the deadline passes; 0 if none);
* ``path_refill_s``: the longest time one of its short links needs, at its
  provisioned key rate (``key_rate_bps``), to make up its shortfall (0 if none;
  :data:`MAX_REFILL_S` for a link without a known rate).

The candidates come from Yen's algorithm as networkx implements it
(``shortest_simple_paths``; J. Y. Yen, Management Science 17(11), 712 (1971)),
cached per end points and set of failed links. When the path key-aware routing
takes (:func:`qkdn.route_search.cheapest_path`) is not one of them, it replaces
the last, so a policy can always make key-aware routing's choice.
"""

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from qkdn.route_search import cheapest_path, key_aware_cost

__all__ = ["ObservationBuilder", "store_capacity_bits"]

#: Largest ``k`` (candidate paths per request) an observation may carry: Yen's algorithm costs grow with it.
MAX_CANDIDATE_PATHS = 32
#: Refill time reported for a short link whose key rate is unknown or zero (s).
MAX_REFILL_S = 1e6
_PATH_ARRAYS = (
    "path_key_aware_cost",
    "path_is_key_aware",
    "path_short_links",
    "path_hops_before_short",
    "path_refill_s",
)


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
        paths = self._with_key_aware_path(graph, src, dst, n_bits)
        valid = np.zeros(self.k, dtype=np.int8)
        bottleneck = np.zeros(self.k, dtype=np.float32)
        hops = np.zeros(self.k, dtype=np.float32)
        extra = {name: np.zeros(self.k, dtype=np.float32) for name in _PATH_ARRAYS}
        n_nodes = float(graph.number_of_nodes())
        for i, (path, is_key_aware) in enumerate(paths):
            edges = [graph.edges[u, v] for u, v in itertools.pairwise(path)]
            residuals = [float(data.get("residual_bits", 0.0)) for data in edges]
            valid[i] = 1
            bottleneck[i] = min(max(min(residuals), 0.0) / capacity, 1.0)
            hops[i] = len(path) - 1
            short = [j for j, residual in enumerate(residuals) if residual < n_bits]
            refill = 0.0
            for j in short:
                rate = float(edges[j].get("key_rate_bps", 0.0))
                need = n_bits - max(residuals[j], 0.0)
                refill = max(refill, min(need / rate, MAX_REFILL_S) if rate > 0 else MAX_REFILL_S)
            extra["path_key_aware_cost"][i] = sum(key_aware_cost(data, n_bits, n_nodes) for data in edges) / n_nodes
            extra["path_is_key_aware"][i] = 1.0 if is_key_aware else 0.0
            extra["path_short_links"][i] = len(short)
            extra["path_hops_before_short"][i] = short[0] if short else 0
            extra["path_refill_s"][i] = refill
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
            **extra,
        }
        return observation, [path for path, _ in paths]

    def _with_key_aware_path(self, graph: nx.Graph, src: str, dst: str, n_bits: int) -> list[tuple[list[str], bool]]:
        """The candidates, each with whether key-aware routing takes it (its path replacing the last if absent)."""
        candidates = list(self.candidate_paths(graph, src, dst))
        if not candidates:
            return []
        try:
            chosen = cheapest_path(graph, src, dst, n_bits, float(graph.number_of_nodes()), self.no_relay - {src, dst})
        except nx.NetworkXNoPath:  # pragma: no cover - a candidate exists, so a path does
            return [(path, False) for path in candidates]
        if chosen not in candidates:
            if len(candidates) < self.k:
                candidates.append(chosen)
            else:
                candidates[-1] = chosen
        return [(path, path == chosen) for path in candidates]

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
            **{name: np.zeros(self.k, dtype=np.float32) for name in _PATH_ARRAYS},
        }
