"""Keys held ready for one master-slave SAE pair, refilled by end-to-end relays through trusted nodes.

The master's KME (node ``a``) and the slave's KME (node ``b``) share a
:class:`qkdn.pair_pool.SharedKey`: identical bits at both nodes, each bit handed
out once (node ``a`` takes the oldest bits, node ``b`` exactly the same bits by
key id). Whenever the store has room for another ``relay_bits`` (counting relays
under way), the supply relays a fresh key of ``relay_bits`` from ``a`` to ``b``
along the shortest path of working links through trusted relays
(:meth:`qkdn.network.QKDNetwork.relay_key`: one-time pad hop by hop, each hop
consuming the same number of bits of its link's key pools). The source's copy of
the relayed key goes into ``a``'s store, the destination's into ``b``'s, so what
the slave's KME hands out is exactly what the relay delivered to it.

A relay that fails (no route, a link down, or still waiting for link key after
``relay_timeout_s``) is retried a tenth of that timeout later; the link key its
finished hops consumed is lost, as in any trusted-relay network.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from qkdn.network import QKDNetwork
from qkdn.pair_pool import SharedKey
from qkdn.relay import RelayOutcome, RelaySession
from qkdn.routing import NO_PATH_REASON, route_key
from qtn.sequence_backed import adapter

logger = logging.getLogger(__name__)


@dataclass(repr=False)
class PairSupply:
    """The keys a master SAE at node ``a`` may ask for, to share with a slave SAE at node ``b``.

    Attributes:
        a: the master's KME node (hands out key ids).
        b: the slave's KME node.
        capacity_bits: most bits held (``max_key_count`` keys of the default size).
        relay_bits: bits per relay.
        relay_timeout_s: relay deadline after its start.
        max_in_flight: relays under way at once.
    """

    network: QKDNetwork
    a: str
    b: str
    capacity_bits: int
    relay_bits: int
    relay_timeout_s: float
    max_in_flight: int = 4
    on_change: Callable[[], None] | None = None
    store: SharedKey = field(init=False)
    n_in_flight: int = 0
    n_relays_served: int = 0
    n_relays_failed: int = 0
    last_failure: str = ""
    _retry_pending: bool = False

    def __post_init__(self) -> None:
        # The store holds whole relays: capacity rounded up to a multiple of relay_bits is never exceeded.
        self.store = SharedKey(self.a, self.b, max(self.capacity_bits, self.relay_bits))

    def __repr__(self) -> str:
        return f"PairSupply({self.a}->{self.b}, level_bits={self.level_bits}, in_flight={self.n_in_flight})"

    @property
    def level_bits(self) -> int:
        """Bits ready now (the same at both KMEs)."""
        return self.store.level_bits

    def start(self) -> None:
        """Start refilling (at the current simulated time)."""
        self.refill()

    def refill(self) -> None:
        """Start relays while the store, counting relays under way, has room for one more."""
        while (
            self.n_in_flight < self.max_in_flight
            and self.level_bits + (self.n_in_flight + 1) * self.relay_bits <= self.store.capacity_bits
        ):
            shares = route_key(
                "shortest", self.network.routing_view(), self.a, self.b, self.relay_bits, self.network.no_relay
            )
            if not shares:
                self._failed(NO_PATH_REASON)
                return
            path, _ = shares[0]
            self.n_in_flight += 1
            deadline_s = self.network.now_s() + self.relay_timeout_s
            self.network.relay_key(path, self.relay_bits, deadline_s, self._relayed)

    def _relayed(self, session: RelaySession, outcome: RelayOutcome) -> None:
        self.n_in_flight -= 1
        if outcome.served:
            assert outcome.source_key is not None and outcome.destination_key is not None
            block = f"relay#{session.session_id}"
            self.store.put(block, {self.a: outcome.source_key, self.b: outcome.destination_key})
            session.forget_key()  # the stores hold the only copies from now on
            self.n_relays_served += 1
            if self.on_change is not None:
                self.on_change()
            self.refill()
        else:
            self._failed(outcome.reason)

    def _failed(self, reason: str) -> None:
        self.n_relays_failed += 1
        self.last_failure = reason
        logger.debug("key supply %s->%s: relay failed: %s", self.a, self.b, reason)
        if not self._retry_pending:
            self._retry_pending = True
            retry_s = self.network.now_s() + self.relay_timeout_s / 10
            adapter.schedule_call(self.network.timeline, retry_s, self._retry)

    def _retry(self) -> None:
        self._retry_pending = False
        self.refill()
