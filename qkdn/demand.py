"""Saturating key demand: a closed loop that keeps a fixed number of key requests outstanding.

A network's key capacity between two users is the end-to-end key throughput it
sustains when the users always want more key than it can give. An open-loop
(Poisson) demand only saturates the network if its rate is set above a capacity
one would have to know first; a closed loop needs no such guess. The source
issues ``n_outstanding`` requests at the start and replaces each request that
ends (served, or failed at its deadline) by a new one at once, so requests are
always waiting for key on the bottleneck link. This is the closed-network
(finite-population) view of throughput: with the population large enough to keep
the bottleneck busy, throughput equals the bottleneck's service rate
(L. Kleinrock, Queueing Systems, vol. 1, Wiley 1975, ch. 4).
"""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from qkdn.network import KeyRequest
from qnetsim.core.errors import ConfigError


class RequestSink(Protocol):
    """What the demand needs from a QKD network: add requests, hear when they end, tell the time."""

    @property
    def request_listeners(self) -> list[Any]: ...

    def add_request(self, request: KeyRequest) -> None: ...

    def now_s(self) -> float: ...


@dataclass
class SaturatingDemand:
    """Keeps ``n_outstanding`` requests for ``n_bits`` keys between ``src`` and ``dst`` outstanding.

    Attributes:
        network: the QKD network (a :class:`RequestSink`).
        src: node that creates the keys.
        dst: node that must end with them.
        n_bits: key length per request.
        n_outstanding: requests kept outstanding.
        start_s: time of the first requests.
        end_s: no request is issued at or after this time.
        deadline_s: each request's deadline, relative to its issue.
        request_ids: source of unique request ids (shared with the run's other requests).
        priority: priority of the requests.
    """

    network: RequestSink
    src: str
    dst: str
    n_bits: int
    n_outstanding: int
    start_s: float
    end_s: float
    deadline_s: float
    request_ids: Iterator[int]
    priority: float = 0.0
    n_issued: int = 0
    _mine: set[int] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        if self.n_outstanding < 1 or self.n_bits < 1:
            raise ConfigError(
                f"saturating demand {self.src}-{self.dst}: n_outstanding and n_bits must be >= 1;"
                f" got {self.n_outstanding}, {self.n_bits}"
            )

    def start(self) -> None:
        """Issue the first requests at ``start_s`` and listen for ended ones."""
        self.network.request_listeners.append(self._ended)
        for _ in range(self.n_outstanding):
            self._issue(self.start_s)

    def _issue(self, t_s: float) -> None:
        if t_s >= self.end_s:
            return
        request_id = next(self.request_ids)
        self._mine.add(request_id)
        self.n_issued += 1
        self.network.add_request(
            KeyRequest(
                request_id=request_id,
                t_s=t_s,
                src=self.src,
                dst=self.dst,
                n_bits=self.n_bits,
                deadline_s=t_s + self.deadline_s,
                priority=self.priority,
            )
        )

    def _ended(self, row: dict[str, Any]) -> None:
        if row["request_id"] in self._mine:
            self._mine.discard(row["request_id"])
            self._issue(self.network.now_s())


def request_id_source(first: int) -> Iterator[int]:
    """Request ids ``first, first + 1, ...`` in issue order."""
    return itertools.count(first)
