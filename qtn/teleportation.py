"""Multi-hop quantum teleportation over link-level entanglement: two schemes.

A teleportation request moves qubits (jobs) from ``path[0]`` to ``path[-1]``
over pairs that every link of the path keeps generating (single-hop
reservations whose pairs the nodes hold). Two schemes (seed document 000,
section 5.2):

* ``hop_by_hop``: the node holding the qubit teleports it over its next link;
  the next node applies the correction, stores the qubit and repeats. One
  correction per hop; the qubit waits at every intermediate node for a pair.
* ``end_to_end`` (the scheme of ref. [37] there): the source teleports over its
  first link, every intermediate node makes a Bell measurement on its two halves
  as soon as it holds both (entanglement swapping), and every node sends its
  result to the destination only, which applies a single correction once it has
  them all.

Quantum states are exact for Bell-diagonal resources: the qubit's error is a
Pauli channel, kept as the distribution [I, Z, X, Y] of its Pauli error
(:mod:`qtn.analytic.bell_diagonal`). Teleporting over a pair adds the pair's
Bell-diagonal coefficients; a Bell measurement adds its node's measurement and
gate errors (as SeQUeNCe's swapping); storing a qubit adds the memory's Pauli
decoherence (:mod:`qtn.analytic.decoherence`). The output fidelity of input
Bloch vector n is then ``p_I + p_X n_x^2 + p_Y n_y^2 + p_Z n_z^2``.

Nodes act on what they hold and on messages they receive (two classical bits
per Bell measurement). The simulator's bookkeeping of each pair's state (a
snapshot when its first half is measured, then the other half's decoherence up
to its own measurement) is shared, as a physical state is.

References:
    C. H. Bennett et al., Phys. Rev. Lett. 70, 1895 (1993) (teleportation);
    M. Horodecki, P. Horodecki, R. Horodecki, Phys. Rev. A 60, 1888 (1999)
    (teleportation through Bell-diagonal resources).
"""

from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from qnetsim.core.delivery import HeldHalf
from qnetsim.core.hardware import NodeHardwareConfig
from qtn.analytic.bell_diagonal import compose_pauli_errors, depolarise
from qtn.analytic.decoherence import pauli_channel_probabilities
from qtn.analytic.swapping import measurement_error_distribution
from qtn.analytic.teleportation import teleportation_fidelity

Scheme = Literal["hop_by_hop", "end_to_end"]
SCHEMES: tuple[str, ...] = ("hop_by_hop", "end_to_end")
NO_ERROR = np.array([1.0, 0.0, 0.0, 0.0])
BITS_PER_BELL_MEASUREMENT = 2


class NodePort(Protocol):
    """What a teleportation node can do locally (implemented by the network)."""

    def now_s(self) -> float: ...

    def send(self, dst: str, payload: Any, n_bits: int) -> None: ...

    def release(self, memory: str) -> None: ...

    def holds(self, half: HeldHalf) -> bool: ...

    def pair_state(self, memory: str) -> list[float]: ...


@dataclass(frozen=True)
class TeleportationRequest:
    """Teleport ``len(inputs)`` qubits from ``path[0]`` to ``path[-1]``.

    Attributes:
        request_id: unique id in the run.
        scheme: ``hop_by_hop`` or ``end_to_end``.
        path: nodes from source to destination.
        start_times_s: when each qubit is ready at the source.
        inputs: unit Bloch vector of each qubit's state.
        link_request_ids: the single-hop reservation of every link, in path order.
    """

    request_id: int
    scheme: Scheme
    path: tuple[str, ...]
    start_times_s: tuple[float, ...]
    inputs: tuple[tuple[float, float, float], ...]
    link_request_ids: tuple[int, ...]


@dataclass
class _Job:
    index: int
    start_s: float
    bloch: tuple[float, float, float]
    errors: np.ndarray = field(default_factory=lambda: NO_ERROR.copy())
    stored_since_s: float = 0.0
    carrier: str | None = None
    first_pair: int | None = None
    n_messages: int = 0
    n_corrections: int = 0
    end_s: float | None = None
    fidelity: float | None = None


@dataclass
class _Pair:
    """A link pair: the two held halves and the simulator's record of its state."""

    serial: int
    link: int
    halves: dict[str, HeldHalf] = field(default_factory=dict)
    state: np.ndarray | None = None
    snapshot_s: float = 0.0
    measured: set[str] = field(default_factory=set)


@dataclass
class _NodeState:
    left: deque[HeldHalf] = field(default_factory=deque)  # halves of the link towards the source
    right: deque[HeldHalf] = field(default_factory=deque)  # halves of the link towards the destination
    waiting: deque[_Job] = field(default_factory=deque)  # qubits waiting here for a pair


class TeleportationService:
    """Runs one teleportation request: node logic of both schemes and per-job records."""

    def __init__(
        self,
        request: TeleportationRequest,
        ports: Mapping[str, NodePort],
        hardware: Mapping[str, NodeHardwareConfig],
    ) -> None:
        self.request = request
        self._ports = ports
        self._hardware = hardware
        self._path = request.path
        self._nodes = {name: _NodeState() for name in request.path}
        self._jobs = [
            _Job(index=i, start_s=t, bloch=bloch)
            for i, (t, bloch) in enumerate(zip(request.start_times_s, request.inputs, strict=True))
        ]
        self._pairs: dict[int, _Pair] = {}
        self._pair_of_memory: dict[str, int] = {}
        self._n_pairs = 0
        self._joins: dict[int, tuple[int, np.ndarray]] = {}  # end_to_end: left pair -> (right pair, errors)
        self._arrived: dict[int, _Job] = {}  # end_to_end: first pair -> job, at the destination

    # --- physics helpers ------------------------------------------------------------------

    def _storage(self, node: str, idle_s: float) -> np.ndarray:
        memory = self._hardware[node].memory
        return np.asarray(pauli_channel_probabilities(max(idle_s, 0.0), memory.coherence_time_s))

    def _measurement_errors(self, node: str) -> np.ndarray:
        hardware = self._hardware[node]
        return np.asarray(
            depolarise(measurement_error_distribution(hardware.measurement_fidelity), hardware.gate_fidelity)
        )

    def _measure_half(self, pair: _Pair, node: str) -> None:
        """Record that ``node`` measured its half of ``pair`` now (state bookkeeping)."""
        now = self._ports[node].now_s()
        if pair.state is None:
            pair.state = np.asarray(self._ports[node].pair_state(pair.halves[node].memory))
            pair.snapshot_s = now
        else:
            pair.state = compose_pauli_errors(pair.state, self._storage(node, now - pair.snapshot_s))
        pair.measured.add(node)

    # --- entry points (called by the network) -----------------------------------------

    def job_ready(self, index: int) -> None:
        """The qubit of job ``index`` is prepared at the source."""
        job = self._jobs[index]
        job.stored_since_s = job.start_s
        self._nodes[self._path[0]].waiting.append(job)
        self._step(self._path[0])

    def pair_held(self, half: HeldHalf) -> None:
        """A node now holds a half of a new pair on one of the path's links."""
        link = self.request.link_request_ids.index(half.request_id)
        serial = self._pair_of_memory.get(half.remote_memory)
        pair = self._pairs.get(serial) if serial is not None else None
        partner = pair.halves.get(half.remote_node) if pair is not None else None
        matches = partner is not None and partner.memory == half.remote_memory and partner.remote_memory == half.memory
        if pair is None or pair.link != link or half.node in pair.halves or not matches:
            self._n_pairs += 1
            pair = _Pair(serial=self._n_pairs, link=link)
            self._pairs[pair.serial] = pair
        pair.halves[half.node] = half
        self._pair_of_memory[half.memory] = pair.serial
        side = "right" if self._path.index(half.node) == link else "left"
        getattr(self._nodes[half.node], side).append(half)
        self._step(half.node)

    def mail(self, node: str, src: str, payload: dict[str, Any]) -> None:
        """A message of this service reached ``node`` from ``src``."""
        handler = {"correction": self._on_correction, "bsm": self._on_result, "swap": self._on_result}
        handler[payload["type"]](node, payload)

    # --- node logic ---------------------------------------------------------------------

    def _step(self, node: str) -> None:
        if self.request.scheme == "hop_by_hop":
            self._forward(node)
        elif node == self._path[0]:
            self._teleport_first_hop(node)
        elif node != self._path[-1]:
            self._swap(node)
        else:
            self._complete(node)

    def _next_valid(self, node: str, halves: deque[HeldHalf]) -> _Pair | None:
        """Pop the oldest half this node still holds; stale halves (expired pairs) are dropped."""
        while halves:
            half = halves.popleft()
            serial = self._pair_of_memory.get(half.memory)
            if serial is not None and self._ports[node].holds(half):
                pair = self._pairs[serial]
                if pair.halves.get(node) is half:
                    return pair
        return None

    def _over_next_link(self, node: str) -> Iterator[tuple[_Job, _Pair, float]]:
        """Each waiting qubit with the next valid pair of ``node``'s right link, as long as both last.

        Before yielding ``(job, pair, now_s)`` this node's half of the pair is measured and
        the qubit's storage noise since it arrived is added to its errors.
        """
        state = self._nodes[node]
        while state.waiting and state.right:
            pair = self._next_valid(node, state.right)
            if pair is None:
                return
            job = state.waiting.popleft()
            now = self._ports[node].now_s()
            self._measure_half(pair, node)
            job.errors = compose_pauli_errors(job.errors, self._storage(node, now - job.stored_since_s))
            yield job, pair, now

    def _forward(self, node: str) -> None:
        """hop_by_hop: teleport waiting qubits over this node's next link."""
        port = self._ports[node]
        for job, pair, now in self._over_next_link(node):
            assert pair.state is not None
            job.errors = compose_pauli_errors(job.errors, pair.state)
            job.errors = compose_pauli_errors(job.errors, self._measurement_errors(node))
            self._release(node, pair.halves[node].memory)
            if job.carrier is not None:
                self._release(node, job.carrier)
            nxt = self._path[self._path.index(node) + 1]
            job.n_messages += 1
            port.send(nxt, self._payload("correction", job=job.index, pair=pair.serial, at_s=now), 2)

    def _on_correction(self, node: str, payload: dict[str, Any]) -> None:
        job = self._jobs[payload["job"]]
        pair = self._pairs[payload["pair"]]
        half = pair.halves[node]
        state = self._nodes[node]
        if half in state.left:
            state.left.remove(half)
        job.n_corrections += 1
        job.carrier = half.memory
        job.stored_since_s = payload["at_s"]
        if node == self._path[-1]:
            self._finish(node, job)
            return
        state.waiting.append(job)
        self._forward(node)

    def _teleport_first_hop(self, node: str) -> None:
        """end_to_end: the source teleports each waiting qubit over its first link."""
        port = self._ports[node]
        for job, pair, _ in self._over_next_link(node):
            job.errors = compose_pauli_errors(job.errors, self._measurement_errors(node))
            job.first_pair = pair.serial
            job.n_messages += 1
            self._release(node, pair.halves[node].memory)
            port.send(self._path[-1], self._payload("bsm", job=job.index, pair=pair.serial), BITS_PER_BELL_MEASUREMENT)

    def _swap(self, node: str) -> None:
        """end_to_end: an intermediate node joins its oldest left and right halves."""
        state = self._nodes[node]
        while state.left and state.right:
            left = self._next_valid(node, state.left)
            if left is None:
                return
            right = self._next_valid(node, state.right)
            if right is None:
                state.left.appendleft(left.halves[node])
                return
            self._measure_half(left, node)
            self._measure_half(right, node)
            self._release(node, left.halves[node].memory)
            self._release(node, right.halves[node].memory)
            payload = self._payload("swap", left=left.serial, right=right.serial, errors=self._measurement_errors(node))
            self._ports[node].send(self._path[-1], payload, BITS_PER_BELL_MEASUREMENT)

    def _on_result(self, node: str, payload: dict[str, Any]) -> None:
        if payload["type"] == "swap":
            self._joins[payload["left"]] = (payload["right"], payload["errors"])
        else:
            self._arrived[payload["pair"]] = self._jobs[payload["job"]]
        self._complete(node)

    def _complete(self, node: str) -> None:
        """end_to_end: correct every qubit whose chain of results has fully arrived."""
        for first_pair, job in list(self._arrived.items()):
            chain, errors = [self._pairs[first_pair]], job.errors
            while chain[-1].link < len(self._path) - 2:
                join = self._joins.get(chain[-1].serial)
                if join is None:
                    break
                errors = compose_pauli_errors(errors, join[1])
                chain.append(self._pairs[join[0]])
            last = chain[-1]
            if last.link != len(self._path) - 2 or node not in last.halves:
                continue
            if not self._ports[node].holds(last.halves[node]):
                continue  # the destination's half expired: this qubit is lost
            del self._arrived[first_pair]
            self._measure_half(last, node)
            for pair in chain:
                assert pair.state is not None
                errors = compose_pauli_errors(errors, pair.state)
            job.errors = errors
            job.n_messages += len(chain) - 1
            job.n_corrections = 1
            job.carrier = last.halves[node].memory
            job.stored_since_s = self._ports[node].now_s()
            state = self._nodes[node]
            if last.halves[node] in state.left:
                state.left.remove(last.halves[node])
            self._finish(node, job)

    def _finish(self, node: str, job: _Job) -> None:
        now = self._ports[node].now_s()
        job.errors = compose_pauli_errors(job.errors, self._storage(node, now - job.stored_since_s))
        job.end_s = now
        job.fidelity = float(teleportation_fidelity(job.errors, np.asarray(job.bloch)))
        if job.carrier is not None:
            self._release(node, job.carrier)

    def _release(self, node: str, memory: str) -> None:
        # The memory's record stays until a new pair replaces it: the other end may
        # only now be told of the pair (same herald), and must find it.
        self._ports[node].release(memory)

    def _payload(self, kind: str, **fields: Any) -> dict[str, Any]:
        return {"service": self.request.request_id, "type": kind, **fields}

    # --- results ------------------------------------------------------------------------

    def records(self) -> list[dict[str, object]]:
        """One record per qubit (completed or not)."""
        request = self.request
        rows: list[dict[str, object]] = []
        for job in self._jobs:
            end_s = job.end_s
            done = end_s is not None
            rows.append(
                {
                    "request_id": request.request_id,
                    "job": job.index,
                    "scheme": request.scheme,
                    "src": request.path[0],
                    "dst": request.path[-1],
                    "path": "-".join(request.path),
                    "n_hops": len(request.path) - 1,
                    "start_s": job.start_s,
                    "t_s": end_s if end_s is not None else float("nan"),
                    "latency_s": (end_s - job.start_s) if end_s is not None else float("nan"),
                    "input_x": job.bloch[0],
                    "input_y": job.bloch[1],
                    "input_z": job.bloch[2],
                    "completed": done,
                    "fidelity": job.fidelity if done else float("nan"),
                    "n_classical_messages": job.n_messages,
                    "classical_bits": BITS_PER_BELL_MEASUREMENT * job.n_messages,
                    "n_corrections": job.n_corrections,
                }
            )
        return rows
