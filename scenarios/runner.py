"""The runner: scenario in, tidy tables and a manifest out.

It builds the network the scenario describes on one SeQUeNCe timeline, issues
the traffic, runs to the scenario's duration and collects the tables. All
randomness is controlled: per-entity generators derive from the scenario seed
(:mod:`qnetsim.core.randomness`), and NumPy's and Python's global generators, which parts
of SeQUeNCe use, are seeded for the run and restored afterwards. The same
scenario and seed therefore give identical tables.
"""

import contextlib
import functools
import hashlib
import json
import logging
import platform
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qnetsim.core.errors import QNetSimError, SimulationError
from qnetsim.core.randomness import controlled_global_random_state
from qnetsim.core.spec import NetworkSpec, QTNOptions
from qtn.engine import EntanglementEngine, build_engine
from scenarios.build import (
    bbm92_sessions,
    entanglement_requests,
    has_entanglement_traffic,
    has_key_traffic,
    hybrid_split,
    key_as_a_service,
    kms_config,
    network_spec,
    qkd_network,
    qtn_options,
    segment_sessions,
    teleportation_traffic,
)
from scenarios.checks import check_scenario
from scenarios.errors import ScenarioError
from scenarios.feasibility import target_problems
from scenarios.hybrid_checks import hybrid_problems
from scenarios.loader import load
from scenarios.progress import simulated_time_progress
from scenarios.results import Results
from scenarios.schema import Scenario
from scenarios.table_arrow import concat_tables, group_means, to_table
from scenarios.tables import (
    ENTANGLEMENT_REQUESTS,
    KMS_REQUESTS,
    KP_ASSEMBLY,
    LINK_BLOCKS,
    LINKS,
    MEMORIES,
    OUTAGES,
    PAIRS,
    POOLS,
    PURIFICATIONS,
    RECOVERIES,
    REQUESTS,
    SERVICE_PERIODS,
    TABLES,
    TELEPORTATIONS,
    VKP,
)
from scenarios.topology_record import topology_record

if TYPE_CHECKING:  # the key layers run on SeQUeNCe's timeline: imported only by runs with key traffic
    from qkdn.bbm92 import BBM92Session
    from qkdn.kaas import KeyAsAService
    from qkdn.kms import KeyManagementService
    from qkdn.network import QKDNetwork
    from qkdn.segments import HybridSplit

logger = logging.getLogger(__name__)

_REPORTED_PACKAGES = ("qnetsim", "sequence", "numpy", "pandas", "networkx", "pydantic", "pyarrow")


def run_id_of(scenario: Scenario) -> str:
    """Deterministic id of a run: a digest of the scenario as run and this package's version."""
    canonical = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(f"{_version('qnetsim')}|{canonical}".encode()).hexdigest()
    return digest[:12]


def run(scenario: Scenario | str | Path, *, progress: bool | None = False) -> Results:
    """Run a scenario (object, file path or built-in name) and return its results.

    Args:
        scenario: a :class:`Scenario`, or anything :func:`scenarios.load` accepts.
        progress: show a progress bar of simulated time (``None``: on a terminal).

    Raises:
        ScenarioError: the scenario has problems (nothing is run).
        SimulationError: the simulation failed while running.
    """
    return run_keeping_networks(scenario, progress=progress)[0]


def run_keeping_networks(
    scenario: Scenario | str | Path, *, progress: bool | None = False
) -> tuple[Results, "BuiltRun"]:
    """Like :func:`run`, and also return the networks the run built (with the users' keys, for tests)."""
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    topology, problems = check_scenario(scenario)
    if not problems:
        problems = target_problems(scenario, topology) + hybrid_problems(scenario, topology)
    if problems:
        raise ScenarioError(problems, scenario.name)
    spec = network_spec(scenario, topology)
    started = datetime.now(UTC)
    wall_start = time.perf_counter()
    options = qtn_options(scenario)
    with (
        simulator_globals(scenario, options),
        controlled_global_random_state(scenario.seed),
    ):
        built = _build(scenario, spec, options)
        logger.info("running %s for %s s simulated", scenario.name, scenario.duration_s)
        try:
            with simulated_time_progress(built.now_s, scenario.duration_s, enabled=progress):
                built.run()
        except QNetSimError:
            raise
        except Exception as error:
            raise SimulationError(
                f"simulation of {scenario.name!r} failed at t = {built.now_s():.6g} s: {type(error).__name__}: {error}"
            ) from error
        finally:
            if built.qkd is not None:
                built.qkd.close()  # photon links detach their key-material log filter
    wall_time_s = time.perf_counter() - wall_start
    return results_of(scenario, spec, built, started, wall_time_s), built


def results_of(
    scenario: Scenario, spec: NetworkSpec, built: "BuiltRun", started: datetime, wall_time_s: float
) -> Results:
    """The tables and manifest of a run built by :func:`build_run` and run as far as it went.

    A served scenario (``qnetsim serve --out``) adds the ETSI GS QKD 014 calls its KMEs answered.
    """
    ids = {"run_id": run_id_of(scenario), "scenario": scenario.name, "seed": scenario.seed}
    tables = {}
    if built.entanglement is not None:
        tables.update(_entanglement_tables(built.entanglement, ids, built.split))
    if built.qkd is not None:
        tables.update(_qkd_tables(built.qkd, ids))
    if built.bbm92:
        blocks = tables["link_blocks"] if "link_blocks" in tables else None
        end_to_end = [{**row, "link_kind": "bbm92-end-to-end"} for row in built.bbm92_blocks]
        bbm92_table = to_table(LINK_BLOCKS, end_to_end, ids)
        tables["link_blocks"] = bbm92_table if blocks is None else concat_tables([blocks, bbm92_table])
    if built.kaas is not None:
        tables["kp_assembly"] = to_table(KP_ASSEMBLY, built.kaas.kp_assembly_records, ids)
        tables["vkp"] = to_table(VKP, built.kaas.vkp_records, ids)
    if built.kms is not None and built.kms.records:
        tables["kms_requests"] = to_table(KMS_REQUESTS, built.kms.records, ids)
    wanted = scenario.outputs.tables or list(TABLES)
    tables = {name: frame for name, frame in tables.items() if name in wanted}
    manifest = _manifest(scenario, ids, started, wall_time_s, built)
    manifest["topology"] = topology_record(spec, qkd=built.qkd is not None)  # what reports draw
    return Results.from_arrow(scenario, tables, manifest)


@dataclass
class BuiltRun:
    """What one run built on its timeline: the entanglement network and/or the QKD network."""

    timeline: Any
    entanglement: EntanglementEngine | None
    qkd: "QKDNetwork | None"
    kaas: "KeyAsAService | None" = None
    bbm92: "list[BBM92Session]" = field(default_factory=list)
    bbm92_blocks: list[dict[str, Any]] = field(default_factory=list)
    split: "HybridSplit | None" = None
    segments: "list[BBM92Session]" = field(default_factory=list)
    kms: "KeyManagementService | None" = None

    @property
    def _own_clock(self) -> EntanglementEngine | None:
        """The entanglement engine if it runs on its own event loop (the network-scale one), else None."""
        engine = self.entanglement
        return engine if engine is not None and engine.shared_timeline is None else None

    def run(self) -> None:
        """Run everything to the end of the duration.

        The network-scale engine and the QKD network share no state (teleportation
        traffic is refused at that level; BBM92 sessions schedule their frames on the
        engine's own loop), so the engine runs to the end first and SeQUeNCe's
        timeline (if there is QKD traffic) after it.
        """
        own = self._own_clock
        if own is not None:
            own.run()
        if self.timeline is not None:
            from qtn.sequence_backed import adapter

            adapter.run_timeline(self.timeline)

    def now_s(self) -> float:
        own = self._own_clock
        if own is not None and (self.timeline is None or own.now_s() < own.duration_s):
            return own.now_s()
        from qtn.sequence_backed import adapter

        return adapter.now_s(self.timeline)

    def events_executed(self) -> int:
        own = self._own_clock
        total = own.events_executed() if own is not None else 0
        if self.timeline is not None:
            from qtn.sequence_backed import adapter

            total += adapter.events_executed(self.timeline)
        return total


def _build(scenario: Scenario, spec: NetworkSpec, options: QTNOptions) -> BuiltRun:
    """Build the networks of a run on one timeline.

    In a hybrid network (key traffic and repeaters) the entanglement network is
    the quantum view of the network (repeaters and their fibres), the QKD
    network its QKD view (direct links and segment links), and a BBM92 session
    per segment turns the segment's pairs into key for the QKD network, all on
    SeQUeNCe's one timeline.
    """
    entanglement: EntanglementEngine | None = None
    bbm92: list[BBM92Session] = []
    bbm92_blocks: list[dict[str, Any]] = []
    timeline = None
    split = hybrid_split(scenario, spec)
    has_segments = split is not None and bool(split.segments)
    if has_entanglement_traffic(scenario) or has_segments or not has_key_traffic(scenario):
        entanglement = build_engine(
            split.quantum_spec if split is not None else spec,
            scenario.seed,
            scenario.duration_s,
            options,
            memory_sample_interval_s=scenario.outputs.memory_sample_interval_s or scenario.duration_s / 100,
        )
        for request in entanglement_requests(scenario):
            entanglement.add_request(request)
        # The network level refuses teleportation traffic (scenario checks), so it gets none here.
        for traffic in teleportation_traffic(scenario):
            entanglement.add_teleportation(traffic)
        timeline = entanglement.shared_timeline  # None: the engine runs on its own loop
        bbm92 = bbm92_sessions(scenario, entanglement, entanglement.schedule_call_s, bbm92_blocks.append)
    qkd = kaas = None
    segments: list[BBM92Session] = []
    if has_key_traffic(scenario):
        from qtn.sequence_backed import adapter  # the key layers run on SeQUeNCe's timeline

        if timeline is None:
            timeline = adapter.new_timeline(scenario.duration_s)
        qkd = qkd_network(scenario, spec, timeline, split)
        if has_segments:
            # At the network level the engine runs to the end first; the sessions put each frame's key
            # on SeQUeNCe's timeline at its time, before that timeline runs (key flows one way only).
            assert split is not None and entanglement is not None
            segments = segment_sessions(scenario, split, entanglement, qkd, timeline)
        qkd.start_pool_sampling(scenario.qkd.pool_sample_interval_s or scenario.duration_s / 100, scenario.duration_s)
        kaas = key_as_a_service(scenario, qkd)
    kms = None
    if qkd is not None and (config := kms_config(scenario)) is not None:
        from qkdn.kms import KeyManagementService

        kms = KeyManagementService(qkd, config)
        kms.start()  # the KMEs keep keys ready for their SAEs from the start
    return BuiltRun(timeline, entanglement, qkd, kaas, bbm92, bbm92_blocks, split, segments, kms)


def build_run(scenario: Scenario, spec: NetworkSpec, options: QTNOptions) -> BuiltRun:
    """Build the networks of a checked scenario on one timeline, without running it (``qnetsim serve`` steps it).

    Call inside the run's :func:`qtn.sequence_backed.adapter.sequence_globals` and
    :func:`qnetsim.core.randomness.controlled_global_random_state`, as :func:`run` does.
    """
    return _build(scenario, spec, options)


def _entanglement_tables(
    network: EntanglementEngine, ids: dict[str, Any], split: "HybridSplit | None" = None
) -> dict[str, Any]:
    pair_records = list(network.pair_records)
    fidelity = group_means((row["request_id"] for row in pair_records), (row["fidelity"] for row in pair_records))
    request_rows = []
    for record in network.request_records():
        window_s = float(record["end_s"]) - float(record["start_s"])  # type: ignore[arg-type]
        request_id = record["request_id"]
        request_rows.append(
            {
                **record,
                "pair_rate_hz": float(record["n_pairs"]) / window_s,  # type: ignore[arg-type]
                "mean_fidelity": float(fidelity[request_id]) if request_id in fidelity else float("nan"),
                "setup_s": float("nan") if record["setup_s"] is None else record["setup_s"],
            }
        )
    return {
        "pairs": to_table(PAIRS, pair_records, ids),
        "entanglement_requests": to_table(ENTANGLEMENT_REQUESTS, request_rows, ids),
        "teleportations": to_table(TELEPORTATIONS, network.teleportation_records(), ids),
        "links": to_table(LINKS, [_with_segment(row, split) for row in network.link_records()], ids),
        "purifications": to_table(PURIFICATIONS, network.purification_records(), ids),
        "memories": to_table(MEMORIES, network.memory_records, ids),
    }


def _with_segment(row: dict[str, Any], split: "HybridSplit | None") -> dict[str, Any]:
    """A ``links`` row with the repeater segments its fibre belongs to ('' outside hybrid networks)."""
    segments = split.segments_of_fibre(str(row["a"]), str(row["b"])) if split is not None else []
    return {**row, "segment": " | ".join(segment.name for segment in segments)}


def _qkd_tables(network: "QKDNetwork", ids: dict[str, Any]) -> dict[str, Any]:
    requests = sorted(network.request_records, key=lambda row: row["request_id"])
    return {
        "requests": to_table(REQUESTS, requests, ids),
        "link_blocks": to_table(LINK_BLOCKS, network.block_records, ids),
        "pools": to_table(POOLS, network.pool_records, ids),
        "service_periods": to_table(SERVICE_PERIODS, network.service_records, ids),
        "recoveries": to_table(RECOVERIES, network.recovery_records(), ids),
        "outages": to_table(
            OUTAGES,
            [{"link": "~".join(sorted((o.a, o.b))), "down_s": o.down_s, "up_s": o.up_s} for o in network.outages],
            ids,
        ),
    }


@functools.cache
def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def simulator_globals(scenario: Scenario, options: QTNOptions) -> contextlib.AbstractContextManager[None]:
    """SeQUeNCe's protocol choices for a run that builds SeQUeNCe objects; nothing for one that builds none.

    A network-level run without key traffic runs on qnetsim's own event loop and
    builds no SeQUeNCe object, so it does not import SeQUeNCe (seconds of start-up,
    most of a short run) and leaves SeQUeNCe's class attributes alone.
    """
    if not uses_sequence(scenario):
        return contextlib.nullcontext()
    from qtn.sequence_backed import adapter

    return adapter.sequence_globals(link_mode=_sequence_link_mode(options), purification=options.purification)


def uses_sequence(scenario: Scenario) -> bool:
    """Whether a run of ``scenario`` builds SeQUeNCe objects (any level but ``network``, or key traffic)."""
    return scenario.fidelity_level != "network" or has_key_traffic(scenario)


def _sequence_link_mode(options: QTNOptions) -> str:
    """SeQUeNCe's generation protocol for the run (the network level builds no SeQUeNCe entanglement network)."""
    return "hardware" if options.link_mode == "network" else options.link_mode


def _entanglement_link_mode(scenario: Scenario) -> str:
    """How entanglement links were simulated, in words, for the manifest."""
    if scenario.fidelity_level == "network":
        return (
            "network: time to success and heralded state sampled per link pair; reservations, purification and"
            " swapping run per protocol step on qnetsim's own event loop (no SeQUeNCe objects)"
        )
    if scenario.fidelity_level == "fast":
        return "fast: number of failed attempts sampled per heralded pair"
    return "hardware: every generation attempt simulated photon by photon"


def _manifest(
    scenario: Scenario,
    ids: dict[str, Any],
    started: datetime,
    wall_time_s: float,
    built: BuiltRun,
) -> dict[str, Any]:
    return {
        "run_id": ids["run_id"],
        "scenario_name": scenario.name,
        "seed": scenario.seed,
        # Entanglement links only: QKD links are described by qkd_link_model.
        "fidelity_level": scenario.fidelity_level if built.entanglement is not None else None,
        "link_mode": _entanglement_link_mode(scenario) if built.entanglement is not None else None,
        "started_utc": started.isoformat(timespec="seconds"),
        "wall_time_s": round(wall_time_s, 6),
        "events_executed": built.events_executed(),
        "networks": [name for name, part in (("entanglement", built.entanglement), ("qkd", built.qkd)) if part],
        "qkd_link_model": scenario.qkd.link_model if built.qkd is not None else None,
        "simulated_time_s": scenario.duration_s,
        "packages": {name: _version(name) for name in _REPORTED_PACKAGES},
        "python": platform.python_version(),
        "platform": platform.platform(),
        "scenario": scenario.model_dump(mode="json"),
    }
