"""Delivery: the initiator uses each end-to-end pair; the responder frees its half once the initiator has it.

The initiator uses a pair once it knows it (after ``hold_s`` if set), records it
and hands it to the request's listeners; the responder frees its half as soon as
the initiator knows the pair too (:func:`qtn.swapping_order.responder_release_lags_ps`),
as :class:`qtn.sequence_backed.app.EntanglementApp` does.
"""

from qnetsim.core.bookkeeping import pair_record
from qnetsim.core.delivery import PairDelivery
from qtn.netscale.base import EngineBase
from qtn.netscale.state import Pair, Slot


class DeliverySteps(EngineBase):
    """Delivery: the initiator uses each end-to-end pair; the responder frees its half once the initiator has it."""

    def _deliver_or_hold(self, slot: Slot) -> None:
        session = slot.session
        assert slot.pair is not None  # only a memory holding a pair is delivered
        slot.busy = True
        now_ps = self.clock.now_ps
        if slot.node == session.path[0]:
            if session.hold_ps > 0:
                self.clock.at(now_ps + session.hold_ps, self._use, slot, slot.pair, now_ps, slot.epoch)
            else:
                self._use(slot, slot.pair, now_ps, slot.epoch)
        else:
            # The responder frees its half once the initiator knows the pair too (and has used
            # it, after hold_s), one picosecond after that, as the hardware level must.
            lag_ps = session.release_lags_ps[1 if slot.pair.rounds else 0]
            self.clock.at(now_ps + session.hold_ps + lag_ps + 1, self._release, slot, slot.epoch)

    def _use(self, slot: Slot, pair: Pair, available_ps: int, epoch: int) -> None:
        if slot.epoch != epoch or not self._live(slot.session) or not pair.alive or slot.pair is not pair:
            return
        session = slot.session
        now_ps = self.clock.now_ps
        state = self._state_now(pair)
        wait_ps = available_ps - slot.free_since_ps
        slot.free_since_ps = now_ps
        request = session.request
        listeners = self._listeners.get(request.request_id)
        if listeners:
            delivery = PairDelivery(
                request_id=request.request_id,
                time_ps=now_ps,
                path=session.path,
                fidelity=state[0],
                wait_ps=wait_ps,
                memory_index=slot.index,
                stored_ps=now_ps - available_ps,
                state=(state[0], state[1], state[2], state[3]),
            )
            for listener in listeners:
                listener(delivery)
        session.n_pairs += 1
        self.pair_records.append(
            pair_record(request, now_ps, session.path, state[0], wait_ps, now_ps - available_ps, slot.index)
        )
        self._free(slot)
