"""Time-slotted key-pool assembly plans: Dijkstra paths and First-Fit slots (key as a service).

Seed document 000, section 3.3 (KaaS, its reference [29]): every wavelength
channel of a QKD link is divided in time; a slot of duration ``t`` is the time a
link needs to produce ``N`` secret bits for one key-pool (KP) assembly, and the
assembly of all KPs repeats with period ``T > t``. The KP request between nodes
``s`` and ``d`` is routed on the shortest QKD path (Dijkstra), whose number of
hops ``n_h`` sets how many link slots it needs, and the slots are chosen by the
First-Fit (FF) algorithm.

Our model of the slots (the section leaves it open, we state it here):

* A period holds ``n_slots = floor(T / t)`` slots, slot ``j`` spanning
  ``[j t, (j + 1) t)`` from the period's start.
* Each link serves at most one KP assembly per slot.
* An assembly over a path of ``n_h`` hops occupies the *same* slot index on all
  ``n_h`` links of its path (slot continuity, as wavelength continuity in
  routing and wavelength assignment): all hops generate their ``N`` bits in that
  slot and the key is relayed end to end within it. It uses ``n_h`` link slots.
* First-Fit: requests are handled in the given order; each gets the lowest slot
  index that is free on every link of its path. A request finding no such slot
  in the period is blocked for that period.

Everything here is a pure function of graphs and numbers; :mod:`qkdn.kaas` runs
the plans on the timeline.
"""

import itertools
import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import networkx as nx

from qnetsim.core.errors import ConfigError

Path = tuple[str, ...]


@dataclass(frozen=True)
class SlotGrid:
    """The period ``T`` and slot duration ``t`` of KP assembly.

    Attributes:
        period_s: T, the period of KP assembly, in seconds.
        slot_s: t, the duration of one slot, in seconds (0 < t < T).
    """

    period_s: float
    slot_s: float

    def __post_init__(self) -> None:
        if not self.period_s > 0:
            raise ConfigError(f"kaas.period_s: must be > 0; got {self.period_s!r}")
        if not 0 < self.slot_s < self.period_s:
            raise ConfigError(f"kaas.slot_s: must be > 0 and < period_s ({self.period_s}); got {self.slot_s!r}")

    @property
    def n_slots(self) -> int:
        """Whole slots in one period (the tolerance keeps e.g. 0.3 / 0.1 at 3)."""
        return int(math.floor(self.period_s / self.slot_s + 1e-9))

    def slot_window_s(self, period_start_s: float, slot: int) -> tuple[float, float]:
        """Start and end times (s) of slot ``slot`` of the period starting at ``period_start_s``."""
        if not 0 <= slot < self.n_slots:
            raise ConfigError(f"slot: must be in [0, {self.n_slots}); got {slot!r}")
        start = period_start_s + slot * self.slot_s
        return start, start + self.slot_s


@dataclass(frozen=True)
class SlotAssignment:
    """First-Fit's answer for one KP assembly request.

    Attributes:
        src: the KP's first node (the relay's source).
        dst: the KP's second node.
        path: the Dijkstra path from ``src`` to ``dst`` (empty if there is none).
        slot: the slot index used on every link of the path, or None if blocked.
        reason: why the request is blocked ("" if assigned).
    """

    src: str
    dst: str
    path: Path
    slot: int | None
    reason: str = ""

    @property
    def n_hops(self) -> int:
        """n_h, links on the path (0 if there is no path)."""
        return max(len(self.path) - 1, 0)

    @property
    def assigned(self) -> bool:
        """Whether the request got a slot."""
        return self.slot is not None


def kp_pairs(nodes: Iterable[str]) -> list[tuple[str, str]]:
    """Every unordered node pair, each once as ``(first, second)`` in name order: n(n-1)/2 pairs."""
    return list(itertools.combinations(sorted(set(nodes)), 2))


def link_key(u: str, v: str) -> frozenset[str]:
    """The undirected name of link ``u``-``v``."""
    return frozenset((u, v))


def dijkstra_paths(
    graph: nx.Graph, pairs: Sequence[tuple[str, str]], weight: str | None = "length_km"
) -> list[Path | None]:
    """The Dijkstra shortest path for each pair (None where the pair is not connected).

    Args:
        graph: the QKD links usable now (failed links and banned relays already removed).
        pairs: ``(src, dst)`` node pairs.
        weight: edge attribute to minimise (``length_km``: fibre length); None counts hops.

    Returns:
        One path per pair, as node tuples from ``src`` to ``dst``.
    """
    paths: list[Path | None] = []
    for src, dst in pairs:
        try:
            paths.append(tuple(nx.dijkstra_path(graph, src, dst, weight=weight)))
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            paths.append(None)
    return paths


def first_fit_slots(
    requests: Sequence[tuple[str, str, Sequence[str] | None]],
    n_slots: int,
    occupied: dict[Hashable, set[int]] | None = None,
) -> list[SlotAssignment]:
    """Assign slots to KP assembly requests by First-Fit (same slot on every link of a path).

    Args:
        requests: ``(src, dst, path)`` in the order to serve them; ``path`` None if unroutable.
        n_slots: slots per period.
        occupied: slots already taken per link (``link_key(u, v) -> {slot, ...}``); updated in place.

    Returns:
        One :class:`SlotAssignment` per request, in order.
    """
    if n_slots < 1:
        raise ConfigError(f"n_slots: must be >= 1; got {n_slots!r}")
    taken: dict[Hashable, set[int]] = occupied if occupied is not None else {}
    assignments = []
    for src, dst, path in requests:
        if path is None:
            assignments.append(SlotAssignment(src, dst, (), None, f"no path of working links from {src} to {dst}"))
            continue
        links = [link_key(u, v) for u, v in itertools.pairwise(path)]
        busy = set().union(*(taken.get(link, set()) for link in links))
        slot = next((j for j in range(n_slots) if j not in busy), None)
        if slot is None:
            assignments.append(
                SlotAssignment(
                    src, dst, tuple(path), None, f"no slot free on all {len(links)} links of the path in this period"
                )
            )
            continue
        for link in links:
            taken.setdefault(link, set()).add(slot)
        assignments.append(SlotAssignment(src, dst, tuple(path), slot))
    return assignments
