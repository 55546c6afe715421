"""Small QKD networks for tests: hand-made graphs, links of a chosen key rate, a run on a fresh timeline."""

from collections.abc import Callable, Iterable, Sequence
from types import MappingProxyType

import numpy as np

from qkdn.keyrate.model import KeyRatePoint
from qkdn.network import QKDNetwork, QKDSettings
from qkdn.pool import KeyStore
from qnetsim.core.hardware import LinkHardwareConfig, NodeHardwareConfig
from qnetsim.core.spec import LinkSpec, NetworkSpec, NodeSpec
from qnetsim.core.units import fibre_delay_s
from qtn.sequence_backed import adapter

Edge = tuple[str, str, float]
#: Fibre speed of the default link hardware.
SPEED_KM_PER_S = LinkHardwareConfig().fibre.speed_km_per_s


def network_spec(edges: Iterable[Edge], roles: dict[str, str] | None = None) -> NetworkSpec:
    """Nodes named by ``edges`` (trusted relays unless ``roles`` says otherwise), default hardware."""
    edges = list(edges)
    names = sorted({name for a, b, _ in edges for name in (a, b)})
    roles = roles or {}
    nodes = tuple(NodeSpec(name, roles.get(name, "trusted_relay"), NodeHardwareConfig()) for name in names)  # type: ignore[arg-type]
    links = tuple(LinkSpec(a, b, length_km, LinkHardwareConfig()) for a, b, length_km in edges)
    return NetworkSpec(nodes, links)


def key_rate_point(key_rate_bps: float, distance_km: float = 10.0) -> KeyRatePoint:
    """A link's figures with a chosen secret key rate (QBER 2 %, a fifth of the sifted bits kept)."""
    per_pulse = key_rate_bps / 1e9
    return KeyRatePoint(
        protocol="decoy-bb84",
        distance_km=distance_km,
        key_rate_per_pulse=per_pulse,
        key_rate_bps=key_rate_bps,
        qber=0.02,
        parameters=MappingProxyType({"sifted_per_pulse": 5 * per_pulse}),
    )


def delay_s(length_km: float) -> float:
    """One-way fibre delay of a link of ``length_km`` with the default hardware."""
    return fibre_delay_s(length_km, SPEED_KM_PER_S)


def simulate(
    spec: NetworkSpec,
    duration_s: float,
    settings: QKDSettings | None = None,
    key_rate_bps: float | dict[frozenset[str], float] = 100_000.0,
    setup: Callable[[QKDNetwork], None] = lambda network: None,
    seed: int = 1,
    reports: bool = True,
    links_start_s: float = 0.0,
) -> QKDNetwork:
    """Build a QKD network on a fresh timeline, let ``setup`` add traffic, run for ``duration_s``.

    Every link gets a fast key link of ``key_rate_bps`` (one rate, or one per
    ``frozenset((a, b))``) from ``links_start_s``.
    """
    settings = settings or QKDSettings(block_bits=1000)
    with adapter.sequence_globals():
        timeline = adapter.new_timeline(duration_s)
        network = QKDNetwork(spec, settings, seed, timeline)
        for link in spec.links:
            rate = key_rate_bps if isinstance(key_rate_bps, float | int) else key_rate_bps[frozenset((link.a, link.b))]
            network.add_fast_link(
                link.a, link.b, key_rate_point(float(rate), link.length_km), links_start_s, duration_s
            )
        if reports:
            network.start_reports(duration_s)
        setup(network)
        adapter.run_timeline(timeline)
    return network


def fill(store_pair: Sequence[KeyStore], n_bits: int, name: str, seed: int = 0) -> np.ndarray:
    """Put the same ``n_bits`` random bits into both copies of one direction's store."""
    bits = np.random.default_rng(seed).integers(0, 2, size=n_bits, dtype=np.uint8)
    for store in store_pair:
        store.put(name, bits)
    return bits


def run_scenario_network(scenario) -> QKDNetwork:  # noqa: ANN001 (a scenarios.schema.Scenario)
    """Build and run a QKD scenario the way the runner does, keeping the network (keys, sessions) for inspection."""
    from qnetsim.core.randomness import controlled_global_random_state
    from scenarios.build import network_spec as scenario_network_spec
    from scenarios.build import qkd_network
    from scenarios.checks import check_scenario

    topology, problems = check_scenario(scenario)
    assert not problems, problems
    spec = scenario_network_spec(scenario, topology)
    with adapter.sequence_globals(link_mode=scenario.fidelity_level), controlled_global_random_state(scenario.seed):
        timeline = adapter.new_timeline(scenario.duration_s)
        network = qkd_network(scenario, spec, timeline)
        network.start_pool_sampling(
            scenario.qkd.pool_sample_interval_s or scenario.duration_s / 100, scenario.duration_s
        )
        adapter.run_timeline(timeline)
    return network


def trusted_relay_mesh_data(
    name: str, seed: int, duration_s: float, light_source: dict, qkd: dict, edges: list, traffic: list
) -> dict:
    """A scenario mapping: trusted relays joined by ``edges`` ([a, b, km]), one node template of ``light_source``.

    Every node has the same 25 %-efficient detector with 100 Hz of dark counts and 50 ps resolution.
    """
    return {
        "name": name,
        "seed": seed,
        "duration_s": duration_s,
        "templates": {
            "nodes": {
                "qkd_node": {
                    "light_source": light_source,
                    "detector": {"efficiency": 0.25, "dark_count_rate_hz": 100, "time_resolution_ps": 50},
                }
            }
        },
        "qkd": qkd,
        "network": {
            "generator": {"kind": "edges", "role": "trusted_relay", "edges": edges},
            "node_template": "qkd_node",
        },
        "traffic": traffic,
    }


def mesh_scenario(**changes) -> dict:  # noqa: ANN003
    """A six-node metro QKD mesh (ring a..f plus chords a-d, b-e) as a scenario mapping; ``changes`` replace keys."""
    scenario = trusted_relay_mesh_data(
        "test-qkd-mesh",
        seed=5,
        duration_s=2.0,
        light_source={"frequency_hz": 1.0e9},
        qkd={"link_model": "decoy-bb84", "routing": "shortest", "block_bits": 20_000, "report_interval_s": 0.05},
        edges=[
            ["a", "b", 20],
            ["b", "c", 25],
            ["c", "d", 20],
            ["d", "e", 30],
            ["e", "f", 20],
            ["f", "a", 25],
            ["a", "d", 45],
            ["b", "e", 40],
        ],
        traffic=[{"kind": "key", "src": "a", "dst": "c", "bits": 256, "rate_hz": 20.0, "deadline_s": 0.2}],
    )
    scenario.update(changes)
    return scenario
