"""Shared pieces of the chain benchmark: the raw-SeQUeNCe chain, statistics and a parity check.

The raw chain is the default scenario (``scenarios/library/entanglement-chain.yaml``)
written the way a SeQUeNCe user would write it: a ``RouterNetTopo`` configuration
dictionary in SeQUeNCe's own units (metres, picoseconds, dB per metre, hertz) and
SeQUeNCe's ``RequestApp``. Nothing here goes through the project's adapter, so a
conversion slip in the project would show up as a parity difference rather than
being copied into the baseline.

:func:`network_fingerprint` reads the parameters that decide the physics, the
hardware and the request back from any built SeQUeNCe timeline; the benchmark
compares the project's network with the raw one field by field before timing.
"""

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sequence.app.request_app import RequestApp
from sequence.components.optical_channel import ClassicalChannel, QuantumChannel
from sequence.constants import BELL_DIAGONAL_STATE_FORMALISM, SINGLE_HERALDED
from sequence.entanglement_management.generation import EntanglementGenerationA, EntanglementGenerationB
from sequence.entanglement_management.purification import PurificationProtocol
from sequence.entanglement_management.swapping import EntanglementSwappingA, EntanglementSwappingB
from sequence.kernel.quantum_manager import QuantumManager
from sequence.kernel.timeline import Timeline
from sequence.resource_management.memory_manager import MemoryInfo
from sequence.topology.node import BSMNode, QuantumRouter
from sequence.topology.router_net_topo import RouterNetTopo

from qtn.sequence_backed.event_list import FastEventList

# --- the default chain in SeQUeNCe's units --------------------------------------------

N_ROUTERS = 3
LINK_LENGTH_M = 10_000.0
ATTENUATION_DB_PER_M = 0.2 / 1000  # 0.2 dB/km
#: Classical delay of one 10 km hop at SeQUeNCe's fibre speed of 2e-4 m/ps.
HOP_DELAY_PS = 50_000_000
N_MEMORIES = 4
N_REQUEST_MEMORIES = 2
TARGET_FIDELITY = 0.8
REQUEST_START_PS = 0
#: The project starts using memories once the RSVP round trip along the path is
#: over, plus a 1 us guard (``qtn.sequence_backed.network.SETUP_GUARD_S``); the raw request uses
#: the same window.
RESERVATION_SETUP_PS = 2 * (N_ROUTERS - 1) * HOP_DELAY_PS + 1_000_000  # reservation_setup_ps(N_ROUTERS)

TEMPLATES: dict[str, dict[str, Any]] = {
    "router": {
        "MemoryArray": {
            "fidelity": 0.95,
            "frequency": 2.0e6,
            "efficiency": 0.75,
            "coherence_time": 1.0,
            "wavelength": 1550.0,
        },
    },
    "bsm": {
        "encoding_type": "single_heralded",
        "SingleHeraldedBSM": {
            "success_rate": 0.5,
            "detectors": [
                {"efficiency": 0.9, "dark_count": 10.0, "time_resolution": 100, "count_rate": 1.0e8},
                {"efficiency": 0.9, "dark_count": 10.0, "time_resolution": 100, "count_rate": 1.0e8},
            ],
        },
    },
}


def router_name(index: int) -> str:
    """Name of the ``index``-th router of the chain (the project's chain generator names them n0, n1, ...)."""
    return f"n{index}"


def reservation_setup_ps(n_routers: int) -> int:
    """The request window's start on an ``n_routers`` chain: the reservation round trip plus the 1 us guard."""
    return 2 * (n_routers - 1) * HOP_DELAY_PS + 1_000_000


def raw_chain_config(
    duration_s: float, n_routers: int = N_ROUTERS, seed: int = 0, raw_fidelity: float | None = None
) -> dict[str, Any]:
    """``RouterNetTopo`` configuration of an ``n_routers`` chain (default: the default one), stopping at ``duration_s``.

    ``seed`` shifts every entity's literal seed, so repeats can draw other numbers;
    ``raw_fidelity`` replaces the memories' raw fidelity (default 0.95).
    """
    templates = TEMPLATES
    if raw_fidelity is not None:
        router = {"MemoryArray": {**TEMPLATES["router"]["MemoryArray"], "fidelity": raw_fidelity}}
        templates = {**TEMPLATES, "router": router}
    nodes = [
        {
            "name": router_name(i),
            "type": "QuantumRouter",
            "seed": seed * 1000 + i,
            "memo_size": N_MEMORIES,
            "template": "router",
        }
        for i in range(n_routers)
    ]
    quantum_links = [
        {
            "node1": router_name(i),
            "node2": router_name(i + 1),
            "attenuation": ATTENUATION_DB_PER_M,
            "distance": LINK_LENGTH_M,
            "type": "meet_in_the_middle",
            "template": "bsm",
            "seed": seed * 1000 + 100 + i,
        }
        for i in range(n_routers - 1)
    ]
    classical_links = [
        {
            "node1": router_name(i),
            "node2": router_name(j),
            "delay": (j - i) * HOP_DELAY_PS,
            "distance": (j - i) * LINK_LENGTH_M,
        }
        for i in range(n_routers)
        for j in range(i + 1, n_routers)
    ]
    return {
        "templates": templates,
        "nodes": nodes,
        "qconnections": quantum_links,
        "cconnections": classical_links,
        "formalism": BELL_DIAGONAL_STATE_FORMALISM,
        "stop_time": int(round(duration_s * 1e12)),
    }


def select_raw_protocols() -> None:
    """SeQUeNCe's class-level selectors a user sets for single-heralded, Bell-diagonal runs."""
    EntanglementGenerationA.set_global_type(SINGLE_HERALDED)
    EntanglementGenerationB.set_global_type(SINGLE_HERALDED)
    EntanglementSwappingA.set_formalism(BELL_DIAGONAL_STATE_FORMALISM)
    EntanglementSwappingB.set_formalism(BELL_DIAGONAL_STATE_FORMALISM)
    PurificationProtocol.set_formalism(BELL_DIAGONAL_STATE_FORMALISM)


class FidelityNotingRequestApp(RequestApp):
    """SeQUeNCe's ``RequestApp``, also noting the fidelity of every pair it counts.

    The count is SeQUeNCe's own ``memory_counter``; the fidelity is the one the
    memory manager holds for the pair when it is handed over (``MemoryInfo.fidelity``),
    kept only for the benchmark's fairness check.
    """

    def __init__(self, node: QuantumRouter) -> None:
        super().__init__(node)
        self.delivered_fidelities: list[float] = []

    def get_memory(self, info: MemoryInfo) -> None:
        fidelity = info.fidelity  # the release to RAW below resets it
        n_counted = self.memory_counter
        super().get_memory(info)
        if self.memory_counter > n_counted:
            self.delivered_fidelities.append(float(fidelity))


@dataclass
class RawChainRun:
    """What one raw run produced."""

    timeline: Timeline
    initiator_app: FidelityNotingRequestApp

    @property
    def n_events(self) -> int:
        return int(self.timeline.run_counter)

    @property
    def n_pairs(self) -> int:
        return int(self.initiator_app.memory_counter)

    @property
    def fidelities(self) -> list[float]:
        return self.initiator_app.delivered_fidelities


def run_raw_chain(
    duration_s: float,
    *,
    fast_event_list: bool,
    n_routers: int = N_ROUTERS,
    target_fidelity: float = TARGET_FIDELITY,
    seed: int = 0,
    raw_fidelity: float | None = None,
) -> RawChainRun:
    """Build the chain with ``RouterNetTopo``, issue the request and run it to ``duration_s``.

    Args:
        duration_s: simulated time (s).
        fast_event_list: swap in the project's ``FastEventList`` (``timeline.events``);
            otherwise SeQUeNCe's stock event list is used.
        n_routers: routers in the chain (default: the default scenario's 3).
        target_fidelity: the request's target fidelity.
        seed: shifts the entities' literal seeds (see :func:`raw_chain_config`).
        raw_fidelity: the memories' raw fidelity (default: the default chain's 0.95).
    """
    select_raw_protocols()
    topology = RouterNetTopo(raw_chain_config(duration_s, n_routers, seed, raw_fidelity))
    timeline = topology.get_timeline()
    if fast_event_list:
        timeline.events = FastEventList()
    apps = {router.name: FidelityNotingRequestApp(router) for router in topology.get_nodes_by_type("QuantumRouter")}
    timeline.init()
    initiator = apps[router_name(0)]
    initiator.start(
        router_name(n_routers - 1),
        REQUEST_START_PS + reservation_setup_ps(n_routers),
        timeline.stop_time,
        N_REQUEST_MEMORIES,
        target_fidelity,
    )
    timeline.run()
    return RawChainRun(timeline=timeline, initiator_app=initiator)


# --- statistics ---------------------------------------------------------------------------


@dataclass
class Samples:
    """Per-repetition figures of one benchmark variant."""

    wall_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    n_events: list[int] = field(default_factory=list)
    n_pairs: list[int] = field(default_factory=list)
    mean_fidelities: list[float] = field(default_factory=list)
    fidelity_standard_errors: list[float] = field(default_factory=list)

    def add(self, wall_s: float, cpu_s: float, n_events: int, fidelities: Sequence[float]) -> None:
        """Record one repetition: wall and CPU time, events executed and the fidelity of every pair."""
        self.wall_s.append(wall_s)
        self.cpu_s.append(cpu_s)
        self.n_events.append(n_events)
        self.n_pairs.append(len(fidelities))
        self.mean_fidelities.append(statistics.fmean(fidelities) if fidelities else math.nan)
        standard_error = statistics.stdev(fidelities) / math.sqrt(len(fidelities)) if len(fidelities) > 1 else math.nan
        self.fidelity_standard_errors.append(standard_error)

    @property
    def median_wall_s(self) -> float:
        return statistics.median(self.wall_s)

    @property
    def median_cpu_s(self) -> float:
        return statistics.median(self.cpu_s)

    @property
    def median_events_per_s(self) -> float:
        return statistics.median(n / t for n, t in zip(self.n_events, self.wall_s, strict=True))

    @property
    def mean_pairs(self) -> float:
        """Pairs delivered per run, averaged over repetitions."""
        return statistics.fmean(self.n_pairs)

    @property
    def mean_fidelity(self) -> float:
        """Mean pair fidelity of a run, averaged over repetitions."""
        return statistics.fmean(self.mean_fidelities)

    @property
    def fidelity_standard_error(self) -> float:
        """Standard error of one run's mean fidelity (median over repetitions).

        Per run rather than pooled: qnetsim's repetitions are identical (same seed),
        so pooling them would understate the spread.
        """
        return statistics.median(self.fidelity_standard_errors)


# --- parity of two built networks ---------------------------------------------------------


def _memory_fields(router: QuantumRouter) -> list[dict[str, Any]]:
    memories = router.get_components_by_type("MemoryArray")[0].memories
    fields = {
        (m.raw_fidelity, m.frequency, m.efficiency, m.coherence_time, m.wavelength, m.cutoff_ratio, m.cutoff_flag)
        for m in memories
    }
    names = ("raw_fidelity", "frequency", "efficiency", "coherence_time", "wavelength", "cutoff_ratio", "cutoff_flag")
    return [dict(zip(names, values, strict=True)) for values in sorted(fields)]


def _reservations(router: QuantumRouter) -> list[dict[str, Any]]:
    seen = []
    for card in router.network_manager.get_timecards():
        for reservation in card.reservations:
            entry = {
                "initiator": reservation.initiator,
                "responder": reservation.responder,
                "start_time_ps": reservation.start_time,
                "end_time_ps": reservation.end_time,
                "memory_size": reservation.memory_size,
                "fidelity": reservation.fidelity,
                "entanglement_number": reservation.entanglement_number,
                "purification_mode": reservation.purification_mode,
                "path": list(reservation.path),
                "memory_index": card.memory_index,
            }
            seen.append(entry)
    return sorted(seen, key=lambda entry: (entry["memory_index"], entry["start_time_ps"]))


def _router_fields(router: QuantumRouter) -> dict[str, Any]:
    return {
        "n_memories": len(router.get_components_by_type("MemoryArray")[0].memories),
        "memories": _memory_fields(router),
        "gate_fid": router.gate_fid,
        "meas_fid": router.meas_fid,
        "swapping_success_prob": router.swapping_success_prob,
        "swapping_degradation": router.swapping_degradation,
        "forwarding_table": dict(sorted(router.network_manager.get_forwarding_table().items())),
        "reservations": _reservations(router),
    }


def _bsm_fields(node: BSMNode) -> dict[str, Any]:
    bsm = node.components[node.first_component_name]
    return {
        "encoding_type": node.encoding_type,
        "bsm_class": type(bsm).__name__,
        "success_rate": bsm.success_rate,
        "phase_error": bsm.phase_error,
        "detectors": [
            {
                "efficiency": d.efficiency,
                "dark_count": d.dark_count,
                "count_rate": d.count_rate,
                "time_resolution": d.time_resolution,
            }
            for d in bsm.detectors
        ],
    }


def network_fingerprint(timeline: Timeline) -> dict[str, Any]:
    """Parameters of a built (and initialised) SeQUeNCe network that decide its physics.

    Entity names of channels differ between builders, so channels are keyed by
    their ends. Seeds are left out on purpose: the two builds may differ there.
    """
    routers, bsm_nodes, quantum, classical = {}, {}, {}, {}
    for entity in timeline.entities.values():
        if isinstance(entity, QuantumRouter):
            routers[entity.name] = _router_fields(entity)
        elif isinstance(entity, BSMNode):
            bsm_nodes[entity.name] = _bsm_fields(entity)
        elif isinstance(entity, QuantumChannel):
            quantum[f"{entity.sender.name}->{entity.receiver}"] = {
                "attenuation": entity.attenuation,
                "distance": entity.distance,
                "light_speed": entity.light_speed,
                "polarization_fidelity": entity.polarization_fidelity,
                "frequency": entity.frequency,
            }
        elif isinstance(entity, ClassicalChannel):
            classical[f"{entity.sender.name}->{entity.receiver}"] = {
                "delay": entity.delay,
                "distance": entity.distance,
            }
    return {
        "stop_time": timeline.stop_time,
        "quantum_manager": type(timeline.quantum_manager).__name__,
        "selectors": {
            "manager_formalism": QuantumManager.get_active_formalism(),
            "generation_a": EntanglementGenerationA.get_global_type(),
            "generation_b": EntanglementGenerationB.get_global_type(),
            "swapping_a": EntanglementSwappingA.get_formalism(),
            "swapping_b": EntanglementSwappingB.get_formalism(),
            "purification": PurificationProtocol.get_formalism(),
        },
        "routers": routers,
        "bsm_nodes": bsm_nodes,
        "quantum_channels": quantum,
        "classical_channels": classical,
    }


def count_leaves(value: Any) -> int:
    """Number of scalar values in a nested fingerprint."""
    if isinstance(value, dict):
        return sum(count_leaves(item) for item in value.values())
    if isinstance(value, list):
        return sum(count_leaves(item) for item in value)
    return 1


def differences(left: Any, right: Any, path: str = "") -> list[str]:
    """Dotted paths where two fingerprints differ (floats compared to 1e-12 relative)."""
    if isinstance(left, dict) and isinstance(right, dict):
        found = []
        for key in sorted(set(left) | set(right), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in left or key not in right:
                found.append(f"{where}: only in {'raw' if key not in left else 'qnetsim'}")
            else:
                found.extend(differences(left[key], right[key], where))
        return found
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return [f"{path}: {len(left)} items vs {len(right)}"]
        found = []
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            found.extend(differences(a, b, f"{path}[{index}]"))
        return found
    both_numbers = isinstance(left, int | float) and isinstance(right, int | float)
    if both_numbers and not isinstance(left, bool) and not isinstance(right, bool):
        same = math.isclose(left, right, rel_tol=1e-12, abs_tol=0.0)
    else:
        same = left == right
    return [] if same else [f"{path}: qnetsim {left!r} vs raw {right!r}"]
