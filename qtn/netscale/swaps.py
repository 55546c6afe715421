"""Swapping: a repeater joins two pairs once both far ends accept (SeQUeNCe's ESA/ESB handshake).

A repeater holding pairs towards both its partners (:mod:`qtn.swapping_order`)
sends a REQUEST to each far end; a far end accepts if its memory waits for a
swap of that pair and is then tied to that swap until the result, a release or
its expiry; the swap happens when both acceptances are back, with the node's
success probability and the twirled Bell-diagonal map, and each far end learns
the new pair one classical delay later. Refusals, releases and results follow
SeQUeNCe's resource manager message by message, including its matching by
protocol name.
"""

from qtn.netscale.base import EngineBase
from qtn.netscale.bell import swap_fidelity, werner
from qtn.netscale.state import HOLDING, Pair, Slot, Swap


class SwappingSteps(EngineBase):
    """Swapping: a repeater joins two pairs once both far ends accept (SeQUeNCe's ESA/ESB handshake)."""

    def _start_swap(self, first: Slot, second: Slot) -> None:
        """A repeater pairs two memories for a swap and sends a REQUEST to each far end.

        ``first`` is the memory whose rule check found ``second`` (SeQUeNCe's
        ``es_rule_condition_A``); the order matters when the swap is abandoned.
        """
        swap = Swap(first, second)
        first.session.swaps[swap.key] = swap
        now_ps = self.clock.now_ps
        for side, slot in enumerate(swap.slots):
            slot.busy = True
            slot.swap = swap
            far = swap.fars[side]
            self.clock.at(
                now_ps + self._delay_ps(slot.node, far.node), self._swap_request, swap, side, far, swap.pairs[side]
            )

    def _awaits_swap(self, slot: Slot, pair: Pair) -> bool:
        """Whether ``slot`` waits for a swap of ``pair`` (SeQUeNCe: a waiting ``EntanglementSwappingB``)."""
        return (
            slot.pair is pair
            and pair.alive
            and slot.state == HOLDING
            and not slot.busy
            and (slot.stale_expire_ps is not None or pair.recorded(slot) >= slot.session.request.target_fidelity)
        )

    def _swap_request(self, swap: Swap, side: int, far: Slot, pair: Pair) -> None:
        """A swap REQUEST reaches a far end: accepted if that memory waits for a swap of this pair, refused otherwise.

        An accepted request ties the far memory to the swap until the result, a
        release or its expiry comes (whatever becomes of the swap meanwhile).
        """
        if not self._live(far.session):
            return
        accepted = self._awaits_swap(far, pair)
        if accepted:
            far.busy = True
            far.awaiting_result = True
        delay_ps = self._delay_ps(far.node, swap.key[0])
        self.clock.at(self.clock.now_ps + delay_ps, self._swap_response, swap, side, far, accepted)

    def _swap_response(self, swap: Swap, side: int, far: Slot, accepted: bool) -> None:
        """An answer reaches the repeater; it counts for the pending swap of the same name, if any.

        A refusal abandons that swap at once (the far end that accepted already
        is not told, as in SeQUeNCe's resource manager); an acceptance for no
        pending swap releases the far memory again.
        """
        session = far.session
        if not self._live(session):
            return
        current = session.swaps.get(swap.key)
        if current is None:
            if accepted:
                delay_ps = self._delay_ps(swap.key[0], far.node)
                self.clock.at(self.clock.now_ps + delay_ps, self._release_far, far)
            return
        if not accepted:
            self._abandon_swap(current)
            return
        current.approved[side] = True
        if all(current.approved):
            self._swap(current)

    def _abandon_swap(self, swap: Swap, expired: Slot | None = None) -> None:
        """The repeater gives up a pending swap: refused, or one of its memories expired.

        On a refusal nobody is told. On expiry SeQUeNCe 1.3.1
        (``EntanglementSwappingA.memory_expire``) sends a ``RELEASE_MEMORY`` to a
        far end whose answer has not come back, which frees that memory, and a
        ``RELEASE_PROTOCOL`` to one that has accepted; the latter carries the
        swap protocol itself instead of the far end's protocol name
        (``release_remote_protocol(remote_node, self)``), matches nothing there
        and leaves the far memory waiting for a result until its own expiry.
        The levels follow SeQUeNCe here (it costs pairs when the cut-off binds).
        The memories go back to the rules in the swap's order, the first while
        the second is still held.
        """
        first, second = swap.slots
        del first.session.swaps[swap.key]
        now_ps = self.clock.now_ps
        if expired is not None:
            for far, approved in zip(swap.fars, swap.approved, strict=True):
                if not approved:
                    self.clock.at(now_ps + self._delay_ps(swap.key[0], far.node), self._release_far, far)
        for slot in (first, second):
            slot.swap = None
        for slot in (first, second):
            if slot is expired:
                self._free(slot)
            else:
                slot.busy = False
                self._consider(slot)

    def _release_far(self, far: Slot) -> None:
        """A release reaches a far end: a memory waiting for a swap result waits for a new swap instead.

        SeQUeNCe finds the protocol by name (one per memory), so this releases
        whatever swap the memory waits for now, not necessarily the one meant.
        """
        if far.awaiting_result and self._live(far.session):
            far.awaiting_result = False
            far.busy = False
            self._consider(far)

    def _swap(self, swap: Swap) -> None:
        """Both far ends accepted: the repeater swaps and sends each far end the result."""
        first, second = swap.slots
        session = first.session
        del session.swaps[swap.key]
        first.swap = second.swap = None
        if swap.fars[0].node == session.partners[first.node][0]:
            (left_slot, right_slot), (left, right) = swap.slots, swap.pairs
        else:
            (right_slot, left_slot), (right, left) = swap.slots, swap.pairs
        node = left_slot.node
        hardware = self._hardware[node]
        fidelity = swap_fidelity(
            self._state_now(left)[0], self._state_now(right)[0], hardware.gate_fidelity, hardware.measurement_fidelity
        )
        succeeded = hardware.swap_success_probability >= 1.0 or self._rng.random() < hardware.swap_success_probability
        far_left, far_right = left.other(left_slot), right.other(right_slot)
        left.alive = right.alive = False
        self._free(left_slot)
        self._free(right_slot)
        now_ps = self.clock.now_ps
        delay_left, delay_right = self._delay_ps(node, far_left.node), self._delay_ps(node, far_right.node)
        pair = None
        if succeeded:
            expiries = [e for e in (left.expire_ps, right.expire_ps) if e is not None]
            pair = Pair(far_left, far_right, werner(fidelity), now_ps, min(expiries) if expiries else None)
            if pair.expire_ps is not None:
                self.clock.at(max(pair.expire_ps, now_ps), self._expire, pair)
        self.clock.at(now_ps + delay_left, self._swap_result, far_left, far_left.epoch, pair)
        self.clock.at(now_ps + delay_right, self._swap_result, far_right, far_right.epoch, pair)

    def _swap_result(self, far: Slot, epoch: int, pair: Pair | None) -> None:
        """A swap result reaches a far end.

        If the memory still waits for a result, it now holds the new pair (or is
        freed if the swap failed or the pair has expired). If it was released
        meanwhile, SeQUeNCe drops the result: the memory holds the new pair
        without knowing it, keeps waiting for a swap of its old one, answers
        swap requests for it by name (so the pair can still be swapped on) and
        expires at its old expiry time.
        """
        if far.epoch != epoch or not self._live(far.session):
            return
        if not far.awaiting_result:
            old = far.pair
            if pair is not None and pair.alive and old is not None and far.stale_expire_ps is None:
                far.pair = pair
                expire_ps = old.expire_ps if old.expire_ps is not None else self.clock.stop_ps
                far.stale_expire_ps = expire_ps
                self.clock.at(max(expire_ps, self.clock.now_ps), self._expire_stale, far, far.epoch, expire_ps)
            return
        far.awaiting_result = False
        if pair is None or not pair.alive:
            self._free(far)
            return
        far.pair = pair
        far.busy = False
        far.stale_expire_ps = None
        pair.record(far, self._state_now(pair)[0])  # decohered up to now, as SeQUeNCe's swapping B records it
        self._consider(far)
