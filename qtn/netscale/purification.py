"""Purification: BBPSSW or DEJMPS rounds on two pairs with the same ends, until the target fidelity.

The end farther from the initiator pairs two pairs with the same far end and the
same number of rounds (:mod:`qtn.analytic.purification`); REQUEST/RESPONSE round
trip, the far end applies the round on arrival, each end learns the outcome when
the other's result arrives.
"""

from qtn.analytic.purification import bbpssw_bell_diagonal, dejmps
from qtn.netscale.base import EngineBase
from qtn.netscale.state import Counters, Pair, Slot


class PurificationSteps(EngineBase):
    """Purification: BBPSSW or DEJMPS rounds on two pairs with the same ends, until the target fidelity."""

    def _purifiable(self, slot: Slot, target: float) -> bool:
        """Whether ``slot``'s pair may enter a purification round, by the fidelity its memory recorded."""
        pair = slot.pair
        rounds = self.options.purification_rounds
        return pair is not None and 0.5 < pair.recorded(slot) < target and (rounds is None or pair.rounds < rounds)

    def _start_purification(self, kept: Slot, measured: Slot) -> None:
        """``kept`` and ``measured`` are at the end farther from the initiator (the requesting end)."""
        assert kept.pair is not None and measured.pair is not None
        kept.busy = measured.busy = True
        kept.group = measured.group = (kept, measured)  # SeQUeNCe resets both if either expires
        delay_ps = self._delay_ps(kept.node, kept.pair.a.node)
        # The far end applies the round when it accepts the request.
        self.clock.at(self.clock.now_ps + delay_ps, self._purify, kept, measured, kept.pair, measured.pair)

    def _awaits_purification(self, slot: Slot, pair: Pair, rounds: int) -> bool:
        """Whether the far end's memory waits for a round on ``pair`` (SeQUeNCe's awaiting purification protocol)."""
        return (
            slot.pair is pair
            and not slot.busy
            and slot.stale_expire_ps is None
            and pair.rounds == rounds
            and self._purifiable(slot, slot.session.request.target_fidelity)
        )

    def _purification_refused(self, kept: Slot, measured: Slot, kept_pair: Pair, measured_pair: Pair) -> None:
        """The refusal is back: both memories go back to the rules (the kept one first, as SeQUeNCe orders them)."""
        if kept.pair is not kept_pair or measured.pair is not measured_pair or kept.group is not measured.group:
            return  # one of them expired meanwhile (and took the other with it)
        kept.group = measured.group = ()
        kept.busy = False
        self._consider(kept)
        measured.busy = False
        self._consider(measured)

    def _purify(self, kept: Slot, measured: Slot, kept_pair: Pair, measured_pair: Pair) -> None:
        """The request reaches the far end: refused unless both its memories await a round, else the round runs."""
        if not self._live(kept.session) or not self._both_still_held(kept, kept_pair, measured, measured_pair):
            return
        if not (
            self._awaits_purification(kept_pair.a, kept_pair, kept_pair.rounds)
            and self._awaits_purification(measured_pair.a, measured_pair, kept_pair.rounds)
        ):
            delay_ps = self._delay_ps(kept_pair.a.node, kept.node)
            self.clock.at(
                self.clock.now_ps + delay_ps, self._purification_refused, kept, measured, kept_pair, measured_pair
            )
            return
        near, far = kept.node, kept_pair.a.node
        hw_near, hw_far = self._hardware[near], self._hardware[far]
        protocol = bbpssw_bell_diagonal if self.options.purification == "bbpssw" else dejmps
        outcome = protocol(
            self._state_now(kept_pair),
            self._state_now(measured_pair),
            gate_fidelity_a=hw_far.gate_fidelity,
            gate_fidelity_b=hw_near.gate_fidelity,
            measurement_fidelity_a=hw_far.measurement_fidelity,
            measurement_fidelity_b=hw_near.measurement_fidelity,
        )
        succeeded = self._rng.random() < float(outcome.success_probability)
        counters = self._purification_counters.setdefault(tuple(sorted((near, far))), Counters())  # type: ignore[arg-type]
        counters.n_attempts += 1
        counters.n_successes += int(succeeded)
        now_ps = self.clock.now_ps
        delay_ps = self._delay_ps(near, far)
        # The requesting (near) end decides one delay later, the far end one more delay later.
        measured_pair.alive = False
        measured_pair.a.busy = kept_pair.a.busy = True
        measured_pair.a.group = kept_pair.a.group = (kept_pair.a, measured_pair.a)
        self.clock.at(now_ps + delay_ps, self._release, measured, measured.epoch)
        self.clock.at(now_ps + 2 * delay_ps, self._release, measured_pair.a, measured_pair.a.epoch)
        if not succeeded:
            kept_pair.alive = False
            self.clock.at(now_ps + delay_ps, self._release, kept, kept.epoch)
            self.clock.at(now_ps + 2 * delay_ps, self._release, kept_pair.a, kept_pair.a.epoch)
            return
        kept_pair.state = [float(c) for c in outcome.state]
        kept_pair.updated_ps = now_ps
        kept_pair.fidelity_a = kept_pair.fidelity_b = kept_pair.state[0]
        kept_pair.rounds += 1
        self.clock.at(now_ps + delay_ps, self._learn, kept, kept_pair, kept.epoch)
        self.clock.at(now_ps + 2 * delay_ps, self._learn, kept_pair.a, kept_pair, kept_pair.a.epoch)

    def _both_still_held(self, first: Slot, first_pair: Pair, second: Slot, second_pair: Pair) -> bool:
        """Whether a purification's two memories still hold their pairs; if not, a survivor acts again.

        A pair can be gone by the time the far end takes up the request (expired,
        or reset with the other memory of a purification at its far end).
        """
        if first_pair.alive and second_pair.alive and first.pair is first_pair and second.pair is second_pair:
            return True
        for slot, pair in ((first, first_pair), (second, second_pair)):
            if slot.pair is pair and pair.alive:
                slot.busy = False
                slot.group = ()
                self._consider(slot)
        return False

    def _learn(self, slot: Slot, pair: Pair, epoch: int) -> None:
        """A result reaches ``slot``'s node: it now holds ``pair`` (or frees the memory if the pair is gone)."""
        if slot.epoch != epoch or not self._live(slot.session):
            return
        if not pair.alive:
            self._free(slot)
            return
        slot.pair = pair
        slot.busy = False
        slot.group = ()
        pair.record(slot, self._state_now(pair)[0])  # decohered up to now, as SeQUeNCe's BBPSSW/DEJMPS record it
        self._consider(slot)
