"""Pair key pools (KP) and virtual key pools (VKP): key shared by two nodes, carved out for services.

Seed document 000, sections 3.3 and 3.4: the secret keys held in common by a
pair of key storages are virtualised into a key pool KP(s, d) (a "QKP" between
the secret-key memories of the two nodes), and a portion of a KP is virtualised
into a VKP dedicated to one service, VKP(s_v, d_v, K_V). Key bits cannot be
reused, so a VKP's bits are allocated to it exclusively.

Our reading of the allocation (stated because the section is brief):

* A KP holds a copy of its bits at each of its two nodes (two
  :class:`qkdn.pool.KeyStore` copies, so bits are named by key ids and each is
  handed out once). Assemblies append blocks; bits are indexed in order of
  arrival.
* First-Fit for VKPs: requests are handled in their order; a request is served
  if the KP holds at least K_V unallocated bits, and then receives the K_V
  lowest-indexed (oldest) of them; otherwise it is blocked and a later, smaller
  request may still be served. All or nothing: no partial VKPs.
* Bits given to a VKP leave the KP for good. They are consumed only by the
  VKP's service; if the service releases the VKP or the VKP is refreshed, the
  bits it has not used are destroyed at both ends (section 3.4: the QKPs'
  manager does "exchange, storage, assignment, and destruction"), never handed
  to anyone else.
* Refresh: when the KP is assembled again, every VKP of it, in registration
  order, has its remaining bits destroyed and receives K_V fresh bits first-fit
  ("secret keys will be updated and reallocated for VKP assembly when the KPs are
  assembled again", section 3.3). A VKP that cannot be refilled stays empty until
  the next assembly.
* The assignment of key ids to a VKP is the controller's decision, applied at
  both ends together; the delay of that control message is not modelled.
"""

from dataclasses import dataclass, field

import numpy as np

from qkdn.pool import KeyId, KeyStore
from qnetsim.core.errors import ConfigError, SimulationError


@dataclass(repr=False)
class SharedKey:
    """Identical key bits held at two nodes, each bit used once: a copy at ``a`` and one at ``b``.

    Attributes:
        a: first node.
        b: second node.
        capacity_bits: each copy holds at most this many bits.
    """

    a: str
    b: str
    capacity_bits: int
    copies: dict[str, KeyStore] = field(init=False)

    def __post_init__(self) -> None:
        if self.a == self.b:
            raise ConfigError(f"key pool: the two nodes must differ; got {self.a!r} twice")
        if self.capacity_bits < 0:
            raise ConfigError(f"key pool capacity_bits: must be >= 0; got {self.capacity_bits!r}")
        # Node a hands out key ids, node b takes the same ids: the copies cannot drift apart.
        self.copies = {node: KeyStore(node, peer, self.a, self.capacity_bits) for node, peer in self._ends()}

    def _ends(self) -> tuple[tuple[str, str], tuple[str, str]]:
        return (self.a, self.b), (self.b, self.a)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.a}-{self.b}, level_bits={self.level_bits})"

    @property
    def level_bits(self) -> int:
        """Bits held (the same at both ends)."""
        return self.copies[self.a].level_bits

    @property
    def free_bits(self) -> int:
        """Room left before the capacity."""
        return self.copies[self.a].free_bits

    @property
    def n_put_bits(self) -> int:
        """Bits ever put in."""
        return self.copies[self.a].n_put_bits

    @property
    def n_taken_bits(self) -> int:
        """Bits ever taken out."""
        return self.copies[self.a].n_taken_bits

    def put(self, block: str, bits_at: dict[str, np.ndarray]) -> None:
        """Add a block, ``bits_at[node]`` being each node's own copy of it."""
        if len(bits_at[self.a]) != len(bits_at[self.b]):
            raise SimulationError(f"key pool {self.a}-{self.b}: block {block} has different lengths at the two ends")
        if len(bits_at[self.a]) > self.free_bits:
            raise SimulationError(f"key pool {self.a}-{self.b}: block {block} overflows the capacity")
        for node in (self.a, self.b):
            self.copies[node].put(block, bits_at[node])

    def take(self, n_bits: int) -> tuple[dict[str, np.ndarray], list[KeyId]]:
        """Take the ``n_bits`` oldest bits at both ends: each node's copy, and their key ids."""
        if n_bits < 0:
            raise ConfigError(f"n_bits: must be >= 0; got {n_bits!r}")
        bits_a, ids = self.copies[self.a].take(n_bits)
        bits_b = self.copies[self.b].take_ids(ids)
        return {self.a: bits_a, self.b: bits_b}, ids


@dataclass(repr=False)
class VirtualKeyPool:
    """K_V bits of a KP dedicated to one service between ``src`` and ``dst`` (VKP(s_v, d_v, K_V)).

    Attributes:
        service: the owning service's name.
        src: s_v.
        dst: d_v.
        requested_bits: K_V, bits the service asks for per (re)allocation.
    """

    service: str
    src: str
    dst: str
    requested_bits: int
    key: SharedKey = field(init=False)
    allocated_ids: list[KeyId] = field(default_factory=list)  # every KP key id ever given to this VKP
    n_allocations: int = 0

    def __post_init__(self) -> None:
        if self.requested_bits <= 0:
            raise ConfigError(f"vkp {self.service}.bits: must be > 0; got {self.requested_bits!r}")
        self.key = SharedKey(self.src, self.dst, self.requested_bits)

    def __repr__(self) -> str:
        return f"VirtualKeyPool({self.service}: {self.src}-{self.dst}, level_bits={self.level_bits})"

    @property
    def level_bits(self) -> int:
        """Bits the service can still take."""
        return self.key.level_bits

    def take(self, n_bits: int) -> tuple[np.ndarray, np.ndarray]:
        """The service takes ``n_bits``: returns (copy at ``src``, copy at ``dst``); each bit only once."""
        if n_bits > self.level_bits:
            raise SimulationError(f"vkp {self.service}: {n_bits} bits asked, {self.level_bits} held")
        bits_at, _ = self.key.take(n_bits)
        return bits_at[self.src], bits_at[self.dst]

    def destroy(self) -> int:
        """Destroy the bits not yet used, at both ends; returns how many."""
        n = self.level_bits
        self.key.take(n)
        return n

    def fill(self, bits_at: dict[str, np.ndarray], ids: list[KeyId]) -> None:
        """Receive a fresh allocation (the VKP must be empty)."""
        assert self.level_bits == 0, "a VKP is refilled only after its old bits are destroyed"
        self.key.put(f"{self.service}#{self.n_allocations}", bits_at)
        self.allocated_ids.extend(ids)
        self.n_allocations += 1


@dataclass(frozen=True)
class Allocation:
    """The outcome of one VKP (re)allocation.

    Attributes:
        service: the VKP's service.
        allocated_bits: bits given (K_V or 0).
        destroyed_bits: unused bits of the previous allocation destroyed first.
        reason: why nothing was given ("" if served).
    """

    service: str
    allocated_bits: int
    destroyed_bits: int = 0
    reason: str = ""

    @property
    def served(self) -> bool:
        """Whether the VKP got its K_V bits."""
        return not self.reason


@dataclass(repr=False)
class PairKeyPool(SharedKey):
    """KP(a, b): key assembled for the node pair, carved first-fit into VKPs."""

    vkps: dict[str, VirtualKeyPool] = field(default_factory=dict)  # in registration order
    n_assemblies: int = 0

    def add_assembly(self, bits_at: dict[str, np.ndarray]) -> None:
        """Put the key of one assembly (each node's copy)."""
        self.put(f"kp.{self.a}~{self.b}#{self.n_assemblies}", bits_at)
        self.n_assemblies += 1

    def _carve(self, vkp: VirtualKeyPool) -> str:
        if self.level_bits < vkp.requested_bits:
            return f"KP {self.a}-{self.b} holds {self.level_bits} unallocated bits, {vkp.requested_bits} requested"
        bits_at, ids = self.take(vkp.requested_bits)
        vkp.fill(bits_at, ids)
        return ""

    def register(self, vkp: VirtualKeyPool) -> Allocation:
        """First allocation of a new VKP; a blocked request is not registered."""
        if {vkp.src, vkp.dst} != {self.a, self.b}:
            raise ConfigError(f"vkp {vkp.service}: nodes {vkp.src}-{vkp.dst} are not those of KP {self.a}-{self.b}")
        if vkp.service in self.vkps:
            raise ConfigError(f"vkp service {vkp.service!r} already holds a VKP of KP {self.a}-{self.b}")
        reason = self._carve(vkp)
        if not reason:
            self.vkps[vkp.service] = vkp
        return Allocation(vkp.service, 0 if reason else vkp.requested_bits, 0, reason)

    def release(self, service: str) -> int:
        """The service gives its VKP up: its unused bits are destroyed; returns how many."""
        return self.vkps.pop(service).destroy()

    def refresh(self) -> list[Allocation]:
        """After a re-assembly: every VKP, in registration order, destroys its old bits and is refilled."""
        outcomes = []
        for vkp in self.vkps.values():
            destroyed = vkp.destroy()
            reason = self._carve(vkp)
            outcomes.append(Allocation(vkp.service, 0 if reason else vkp.requested_bits, destroyed, reason))
        return outcomes
