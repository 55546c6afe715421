"""The SimQN chain with the network level's attempt skipping: one event per success, not per attempt.

``_simqn_chain.py`` writes the chain as a SimQN user would: an event per
generation attempt (each end emits a photon over a ``QubitLossChannel``, the
midpoint station pairs them up and draws its BSM). The project's network level
(:mod:`qtn.netscale`) does not simulate failed attempts: it draws their number.
This module gives SimQN the same shortcut, so the benchmark can separate the
algorithm's gain (not simulating failures) from the engine's (the event loop and
the per-pair bookkeeping):

* when a pairing starts, the controlling end draws the number of attempts up to
  and including the first success, N ~ Geometric(p) with the chain's
  p = q_BSM (eta_mem 10^(-alpha L/20))^2 eta_det^2, by inversion of one uniform
  draw of SimQN's generator (``qns.utils.rnd.get_rand``);
* the station creates the pair when the N-th attempt's photons would reach it
  (first attempt one classical delay after the start, as photon by photon, then
  one attempt period apart) and heralds it to both ends exactly as the
  photon-by-photon station does.

Everything above generation (memories, swapping, decoherence, delivery) is the
same SimQN code as the per-attempt chain.
"""

import math
from typing import Any

from _simqn_protocol import Call, ChainModel, RouterApp, Side, StationApp, _send
from qns.entity.node.node import QNode
from qns.models.epr import WernerStateEntanglement
from qns.simulator.event import Event
from qns.utils.rnd import get_rand


class Pending(Event):
    """Marks a pairing as attempting; never scheduled (the herald cancels it, as it cancels a next attempt)."""

    def invoke(self) -> None:  # pragma: no cover - never on the event list
        raise AssertionError("a pending marker is never scheduled")


class SkippingStationApp(StationApp):
    """The midpoint station, told when a pairing's first success happens instead of receiving every photon."""

    def succeed(self, generation: int) -> None:
        """The successful attempt's photons reach the station: create the pair and herald it to both ends."""
        node: QNode = self._node
        parameters = self.model.parameters
        pair = WernerStateEntanglement(fidelity=parameters.raw_fidelity, name=self.model.pair_name())
        pair.store_error_model(t=2 * parameters.half_delay_s, decoherence_rate=2 * parameters.decoherence_rate_per_s)
        self.model.new_pairs[pair.name] = [pair, 2]
        for end in self.ends:
            message = {"cmd": "herald", "gen": generation, "pair": pair.name, "station": node.name}
            _send(node, self.model.nodes[end], message)


class SkippingRouterApp(RouterApp):
    """A router whose pairings draw their number of attempts instead of attempting one by one."""

    def __init__(self, model: ChainModel, name: str) -> None:
        super().__init__(model, name)
        self.stations: dict[str, SkippingStationApp] = {}

    def attempt(self, side: Side, generation: int, number: int) -> None:
        simulator = self._simulator
        side.attempts[generation] = Pending(t=simulator.tc, by=self)
        if not side.is_controller:
            return
        parameters = self.model.parameters
        p = parameters.success_probability
        if p <= 0.0:
            return  # never succeeds, as photon by photon
        n_attempts = 1 if p >= 1.0 else 1 + int(math.log(1.0 - get_rand()) / math.log1p(-p))
        at_station = (n_attempts - 1) * parameters.period_s(side.station.name) + parameters.half_delay_s
        station = self.stations[side.neighbour]
        simulator.add_event(
            Call(simulator.tc + simulator.time(sec=at_station), station.succeed, generation, by=station)
        )


def install(model: ChainModel, stations: dict[tuple[str, str], Any]) -> None:
    """Tell every controlling router which station app serves each of its links."""
    for (left, right), station in stations.items():
        router = model.routers[left]
        assert isinstance(router, SkippingRouterApp)
        router.stations[right] = station
