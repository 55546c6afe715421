"""Storage: decoherence of stored halves and the cut-off of memories.

Every half decoheres in its memory (depolarising, coherence time of its node),
applied whenever a step reads the pair. Each memory expires at the cut-off
counted from the emission that made its link pair; what else an expiry frees is
what SeQUeNCe's protocol holding the memory does (a pending swap releases far
ends whose answer is not back, a purification resets both its memories).
"""

from qtn.netscale.base import EngineBase
from qtn.netscale.bell import depolarise, storage_factor
from qtn.netscale.state import Pair, Slot


class StorageSteps(EngineBase):
    """Storage: decoherence of stored halves and the cut-off of memories."""

    def _state_now(self, pair: Pair) -> list[float]:
        """Decohere both halves up to now (as SeQUeNCe's ``bds_decohere`` does when a protocol reads the pair)."""
        now_ps = self.clock.now_ps
        idle_ps = now_ps - pair.updated_ps
        if idle_ps > 0:
            factor = storage_factor(idle_ps, self._coherence_s[pair.a.node]) * storage_factor(
                idle_ps, self._coherence_s[pair.b.node]
            )
            pair.state = depolarise(pair.state, factor)
            pair.updated_ps = now_ps
        return pair.state

    def _expire(self, pair: Pair) -> None:
        """Cut-off: each memory still holding ``pair`` expires (SeQUeNCe's ``Memory.expire``).

        Also for a pair already gone: a memory that never learnt what became of it
        (its swap result was dropped) keeps it until its own expiry time.
        """
        pair.alive = False
        for slot in (pair.a, pair.b):
            if slot.pair is pair and slot.stale_expire_ps is None:
                self._expire_slot(slot)

    def _expire_stale(self, slot: Slot, epoch: int, expire_ps: int) -> None:
        """A memory that missed its swap result expires at its own (old) expiry time."""
        if slot.epoch == epoch and slot.stale_expire_ps == expire_ps:
            if slot.pair is not None:
                slot.pair.alive = False
            self._expire_slot(slot)

    def _expire_slot(self, slot: Slot) -> None:
        """One memory expires; what else goes with it is what SeQUeNCe's protocol holding it does."""
        swap = slot.swap
        if swap is not None:
            # Pending swap (``EntanglementSwappingA.memory_expire``): release both far
            # ends, the expired memory is freed, the other one goes back to the rules.
            self._abandon_swap(swap, expired=slot)
            return
        if slot.group:
            # Purification (``PurificationProtocol.memory_expire``): all its memories are reset.
            for member in slot.group:
                if member.group is slot.group:
                    if member.pair is not None:
                        member.pair.alive = False
                    self._free(member)
            return
        self._free(slot)
