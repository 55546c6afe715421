"""Our generation protocols on SeQUeNCe: the hardware mode with counters, and the fast link mode.

Both are registered in SeQUeNCe's own protocol registries (generation A on the
routers, generation B on the midpoint BSM nodes), so the rest of SeQUeNCe's
stack (reservations, rules, purification, swapping) runs unchanged on top.

* ``qnetsim_single_heralded`` (hardware mode) is SeQUeNCe's single-heralded
  protocol, photon by photon; it only also counts attempts and successes per
  link for the ``links`` table.
* ``qnetsim_fast_heralded`` (fast link mode) keeps the protocol's messages for
  the first attempt of a cycle (resource-manager pairing, NEGOTIATE, emission
  time) but does not simulate photons attempt by attempt. When the two emitted
  photons reach the midpoint, the BSM station draws the number K of failed
  attempts before the first success from the geometric distribution with the
  same per-attempt success probability the photon-level model has,

      p = q_BSM (1 - loss_a)(1 - loss_b) eta_det_a eta_det_b,

  (the photons carry their memory and fibre losses) and heralds it. Both ends
  then emit again K attempt periods later (the period of SeQUeNCe's retry
  cycle, :func:`qtn.analytic.heralded_generation.single_heralded_attempt_period_s`)
  and succeed one herald delay after that, exactly as the K-th retry would, with
  the same raw state and the same decoherence during the herald. Dark counts
  and detector dead time are not sampled in this mode (a false herald has a
  probability of about rate x resolution, 1e-9 per attempt, at 10 Hz, 100 ps;
  dead time matters photon by photon only when attempts of different memories
  come closer than 1/count_rate, i.e. for dead times above the 12.5 ns slots).

Both give every protocol instance a name of its own, ``EGA.<memory>#<n>``
(SeQUeNCe names them all ``EGA.<memory>``). After a success SeQUeNCe's primary
end still sends a NEGOTIATE to its partner protocol by name (``start()`` sends it
whenever ``update_memory()`` returns True). When the responder frees its half as
soon as the initiator knows the pair, its memory may already run the next protocol,
of the same name, when that message arrives one hop delay later; read there, it
starts a second attempt cycle beside the real one, which the two ends see
differently: the primary end then decides successes its partner never has, and the
initiator delivers pairs whose other half is in no pair. This happens only when the
requester is the primary (only then is the responder's next protocol running when
the message arrives). Photon by photon it added some one-sided pairs; in the fast
mode, whose deferred decision completes any cycle that reaches the midpoint, most
pairs of such a link were one-sided (docs/benchmarks.md has the figures). With its
own name the message finds no reader, as when the memory is not reused, and each
memory is in at most one pair (``tests/unit/qtn/sequence_backed/test_protocols.py``).

Counters are reported to an observer attached to each router as
``router.qnetsim_observer`` (see :class:`LinkObserver`).
"""

from dataclasses import dataclass, field
from enum import Enum, auto
from typing import Any

from sequence.components.bsm import SingleHeraldedBSM
from sequence.entanglement_management.generation import (
    EntanglementGenerationA,
    EntanglementGenerationB,
)
from sequence.entanglement_management.generation.generation_message import valid_trigger_time
from sequence.entanglement_management.generation.single_heralded import SingleHeraldedA, SingleHeraldedB
from sequence.kernel.event import Event
from sequence.kernel.process import Process
from sequence.message import Message
from sequence.resource_management.action_condition_set import (
    es_rule_action_A,
    es_rule_action_B,
    es_rule_condition_A,
    es_rule_condition_B,
)
from sequence.resource_management.reservation_rule_registry import (
    ES_A,
    ES_B,
    ES_PRIORITY_OFFSET,
    ReservationRuleContext,
)
from sequence.resource_management.rule_manager import Rule
from sequence.topology.node import BSMNode, QuantumRouter

from qtn.analytic.heralded_generation import sample_n_attempts
from qtn.sequence_backed.purification import reset_rounds
from qtn.swapping_order import sequential_partners

HARDWARE_GENERATION = "qnetsim_single_heralded"
FAST_GENERATION = "qnetsim_fast_heralded"


@dataclass
class LinkCounters:
    """Attempts and successes of one link, counted at the link's primary node."""

    n_attempts: int = 0
    n_successes: int = 0


@dataclass
class LinkObserver:
    """Collects link counters of one network; one instance shared by all its routers.

    Attributes:
        links: BSM node name -> counters.
        periods_ps: (BSM node name, requester is primary) -> retry period in ps,
            for the fast mode.
    """

    links: dict[str, LinkCounters] = field(default_factory=dict)
    periods_ps: dict[tuple[str, bool], int] = field(default_factory=dict)
    purifications: dict[tuple[str, str], LinkCounters] = field(default_factory=dict)

    def count(self, link: str, n_attempts: int, n_successes: int) -> None:
        """Add attempts and successes to ``link``."""
        counters = self.links.get(link)
        if counters is None:  # not setdefault: that would build a throw-away LinkCounters on every call
            counters = self.links[link] = LinkCounters()
        counters.n_attempts += n_attempts
        counters.n_successes += n_successes

    def count_purification(self, node: str, remote: str, success: bool) -> None:
        """Add one purification round between ``node`` and ``remote`` (either order)."""
        counters = self.purifications.setdefault(tuple(sorted((node, remote))), LinkCounters())  # type: ignore[arg-type]
        counters.n_attempts += 1
        counters.n_successes += int(success)


def _observer(protocol: EntanglementGenerationA) -> LinkObserver | None:
    return getattr(protocol.owner, "qnetsim_observer", None)


def _count(protocol: EntanglementGenerationA, n_attempts: int, n_successes: int) -> None:
    """Report attempts and successes to the router's observer, once per link (from the primary end)."""
    if protocol.primary:
        observer = _observer(protocol)
        if observer is not None:
            observer.count(protocol.middle, n_attempts, n_successes)


def _instance_name(name: str, memory: Any) -> str:
    """``name`` made unique to this generation on ``memory``: ``EGA.<memory>#<n>``, n counted on the memory.

    Messages between generation protocols are addressed by name; a unique name keeps
    a finished protocol's last message from reaching the next one on the same memory
    (see the module docstring). SeQUeNCe matches generation protocols by node and
    reservation (``eg_match_func``), never by name, so nothing else changes.
    """
    serial = getattr(memory, "qnetsim_n_generations", 0) + 1
    memory.qnetsim_n_generations = serial
    return f"{name}#{serial}"


@EntanglementGenerationA.register(HARDWARE_GENERATION)
class CountedSingleHeraldedA(SingleHeraldedA):
    """SeQUeNCe's single-heralded generation, counting attempts and successes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.protocol_type = HARDWARE_GENERATION
        self.name = _instance_name(self.name, self.memory)

    def _entanglement_succeed(self) -> None:
        reset_rounds(self.memory)  # a heralded pair has not been purified yet
        super()._entanglement_succeed()

    def update_memory(self) -> bool | None:
        # Only the primary end counts (_count), so the other end skips the membership test.
        deciding = self.primary and self.ent_round == 1 and self in self.owner.protocols
        result = super().update_memory()
        if deciding:
            _count(self, 1, 1 if result else 0)
        return result


@EntanglementGenerationB.register(HARDWARE_GENERATION)
class CountedSingleHeraldedB(SingleHeraldedB):
    """SeQUeNCe's single-heralded BSM-side protocol, under our protocol name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.protocol_type = HARDWARE_GENERATION


# --- fast link mode -------------------------------------------------------------------


class FastHeraldMsgType(Enum):
    """Message types of the fast mode's BSM station."""

    HERALD = auto()


class FastHeraldMessage(Message):
    """Herald from the BSM station: success after ``n_failures`` failed attempts."""

    def __init__(self, protocol_type: str, time: int, resolution: int, n_failures: int) -> None:
        super().__init__(FastHeraldMsgType.HERALD, None)  # type: ignore[arg-type]  # as SeQUeNCe's BSM heralds
        self.protocol_type = protocol_type  # type: ignore[assignment]  # SeQUeNCe declares it None
        self.time = time
        self.resolution = resolution
        self.n_failures = n_failures

    def __repr__(self) -> str:
        return f"type: {self.msg_type}, time: {self.time}, n_failures: {self.n_failures}"


class FastHeraldedBSM(SingleHeraldedBSM):
    """Midpoint BSM that draws the number of failed attempts instead of measuring photons."""

    def get(self, photon: Any, **kwargs: Any) -> None:
        super(SingleHeraldedBSM, self).get(photon)  # BSM.get: collect photons arriving together
        if len(self.photons) != 2:
            return
        first, second = self.photons
        detectors = self.detectors
        assert detectors[0] is not None and detectors[1] is not None  # a BSM station has its two detectors
        probability = (
            self.success_rate
            * (1.0 - first.loss)
            * (1.0 - second.loss)
            * detectors[0].efficiency
            * detectors[1].efficiency
        )
        if probability <= 0.0:
            return  # never heralds: the protocol fails and retries, as photon by photon
        n_failures = int(sample_n_attempts(probability, self.get_generator())) - 1
        self.notify({"info_type": "fast_herald", "time": self.timeline.now(), "n_failures": n_failures})


class FastBSMNode(BSMNode):
    """BSM node whose station is a :class:`FastHeraldedBSM` (same detectors and success rate)."""

    def __init__(
        self,
        name: str,
        timeline: Any,
        other_nodes: list[str],
        seed: Any = None,
        component_templates: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(name, timeline, other_nodes, seed=seed, component_templates=component_templates)
        old = self.components.pop(self.first_component_name)
        old.detach(self.eg)
        for detector in old.detectors:
            timeline.remove_entity_by_name(detector.name)
        timeline.remove_entity_by_name(old.name)
        args = (component_templates or {}).get("SingleHeraldedBSM", {})
        bsm = FastHeraldedBSM(old.name, timeline, **args)
        self.add_component(bsm)
        self.set_first_component(bsm.name)
        bsm.attach(self.eg)


@EntanglementGenerationB.register(FAST_GENERATION)
class FastHeraldedB(SingleHeraldedB):
    """BSM-side protocol of the fast mode: forwards the station's herald to both ends."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.protocol_type = FAST_GENERATION

    def bsm_update(self, bsm: Any, info: dict[str, Any]) -> None:
        if info.get("info_type") != "fast_herald":
            super().bsm_update(bsm, info)  # a dark count: SeQUeNCe's own MEAS_RES
            return
        for node in self.others:
            message = FastHeraldMessage(self.protocol_type, info["time"], bsm.resolution, info["n_failures"])
            self.owner.send_message(node, message)


@EntanglementGenerationA.register(FAST_GENERATION)
class FastHeraldedA(SingleHeraldedA):
    """Router-side protocol of the fast mode (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.protocol_type = FAST_GENERATION
        self._n_failures = 0
        self._emit_time = -1
        self.name = _instance_name(self.name, self.memory)

    def _entanglement_succeed(self) -> None:
        reset_rounds(self.memory)
        super()._entanglement_succeed()

    def emit_event(self) -> None:
        self._emit_time = self.owner.timeline.now()
        super().emit_event()

    def received_message(self, src: str, msg: Any) -> None:
        if not isinstance(msg, FastHeraldMessage):
            super().received_message(src, msg)
            return
        if src != self.middle or not valid_trigger_time(msg.time, self.expected_time, msg.resolution):
            return
        self.bsm_res = [1, 1]
        self._n_failures = msg.n_failures

    def update_memory(self) -> bool | None:
        if self not in self.owner.protocols:
            return None
        if self.ent_round == 1 and self.bsm_res == [1, 1] and self._n_failures > 0:
            return self._defer_success()
        deciding = self.ent_round == 1
        result = super().update_memory()
        if deciding:
            _count(self, 1, 1 if result else 0)
        return result

    def _defer_success(self) -> bool:
        """Skip the K failed attempts: emit again K periods later, decide one herald delay after."""
        n_failures, self._n_failures = self._n_failures, 0
        delay = n_failures * self._period_ps()
        _count(self, n_failures, 0)
        memory = self.memory
        if memory.expiration_event is not None:
            # Photon by photon, every retry re-arms the expiry; here the retry at
            # the new emission does, so the pending one must not fire meanwhile.
            self.owner.timeline.remove_event(memory.expiration_event)
            memory.expiration_event = None
        timeline = self.owner.timeline
        emit = Event(self._emit_time + delay, Process(self, "_emit_again", []))
        # The decision goes through start(), as photon by photon, so that the primary's
        # message after a success (SeQUeNCe's behaviour) is kept too.
        decide = Event(timeline.now() + delay, Process(self, "start", []))
        for event in (emit, decide):
            timeline.schedule(event)
            self.scheduled_events.append(event)
        return False  # no NEGOTIATE now: the next round is already scheduled

    def _emit_again(self) -> None:
        if self not in self.owner.protocols:
            return
        memory = self.memory
        memory.update_state(self._plus_state)  # type: ignore[arg-type]  # real amplitudes of |+>
        memory.generation_time = memory.last_update_time = self.owner.timeline.now()

    def _period_ps(self) -> int:
        observer = _observer(self)
        is_requester = getattr(getattr(self.rule, "action", None), "__name__", "") == "eg_rule_action_request"
        requester_is_primary = is_requester == self.primary
        if observer is None or (self.middle, requester_is_primary) not in observer.periods_ps:
            raise RuntimeError(f"fast mode: no attempt period known for link {self.middle}")
        return observer.periods_ps[(self.middle, requester_is_primary)]


# --- swapping order -------------------------------------------------------------------


def _sequential_es_rule(context: ReservationRuleContext, action: Any, condition: Any, with_hardware: bool) -> Rule:
    left, right = sequential_partners(context.owner.name, context.path)
    condition_args = {
        "memory_indices": context.memory_indices,
        "left": left,
        "right": right,
        "fidelity": context.reservation.fidelity,
    }
    action_args: dict[str, Any] = {}
    if with_hardware:
        action_args = {
            "swapping_success_prob": context.owner.swapping_success_prob,
            "swapping_degradation": context.owner.swapping_degradation,
        }
    return Rule(context.priority + ES_PRIORITY_OFFSET, action, condition, action_args, condition_args)


def build_sequential_es_a_rule(context: ReservationRuleContext) -> Rule:
    """Swapping rule (A side) of a repeater in the sequential order."""
    return _sequential_es_rule(context, es_rule_action_A, es_rule_condition_A, with_hardware=True)


def build_sequential_es_b_rule(context: ReservationRuleContext) -> Rule:
    """Waiting rule (B side) of a repeater in the sequential order."""
    return _sequential_es_rule(context, es_rule_action_B, es_rule_condition_B, with_hardware=False)


def use_sequential_swapping(router: QuantumRouter) -> None:
    """Replace ``router``'s nested swapping rules by the sequential ones (SeQUeNCe's rule registry)."""
    registry = router.resource_manager.get_reservation_rule_registry()
    registry.replace(ES_A, build_sequential_es_a_rule)
    registry.replace(ES_B, build_sequential_es_b_rule)
