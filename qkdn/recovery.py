"""Secret-key re-allocation after a link failure: One-Path, Multi-Path and Time-Window methods.

Pure functions of a graph view (links that are up, with the key each
direction holds) and a service's key demand K_d per supply period. Seed
document 000, section 4 (after Wang et al.'s SKRS):

* One-Path Method (OPM): compute candidate paths P between the affected
  service's ends; for each p the provisioning capability K_low(p) is the key
  its tightest hop holds (in the direction of use); keep the paths with
  K_low >= K_d, sort them by decreasing K_low and take the first.
* Multi-Path Method (MPM): if no single path qualifies but the paths together
  can supply K_d, use several: greedily take the path with the largest
  remaining K_low, assign it min(K_low, what is still needed), and deduct that
  from every link it uses (so paths sharing a link never count its key twice)
  until K_d is covered.
* Time-Window Method (TWM): if neither works now, retry OPM then MPM while the
  time window lasts, since key volumes change over time (the caller schedules
  the retries).

Wavelength assignment, which the source also considers, has no counterpart
here: classical channels are not a scarce resource in this model.
"""

import itertools
from dataclasses import dataclass

import networkx as nx

Path = list[str]


@dataclass(frozen=True)
class Allocation:
    """Paths chosen for a demand: ``(path, bits)`` shares and the method that found them."""

    method: str
    shares: tuple[tuple[tuple[str, ...], int], ...]


def path_capability_bits(levels: dict[tuple[str, str], int], path: Path) -> int:
    """K_low: the key held by the path's tightest hop, in the direction of use (u -> v)."""
    return min(levels.get((u, v), 0) for u, v in itertools.pairwise(path))


def candidate_paths(graph: nx.Graph, src: str, dst: str, k: int) -> list[Path]:
    """Up to ``k`` shortest simple paths (by hops) over links that are up."""
    usable = nx.subgraph_view(graph, filter_edge=lambda u, v: bool(graph.edges[u, v].get("up", True)))
    if src not in usable or dst not in usable or not nx.has_path(usable, src, dst):
        return []
    return list(itertools.islice(nx.shortest_simple_paths(usable, src, dst), k))


def one_path(levels: dict[tuple[str, str], int], paths: list[Path], demand_bits: int) -> Allocation | None:
    """OPM: the qualified path (K_low >= K_d) with the largest K_low, or None."""
    qualified = [p for p in paths if path_capability_bits(levels, p) >= demand_bits]
    if not qualified:
        return None
    best = max(qualified, key=lambda p: (path_capability_bits(levels, p), -len(p)))
    return Allocation("OPM", ((tuple(best), demand_bits),))


def multi_path(levels: dict[tuple[str, str], int], paths: list[Path], demand_bits: int) -> Allocation | None:
    """MPM: several paths whose combined, non-overlapping capability covers K_d, or None."""
    remaining = dict(levels)
    needed = demand_bits
    shares: list[tuple[tuple[str, ...], int]] = []
    pool = list(paths)
    while needed > 0 and pool:
        best = max(pool, key=lambda p: path_capability_bits(remaining, p))
        capability = path_capability_bits(remaining, best)
        if capability <= 0:
            break
        bits = min(capability, needed)
        shares.append((tuple(best), bits))
        for u, v in itertools.pairwise(best):
            remaining[(u, v)] = remaining.get((u, v), 0) - bits
        needed -= bits
        pool.remove(best)
    if needed > 0 or len(shares) < 2:
        return None
    return Allocation("MPM", tuple(shares))


def reallocate(
    graph: nx.Graph, levels: dict[tuple[str, str], int], src: str, dst: str, demand_bits: int, k: int = 5
) -> Allocation | None:
    """OPM, then MPM, for one affected service now; None means: retry later (TWM)."""
    paths = candidate_paths(graph, src, dst, k)
    if not paths:
        return None
    return one_path(levels, paths, demand_bits) or multi_path(levels, paths, demand_bits)
