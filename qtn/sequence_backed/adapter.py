"""The hardware adapter: the one module that turns our descriptions into SeQUeNCe objects.

Everything SeQUeNCe-specific about building a network lives here: unit
conversion into SeQUeNCe's metres, picoseconds and dB/m (through :mod:`qnetsim.core.units`),
component templates, node and channel construction on one
:class:`~sequence.kernel.timeline.Timeline`, static forwarding tables, and
SeQUeNCe's class-level protocol selectors. The inverse readers
(``*_config_of``) turn SeQUeNCe components back into our descriptions so that
the conversions can be tested both ways.

Where SeQUeNCe bites, this module compensates:

* channels and other entities whose ``owner`` is unset draw unseeded noise from
  ``numpy.random.default_rng()``; every channel here is owned by its sending node
  and every node has its own generator derived from the run seed;
* protocol and formalism choices are class-level globals in SeQUeNCe;
  :func:`sequence_globals` sets them for one run and restores them afterwards;
* the stock event list reschedules in O(n); :func:`new_timeline` installs
  :class:`qtn.sequence_backed.event_list.FastEventList`.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

from sequence.components.detector import Detector
from sequence.components.memory import Memory
from sequence.components.optical_channel import ClassicalChannel, QuantumChannel
from sequence.constants import BELL_DIAGONAL_STATE_FORMALISM
from sequence.entanglement_management.generation import (
    EntanglementGenerationA,
    EntanglementGenerationB,
)
from sequence.entanglement_management.purification import PurificationProtocol
from sequence.entanglement_management.swapping import (
    EntanglementSwappingA,
    EntanglementSwappingB,
)
from sequence.kernel.entity import Entity
from sequence.kernel.event import Event
from sequence.kernel.process import Process
from sequence.kernel.quantum_manager import QuantumManager
from sequence.kernel.timeline import Timeline
from sequence.network_management.network_manager import DistributedNetworkManager
from sequence.topology.node import BSMNode, QuantumRouter

from qnetsim.core.bookkeeping import delay_graph
from qnetsim.core.errors import ConfigError
from qnetsim.core.fibre_delays import channel_delay_ps, fastest_routes_from
from qnetsim.core.hardware import (
    BSMConfig,
    DetectorConfig,
    FibreConfig,
    LightSourceConfig,
    MemoryConfig,
    NodeHardwareConfig,
)
from qnetsim.core.randomness import derive_seed
from qnetsim.core.spec import LinkSpec, NetworkSpec, QTNOptions
from qnetsim.core.units import (
    db_per_km_to_db_per_m,
    db_per_m_to_db_per_km,
    fibre_delay_s,
    km_to_m,
    m_to_km,
    ps_to_s,
    s_to_ps,
)
from qtn.routing import link_attempt_period_s, next_hops
from qtn.sequence_backed.event_list import FastEventList
from qtn.sequence_backed.protocols import (
    FAST_GENERATION,
    HARDWARE_GENERATION,
    FastBSMNode,
    LinkObserver,
    use_sequential_swapping,
)
from qtn.sequence_backed.purification import BBPSSW_NAME, DEJMPS_NAME, SWAPPING_NAME, use_round_limited_purification

SEQUENCE_VERSION = version("sequence")
SUPPORTED_FORMALISMS = (BELL_DIAGONAL_STATE_FORMALISM,)
_PS_PER_S = 1e12


#: Attribute of each router holding its protocol observer (:class:`qtn.sequence_backed.protocols.LinkObserver`).
OBSERVER_ATTR = "qnetsim_observer"


# --- hardware description -> SeQUeNCe keyword arguments -------------------------------


def memory_array_args(memory: MemoryConfig) -> dict[str, Any]:
    """Keyword arguments of SeQUeNCe's ``MemoryArray`` for ``memory``."""
    return {
        "fidelity": memory.raw_fidelity,
        "frequency": memory.frequency_hz,
        "efficiency": memory.efficiency,
        "coherence_time": memory.coherence_time_s if memory.coherence_time_s is not None else -1,
        "wavelength": memory.wavelength_nm,
    }


def detector_args(detector: DetectorConfig) -> dict[str, Any]:
    """Keyword arguments of SeQUeNCe's ``Detector`` for ``detector``."""
    return {
        "efficiency": detector.efficiency,
        "dark_count": detector.dark_count_rate_hz,
        "count_rate": detector.count_rate_hz,
        "time_resolution": int(round(detector.time_resolution_ps)),
    }


def light_source_args(source: LightSourceConfig) -> dict[str, Any]:
    """Keyword arguments of SeQUeNCe's ``LightSource`` for ``source``."""
    return {
        "frequency": source.frequency_hz,
        "mean_photon_num": source.mean_photon_number,
        "wavelength": source.wavelength_nm,
    }


def router_templates(hardware: NodeHardwareConfig) -> dict[str, Any]:
    """``component_templates`` of a SeQUeNCe ``QuantumRouter`` for ``hardware``."""
    return {
        "MemoryArray": memory_array_args(hardware.memory),
        "EntanglementSwapping": {"swapping_success_prob": hardware.swap_success_probability},
    }


def bsm_node_templates(bsm: BSMConfig) -> dict[str, Any]:
    """``component_templates`` of a SeQUeNCe single-heralded ``BSMNode`` for ``bsm``."""
    detector = detector_args(bsm.detector)
    return {
        "encoding_type": "single_heralded",
        "SingleHeraldedBSM": {
            "detectors": [dict(detector), dict(detector)],
            "success_rate": bsm.success_probability,
        },
    }


def light_speed_m_per_ps(speed_km_per_s: float) -> float:
    """Fibre signal speed from km/s to SeQUeNCe's m/ps."""
    return km_to_m(speed_km_per_s) / _PS_PER_S


# --- SeQUeNCe components -> hardware description (inverse readers) --------------------


def memory_config_of(memory: Memory) -> MemoryConfig:
    """Read a SeQUeNCe ``Memory`` back into a :class:`MemoryConfig`."""
    return MemoryConfig(
        efficiency=memory.efficiency,
        coherence_time_s=memory.coherence_time if memory.coherence_time > 0 else None,
        raw_fidelity=memory.raw_fidelity,
        frequency_hz=memory.frequency,
        wavelength_nm=memory.wavelength,
    )


def detector_config_of(detector: Detector) -> DetectorConfig:
    """Read a SeQUeNCe ``Detector`` back into a :class:`DetectorConfig`."""
    return DetectorConfig(
        efficiency=detector.efficiency,
        dark_count_rate_hz=detector.dark_count,
        time_resolution_ps=float(detector.time_resolution),
        count_rate_hz=detector.count_rate,
    )


def fibre_config_of(channel: QuantumChannel) -> tuple[float, FibreConfig]:
    """Read a SeQUeNCe ``QuantumChannel`` back into ``(length_km, FibreConfig)``."""
    fibre = FibreConfig(
        attenuation_db_per_km=db_per_m_to_db_per_km(channel.attenuation),
        speed_km_per_s=m_to_km(channel.light_speed * _PS_PER_S),
    )
    return m_to_km(channel.distance), fibre


# --- SeQUeNCe's class-level globals ---------------------------------------------------


#: Our generation protocol per link mode (registered in :mod:`qtn.sequence_backed.protocols`).
GENERATION_PROTOCOLS = {"hardware": HARDWARE_GENERATION, "fast": FAST_GENERATION}
#: Our registered purification protocol per protocol name (both on Bell-diagonal states).
PURIFICATION_PROTOCOLS = {"bbpssw": BBPSSW_NAME, "dejmps": DEJMPS_NAME}


@contextmanager
def sequence_globals(
    formalism: str = BELL_DIAGONAL_STATE_FORMALISM,
    link_mode: str = "hardware",
    purification: str = "bbpssw",
) -> Iterator[None]:
    """Select SeQUeNCe's formalism and protocols for one run, then restore the old selection.

    SeQUeNCe keeps the quantum-state formalism and the generation, swapping and
    purification protocol choices in class attributes. They are read when
    components and protocols are created, which happens throughout a run, so they
    must stay set while the network is built *and* while it runs.

    ``link_mode`` picks the generation protocol (photon by photon, or the fast
    mode) and ``purification`` BBPSSW or DEJMPS.

    Only the Bell-diagonal formalism is offered: SeQUeNCe's ket-vector swapping
    updates fidelity with a toy rule (``f1 * f2 * degradation``), whereas the
    Bell-diagonal protocols carry the state exactly (Werner swapping formula,
    gate and measurement errors, Pauli decoherence of stored qubits).
    """
    if formalism not in SUPPORTED_FORMALISMS:
        raise ConfigError(f"formalism: {formalism!r} is not supported; use one of {SUPPORTED_FORMALISMS}")
    if link_mode not in GENERATION_PROTOCOLS:
        raise ConfigError(f"link_mode: must be one of {', '.join(GENERATION_PROTOCOLS)}; got {link_mode!r}")
    if purification not in PURIFICATION_PROTOCOLS:
        raise ConfigError(f"purification: must be one of {', '.join(PURIFICATION_PROTOCOLS)}; got {purification!r}")
    saved = (
        QuantumManager.get_active_formalism(),
        EntanglementGenerationA.get_global_type(),
        EntanglementGenerationB.get_global_type(),
        EntanglementSwappingA.get_formalism(),
        EntanglementSwappingB.get_formalism(),
        PurificationProtocol.get_formalism(),
    )
    QuantumManager.set_global_manager_formalism(formalism)
    EntanglementGenerationA.set_global_type(GENERATION_PROTOCOLS[link_mode])
    EntanglementGenerationB.set_global_type(GENERATION_PROTOCOLS[link_mode])
    EntanglementSwappingA.set_formalism(formalism)
    EntanglementSwappingB.set_formalism(SWAPPING_NAME)
    PurificationProtocol.set_formalism(PURIFICATION_PROTOCOLS[purification])
    try:
        yield
    finally:
        QuantumManager.set_global_manager_formalism(saved[0])
        EntanglementGenerationA.set_global_type(saved[1])
        EntanglementGenerationB.set_global_type(saved[2])
        EntanglementSwappingA.set_formalism(saved[3])
        EntanglementSwappingB.set_formalism(saved[4])
        PurificationProtocol.set_formalism(saved[5])


# --- timeline -----------------------------------------------------------------------


def new_timeline(stop_time_s: float, *, fast_event_list: bool = True) -> Timeline:
    """A SeQUeNCe timeline that stops at ``stop_time_s`` (uses the active formalism)."""
    timeline = Timeline(stop_time=s_to_ps(stop_time_s), formalism=QuantumManager.get_active_formalism())
    if fast_event_list:
        timeline.events = FastEventList()  # type: ignore[assignment]  # a drop-in with EventList's interface
    return timeline


class _Callback:
    """Adapts a plain Python callable to SeQUeNCe's ``Process(owner, method_name)``."""

    def __init__(self, function: Callable[..., None]) -> None:
        self.function = function

    def call(self, *args: Any) -> None:
        self.function(*args)


def schedule_call(timeline: Timeline, time_s: float, function: Callable[..., None], *args: Any) -> None:
    """Run ``function(*args)`` at simulated time ``time_s`` on ``timeline``."""
    process = Process(_Callback(function), "call", list(args))
    timeline.schedule(Event(s_to_ps(time_s), process))


class RepeatingCall:
    """One function called at a series of times on a timeline, through one reused SeQUeNCe event.

    A fast QKD link ticks once per key block (over a hundred thousand times in
    an hour of a 250-link network); :func:`schedule_call` builds a process and
    an event each time, this keeps one of each. The event is scheduled as a
    new one would be (same time in picoseconds, same schedule counter, same
    order among events of equal time), so runs are unchanged. At most one call
    may be pending: :meth:`at` is only called once the previous call has run.
    """

    def __init__(self, timeline: Timeline, function: Callable[[], None]) -> None:
        self._timeline = timeline
        self._event = Event(0, Process(_Callback(function), "call", []))

    def at(self, time_s: float) -> None:
        """Call the function at simulated time ``time_s`` (the previous call must have run)."""
        event = self._event
        event.time = s_to_ps(time_s)
        self._timeline.schedule(event)


def run_timeline(timeline: Timeline) -> None:
    """Initialise every entity on ``timeline`` and run it to its stop time."""
    timeline.init()
    timeline.run()


def init_timeline(timeline: Timeline) -> None:
    """Initialise every entity on ``timeline`` (once, before stepping it with :func:`run_timeline_until`)."""
    timeline.init()


def run_timeline_until(timeline: Timeline, time_s: float) -> None:
    """Run ``timeline`` on to simulated time ``time_s`` (events before it), keeping the rest for later calls.

    Lets a caller advance the simulation in steps (e.g. paced against the wall
    clock); call :meth:`Timeline.init` once before the first step.
    """
    timeline.stop_time = s_to_ps(time_s)
    timeline.run()


def now_s(timeline: Timeline) -> float:
    """Current simulated time of ``timeline`` in seconds."""
    return ps_to_s(timeline.now())


def events_executed(timeline: Timeline) -> int:
    """Number of events ``timeline`` has executed."""
    return int(timeline.run_counter)


def memory_state_counts(router: QuantumRouter) -> dict[str, int]:
    """How many of ``router``'s memories are free, busy in a protocol, or hold a pair.

    Keys: ``raw`` (free), ``occupied`` (in a generation, purification or
    swapping protocol), ``entangled`` (holding a pair, purified or not).
    """
    counts = {"raw": 0, "occupied": 0, "entangled": 0}
    memory_manager = router.resource_manager.memory_manager
    for info in (memory_manager[index] for index in range(len(memory_manager))):
        if info.state == "RAW":
            counts["raw"] += 1
        elif info.state == "OCCUPIED":
            counts["occupied"] += 1
        else:
            counts["entangled"] += 1
    return counts


def unowned_random_entities(timeline: Timeline) -> list[str]:
    """Names of entities whose random draws would be unseeded.

    An entity draws from its owner's generator; one with no owner chain ending
    at a node falls back to ``numpy.random.default_rng()`` (fresh OS entropy).
    Call after ``timeline.init()``.
    """
    unowned = []
    for name, entity in timeline.entities.items():
        if isinstance(entity, (QuantumRouter, BSMNode)):
            continue
        owner = entity.owner
        seen = 0
        while owner is not None and not isinstance(owner, (QuantumRouter, BSMNode)) and seen < 10:
            owner = owner.owner if owner.owner is not owner else None
            seen += 1
        if not isinstance(owner, (QuantumRouter, BSMNode)):
            unowned.append(name)
    return unowned


# --- building an entanglement network -------------------------------------------------


@dataclass
class BuiltNetwork:
    """SeQUeNCe objects of one built network, all on one timeline."""

    timeline: Timeline
    routers: dict[str, QuantumRouter] = field(default_factory=dict)
    bsm_nodes: dict[str, BSMNode] = field(default_factory=dict)
    quantum_channels: list[QuantumChannel] = field(default_factory=list)
    classical_channels: list[ClassicalChannel] = field(default_factory=list)
    observer: LinkObserver = field(default_factory=LinkObserver)


def bsm_node_name(link: LinkSpec) -> str:
    """Name of the BSM node in the middle of ``link``."""
    first, second = sorted((link.a, link.b))
    return f"BSM.{first}.{second}"


def _own(channel: Entity, node: Entity) -> None:
    # SeQUeNCe's channels draw polarisation noise from their own owner's generator;
    # unowned they would use fresh OS entropy, so each channel belongs to its sender.
    channel.owner = node


def _apply_cutoff(router: QuantumRouter, memory: MemoryConfig, cutoff_s: float | None) -> None:
    """Discard stored pairs older than ``cutoff_s`` (SeQUeNCe's expiry at cutoff_ratio x coherence time)."""
    if cutoff_s is None:
        return
    for slot in router.get_components_by_type("MemoryArray")[0]:
        if memory.coherence_time_s is None:
            # No decoherence, but still an expiry: the expiry time is coherence_time x ratio.
            slot.coherence_time = cutoff_s
            slot.cutoff_ratio = 1.0
            slot.decoherence_rate = 0.0
        else:
            slot.cutoff_ratio = cutoff_s / memory.coherence_time_s


def _add_router(built: BuiltNetwork, name: str, hardware: NodeHardwareConfig, seed: int, options: QTNOptions) -> None:
    router = QuantumRouter(
        name,
        built.timeline,
        memo_size=hardware.n_memories,
        seed=derive_seed(seed, f"node.{name}"),
        component_templates=router_templates(hardware),
        gate_fid=hardware.gate_fidelity,
        meas_fid=hardware.measurement_fidelity,
    )
    _apply_cutoff(router, hardware.memory, options.cutoff_s)
    setattr(router, OBSERVER_ATTR, built.observer)  # read by our protocols (qtn.sequence_backed.protocols)
    if options.swapping_order == "sequential":
        use_sequential_swapping(router)
    use_round_limited_purification(router, options.purification_rounds)
    built.routers[name] = router


def _add_link(built: BuiltNetwork, link: LinkSpec, seed: int, options: QTNOptions) -> None:
    timeline = built.timeline
    bsm_name = bsm_node_name(link)
    node_class = FastBSMNode if options.link_mode == "fast" else BSMNode
    bsm_node = node_class(
        bsm_name,
        timeline,
        [link.a, link.b],
        seed=derive_seed(seed, f"node.{bsm_name}"),
        component_templates=bsm_node_templates(link.hardware.bsm),
    )
    built.bsm_nodes[bsm_name] = bsm_node
    half_km = link.length_km / 2.0
    fibre = link.hardware.fibre
    half_delay_ps = max(1, s_to_ps(fibre_delay_s(half_km, fibre.speed_km_per_s)))
    for end, other in ((link.a, link.b), (link.b, link.a)):
        router = built.routers[end]
        router.add_bsm_node(bsm_name, other)
        qc = QuantumChannel(
            f"qc.{end}.{bsm_name}",
            timeline,
            attenuation=db_per_km_to_db_per_m(fibre.attenuation_db_per_km),
            distance=km_to_m(half_km),
            light_speed=light_speed_m_per_ps(fibre.speed_km_per_s),
        )
        qc.set_ends(router, bsm_name)
        _own(qc, router)
        built.quantum_channels.append(qc)
        for sender, receiver in ((router, bsm_name), (bsm_node, end)):
            cc = ClassicalChannel(f"cc.{sender.name}.{receiver}", timeline, km_to_m(half_km), half_delay_ps)
            cc.set_ends(sender, receiver)
            _own(cc, sender)
            built.classical_channels.append(cc)


def _add_router_mesh(built: BuiltNetwork, spec: NetworkSpec) -> dict[str, dict[str, float]]:
    """Classical channels between every pair of routers, delayed by the fibre route.

    SeQUeNCe's protocols message distant routers directly (swapping results go
    from a repeater to both ends), so every router pair needs a channel; its delay
    is that of the fastest fibre route between them. Returns the delays (s).
    """
    graph = delay_graph(spec)
    delays: dict[str, dict[str, float]] = {}
    for src in graph.nodes:
        delays_s, paths = fastest_routes_from(graph, src)
        delays[src] = dict(delays_s)
        for dst, delay_s in delays_s.items():
            if dst == src:
                continue
            route = paths[dst]
            length_km = sum(graph.edges[u, v]["length_km"] for u, v in zip(route, route[1:], strict=False))
            cc = ClassicalChannel(f"cc.{src}.{dst}", built.timeline, km_to_m(length_km), channel_delay_ps(delay_s))
            cc.set_ends(built.routers[src], dst)
            _own(cc, built.routers[src])
            built.classical_channels.append(cc)
    return delays


def _record_attempt_periods(built: BuiltNetwork, spec: NetworkSpec, delays: dict[str, dict[str, float]]) -> None:
    """Each link's retry period in both primary cases, for the fast mode."""
    for link in spec.links:
        for requester_is_primary in (False, True):
            period_s = link_attempt_period_s(
                spec, link, requester_is_primary=requester_is_primary, classical_delay_s=delays[link.a][link.b]
            )
            built.observer.periods_ps[(bsm_node_name(link), requester_is_primary)] = s_to_ps(period_s)


def install_static_routes(built: BuiltNetwork, spec: NetworkSpec, metric: str = "shortest") -> None:
    """Fill every router's forwarding table with shortest paths for ``metric`` (see :mod:`qtn.routing`)."""
    for src, table in next_hops(spec, metric).items():
        manager = built.routers[src].network_manager
        assert isinstance(manager, DistributedNetworkManager)  # SeQUeNCe's default for a QuantumRouter
        routing = manager.get_routing_protocol()
        for dst, hop in table.items():
            routing.update_forwarding_rule(dst, hop)


def build_entanglement_network(
    spec: NetworkSpec, seed: int, stop_time_s: float, options: QTNOptions | None = None
) -> BuiltNetwork:
    """Build quantum routers, midpoint BSM nodes and channels for ``spec`` on a new timeline.

    Must be called inside :func:`sequence_globals` (with the same link mode and
    purification protocol as ``options``). Every node is a SeQUeNCe
    ``QuantumRouter``; every link gets a ``BSMNode`` at its midpoint with a
    quantum and a classical channel to each end.
    """
    options = options or QTNOptions()
    built = BuiltNetwork(timeline=new_timeline(stop_time_s))
    for node in spec.nodes:
        _add_router(built, node.name, node.hardware, seed, options)
    for link in spec.links:
        _add_link(built, link, seed, options)
    delays = _add_router_mesh(built, spec)
    _record_attempt_periods(built, spec, delays)
    install_static_routes(built, spec, options.routing)
    return built
