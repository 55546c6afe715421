"""The hardware adapter both ways: our configs -> SeQUeNCe components -> our configs again.

Besides the round trips, SeQUeNCe-side values are checked directly in SeQUeNCe's
own units (metres, dB/m, m/ps, picoseconds), together with where the BSM
stations sit, which classical channels exist with which delay, how forwarding
tables route, that nothing draws unseeded randomness, and that SeQUeNCe's
class-level selectors are restored.
"""

import itertools

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sequence.components.detector import Detector
from sequence.components.light_source import LightSource
from sequence.components.memory import Memory
from sequence.components.optical_channel import QuantumChannel
from sequence.constants import BARRET_KOK, BELL_DIAGONAL_STATE_FORMALISM, KET_VECTOR_FORMALISM
from sequence.entanglement_management.generation import EntanglementGenerationA, EntanglementGenerationB
from sequence.entanglement_management.purification import PurificationProtocol
from sequence.entanglement_management.swapping import EntanglementSwappingA, EntanglementSwappingB
from sequence.kernel.eventlist import EventList
from sequence.kernel.quantum_manager import QuantumManager
from sequence.kernel.timeline import Timeline
from sequence.topology.node import BSMNode, QuantumRouter

from qnetsim.core.hardware import (
    BSMConfig,
    DetectorConfig,
    FibreConfig,
    LightSourceConfig,
    LinkHardwareConfig,
    MemoryConfig,
    NodeHardwareConfig,
)
from qnetsim.core.spec import LinkSpec, NetworkSpec, NodeSpec
from qtn.sequence_backed.adapter import (
    bsm_node_name,
    build_entanglement_network,
    detector_args,
    detector_config_of,
    events_executed,
    fibre_config_of,
    light_source_args,
    light_speed_m_per_ps,
    memory_array_args,
    memory_config_of,
    new_timeline,
    now_s,
    schedule_call,
    sequence_globals,
    unowned_random_entities,
)
from qtn.sequence_backed.event_list import FastEventList
from qtn.sequence_backed.protocols import FAST_GENERATION, HARDWARE_GENERATION
from qtn.sequence_backed.purification import BBPSSW_NAME, DEJMPS_NAME, SWAPPING_NAME

SLOW_FIBRE = FibreConfig(attenuation_db_per_km=0.3, speed_km_per_s=1.0e4)
FAST_FIBRE = FibreConfig(attenuation_db_per_km=0.18, speed_km_per_s=2.0e5)
ODD_DETECTOR = DetectorConfig(efficiency=0.8, dark_count_rate_hz=50.0, time_resolution_ps=80.0, count_rate_hz=1.0e7)


def _diamond_spec() -> NetworkSpec:
    """a-b-c-d by short slow fibre (30 km, 3 ms) and a-d by long fast fibre (100 km, 0.5 ms).

    The shortest route a -> d by length (via b, c) is not the fewest hops (direct)
    and not the fastest (direct), so routing and channel delays each have one right answer.
    """
    nodes = (
        NodeSpec(
            "a",
            "end",
            NodeHardwareConfig(
                n_memories=3,
                memory=MemoryConfig(
                    efficiency=0.6, coherence_time_s=0.5, raw_fidelity=0.9, frequency_hz=1.0e6, wavelength_nm=1310.0
                ),
                gate_fidelity=0.99,
                measurement_fidelity=0.98,
                swap_success_probability=0.8,
            ),
        ),
        NodeSpec("b", "repeater", NodeHardwareConfig(n_memories=2, memory=MemoryConfig(coherence_time_s=None))),
        NodeSpec("c", "repeater", NodeHardwareConfig()),
        NodeSpec("d", "end", NodeHardwareConfig(n_memories=1)),
    )
    slow = LinkHardwareConfig(fibre=SLOW_FIBRE, bsm=BSMConfig(success_probability=0.4, detector=ODD_DETECTOR))
    links = (
        LinkSpec("a", "b", 10.0, slow),
        LinkSpec("b", "c", 10.0, slow),
        LinkSpec("d", "c", 10.0, LinkHardwareConfig(fibre=SLOW_FIBRE)),
        LinkSpec("a", "d", 100.0, LinkHardwareConfig(fibre=FAST_FIBRE)),
    )
    return NetworkSpec(nodes, links)


SPEC = _diamond_spec()


@pytest.fixture(scope="module")
def built():
    with sequence_globals():
        network = build_entanglement_network(SPEC, seed=11, stop_time_s=0.01)
        network.timeline.init()
    return network


def _memories(router: QuantumRouter) -> list[Memory]:
    (memory_array,) = router.get_components_by_type("MemoryArray")
    return list(memory_array.memories)


def _bsm_component(node: BSMNode):
    (bsm,) = node.get_components_by_type("SingleHeraldedBSM")
    return bsm


# --- nodes ----------------------------------------------------------------------------------


def test_every_node_becomes_a_router_and_every_link_a_bsm_node(built):
    assert sorted(built.routers) == ["a", "b", "c", "d"]
    assert all(isinstance(router, QuantumRouter) for router in built.routers.values())
    assert sorted(built.bsm_nodes) == ["BSM.a.b", "BSM.a.d", "BSM.b.c", "BSM.c.d"]
    assert bsm_node_name(LinkSpec("d", "c", 1.0, LinkHardwareConfig())) == "BSM.c.d"
    assert all(node.timeline is built.timeline for node in [*built.routers.values(), *built.bsm_nodes.values()])


def test_memories_read_back_as_configured(built):
    for node in SPEC.nodes:
        memories = _memories(built.routers[node.name])
        assert len(memories) == node.hardware.n_memories
        for memory in memories:
            assert memory_config_of(memory) == node.hardware.memory


def test_memory_values_on_the_sequence_side(built):
    (memory, *_) = _memories(built.routers["a"])
    assert memory.efficiency == 0.6
    assert memory.coherence_time == 0.5  # seconds in SeQUeNCe too
    assert memory.raw_fidelity == 0.9
    assert memory.frequency == 1.0e6
    assert memory.wavelength == 1310.0
    (no_decoherence, *_) = _memories(built.routers["b"])
    assert no_decoherence.coherence_time == -1  # SeQUeNCe's "never decoheres"


def test_router_gate_measurement_and_swap_parameters(built):
    for node in SPEC.nodes:
        router = built.routers[node.name]
        assert router.gate_fid == node.hardware.gate_fidelity
        assert router.meas_fid == node.hardware.measurement_fidelity
        assert router.swapping_success_prob == node.hardware.swap_success_probability


def test_bsm_detectors_read_back_as_configured(built):
    for link in SPEC.links:
        bsm = _bsm_component(built.bsm_nodes[bsm_node_name(link)])
        assert len(bsm.detectors) == 2
        for detector in bsm.detectors:
            assert detector_config_of(detector) == link.hardware.bsm.detector
        assert bsm.success_rate == link.hardware.bsm.success_probability


def test_detector_values_on_the_sequence_side(built):
    (detector, _) = _bsm_component(built.bsm_nodes["BSM.a.b"]).detectors
    assert detector.efficiency == 0.8
    assert detector.dark_count == 50.0  # counts per second
    assert detector.time_resolution == 80 and isinstance(detector.time_resolution, int)  # ps
    assert detector.count_rate == 1.0e7


# --- quantum channels and BSM placement -------------------------------------------------------


def test_each_link_is_split_in_two_halves_meeting_at_its_bsm_node(built):
    for link in SPEC.links:
        bsm_name = bsm_node_name(link)
        for end, other in ((link.a, link.b), (link.b, link.a)):
            router = built.routers[end]
            channel = router.qchannels[bsm_name]
            assert channel.sender is router and channel.receiver == bsm_name
            assert router.map_to_middle_node[other] == bsm_name
            # Half the link in metres on each side: the station sits at the midpoint.
            assert channel.distance == pytest.approx(link.length_km * 1000.0 / 2.0, rel=1e-12)
    assert len(built.quantum_channels) == 2 * len(SPEC.links)


def test_quantum_channel_units_on_the_sequence_side(built):
    slow = built.routers["a"].qchannels["BSM.a.b"]
    assert slow.distance == pytest.approx(5_000.0)  # m
    assert slow.attenuation == pytest.approx(0.3e-3)  # dB/m
    assert slow.light_speed == pytest.approx(1.0e-5)  # m/ps (1e4 km/s)
    assert slow.delay == 500_000_000  # ps: 5 km at 1e4 km/s is 0.5 ms (set by init())
    assert slow.loss == pytest.approx(1 - 10 ** (-0.3 * 5 / 10))  # 10^(-alpha L/10) over the half link
    fast = built.routers["d"].qchannels["BSM.a.d"]
    assert fast.distance == pytest.approx(50_000.0)
    assert fast.attenuation == pytest.approx(0.18e-3)
    assert fast.light_speed == pytest.approx(2.0e-4)  # SeQUeNCe's own default fibre speed
    assert fast.delay == 250_000_000  # 50 km at 2e5 km/s is 0.25 ms


def test_fibres_read_back_as_configured(built):
    for link in SPEC.links:
        bsm_name = bsm_node_name(link)
        for end in (link.a, link.b):
            length_km, fibre = fibre_config_of(built.routers[end].qchannels[bsm_name])
            assert length_km == pytest.approx(link.length_km / 2.0, rel=1e-12)
            assert fibre.attenuation_db_per_km == pytest.approx(link.hardware.fibre.attenuation_db_per_km, rel=1e-12)
            assert fibre.speed_km_per_s == pytest.approx(link.hardware.fibre.speed_km_per_s, rel=1e-12)


def test_light_speed_conversion():
    assert light_speed_m_per_ps(2.0e5) == pytest.approx(2.0e-4, rel=1e-12)  # 2e5 km/s = 2e8 m / 1e12 ps
    assert light_speed_m_per_ps(3.0e5) == pytest.approx(3.0e-4, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    length_km=st.floats(min_value=0.01, max_value=500.0),
    attenuation_db_per_km=st.floats(min_value=0.0, max_value=2.0),
    speed_km_per_s=st.floats(min_value=1.0e4, max_value=299_792.458),  # at most the speed of light (schema bound)
)
def test_any_fibre_survives_the_round_trip(length_km, attenuation_db_per_km, speed_km_per_s):
    fibre = FibreConfig(attenuation_db_per_km=attenuation_db_per_km, speed_km_per_s=speed_km_per_s)
    spec = NetworkSpec(
        (
            NodeSpec("x", "end", NodeHardwareConfig(n_memories=1)),
            NodeSpec("y", "end", NodeHardwareConfig(n_memories=1)),
        ),
        (LinkSpec("x", "y", length_km, LinkHardwareConfig(fibre=fibre)),),
    )
    with sequence_globals():
        network = build_entanglement_network(spec, seed=1, stop_time_s=0.001)
    for channel in network.quantum_channels:
        assert channel.distance == pytest.approx(length_km * 500.0, rel=1e-12)
        assert channel.attenuation == pytest.approx(attenuation_db_per_km / 1000.0, rel=1e-12, abs=1e-300)
        assert channel.light_speed == pytest.approx(speed_km_per_s * 1e-9, rel=1e-12)
        half_km, read_back = fibre_config_of(channel)
        assert half_km == pytest.approx(length_km / 2.0, rel=1e-12)
        assert read_back.attenuation_db_per_km == pytest.approx(attenuation_db_per_km, rel=1e-12, abs=1e-300)
        assert read_back.speed_km_per_s == pytest.approx(speed_km_per_s, rel=1e-12)


# --- classical channels ---------------------------------------------------------------------


def _half_link_delay_ps(link: LinkSpec) -> int:
    return max(1, round(link.length_km / 2.0 / link.hardware.fibre.speed_km_per_s * 1e12))


def test_router_to_bsm_classical_channels_have_the_half_link_fibre_delay(built):
    for link in SPEC.links:
        bsm_name = bsm_node_name(link)
        bsm_node = built.bsm_nodes[bsm_name]
        for end in (link.a, link.b):
            to_bsm = built.routers[end].cchannels[bsm_name]
            from_bsm = bsm_node.cchannels[end]
            for channel in (to_bsm, from_bsm):
                assert channel.delay == _half_link_delay_ps(link)
                assert channel.distance == pytest.approx(link.length_km * 500.0)
    assert built.routers["a"].cchannels["BSM.a.b"].delay == 500_000_000  # 5 km at 1e4 km/s = 0.5 ms


def _fastest_route(source: str, target: str) -> tuple[float, float]:
    """(delay_s, length_km) of the fastest route, by enumerating every simple path."""
    graph = SPEC.graph()
    fibre = {frozenset((link.a, link.b)): link for link in SPEC.links}
    best = None
    for path in nx.all_simple_paths(graph, source, target):
        hops = [fibre[frozenset(hop)] for hop in itertools.pairwise(path)]
        delay_s = sum(hop.length_km / hop.hardware.fibre.speed_km_per_s for hop in hops)
        length_km = sum(hop.length_km for hop in hops)
        if best is None or delay_s < best[0]:
            best = (delay_s, length_km)
    return best


def test_every_router_pair_has_a_classical_channel_with_the_fastest_route_delay(built):
    for source, target in itertools.permutations(built.routers, 2):
        channel = built.routers[source].cchannels[target]
        delay_s, length_km = _fastest_route(source, target)
        assert channel.sender is built.routers[source] and channel.receiver == target
        assert channel.delay == max(1, round(delay_s * 1e12))
        assert channel.distance == pytest.approx(length_km * 1000.0)
    # a -> d goes over the long fast fibre (0.5 ms), not the short slow route (3 ms).
    assert built.routers["a"].cchannels["d"].delay == 500_000_000
    # b -> d: via c takes 2 ms, via a takes 1 ms + 0.5 ms.
    assert built.routers["b"].cchannels["d"].delay == 1_500_000_000
    n_routers, n_links = len(built.routers), len(SPEC.links)
    assert len(built.classical_channels) == n_routers * (n_routers - 1) + 4 * n_links


# --- forwarding ----------------------------------------------------------------------------


def _assert_forwarding_follows_shortest_paths(routers: dict[str, QuantumRouter], spec: NetworkSpec) -> None:
    """Tables route a pair iff a path through repeaters joins it (only repeaters swap), on a shortest one."""
    graph = spec.graph()
    repeaters = {node.name for node in spec.nodes if node.role == "repeater"}
    for source, router in routers.items():
        table = router.network_manager.get_forwarding_table()
        for target in set(routers) - {source}:
            allowed = graph.subgraph(repeaters | {source, target})
            assert (target in table) == nx.has_path(allowed, source, target)
        for target in table:
            walked, hop, length_km = [source], source, 0.0
            while hop != target:
                next_hop = routers[hop].network_manager.get_forwarding_table()[target]
                assert graph.has_edge(hop, next_hop)
                length_km += graph.edges[hop, next_hop]["length_km"]
                hop = next_hop
                walked.append(hop)
                assert len(walked) <= len(routers)  # no forwarding loop
            assert set(walked[1:-1]) <= repeaters
            allowed = graph.subgraph(repeaters | {source, target})
            assert length_km == pytest.approx(nx.dijkstra_path_length(allowed, source, target, weight="length_km"))


def test_forwarding_tables_follow_shortest_paths_by_length(built):
    _assert_forwarding_follows_shortest_paths(built.routers, SPEC)
    # Fewest hops would send a -> d directly; the shortest (30 km vs 100 km) goes via b.
    assert built.routers["a"].network_manager.get_forwarding_table()["d"] == "b"
    assert built.routers["d"].network_manager.get_forwarding_table()["a"] == "c"


@st.composite
def connected_specs(draw) -> NetworkSpec:
    n_nodes = draw(st.integers(min_value=2, max_value=7))
    names = [f"n{i}" for i in range(n_nodes)]
    pairs = list(itertools.combinations(names, 2))
    tree = [(names[i], names[draw(st.integers(0, i - 1))]) for i in range(1, n_nodes)]
    extra = draw(st.lists(st.sampled_from(pairs), max_size=8))
    edges = {frozenset(pair) for pair in [*tree, *extra]}
    lengths = st.floats(min_value=0.5, max_value=100.0)
    links = tuple(LinkSpec(*sorted(edge), draw(lengths), LinkHardwareConfig()) for edge in sorted(map(sorted, edges)))
    hardware = NodeHardwareConfig(n_memories=1)
    roles = draw(st.lists(st.sampled_from(["end", "repeater", "trusted_relay"]), min_size=n_nodes, max_size=n_nodes))
    return NetworkSpec(tuple(NodeSpec(name, role, hardware) for name, role in zip(names, roles, strict=True)), links)


@settings(max_examples=30, deadline=None)
@given(connected_specs())
def test_forwarding_follows_shortest_paths_on_random_graphs(spec):
    with sequence_globals():
        network = build_entanglement_network(spec, seed=3, stop_time_s=0.001)
    _assert_forwarding_follows_shortest_paths(network.routers, spec)


# --- randomness ------------------------------------------------------------------------------


def test_no_entity_draws_unseeded_randomness(built):
    assert unowned_random_entities(built.timeline) == []
    node_generators = [node.generator for node in [*built.routers.values(), *built.bsm_nodes.values()]]
    for name, entity in built.timeline.entities.items():
        generator = entity.get_generator()
        assert any(generator is node_generator for node_generator in node_generators), name


def test_an_unowned_channel_is_reported(built):
    with sequence_globals():
        network = build_entanglement_network(SPEC, seed=11, stop_time_s=0.01)
    stray = QuantumChannel("qc.stray", network.timeline, attenuation=0.0, distance=1.0)
    network.timeline.init()
    assert stray.owner is None
    assert unowned_random_entities(network.timeline) == ["qc.stray"]


def test_node_generators_are_derived_from_the_run_seed():
    def first_draws(seed: int) -> dict[str, float]:
        with sequence_globals():
            network = build_entanglement_network(SPEC, seed=seed, stop_time_s=0.01)
        nodes = {**network.routers, **network.bsm_nodes}
        return {name: float(node.get_generator().random()) for name, node in nodes.items()}

    first, again, other = first_draws(5), first_draws(5), first_draws(6)
    assert first == again
    assert all(first[name] != other[name] for name in first)
    assert len(set(first.values())) == len(first)  # every node has its own stream


# --- *_args helpers round trips -----------------------------------------------------------


probabilities = st.floats(min_value=0.0, max_value=1.0)
positive = st.floats(min_value=1e-3, max_value=1e9)


@settings(max_examples=60, deadline=None)
@given(
    st.builds(
        MemoryConfig,
        efficiency=probabilities,
        coherence_time_s=st.none() | st.floats(min_value=1e-6, max_value=1e3),
        raw_fidelity=st.floats(min_value=0.5, max_value=1.0),
        frequency_hz=positive,
        wavelength_nm=st.floats(min_value=100.0, max_value=3000.0),
    )
)
def test_memory_config_round_trip(memory):
    component = Memory("m", Timeline(), **memory_array_args(memory))
    assert memory_config_of(component) == memory


@settings(max_examples=60, deadline=None)
@given(
    st.builds(
        DetectorConfig,
        efficiency=probabilities,
        dark_count_rate_hz=st.just(0.0) | st.floats(min_value=1e-6, max_value=1e6),
        time_resolution_ps=st.integers(min_value=1, max_value=10**6).map(float),
        count_rate_hz=positive,
    )
)
def test_detector_config_round_trip(detector):
    component = Detector("det", Timeline(), **detector_args(detector))
    assert detector_config_of(component) == detector


def test_detector_time_resolution_is_rounded_to_whole_picoseconds():
    """SeQUeNCe's clock ticks in integer picoseconds, so a fractional resolution cannot survive."""
    assert detector_args(DetectorConfig(time_resolution_ps=100.4))["time_resolution"] == 100
    assert detector_args(DetectorConfig(time_resolution_ps=100.6))["time_resolution"] == 101


@given(
    st.builds(
        LightSourceConfig,
        frequency_hz=positive,
        mean_photon_number=st.floats(min_value=1e-4, max_value=10.0),
        wavelength_nm=st.floats(min_value=100.0, max_value=3000.0),
    )
)
def test_light_source_args_reach_sequence(source):
    component = LightSource("ls", Timeline(), **light_source_args(source))
    assert component.frequency == source.frequency_hz
    assert component.mean_photon_num == source.mean_photon_number
    assert component.wavelength == source.wavelength_nm


# --- SeQUeNCe's class-level selectors --------------------------------------------------------


def _selectors() -> tuple[str, ...]:
    return (
        QuantumManager.get_active_formalism(),
        EntanglementGenerationA.get_global_type(),
        EntanglementGenerationB.get_global_type(),
        EntanglementSwappingA.get_formalism(),
        EntanglementSwappingB.get_formalism(),
        PurificationProtocol.get_formalism(),
    )


def _set_selectors(values: tuple[str, ...]) -> None:
    QuantumManager.set_global_manager_formalism(values[0])
    EntanglementGenerationA.set_global_type(values[1])
    EntanglementGenerationB.set_global_type(values[2])
    EntanglementSwappingA.set_formalism(values[3])
    EntanglementSwappingB.set_formalism(values[4])
    PurificationProtocol.set_formalism(values[5])


CALLERS_SELECTORS = (
    KET_VECTOR_FORMALISM,
    BARRET_KOK,
    BARRET_KOK,
    KET_VECTOR_FORMALISM,
    KET_VECTOR_FORMALISM,
    KET_VECTOR_FORMALISM,
)
INSIDE_SELECTORS = (
    BELL_DIAGONAL_STATE_FORMALISM,
    HARDWARE_GENERATION,
    HARDWARE_GENERATION,
    BELL_DIAGONAL_STATE_FORMALISM,
    SWAPPING_NAME,
    BBPSSW_NAME,
)
FAST_DEJMPS_SELECTORS = (
    BELL_DIAGONAL_STATE_FORMALISM,
    FAST_GENERATION,
    FAST_GENERATION,
    BELL_DIAGONAL_STATE_FORMALISM,
    SWAPPING_NAME,
    DEJMPS_NAME,
)


@pytest.fixture
def callers_selectors():
    saved = _selectors()
    _set_selectors(CALLERS_SELECTORS)
    yield
    _set_selectors(saved)


@pytest.mark.usefixtures("callers_selectors")
def test_sequence_globals_selects_and_restores():
    with sequence_globals():
        assert _selectors() == INSIDE_SELECTORS
    assert _selectors() == CALLERS_SELECTORS


@pytest.mark.usefixtures("callers_selectors")
def test_sequence_globals_selects_fast_mode_and_dejmps():
    with sequence_globals(link_mode="fast", purification="dejmps"):
        assert _selectors() == FAST_DEJMPS_SELECTORS
    assert _selectors() == CALLERS_SELECTORS


@pytest.mark.usefixtures("callers_selectors")
def test_sequence_globals_restores_when_the_body_raises():
    with pytest.raises(KeyError):
        with sequence_globals():
            assert _selectors() == INSIDE_SELECTORS
            raise KeyError("boom")
    assert _selectors() == CALLERS_SELECTORS


@pytest.mark.usefixtures("callers_selectors")
def test_sequence_globals_nests():
    with sequence_globals():
        with sequence_globals():
            assert _selectors() == INSIDE_SELECTORS
        assert _selectors() == INSIDE_SELECTORS
    assert _selectors() == CALLERS_SELECTORS


@pytest.mark.usefixtures("callers_selectors")
def test_unsupported_formalism_is_refused_without_touching_the_selectors():
    with pytest.raises(ValueError, match="not supported"):
        with sequence_globals(KET_VECTOR_FORMALISM):
            pass
    assert _selectors() == CALLERS_SELECTORS


# --- timeline helpers ---------------------------------------------------------------------


def test_new_timeline_uses_the_fast_event_list_and_stop_time_in_ps():
    with sequence_globals():
        fast = new_timeline(0.25)
        stock = new_timeline(0.25, fast_event_list=False)
    assert isinstance(fast.events, FastEventList)
    assert isinstance(stock.events, EventList)
    assert fast.stop_time == stock.stop_time == 250_000_000_000


def test_scheduled_calls_run_at_their_simulated_time():
    with sequence_globals():
        timeline = new_timeline(1.0)
    seen = []
    schedule_call(timeline, 2e-3, lambda tag: seen.append((tag, now_s(timeline))), "late")
    schedule_call(timeline, 1e-3, lambda tag: seen.append((tag, now_s(timeline))), "early")
    schedule_call(timeline, 2.0, lambda tag: seen.append((tag, now_s(timeline))), "after the stop time")
    timeline.init()
    timeline.run()
    assert seen == [("early", 1e-3), ("late", 2e-3)]
    assert events_executed(timeline) == 2
