"""Delivery: the initiator uses each end-to-end pair; the responder frees its half a round trip later.

The initiator uses a pair once it knows it (after ``hold_s`` if set), records it
and hands it to the request's listeners; the responder frees its half a
reservation round trip later, as :class:`qtn.sequence_backed.app.EntanglementApp` does.
"""

from qnetsim.core.bookkeeping import pair_record
from qnetsim.core.delivery import PairDelivery
from qnetsim.core.units import s_to_ps
from qtn.netscale.base import EngineBase
from qtn.netscale.state import Pair, Slot


class DeliverySteps(EngineBase):
    """Delivery: the initiator uses each end-to-end pair; the responder frees its half a round trip later."""

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
            # The responder frees its half once the initiator has surely used the pair.
            release_ps = now_ps + session.hold_ps + s_to_ps(session.setup_s)
            self.clock.at(release_ps, self._release, slot, slot.epoch)

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
