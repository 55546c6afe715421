"""Purification on SeQUeNCe with a number of rounds, and counters for the ``purifications`` table.

SeQUeNCe's purification rules pair two memories for a round only when their
recorded fidelities are exactly equal (a symmetric recurrence). Purified pairs
record their real, decohered fidelity, which differs from pair to pair as soon
as memories decohere, so a second round never finds a partner and
``until_target`` stalls after one round (measured: no pair delivered for
targets needing two rounds with 1 s memories). The rules here pair memories by
the number of rounds their pairs have been through instead, and stop after
``max_rounds`` rounds or at the target fidelity, whichever comes first.

A pair's round count lives on its memories (``memory.qnetsim_rounds``): 0 when
the pair is heralded or created by a swap, +1 after each successful round.
Purification attempts and successes are counted per node pair at the node whose
name sorts last (SeQUeNCe's convention for the side that writes the state).
"""

from typing import Any

from sequence.entanglement_management.purification import BBPSSW_BDS, DEJMPS_BDS, PurificationProtocol
from sequence.entanglement_management.swapping import EntanglementSwappingB, EntanglementSwappingB_BDS
from sequence.resource_management.action_condition_set import ep_rule_action_await, ep_rule_action_request
from sequence.resource_management.memory_manager import MemoryInfo, MemoryManager
from sequence.resource_management.reservation_rule_registry import (
    EP_AWAIT,
    EP_PRIORITY_OFFSET,
    EP_REQUEST,
    ReservationRuleContext,
)
from sequence.resource_management.rule_manager import Rule
from sequence.topology.node import QuantumRouter

BBPSSW_NAME = "qnetsim_bbpssw"
DEJMPS_NAME = "qnetsim_dejmps"
SWAPPING_NAME = "qnetsim_bds"
ROUNDS_ATTR = "qnetsim_rounds"
UNLIMITED_ROUNDS = 10**9
_HOLDING = (MemoryInfo.ENTANGLED, MemoryInfo.PURIFIED)


def rounds_of(info: MemoryInfo) -> int:
    """Purification rounds the pair in this memory has been through."""
    return int(getattr(info.memory, ROUNDS_ATTR, 0))


def reset_rounds(memory: Any) -> None:
    """Mark the pair now in ``memory`` as never purified."""
    setattr(memory, ROUNDS_ATTR, 0)


class _CountedPurification:
    """Mixin: count rounds on the kept memory and attempts/successes on the observer."""

    meas_res: int
    kept_memo: Any
    meas_memo: Any
    remote_memories: list[str]
    remote_node_name: str
    owner: Any

    memories: list[Any]
    _meas_released: bool = False

    def memory_expire(self, memory: Any) -> None:
        """A memory of this round expired (cut-off).

        SeQUeNCe discards both pairs whichever memory expires. Once this end has
        measured (``start`` ran and sent its result), the measured memory holds
        nothing any more, and its expiry must not discard the kept pair: the other
        end may already have the result and keep its half as purified, and a kept
        half discarded here alone would leave it paired with a memory that is
        being reused (SeQUeNCe then pairs that memory for purification with a
        memory entangled with another node and stops on an assertion). So the
        measured memory alone is freed; the kept pair waits for the result.
        """
        if memory is self.meas_memo and self.meas_res is not None and not self._meas_released:
            self._meas_released = True
            self.memories = [self.kept_memo]
            memory.detach(self)
            memory.attach(memory.memory_array)
            self.record_memory_expired(memory)  # type: ignore[attr-defined]
            self.owner.resource_manager.update(None, memory, "RAW")
            return
        super().memory_expire(memory)  # type: ignore[misc]

    def update_resource_manager(self, memory: Any, state: str) -> None:
        # A measured memory freed at its expiry may hold a new pair by now: leave it.
        if memory is self.meas_memo and self._meas_released:
            return
        super().update_resource_manager(memory, state)  # type: ignore[misc]

    def _partner_alive(self) -> bool:
        """Whether the remote kept memory still holds this pair (it may have expired meanwhile)."""
        remote = self.owner.timeline.get_entity_by_name(self.remote_memories[0])
        states = self.owner.timeline.quantum_manager.states
        return (
            remote is not None
            and remote.qstate_key in states
            and remote.entangled_memory.get("memo_id") == self.kept_memo.name
        )

    def received_message(self, src: str, msg: Any) -> None:
        success = self.meas_res == msg.meas_res
        if success and not self._partner_alive():
            # The other end's kept memory expired (cut-off) after it sent its result and
            # before ours arrived: the pair is gone, so the round has failed here too.
            # (SeQUeNCe would read the discarded state and crash.)
            self.update_resource_manager(self.meas_memo, "RAW")  # type: ignore[attr-defined]
            self.update_resource_manager(self.kept_memo, "RAW")  # type: ignore[attr-defined]
            success = False
        elif success:
            # Before SeQUeNCe's handler: it updates the memory, which runs the rules at once.
            setattr(self.kept_memo, ROUNDS_ATTR, getattr(self.kept_memo, ROUNDS_ATTR, 0) + 1)
            super().received_message(src, msg)  # type: ignore[misc]
        else:
            super().received_message(src, msg)  # type: ignore[misc]
        observer = getattr(self.owner, "qnetsim_observer", None)
        if observer is not None and self.owner.name > self.remote_node_name:
            observer.count_purification(self.owner.name, self.remote_node_name, success)


# SeQUeNCe types register() as returning an optional decorator and meas_res differently per class.
@PurificationProtocol.register(BBPSSW_NAME)
class CountedBBPSSW(_CountedPurification, BBPSSW_BDS):  # type: ignore[misc]
    """SeQUeNCe's Bell-diagonal BBPSSW, counting rounds and outcomes."""


@PurificationProtocol.register(DEJMPS_NAME)
class CountedDEJMPS(_CountedPurification, DEJMPS_BDS):  # type: ignore[misc]
    """SeQUeNCe's Bell-diagonal DEJMPS, counting rounds and outcomes."""


@EntanglementSwappingB.register(SWAPPING_NAME)
class RoundResettingSwappingB(EntanglementSwappingB_BDS):  # type: ignore[misc]
    """SeQUeNCe's Bell-diagonal swapping (end side); a swapped pair starts with no rounds."""

    def received_message(self, src: str, msg: Any) -> None:
        reset_rounds(self.memory)
        super().received_message(src, msg)


# --- rules: purify pairs with equal round counts, up to a number of rounds ------------


def _purifiable(info: MemoryInfo, target: float) -> bool:
    # Below the target, and above 1/2: recurrence purification only helps pairs with
    # F > 1/2 (Bennett et al. 1996), and SeQUeNCe asserts it. A swapped pair of decayed
    # links can fall below 1/2; it is left alone (the cut-off frees it).
    return 0.5 < info.fidelity < target


def rounds_condition_request(kept: MemoryInfo, manager: MemoryManager, args: dict[str, Any]) -> list[MemoryInfo]:
    """Kept and measured memory for a round: same remote node and same number of rounds so far."""
    indices, target, max_rounds = args["memory_indices"], args["fidelity"], args["max_rounds"]
    if kept.index not in indices or kept.state not in _HOLDING or not _purifiable(kept, target):
        return []
    level = rounds_of(kept)
    if level >= max_rounds:
        return []
    for measured in (manager[index] for index in range(len(manager))):
        if (
            measured is not kept
            and measured.index in indices
            and measured.state in _HOLDING
            and measured.remote_node == kept.remote_node
            and _purifiable(measured, target)
            and rounds_of(measured) == level
        ):
            return [kept, measured]
    return []


def rounds_condition_await(info: MemoryInfo, _manager: MemoryManager, args: dict[str, Any]) -> list[MemoryInfo]:
    """A memory waiting to be purified by its partner's request."""
    if (
        info.index in args["memory_indices"]
        and info.state in _HOLDING
        and _purifiable(info, args["fidelity"])
        and rounds_of(info) < args["max_rounds"]
    ):
        return [info]
    return []


def _rounds_rules(max_rounds: int) -> tuple[Any, Any]:
    def request_rule(context: ReservationRuleContext) -> Rule:
        size = context.reservation.memory_size
        args = {
            "memory_indices": context.memory_indices[:size],
            "fidelity": context.reservation.fidelity,
            "max_rounds": max_rounds,
        }
        return Rule(context.priority + EP_PRIORITY_OFFSET, ep_rule_action_request, rounds_condition_request, {}, args)

    def await_rule(context: ReservationRuleContext) -> Rule:
        size = context.reservation.memory_size
        indices = context.memory_indices if context.index == 0 else context.memory_indices[size:]
        args = {"memory_indices": indices, "fidelity": context.reservation.fidelity, "max_rounds": max_rounds}
        return Rule(context.priority + EP_PRIORITY_OFFSET, ep_rule_action_await, rounds_condition_await, {}, args)

    return request_rule, await_rule


def use_round_limited_purification(router: QuantumRouter, max_rounds: int | None) -> None:
    """Replace ``router``'s purification rules by round-counting ones (``None``: until the target)."""
    request_rule, await_rule = _rounds_rules(UNLIMITED_ROUNDS if max_rounds is None else max_rounds)
    registry = router.resource_manager.get_reservation_rule_registry()
    registry.replace(EP_REQUEST, request_rule)
    registry.replace(EP_AWAIT, await_rule)
