"""The QTN benchmark's repeater chain written on SimQN (PyPI ``qns``), for comparison only.

SimQN ships one entanglement-distribution application
(``qns.network.protocol.EntanglementDistributionApp``): it sends half of a Werner
pair to the next hop over a quantum channel with no heralding, so a lost qubit
leaves its transfer waiting for ever, and it swaps hop by hop from the source.
It cannot run single-heralded generation over lossy links. This module therefore
writes the chain the way a SimQN user would: SimQN's own entities and models
(``Simulator``, ``QNode``, ``Application``, ``QubitLossChannel``,
``ClassicChannel`` with JSON ``ClassicPacket`` s, ``QuantumMemory`` with its
storage error model, ``WernerStateEntanglement`` and its ``swapping``), driven by
a small protocol that follows what the project simulates on SeQUeNCe:

* **Links.** Every link has a BSM station at its midpoint. Each attempt, both
  end memories emit a photon over a ``QubitLossChannel`` of half the link
  (immediate loss 1 - eta_mem, fibre loss alpha L/2); when both photons arrive
  the station's linear-optics BSM with its two detectors succeeds with
  probability q_BSM eta_det^2 and heralds the pair to both ends. The attempt
  success probability is therefore the project's
  p = q_BSM (eta_mem 10^(-alpha L/20))^2 eta_det^2. Failed attempts are repeated
  every ``attempt_period_s`` (the project passes SeQUeNCe's retry period), so a
  link makes the same number of attempts per simulated second.
* **Memories.** Each router has ``n_memories`` memories per link side (the
  request's ``n_memories``, as SeQUeNCe's reservation reserves them). The left
  router of a link pairs its free memories with the right router's free
  memories, which the right router announces over the classical channel; a new
  pairing starts attempting one classical delay later (the start message).
* **Swapping** at every repeater in SeQUeNCe's nested order
  (``_simqn_protocol.nested_swapping_partners``), as soon as a repeater holds a
  pair with each of its two partners. Werner parameters multiply, as in
  SeQUeNCe's Bell-diagonal swap of Werner pairs with perfect gates. The result
  reaches both partners as a classical message; until then they cannot use the
  new pair.
* **Decoherence.** Both halves of a pair decay by the memories' storage error
  model, w -> w exp(-r t) per half with r = 4 / (3 T), which is SeQUeNCe's
  depolarising Pauli channel with coherence time T on a Werner pair. Halves are
  decayed from emission, so the herald delay counts, and a delivered pair's
  fidelity is taken at delivery with both halves decayed up to that moment.
* **Delivery.** An end node hands over a pair once it knows the pair reaches the
  other end; pairs counted are those handed over at the initiator ``n0``.

Nothing here imports the project; numbers come in as :class:`ChainParameters`.
The applications are in ``_simqn_protocol.py``.
"""

import itertools
from dataclasses import dataclass

import _simqn_skip
from _simqn_protocol import Call, ChainModel, ChainParameters, RouterApp, Side, StationApp
from qns.entity.cchannel.cchannel import ClassicChannel
from qns.entity.memory.memory import QuantumMemory
from qns.entity.node.node import QNode
from qns.entity.qchannel.losschannel import QubitLossChannel
from qns.simulator.simulator import Simulator
from qns.utils.rnd import set_seed

__all__ = ["ChainParameters", "ChainRun", "build_chain", "run_chain"]

#: Simulator time slots per second: picoseconds, as SeQUeNCe.
TIME_SLOTS_PER_S = 10**12


@dataclass
class ChainRun:
    """What one SimQN run produced."""

    simulator: Simulator
    fidelities: list[float]

    @property
    def n_pairs(self) -> int:
        return len(self.fidelities)

    @property
    def n_events(self) -> int:
        """Events SimQN scheduled inside the run window (it does not count executed ones)."""
        return int(self.simulator.total_events)


def build_chain(parameters: ChainParameters, *, skip_attempts: bool = False) -> tuple[Simulator, ChainModel]:
    """Build the chain's nodes, channels, memories and applications on a new SimQN simulator.

    With ``skip_attempts`` the links draw their number of attempts instead of
    simulating each one (``_simqn_skip.py``); everything else is the same.
    """
    p = parameters
    model = ChainModel(p)
    simulator = Simulator(0.0, p.duration_s, accuracy=TIME_SLOTS_PER_S)
    set_seed(p.seed)
    router_class = _simqn_skip.SkippingRouterApp if skip_attempts else RouterApp
    station_class = _simqn_skip.SkippingStationApp if skip_attempts else StationApp
    stations = {}
    for name in model.path:
        node = QNode(name)
        app = router_class(model, name)
        node.add_apps(app)
        model.nodes[name], model.routers[name] = node, app
    for i, (left, right) in enumerate(itertools.pairwise(model.path)):
        station = QNode(f"m{i}")
        stations[(left, right)] = station_class(model, left, right)
        station.add_apps(stations[(left, right)])
        model.nodes[station.name] = station
        for end, neighbour in ((left, right), (right, left)):
            router = model.nodes[end]
            half = QubitLossChannel(
                name=f"q.{end}.{station.name}",
                delay=p.half_delay_s,
                p_init=1 - p.memory_efficiency,
                attenuation_rate=p.attenuation_db_per_km,
                length=p.length_km / 2,
            )
            router.add_qchannel(half)
            station.add_qchannel(half)
            herald = ClassicChannel(name=f"c.{station.name}.{end}", delay=p.half_delay_s)
            station.add_cchannel(herald)
            router.add_cchannel(herald)
            memory = QuantumMemory(
                name=f"{end}.to.{neighbour}",
                node=router,
                capacity=p.n_memories,
                decoherence_rate=p.decoherence_rate_per_s,
            )
            router.add_memory(memory)
            model.routers[end].add_side(Side(memory, neighbour, station, is_controller=end == left))
    for i, j in itertools.combinations(range(p.n_nodes), 2):
        channel = ClassicChannel(name=f"c.n{i}.n{j}", delay=(j - i) * p.hop_delay_s)
        model.nodes[f"n{i}"].add_cchannel(channel)
        model.nodes[f"n{j}"].add_cchannel(channel)
    if skip_attempts:
        _simqn_skip.install(model, stations)
    for node in model.nodes.values():
        node.install(simulator)
    start = simulator.time(sec=p.start_s)
    for name in model.path:
        app = model.routers[name]
        simulator.add_event(Call(start, app.begin, by=app))
    return simulator, model


def run_chain(parameters: ChainParameters, *, skip_attempts: bool = False) -> ChainRun:
    """Build the chain on SimQN, run it for ``parameters.duration_s`` and return what it delivered."""
    simulator, model = build_chain(parameters, skip_attempts=skip_attempts)
    simulator.run()
    return ChainRun(simulator=simulator, fidelities=model.delivered_fidelities)
