"""SimQN applications of the benchmark's repeater chain: BSM stations and routers.

The protocol is described in ``_simqn_chain.py``; this module holds its
parameters and the two SimQN ``Application`` s. Messages between nodes are
SimQN ``ClassicPacket`` s (JSON); pair objects travel by name through the shared
:class:`ChainModel`, as SimQN's own entanglement-distribution example hands pairs
between applications directly.
"""

import itertools
import json
import math
from dataclasses import dataclass, field
from typing import Any

from qns.entity.cchannel.cchannel import ClassicPacket, RecvClassicPacket
from qns.entity.memory.memory import QuantumMemory
from qns.entity.node.app import Application
from qns.entity.node.node import QNode
from qns.entity.qchannel.qchannel import RecvQubitPacket
from qns.models.core.backend import QuantumModel
from qns.models.epr import WernerStateEntanglement
from qns.simulator.event import Event
from qns.utils.rnd import get_rand


@dataclass(frozen=True)
class ChainParameters:
    """A chain n0 - ... - n{N-1} of equal links with one request n0 -> n{N-1}, in plain numbers.

    Attributes:
        n_nodes: routers in the chain (>= 2).
        length_km: length of every link (km); the BSM station sits at its middle.
        n_memories: memories per router and link side.
        duration_s: simulated time (s).
        start_s: time the memories start being used (s).
        raw_fidelity: fidelity of a freshly heralded pair.
        coherence_time_s: memory coherence time T (s), or None for no decoherence.
        memory_efficiency: probability that an excited memory emits its photon into the fibre.
        attenuation_db_per_km: fibre loss (dB/km).
        speed_km_per_s: signal speed in the fibre (km/s).
        bsm_success_probability: q_BSM of the midpoint station.
        detector_efficiency: efficiency of each of the station's two detectors.
        attempt_period_s: time between successive attempts of one memory pair (s).
        link_periods_s: per link (left to right), when they differ: overrides ``attempt_period_s``.
        seed: seed of SimQN's random generator.
    """

    n_nodes: int
    length_km: float
    n_memories: int
    duration_s: float
    start_s: float
    raw_fidelity: float
    coherence_time_s: float | None
    memory_efficiency: float
    attenuation_db_per_km: float
    speed_km_per_s: float
    bsm_success_probability: float
    detector_efficiency: float
    attempt_period_s: float
    seed: int
    link_periods_s: tuple[float, ...] = ()

    def period_s(self, station: str) -> float:
        """Attempt period of the link whose midpoint station is ``station`` (named m0, m1, ...)."""
        if not self.link_periods_s:
            return self.attempt_period_s
        return self.link_periods_s[int(station[1:])]

    @property
    def half_delay_s(self) -> float:
        """Delay between a router and its link's midpoint (s)."""
        return self.length_km / 2 / self.speed_km_per_s

    @property
    def hop_delay_s(self) -> float:
        """Classical delay between neighbouring routers (s)."""
        return self.length_km / self.speed_km_per_s

    @property
    def photon_loss_probability(self) -> float:
        """Probability that a photon does not reach the station: QubitLossChannel's drop rate."""
        return 1 - self.memory_efficiency * 10 ** (-self.attenuation_db_per_km * self.length_km / 2 / 10)

    @property
    def station_success_probability(self) -> float:
        """Probability that two arrived photons give a herald: q_BSM eta_det^2."""
        return self.bsm_success_probability * self.detector_efficiency**2

    @property
    def success_probability(self) -> float:
        """Per-attempt success probability p = q_BSM (eta_mem 10^(-alpha L/20))^2 eta_det^2."""
        return (1 - self.photon_loss_probability) ** 2 * self.station_success_probability

    @property
    def decoherence_rate_per_s(self) -> float:
        """Werner-parameter decay rate of one stored half, 4 / (3 T) (0 without decoherence)."""
        return 0.0 if self.coherence_time_s is None else 4 / (3 * self.coherence_time_s)


def nested_swapping_partners(path: list[str], node: str) -> tuple[str, str]:
    """The two nodes whose pairs ``node`` joins in nested swapping along ``path``.

    Level by level, the nodes at odd positions of the remaining path swap with
    their two neighbours and leave it (the last node always stays); a node swaps
    at the first level where it sits at an odd position. This is the order
    SeQUeNCe's reservation rules use by default.
    """
    remaining = list(path)
    while remaining.index(node) % 2 == 0:
        remaining = [name for i, name in enumerate(remaining) if i % 2 == 0 or i == len(remaining) - 1]
    position = remaining.index(node)
    return remaining[position - 1], remaining[position + 1]


class Call(Event):
    """A SimQN event that calls ``function(*args)`` (``func_to_event`` defines a new class per call)."""

    def __init__(self, t: Any, function: Any, *args: Any, by: Any = None) -> None:
        super().__init__(t=t, by=by)
        self.function = function
        self.args = args

    def invoke(self) -> None:
        self.function(*self.args)


class Photon(QuantumModel):
    """The photon one memory emits in one attempt; the channel's loss is all that happens to it."""

    def __init__(self, generation: int, attempt: int) -> None:
        self.key = (generation, attempt)


@dataclass
class Held:
    """A pair one router holds: its name, the node at the other end, and whether the router knows it yet."""

    name: str
    remote: str
    usable: bool = True


@dataclass
class Side:
    """One router's memories towards one neighbour, and the link state kept there."""

    memory: QuantumMemory
    neighbour: str
    station: QNode
    is_controller: bool
    held: list[Held] = field(default_factory=list)
    #: Controller only: free memories here and announced free at the neighbour.
    n_free_here: int = 0
    n_free_there: int = 0
    #: Generation id -> the pending next attempt of that pairing.
    attempts: dict[int, Event] = field(default_factory=dict)


class ChainModel:
    """Shared state of one run: parameters, nodes, pairs in flight and what was delivered."""

    def __init__(self, parameters: ChainParameters) -> None:
        self.parameters = parameters
        self.path = [f"n{i}" for i in range(parameters.n_nodes)]
        self.nodes: dict[str, QNode] = {}
        self.routers: dict[str, RouterApp] = {}
        #: Pairs created by a swap or a herald, by name, until both holders have taken them.
        self.new_pairs: dict[str, list[Any]] = {}
        #: Heralded pairs swapped by a neighbour before this end processed the same-instant herald.
        self.early_swaps: dict[str, tuple[WernerStateEntanglement, str]] = {}
        self.delivered_fidelities: list[float] = []
        self._names = itertools.count()
        self._generations = itertools.count()

    def pair_name(self) -> str:
        return f"p{next(self._names)}"

    def generation_id(self) -> int:
        return next(self._generations)


def _send(node: QNode, destination: QNode, message: dict[str, Any]) -> None:
    channel = node.get_cchannel(destination)
    channel.send(ClassicPacket(msg=message, src=node, dest=destination), next_hop=destination)


class StationApp(Application):
    """The BSM station at a link's midpoint: pairs up photons of one attempt and heralds successes."""

    def __init__(self, model: ChainModel, left: str, right: str) -> None:
        super().__init__()
        self.model = model
        self.ends = (left, right)
        self.waiting: dict[tuple[int, int], int] = {}
        self.add_handler(self.on_photon, [RecvQubitPacket])

    def on_photon(self, node: QNode, packet: RecvQubitPacket) -> None:
        generation, attempt = packet.qubit.key
        self.waiting.pop((generation, attempt - 1), None)  # its partner photon was lost
        if self.waiting.pop((generation, attempt), None) is None:
            self.waiting[(generation, attempt)] = 1
            return
        parameters = self.model.parameters
        if get_rand() >= parameters.station_success_probability:
            return
        pair = WernerStateEntanglement(fidelity=parameters.raw_fidelity, name=self.model.pair_name())
        # Both halves have idled since emission: photon to the station, herald back.
        pair.store_error_model(t=2 * parameters.half_delay_s, decoherence_rate=2 * parameters.decoherence_rate_per_s)
        self.model.new_pairs[pair.name] = [pair, 2]
        for end in self.ends:
            message = {"cmd": "herald", "gen": generation, "pair": pair.name, "station": node.name}
            _send(node, self.model.nodes[end], message)


class RouterApp(Application):
    """A router: link generation with its neighbours, nested swapping, delivery at the ends."""

    def __init__(self, model: ChainModel, name: str) -> None:
        super().__init__()
        self.model = model
        self.name = name
        self.sides: dict[str, Side] = {}
        path = model.path
        self.is_end = name in (path[0], path[-1])
        self.other_end = path[-1] if name == path[0] else path[0]
        self.partners = () if self.is_end else nested_swapping_partners(path, name)
        self.add_handler(self.on_message, [RecvClassicPacket])

    # --- set-up -------------------------------------------------------------------------

    def add_side(self, side: Side) -> None:
        self.sides[side.neighbour] = side

    def begin(self) -> None:
        """Start of the request window: pair up every memory towards the right neighbour."""
        for side in self.sides.values():
            if side.is_controller:
                side.n_free_here = side.n_free_there = self.model.parameters.n_memories
                self.start_pairings(side)

    # --- link generation ------------------------------------------------------------------

    def start_pairings(self, side: Side) -> None:
        while side.n_free_here > 0 and side.n_free_there > 0:
            side.n_free_here -= 1
            side.n_free_there -= 1
            generation = self.model.generation_id()
            node = self._node
            _send(node, self.model.nodes[side.neighbour], {"cmd": "start", "gen": generation, "from": self.name})
            first = self._simulator.tc + self._simulator.time(sec=self.model.parameters.hop_delay_s)
            self._simulator.add_event(Call(first, self.attempt, side, generation, 0, by=self))

    def attempt(self, side: Side, generation: int, number: int) -> None:
        channel = self._node.get_qchannel(side.station)
        channel.send(Photon(generation, number), next_hop=side.station)
        simulator = self._simulator
        next_time = simulator.tc + simulator.time(sec=self.model.parameters.period_s(side.station.name))
        event = Call(next_time, self.attempt, side, generation, number + 1, by=self)
        side.attempts[generation] = event
        simulator.add_event(event)

    def on_herald(self, side: Side, generation: int, pair_name: str) -> None:
        pending = side.attempts.pop(generation, None)
        if pending is None:
            return
        pending.cancel()
        pair = self.model_take(pair_name)
        held = Held(pair_name, side.neighbour)
        if pair_name in self.model.early_swaps:
            pair, remote = self.model.early_swaps.pop(pair_name)
            held = Held(pair.name, remote, usable=False)
        if not side.memory.write(pair):
            raise RuntimeError(f"{self.name}: no free memory towards {side.neighbour} for a heralded pair")
        side.held.append(held)
        self.use_pairs()

    def release(self, side: Side) -> None:
        """A memory towards ``side.neighbour`` is free again: tell whoever pairs memories on that link."""
        if side.is_controller:
            side.n_free_here += 1
            self.start_pairings(side)
        else:
            _send(self._node, self.model.nodes[side.neighbour], {"cmd": "free", "from": self.name})

    # --- swapping and delivery ------------------------------------------------------------

    def use_pairs(self) -> None:
        if self.is_end:
            for side in self.sides.values():
                for held in [h for h in side.held if h.usable and h.remote == self.other_end]:
                    self.deliver(side, held)
            return
        left, right = self.partners
        while True:
            first = self._find(left)
            second = self._find(right)
            if first is None or second is None:
                return
            self.swap(first, second)

    def _find(self, remote: str) -> tuple[Side, Held] | None:
        for side in self.sides.values():
            for held in side.held:
                if held.usable and held.remote == remote:
                    return side, held
        return None

    def swap(self, first: tuple[Side, Held], second: tuple[Side, Held]) -> None:
        (left_side, left_held), (right_side, right_held) = first, second
        left_pair = left_side.memory.read(left_held.name)
        right_pair = right_side.memory.read(right_held.name)
        joined = left_pair.swapping(right_pair, name=self.model.pair_name())
        # The far halves change state now; each far router learns of it one message later.
        for held, other in ((left_held, right_held.remote), (right_held, left_held.remote)):
            self.model.routers[held.remote].replace_pair(held_name=held.name, pair=joined, remote=other)
            message = {"cmd": "swapped", "pair": joined.name}
            _send(self._node, self.model.nodes[held.remote], message)
        left_side.held.remove(left_held)
        right_side.held.remove(right_held)
        self.release(left_side)
        self.release(right_side)

    def replace_pair(self, held_name: str, pair: WernerStateEntanglement, remote: str) -> None:
        """A swap elsewhere turned the pair held as ``held_name`` into ``pair`` with ``remote``."""
        for side in self.sides.values():
            for held in side.held:
                if held.name == held_name:
                    stored_at = side.memory.get_store_time(held_name)
                    side.memory.read(held_name)
                    rate = self.model.parameters.decoherence_rate_per_s
                    pair.store_error_model(t=self._simulator.tc.sec - stored_at.sec, decoherence_rate=rate)
                    side.memory.write(pair)
                    held.name, held.remote, held.usable = pair.name, remote, False
                    return
        # The herald reached both ends at this instant and this end has not taken it yet.
        self.model.early_swaps[held_name] = (pair, remote)

    def deliver(self, side: Side, held: Held) -> None:
        pair = side.memory.read(held.name)
        side.held.remove(held)
        if self.name == self.model.path[0]:
            self.model.delivered_fidelities.append(self._fidelity_at_delivery(pair))
        self.release(side)

    def _fidelity_at_delivery(self, pair: WernerStateEntanglement) -> float:
        """The pair's fidelity with the other end's half, if still stored, decayed up to now too."""
        werner = pair.w
        for side in self.model.routers[self.other_end].sides.values():
            stored_at = side.memory.get_store_time(pair.name)
            if stored_at is not None:
                idle_s = self._simulator.tc.sec - stored_at.sec
                werner *= math.exp(-self.model.parameters.decoherence_rate_per_s * idle_s)
        return (3 * werner + 1) / 4

    def model_take(self, pair_name: str) -> WernerStateEntanglement:
        entry = self.model.new_pairs[pair_name]
        entry[1] -= 1
        if entry[1] == 0:
            del self.model.new_pairs[pair_name]
        return entry[0]

    # --- messages ---------------------------------------------------------------------------

    def on_message(self, node: QNode, packet: RecvClassicPacket) -> None:
        message = packet.packet.get()
        command = message["cmd"]
        if command == "herald":
            side = next(s for s in self.sides.values() if s.station.name == message["station"])
            self.on_herald(side, message["gen"], message["pair"])
        elif command == "swapped":
            for side in self.sides.values():
                for held in side.held:
                    if held.name == message["pair"]:
                        held.usable = True
            self.use_pairs()
        elif command == "start":
            side = self.sides[message["from"]]
            self.attempt(side, message["gen"], 0)
        elif command == "free":
            side = self.sides[message["from"]]
            side.n_free_there += 1
            self.start_pairings(side)
        else:
            raise ValueError(f"unknown message {json.dumps(message)}")
