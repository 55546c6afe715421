"""Generation: heralded pairs on each link of a request's path, per memory.

On each link the node nearer the initiator (requester) pairs a free memory with
a free memory of its neighbour by a REQUEST that takes one classical delay tau to
arrive; a request that finds no free memory is refused and repeated every 2 tau
(the engine computes the first request that succeeds instead of simulating the
refusals). The success then comes N attempt periods after that request was sent,
N ~ Geometric(p) drawn by inversion (:func:`n_attempts_by_inversion`), with p and
the period of :mod:`qtn.analytic.heralded_generation` (the fast mode's law). The
pair is the raw Werner state with both halves decohered during the herald delay.
"""

import math
import random

from qnetsim.core.units import ps_to_s, s_to_ps
from qtn.analytic.heralded_generation import single_heralded_herald_delay_s
from qtn.netscale.base import EngineBase
from qtn.netscale.bell import depolarise, storage_factor, werner
from qtn.netscale.state import FREE, GENERATING, HOLDING, Counters, Hop, Pair, Session, Slot
from qtn.routing import link_attempt_period_s, link_success_probability


def n_attempts_by_inversion(rng: random.Random, log_fail: float) -> int:
    """N ~ Geometric(p), attempts up to and including the first success, by inversion of one uniform draw.

    N = 1 + floor(ln(1 - U) / ln(1 - p)) with U uniform in [0, 1) and ``log_fail`` =
    ln(1 - p) precomputed per link; for p = 1 (``log_fail`` = -inf) N = 1 and nothing
    is drawn; p = 0 never succeeds and is the caller's case. The same law as
    :func:`qtn.analytic.heralded_generation.sample_n_attempts`, drawn from the
    engine's own Python stream (numpy's sampler would give other numbers, hence
    other tables, from the same seed).
    """
    if log_fail == -math.inf:
        return 1
    return 1 + int(math.log(1.0 - rng.random()) / log_fail)


class GenerationSteps(EngineBase):
    """Generation: heralded pairs on each link of a request's path, per memory."""

    def _new_hop(self, session: Session, requester: str, responder: str) -> Hop:
        link = self._links[frozenset((requester, responder))]
        hop = Hop()
        tau_ps = self._delay_ps(requester, responder)
        hop.tau_ps = tau_ps
        hop.period_ps = s_to_ps(
            link_attempt_period_s(
                self.spec, link, requester_is_primary=requester > responder, classical_delay_s=ps_to_s(tau_ps)
            )
        )
        p = link_success_probability(self.spec, link)
        hop.log_fail = math.log1p(-p) if p < 1.0 else -math.inf  # 0.0 when p = 0
        herald_s = single_heralded_herald_delay_s(link.length_km, link.hardware.fibre.speed_km_per_s)
        hop.herald_ps = s_to_ps(float(herald_s))
        raw = hop.raw_fidelity = min(
            self._hardware[requester].memory.raw_fidelity, self._hardware[responder].memory.raw_fidelity
        )
        factor = storage_factor(hop.herald_ps, self._coherence_s[requester]) * storage_factor(
            hop.herald_ps, self._coherence_s[responder]
        )
        hop.raw_state = depolarise(werner(raw), factor)
        cutoffs = [c for c in (self._cutoff_s[requester], self._cutoff_s[responder]) if c is not None]
        hop.expire_after_ps = s_to_ps(min(cutoffs)) if cutoffs else None
        hop.counters = self._link_counters.setdefault(link.name, Counters())
        return hop

    def _start(self, session: Session) -> None:
        for slot in session.slots:
            if slot.requester:
                self._send_request(slot)

    def _send_request(self, slot: Slot) -> None:
        now_ps = self.clock.now_ps
        self.clock.at(now_ps + slot.hop.tau_ps, self._request_arrives, slot, now_ps, slot.epoch)

    def _request_arrives(self, slot: Slot, t_send_ps: int, epoch: int) -> None:
        if slot.epoch != epoch or not self._live(slot.session):
            return
        hop = slot.hop
        for responder in hop.responders:
            if responder.state == FREE:
                break
        else:
            slot.t_send_ps = t_send_ps
            hop.waiting.append(slot)  # refused; repeated every 2 tau until a memory frees
            return
        slot.state = responder.state = GENERATING
        if hop.log_fail == 0.0:  # p = 0: attempts until the end, never a success
            hop.counters.n_attempts += max(0, (slot.session.end_ps - t_send_ps) // hop.period_ps)
            return
        n_attempts = n_attempts_by_inversion(self._rng, hop.log_fail)
        success_ps = t_send_ps + n_attempts * hop.period_ps
        end_ps = slot.session.end_ps
        hop.counters.n_attempts += n_attempts if success_ps < end_ps else max(0, (end_ps - t_send_ps) // hop.period_ps)
        self.clock.at(success_ps, self._herald, slot, responder, epoch, responder.epoch)

    def _responder_free(self, responder: Slot) -> None:
        responder.state = FREE
        hop = responder.hop
        if not hop.waiting:
            return
        now_ps, tau_ps = self.clock.now_ps, hop.tau_ps
        best: Slot | None = None
        best_arrival = 0
        for slot in hop.waiting:
            # Refused requests are repeated every 2 tau: the next one to arrive after now.
            first = slot.t_send_ps + tau_ps
            arrival = first + 2 * tau_ps * max(0, -(-(now_ps - first) // (2 * tau_ps)))
            if best is None or arrival < best_arrival:
                best, best_arrival = slot, arrival
        assert best is not None  # hop.waiting is not empty
        hop.waiting.remove(best)
        self.clock.at(best_arrival, self._request_arrives, best, best_arrival - tau_ps, best.epoch)

    def _herald(self, requester: Slot, responder: Slot, epoch_a: int, epoch_b: int) -> None:
        if requester.epoch != epoch_a or responder.epoch != epoch_b or not self._live(requester.session):
            return
        hop = requester.hop
        hop.counters.n_successes += 1
        now_ps = self.clock.now_ps
        expire_ps = None if hop.expire_after_ps is None else now_ps - hop.herald_ps + hop.expire_after_ps
        pair = Pair(requester, responder, list(hop.raw_state), now_ps, expire_ps)
        pair.fidelity_a = pair.fidelity_b = hop.raw_fidelity  # SeQUeNCe records the raw fidelity, not the decohered one
        requester.state = responder.state = HOLDING
        requester.pair = responder.pair = pair
        if expire_ps is not None:
            self.clock.at(max(expire_ps, now_ps), self._expire, pair)
        self._consider(requester)
        self._consider(responder)

    def _free(self, slot: Slot) -> None:
        """The memory is free again: it starts generating on its link (if the request is still running)."""
        slot.epoch += 1
        slot.pair = None
        slot.busy = False
        slot.awaiting_result = False
        slot.swap = None
        slot.group = ()
        slot.stale_expire_ps = None
        slot.state = FREE
        if not self._live(slot.session):
            return
        if slot.requester:
            self._send_request(slot)
        else:
            self._responder_free(slot)
