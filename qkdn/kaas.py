"""Key as a service (KaaS): periodic, time-slotted key-pool assembly and virtual key pools for services.

Seed document 000, sections 3.3 and 3.4 (KaaS after its reference [29], QKPs
after [30]). Every unordered node pair (s, d) of the QKD network has a key pool
KP(s, d) (:mod:`qkdn.pair_pool`), n(n-1)/2 of them. Every period T, at the
period's start, the controller plans the period's assemblies
(:mod:`qkdn.slots`): each KP request KP(s, d, N) gets its Dijkstra path over the
links that are up (untrusted nodes are never relays) and a First-Fit slot, the
same slot index on every link of the path; requests with no free slot, or no
path, are blocked for that period. At the start of its slot an assembly relays
a fresh key of N bits from s to d along the path (:meth:`QKDNetwork.relay_key`:
OTP hop by hop over the classical channels), with the slot's end as deadline.
When the key arrives, s and d each put their copy into the KP, which therefore
holds identical bits at both ends, and every link of the path has given N bits
(the ``s``-side direction of each hop) at both of its ends: N x n_h link bits.

Choices where the section is open:

* Adjacent pairs are assembled by a one-hop relay too (N link bits for N KP
  bits, the same cost as moving the link key itself, and the same code path).
* The links' pools are filled continuously by their key generators; the slots
  decide when each link's key is spent on a KP. A link that has not N bits for
  the assembly by the slot's end makes it fail ("deadline passed ..."); the
  paper's slot t is meant to be long enough for a link to produce N bits
  (:meth:`KeyAsAService.slow_links` lists the links for which it is not).
* A KP whose copies have no room for N more bits is not assembled that period
  (its slot stays reserved); KP key accumulates across periods up to the
  capacity, so assembly compensates the services' consumption.
* The plan is made from the network's own view of the links at the period's
  start (the controller's planning messages to the nodes are not modelled);
  the relays themselves are real messages on the classical channels.
* Only whole periods inside ``[start_s, stop_s]`` run, so every planned assembly
  ends within the run and gets its row.
* VKP requests, releases and refreshes follow :mod:`qkdn.pair_pool`; a VKP
  request is answered at its time from the KP's current key (blocked if too
  little), and refreshed when its KP is assembled again.

Tables (lists of dicts; the columns are stable):

``kp_assembly``, one row per KP per period: ``t_s`` (period start, s),
``period`` (index), ``src``, ``dst``, ``path`` ("a-b-c", "" if none),
``n_hops``, ``slot`` (index, -1 if blocked), ``slot_start_s`` (nan if
blocked), ``end_s`` (when the assembly ended, nan if blocked), ``assembled``
(bool), ``bits`` (bits added to the KP), ``key_consumed_bits`` (link bits
consumed, counted once per hop), ``kp_level_bits`` (KP bits after it),
``reason`` ("" if assembled).

``vkp``, one row per VKP request or refresh: ``t_s`` (s), ``event``
("request" or "refresh"), ``service``, ``src``, ``dst``, ``bits_requested``
(K_V), ``bits_allocated``, ``bits_destroyed`` (unused bits of the previous
allocation destroyed), ``served`` (bool), ``reason``.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qkdn.network import QKDNetwork
from qkdn.pair_pool import Allocation, PairKeyPool, VirtualKeyPool
from qkdn.relay import RelayOutcome, RelaySession
from qkdn.routing import usable_graph
from qkdn.slots import SlotAssignment, SlotGrid, dijkstra_paths, first_fit_slots, kp_pairs
from qnetsim.core.errors import ConfigError, SimulationError
from qtn.sequence_backed import adapter


@dataclass(frozen=True)
class KaaSSettings:
    """How key pools are assembled.

    Attributes:
        period_s: T, period of KP assembly.
        slot_s: t, slot duration (0 < t < T).
        n_bits_per_slot: N, secret bits one assembly adds to a KP.
        kp_capacity_bits: each KP copy holds at most this many bits.
        path_weight: edge attribute Dijkstra minimises (``length_km``); None counts hops.
        priority: priority of assembly relays when they wait for link key.
    """

    period_s: float
    slot_s: float
    n_bits_per_slot: int
    kp_capacity_bits: int = 1_000_000
    path_weight: str | None = "length_km"
    priority: float = 0.0

    def __post_init__(self) -> None:
        SlotGrid(self.period_s, self.slot_s)  # 0 < t < T
        if self.n_bits_per_slot <= 0:
            raise ConfigError(f"kaas.n_bits_per_slot: must be > 0; got {self.n_bits_per_slot!r}")
        if self.kp_capacity_bits < self.n_bits_per_slot:
            raise ConfigError(
                f"kaas.kp_capacity_bits: must be >= n_bits_per_slot ({self.n_bits_per_slot}); "
                f"got {self.kp_capacity_bits!r}"
            )

    @property
    def grid(self) -> SlotGrid:
        """The period and its slots."""
        return SlotGrid(self.period_s, self.slot_s)


class KeyAsAService:
    """KP assembly and VKPs on top of a :class:`QKDNetwork` (one instance per network)."""

    def __init__(
        self, network: QKDNetwork, settings: KaaSSettings, pairs: Sequence[tuple[str, str]] | None = None
    ) -> None:
        self.network = network
        self.settings = settings
        self.grid = settings.grid
        nodes = set(network.graph.nodes)
        chosen = kp_pairs(nodes) if pairs is None else [tuple(sorted(pair)) for pair in pairs]
        for src, dst in chosen:
            if src not in nodes or dst not in nodes or src == dst:
                raise ConfigError(f"kaas.pairs: ({src!r}, {dst!r}) is not a pair of distinct network nodes")
        if len(set(chosen)) != len(chosen):
            raise ConfigError("kaas.pairs: a node pair is listed twice")
        self.pairs: list[tuple[str, str]] = [(a, b) for a, b in chosen]
        self.key_pools = {
            frozenset(pair): PairKeyPool(pair[0], pair[1], settings.kp_capacity_bits) for pair in self.pairs
        }
        self._vkp_pool: dict[str, PairKeyPool] = {}
        self.kp_assembly_records: list[dict[str, Any]] = []
        self.vkp_records: list[dict[str, Any]] = []

    # --- access -------------------------------------------------------------------------

    def kp_of(self, a: str, b: str) -> PairKeyPool:
        """KP(a, b) (KeyError if the pair has none)."""
        return self.key_pools[frozenset((a, b))]

    def vkp_of(self, service: str) -> VirtualKeyPool | None:
        """The service's VKP, or None if it holds none."""
        pool = self._vkp_pool.get(service)
        return pool.vkps[service] if pool is not None else None

    def take(self, service: str, n_bits: int) -> tuple[np.ndarray, np.ndarray]:
        """The service takes ``n_bits`` from its VKP: (bits at its src, bits at its dst)."""
        vkp = self.vkp_of(service)
        if vkp is None:
            raise SimulationError(f"service {service!r} holds no VKP")
        return vkp.take(n_bits)

    def slow_links(self) -> list[str]:
        """Fast links that cannot generate N bits (in their slot direction's share) within one slot t."""
        share = min(self.network.settings.direction_share, 1 - self.network.settings.direction_share)
        return sorted(
            name
            for name, link in self.network.fast_links.items()
            if link.point.key_rate_bps * share * self.grid.slot_s < self.settings.n_bits_per_slot
        )

    # --- KP assembly --------------------------------------------------------------------

    def start(self, start_s: float, stop_s: float) -> None:
        """Plan and run KP assembly for every whole period inside [start_s, stop_s]."""
        period, t = 0, start_s
        while t + self.grid.period_s <= stop_s + 1e-12:
            adapter.schedule_call(self.network.timeline, t, self._plan_period, period, t)
            period, t = period + 1, t + self.grid.period_s

    def plan(self) -> list[SlotAssignment]:
        """This moment's plan: Dijkstra paths on the working, trusted links, then First-Fit slots."""
        graph = self.network.graph.copy()
        for u, v in graph.edges:
            graph.edges[u, v]["up"] = self.network.link_is_up(u, v)
        untrusted = self.network.no_relay  # declared untrusted, ends and repeaters (qnetsim.core.roles)
        requests = []
        for src, dst in self.pairs:
            usable = usable_graph(graph, src, dst, untrusted)
            (path,) = dijkstra_paths(usable, [(src, dst)], self.settings.path_weight)
            requests.append((src, dst, path))
        return first_fit_slots(requests, self.grid.n_slots)

    def _plan_period(self, period: int, period_start_s: float) -> None:
        for assignment in self.plan():
            if assignment.slot is None:
                self._record_kp(period, period_start_s, assignment, float("nan"), False, 0, 0, assignment.reason)
                continue
            start_s, end_s = self.grid.slot_window_s(period_start_s, assignment.slot)
            adapter.schedule_call(
                self.network.timeline, start_s, self._assemble, period, period_start_s, assignment, end_s
            )

    def _assemble(self, period: int, period_start_s: float, assignment: SlotAssignment, end_s: float) -> None:
        kp = self.kp_of(assignment.src, assignment.dst)
        n_bits = self.settings.n_bits_per_slot
        if kp.free_bits < n_bits:
            reason = f"KP {kp.a}-{kp.b} has room for {kp.free_bits} bits, {n_bits} to add"
            self._record_kp(
                period, period_start_s, assignment, adapter.now_s(self.network.timeline), False, 0, 0, reason
            )
            return

        def done(session: RelaySession, outcome: RelayOutcome) -> None:
            self._assembled(period, period_start_s, assignment, outcome)

        session = self.network.relay_key(list(assignment.path), n_bits, end_s, done, self.settings.priority)
        # relay_key does not time out by itself: the slot's end stops an assembly still waiting for link key.
        adapter.schedule_call(self.network.timeline, end_s, session.expire)

    def _assembled(self, period: int, period_start_s: float, assignment: SlotAssignment, outcome: RelayOutcome) -> None:
        kp = self.kp_of(assignment.src, assignment.dst)
        bits = 0
        if outcome.served:
            assert outcome.source_key is not None and outcome.destination_key is not None
            kp.add_assembly({assignment.src: outcome.source_key, assignment.dst: outcome.destination_key})
            bits = len(outcome.source_key)
        self._record_kp(
            period,
            period_start_s,
            assignment,
            outcome.end_s,
            outcome.served,
            bits,
            outcome.key_consumed_bits,
            outcome.reason,
        )
        if outcome.served:
            for allocation in kp.refresh():
                self._record_vkp(outcome.end_s, "refresh", kp.vkps[allocation.service], allocation)

    def _record_kp(
        self,
        period: int,
        period_start_s: float,
        assignment: SlotAssignment,
        end_s: float,
        assembled: bool,
        bits: int,
        consumed_bits: int,
        reason: str,
    ) -> None:
        slot_start = float("nan") if assignment.slot is None else period_start_s + assignment.slot * self.grid.slot_s
        self.kp_assembly_records.append(
            {
                "t_s": period_start_s,
                "period": period,
                "src": assignment.src,
                "dst": assignment.dst,
                "path": "-".join(assignment.path),
                "n_hops": assignment.n_hops,
                "slot": -1 if assignment.slot is None else assignment.slot,
                "slot_start_s": slot_start,
                "end_s": end_s,
                "assembled": assembled,
                "bits": bits,
                "key_consumed_bits": consumed_bits,
                "kp_level_bits": self.kp_of(assignment.src, assignment.dst).level_bits,
                "reason": reason,
            }
        )

    # --- VKPs ---------------------------------------------------------------------------

    def request_vkp(self, t_s: float, service: str, src: str, dst: str, n_bits: int) -> None:
        """At ``t_s``, ``service`` asks for VKP(src, dst, K_V = n_bits), carved first-fit from KP(src, dst)."""
        if frozenset((src, dst)) not in self.key_pools:
            raise ConfigError(f"vkp {service}: no key pool between {src!r} and {dst!r}")
        vkp = VirtualKeyPool(service, src, dst, n_bits)  # validates n_bits now, not at t_s
        adapter.schedule_call(self.network.timeline, t_s, self._register, vkp)

    def _register(self, vkp: VirtualKeyPool) -> None:
        now = adapter.now_s(self.network.timeline)
        if vkp.service in self._vkp_pool:
            allocation = Allocation(vkp.service, 0, 0, f"service {vkp.service!r} already holds a VKP")
        else:
            kp = self.kp_of(vkp.src, vkp.dst)
            allocation = kp.register(vkp)
            if allocation.served:
                self._vkp_pool[vkp.service] = kp
        self._record_vkp(now, "request", vkp, allocation)

    def release_vkp(self, t_s: float, service: str) -> None:
        """At ``t_s``, ``service`` gives its VKP up (its unused bits are destroyed)."""
        adapter.schedule_call(self.network.timeline, t_s, self._release, service)

    def _release(self, service: str) -> None:
        pool = self._vkp_pool.pop(service, None)
        if pool is not None:
            pool.release(service)

    def _record_vkp(self, t_s: float, event: str, vkp: VirtualKeyPool, allocation: Allocation) -> None:
        self.vkp_records.append(
            {
                "t_s": t_s,
                "event": event,
                "service": vkp.service,
                "src": vkp.src,
                "dst": vkp.dst,
                "bits_requested": vkp.requested_bits,
                "bits_allocated": allocation.allocated_bits,
                "bits_destroyed": allocation.destroyed_bits,
                "served": allocation.served,
                "reason": allocation.reason,
            }
        )
