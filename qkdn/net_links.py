"""Pools and links of a QKD network: key pools per link, what feeds them, link state, block and pool rows.

Part of :class:`qkdn.network.QKDNetwork`. Every fibre link gets a pair of key
pools (:mod:`qkdn.pool`). A pool is fed by one of three kinds of key generator
(:data:`qkdn.segments.LINK_KINDS`): a fast model-based link
(:mod:`qkdn.fast_link`), a photon-level BB84 link (:mod:`qkdn.photon.link`), or
blocks distilled outside (BBM92 on a repeater segment, :mod:`qkdn.bbm92`). A
link that is down makes no key and accepts no block.

Seams for code that hooks into key generation:

* :meth:`KeyLinks.record_block` is called once per key block, whatever made it,
  with the block's ``link_blocks`` row (finite-key accounting, for example,
  reads every block here);
* :meth:`KeyLinks.deliver_block` is where a block made outside enters a link's
  pools (both ends' bits, refused while the link is down or full).
"""

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import networkx as nx
import numpy as np

from qkdn.fast_link import BlockRow, FastKeyLink
from qkdn.keyrate.model import KeyRatePoint
from qkdn.photon.config import PhotonLinkConfig
from qkdn.photon.link import KeyBlock, PhotonBB84Link
from qkdn.pool import LinkPools
from qnetsim.core.randomness import generator
from qnetsim.core.spec import NetworkSpec
from qtn.sequence_backed import adapter


def link_name(a: str, b: str) -> str:
    """The name of link ``a``-``b`` in tables and logs: its ends sorted, joined by ``~``."""
    return "~".join(sorted((a, b)))


class KeyLinks:
    """The key pools of every link of ``spec``, their key generators and the links' up/down state.

    Attributes:
        pools: each link's pools, by the set of its two ends.
        fast_links: model-based key generators by link name.
        photon_links: photon-level BB84 links, in the order they were added.
        link_kinds: link name -> what makes its key (:data:`qkdn.segments.LINK_KINDS`).
        block_records: one ``link_blocks`` row per key block (a fast link's rows share their
            columns but the time: :class:`qkdn.fast_link.BlockRow`).
        pool_records: one ``pools`` row per key store and sample (:class:`PoolRow`).
    """

    def __init__(
        self,
        spec: NetworkSpec,
        capacity_bits: int,
        direction_share: float,
        block_bits: int,
        seed: int,
        timeline: Any,
        on_store_change: Callable[[str, str], None],
    ) -> None:
        """Give every link of ``spec`` its pools; ``on_store_change(a, b)`` hears of every level change on a-b."""
        self.block_bits = block_bits
        self.seed = seed
        self.timeline = timeline
        self.pools: dict[frozenset[str], LinkPools] = {}
        self.fast_links: dict[str, FastKeyLink] = {}
        self.photon_links: list[PhotonBB84Link] = []
        self.link_kinds: dict[str, str] = {}
        self.block_records: list[Mapping[str, Any]] = []
        self._shared_columns: dict[int, tuple[Mapping[str, Any], dict[str, Any]]] = {}
        self.pool_records: list[Mapping[str, Any]] = []
        self._down: set[frozenset[str]] = set()
        for link in spec.links:
            pools = LinkPools(link.a, link.b, capacity_bits, direction_share)
            pools.on_change = lambda a=link.a, b=link.b: on_store_change(a, b)
            self.pools[frozenset((link.a, link.b))] = pools

    # --- pools and link state -------------------------------------------------------------

    def pools_of(self, a: str, b: str) -> LinkPools:
        """The key pools of link ``a``-``b`` (KeyError if there is no such link)."""
        return self.pools[frozenset((a, b))]

    def link_is_up(self, a: str, b: str) -> bool:
        """False while link ``a``-``b`` is failed."""
        return frozenset((a, b)) not in self._down

    def set_link_up(self, a: str, b: str, up: bool) -> None:
        """Fail or repair link ``a``-``b``: no key generation and no block accepted while down."""
        key = frozenset((a, b))
        if up:
            self._down.discard(key)
        else:
            self._down.add(key)
        name = link_name(a, b)
        if name in self.fast_links:
            self.fast_links[name].up = up

    def routing_view(self, graph: nx.Graph) -> nx.Graph:
        """A copy of ``graph`` with each link's state: residual key (smaller direction), rate, up."""
        view = graph.copy()
        for (u, v), data in zip(view.edges, view.edges.values(), strict=True):
            pools = self.pools_of(u, v)
            data["residual_bits"] = min(pools.store(u, u).level_bits, pools.store(v, v).level_bits)
            link = self.fast_links.get(link_name(u, v))
            data["key_rate_bps"] = link.point.key_rate_bps if link else 0.0
            data["up"] = self.link_is_up(u, v)
        return view

    # --- key generators -------------------------------------------------------------------

    def add_fast_link(self, a: str, b: str, point: KeyRatePoint, start_s: float, stop_s: float) -> FastKeyLink:
        """Feed link ``a``-``b`` with model-based blocks at the rate of ``point``."""
        name = link_name(a, b)
        link = FastKeyLink(
            name=name,
            point=point,
            pools=self.pools_of(a, b),
            block_bits=self.block_bits,
            rng=generator(self.seed, f"qkd.link.{name}.key"),
            on_block=self.record_block,
        )
        self.link_kinds[name] = "bb84-fast"
        link.start(self.timeline, start_s, stop_s)
        self.fast_links[name] = link
        return link

    def add_photon_link(self, config: PhotonLinkConfig, start_s: float, stop_s: float) -> PhotonBB84Link:
        """Feed link ``config.alice``-``config.bob`` with photon-level BB84 blocks (accepted ones only)."""

        def on_block(block: KeyBlock) -> None:
            self.record_block(block.row())
            if block.accepted:
                self.deliver_block(
                    config.alice, config.bob, f"{config.name}#{block.index}", block.alice_key, block.bob_key
                )

        link = PhotonBB84Link(self.timeline, config, self.seed, on_block)
        self.link_kinds[link_name(config.alice, config.bob)] = "bb84-photon"
        link.start(start_s, stop_s)
        self.photon_links.append(link)
        return link

    def add_segment_link(self, a: str, b: str) -> Callable[[str, np.ndarray, np.ndarray], bool]:
        """Declare link ``a``-``b`` a repeater segment whose key comes from outside (BBM92 on its pairs).

        Returns the function that puts a distilled block (``name``, bits at
        ``a``, bits at ``b``) into the link's pools; it refuses (returns False)
        while the link is down or full, like :meth:`deliver_block`. Record the
        frames' rows with :meth:`record_block`.
        """
        self.pools_of(a, b)  # KeyError if the spec has no such link
        self.link_kinds[link_name(a, b)] = "bbm92-segment"
        return lambda block, bits_at_a, bits_at_b: self.deliver_block(a, b, block, bits_at_a, bits_at_b)

    def record_block(self, row: Mapping[str, Any]) -> None:
        """Record a key block's ``link_blocks`` row, with the kind of link that made it.

        A row that does not say where its numbers come from gets ``source`` from
        the link's kind: ``model`` for a fast link, ``simulated`` for photon and
        entanglement-segment blocks.
        """
        if isinstance(row, BlockRow):  # a fast link's row: its shared columns are completed once per link
            shared = self._shared_columns.get(id(row.fields))
            if shared is None or shared[0] is not row.fields:
                shared = (row.fields, self._completed(row.fields))
                self._shared_columns[id(row.fields)] = shared
            self.block_records.append(BlockRow(row.t_s, shared[1]))
            return
        self.block_records.append(self._completed(row))

    def _completed(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """``row`` with ``source`` (if missing), the key-length columns (if missing) and ``link_kind``."""
        kind = self.link_kinds.get(row["link"], "")
        source = "model" if kind == "bb84-fast" else "simulated"
        lengths = {"asymptotic_secret_bits": math.nan, "finite_secret_bits": math.nan, "key_length": ""}
        return {"source": source, **lengths, **row, "link_kind": kind}

    def deliver_block(self, a: str, b: str, block: str, bits_at_a: np.ndarray, bits_at_b: np.ndarray) -> bool:
        """Put an externally generated block (e.g. photon-level) into the link's pools; False if no room."""
        pools = self.pools_of(a, b)
        if not self.link_is_up(a, b) or not pools.fits(len(bits_at_a)):
            return False
        if a != pools.a:
            bits_at_a, bits_at_b = bits_at_b, bits_at_a
        pools.deliver(block, bits_at_a, bits_at_b)
        return True

    def close(self) -> None:
        """Release what links hold outside the simulation (the key-material log filter)."""
        for link in self.photon_links:
            link.close()

    # --- observation ----------------------------------------------------------------------

    def start_pool_sampling(self, interval_s: float, duration_s: float) -> None:
        """Sample every key store at 0, interval, 2 interval, ... before ``duration_s``."""

        def sample() -> None:
            self.sample_pools()
            following = adapter.now_s(self.timeline) + interval_s
            if following < duration_s:
                adapter.schedule_call(self.timeline, following, sample)

        adapter.schedule_call(self.timeline, 0.0, sample)

    def sample_pools(self) -> None:
        """Record the level of every key store now (one row per node, peer and direction)."""
        now = adapter.now_s(self.timeline)
        for pools in self.pools.values():
            kind = self.link_kinds.get(link_name(pools.a, pools.b), "")
            for (holder, initiator), store in sorted(pools.stores.items()):
                direction = "out" if initiator == holder else "in"
                self.pool_records.append(
                    PoolRow(now, holder, store.peer, direction, store.level_bits, store.capacity_bits, kind)
                )


class PoolRow(Mapping[str, Any]):
    """A ``pools`` row: one key store's level at one sample.

    A thousand-node network samples ten thousand stores a hundred times; each
    row is this small object (a slot per column) rather than a dict, and reads
    as a mapping like any other row.
    """

    __slots__ = ("capacity_bits", "direction", "level_bits", "link_kind", "node", "peer", "t_s")
    COLUMNS = ("t_s", "node", "peer", "direction", "level_bits", "capacity_bits", "link_kind")

    def __init__(
        self, t_s: float, node: str, peer: str, direction: str, level_bits: int, capacity_bits: int, link_kind: str
    ) -> None:
        self.t_s = t_s
        self.node = node
        self.peer = peer
        self.direction = direction
        self.level_bits = level_bits
        self.capacity_bits = capacity_bits
        self.link_kind = link_kind

    def __getitem__(self, key: str) -> Any:
        if key not in self.COLUMNS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.COLUMNS)

    def __len__(self) -> int:
        return len(self.COLUMNS)
