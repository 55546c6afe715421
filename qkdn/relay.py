"""Trusted-relay key relay: a key passed hop by hop under one-time pad.

The source draws a fresh random key K. For every hop (m_i, m_(i+1)) of the
path, m_i takes |K| bits k_i from its key store towards m_(i+1), sends
``K XOR k_i`` with the ids of k_i, and m_(i+1) takes the same bits by id from
its copy, recovers K and repeats with its next link. The destination ends with
K; every relay sees K in the clear (it must be trusted) and every hop consumes
exactly |K| bits of its link's key at both ends (seed document 000, section
3.2; Dianati et al., Security and Communication Networks 1, 57 (2008)).

A hop waits for its store to hold enough key; the relay fails if the request's
deadline passes first, if a link on the path has failed, or when a hop is not
possible. Messages travel through the nodes' mailboxes over SeQUeNCe classical
channels; key bits are never in them except OTP-encrypted.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from qkdn.pool import KeyId, KeyStore, Waiter


class RelayPort(Protocol):
    """What a node offers the relay: its clock, its stores, its mailbox."""

    def now_s(self) -> float: ...

    def store_towards(self, peer: str) -> KeyStore: ...

    def store_from(self, peer: str) -> KeyStore: ...

    def send(self, dst: str, payload: Any, n_bits: int) -> None: ...

    def link_up(self, peer: str) -> bool: ...

    def took(self, peer: str) -> None: ...


@dataclass(repr=False)
class RelayOutcome:
    """How a relay ended. Keys are arrays held in memory only (``repr`` shows no bits)."""

    served: bool
    reason: str
    end_s: float
    key_consumed_bits: int
    source_key: np.ndarray | None = None
    destination_key: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"RelayOutcome(served={self.served}, reason={self.reason!r}, consumed={self.key_consumed_bits})"


@dataclass(frozen=True)
class HopRecord:
    """Hop ``hop`` of a relay: ``node`` took ``n_bits`` of link key towards ``next_node`` and sent at ``t_s``."""

    hop: int
    node: str
    next_node: str
    t_s: float
    n_bits: int


@dataclass
class RelaySession:
    """One key of ``n_bits`` relayed along ``path``; ``on_done`` gets the :class:`RelayOutcome`.

    The session object is the simulator's record of one relay; the nodes act
    through their ports, and the key travels only inside OTP-encrypted messages.
    ``hops`` records when each hop consumed link key and sent (no key bits).
    """

    session_id: int
    path: Sequence[str]
    n_bits: int
    deadline_s: float
    ports: Mapping[str, RelayPort]
    rng: np.random.Generator
    on_done: Callable[["RelaySession", RelayOutcome], None]
    priority: float = 0.0
    key_consumed_bits: int = 0
    done: bool = False
    failed_link: frozenset[str] | None = None
    failed_at_s: float = float("nan")
    hops: list[HopRecord] = field(default_factory=list)
    _source_key: np.ndarray | None = field(default=None, repr=False)
    _waiting: Waiter | None = field(default=None, repr=False)

    # --- the source ---------------------------------------------------------------------

    def start(self) -> None:
        """The source draws the key and starts the first hop."""
        self._source_key = self.rng.integers(0, 2, size=self.n_bits, dtype=np.uint8)
        self._forward(0, self._source_key)

    # --- one hop ------------------------------------------------------------------------

    def _forward(self, hop: int, key: np.ndarray) -> None:
        node, nxt = self.path[hop], self.path[hop + 1]
        port = self.ports[node]
        if not port.link_up(nxt):
            self.fail_link(node, nxt)
            return
        store = port.store_towards(nxt)
        if store.capacity_bits < self.n_bits:
            self._finish(False, f"key store {node}->{nxt} holds at most {store.capacity_bits} bits")
            return
        self._waiting = store.when_available(self.n_bits, lambda: self._encrypt_and_send(hop, key), self.priority)

    def _encrypt_and_send(self, hop: int, key: np.ndarray) -> None:
        node, nxt = self.path[hop], self.path[hop + 1]
        port = self.ports[node]
        self._waiting = None
        if self.done:
            return  # the deadline passed while waiting: leave the key in the store
        if port.now_s() > self.deadline_s:
            self._finish(False, f"deadline passed waiting for key on link {node}-{nxt}")
            return
        if not port.link_up(nxt):
            self.fail_link(node, nxt)
            return
        pad, ids = port.store_towards(nxt).take(self.n_bits)
        port.took(nxt)
        self.key_consumed_bits += self.n_bits  # one link key of n bits (held at both ends)
        self.hops.append(HopRecord(hop, node, nxt, port.now_s(), self.n_bits))
        payload = {"session": self.session_id, "hop": hop, "ids": ids, "cipher": key ^ pad}
        port.send(nxt, payload, n_bits=self.n_bits + 64 * len(ids))

    def receive(self, node: str, payload: Mapping[str, Any]) -> None:
        """A hop's message reached ``node``: decrypt with the same key bits, then forward."""
        hop = int(payload["hop"])
        previous = self.path[hop]
        ids: list[KeyId] = payload["ids"]
        pad = self.ports[node].store_from(previous).take_ids(ids)
        key = payload["cipher"] ^ pad
        if self.done:
            return  # finished meanwhile (deadline): the hop's keys are consumed all the same
        if node == self.path[-1]:
            self._finish(True, "", destination_key=key)
        else:
            self._forward(hop + 1, key)

    def forget_key(self) -> None:
        """Drop the source's copy of the key (its user stored it elsewhere): the session keeps no key bits."""
        self._source_key = None

    def fail_link(self, a: str, b: str) -> None:
        """Link ``a``-``b`` of the path failed: the relay fails (keys already used are lost)."""
        if not self.done:
            self.failed_link = frozenset((a, b))
            self.failed_at_s = self.ports[self.path[0]].now_s()
            self._finish(False, f"link {a}-{b} failed")

    def expire(self) -> None:
        """The deadline has come: fail unless already done."""
        if not self.done:
            self._finish(False, "deadline passed before the key reached the destination")

    def _finish(self, served: bool, reason: str, destination_key: np.ndarray | None = None) -> None:
        if self.done:
            return
        self.done = True
        if self._waiting is not None:  # stop waiting for key: the request must not block others
            self._waiting.cancel()
            self._waiting = None
        now = self.ports[self.path[0]].now_s()
        self.on_done(
            self,
            RelayOutcome(
                served=served,
                reason=reason,
                end_s=now,
                key_consumed_bits=self.key_consumed_bits,
                source_key=self._source_key if served else None,
                destination_key=destination_key,
            ),
        )
