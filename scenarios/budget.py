"""What a run will cost, estimated before it starts, and a refusal of what cannot fit.

Some values the schema accepts make a run allocate more memory than any
machine has, or schedule more events than could run in a day (a thousand
million memories per node, a sample every picosecond, a million key requests
per second, one-bit key blocks). :func:`estimate` counts, from the validated
scenario alone, the objects and events that scale with such values, times
the bytes each one takes (measured on CPython 3.12 with SeQUeNCe 1.3.1; see
``docs/resource-bounds.md``), and :func:`budget_problems` refuses a scenario
whose estimate exceeds the memory budget (by default half of this machine's
memory) or the event budget, naming the field that drives the cost.

The estimate is an upper bound of the bookkeeping a run does, not of the
physics: how many photons a hardware-level link sends depends on what
happens, and such a run is long, not unbounded, and stops on Ctrl-C.

Example:
    >>> from scenarios import library, load
    >>> cost = estimate(load(library.DEFAULT))
    >>> cost.memory_bytes < 2e9 and cost.events < 1e7
    True
"""

import math
import os
import resource
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from qnetsim.core.errors import ConfigError
from qnetsim.core.spec import NetworkSpec
from scenarios.build import has_entanglement_traffic, has_key_traffic, link_keyrate_hardware, network_spec
from scenarios.checks import ResolvedTopology, check_scenario
from scenarios.errors import ScenarioError
from scenarios.schema import Scenario, traffic_end_s

__all__ = [
    "DEFAULT_EVENT_BUDGET",
    "MEMORY_FRACTION",
    "Budget",
    "Cost",
    "Estimate",
    "budget_from_options",
    "budget_problems",
    "check_budget",
    "estimate",
    "format_bytes",
    "machine_memory_bytes",
]

#: Bytes of one quantum memory: SeQUeNCe's Memory with its protocols (hardware and fast levels)...
BYTES_PER_SEQUENCE_MEMORY = 2_000
#: ... and one memory card of the network-scale engine.
BYTES_PER_NETSCALE_MEMORY = 100
#: One table row held as a dict until the run ends, plus its share of the DataFrame.
BYTES_PER_ROW = 500
#: One key request: arrival, request object, scheduled events, its table row.
BYTES_PER_KEY_REQUEST = 2_000
#: One block (or part of one) held in a key store: its record, name and packed array.
BYTES_PER_HELD_CHUNK = 400
#: One key id carried by a relay message.
BYTES_PER_KEY_ID = 200
#: Copies of a key's bits (one byte per bit) alive while it is relayed: key, pad, cipher, parts.
KEY_BYTE_COPIES = 8
#: Interpreter, NumPy, pandas, SeQUeNCe and the network's fixed objects.
BASE_BYTES = 400_000_000

MEMORY_FRACTION = 0.5
#: Events a run may schedule for its bookkeeping: over an hour of work at a few 10^5 events per second.
DEFAULT_EVENT_BUDGET = 10**9


@dataclass(frozen=True)
class Cost:
    """One contribution to a run's cost, and the scenario field that drives it."""

    field: str
    what: str
    count: float
    memory_bytes: float
    events: float = 0.0


@dataclass(frozen=True)
class Estimate:
    """A run's estimated peak memory and bookkeeping events, part by part."""

    costs: tuple[Cost, ...]

    @property
    def memory_bytes(self) -> float:
        """Estimated peak memory (bytes), the fixed base included."""
        return BASE_BYTES + sum(cost.memory_bytes for cost in self.costs)

    @property
    def events(self) -> float:
        """Estimated events scheduled for bookkeeping (samples, reports, requests, blocks)."""
        return sum(cost.events for cost in self.costs)

    def summary(self) -> str:
        """``about 1.2 GB of memory, 3.4e+06 events`` (for ``qnetsim validate``)."""
        return f"about {format_bytes(self.memory_bytes)} of memory, {self.events:.2g} bookkeeping events"


@dataclass(frozen=True)
class Budget:
    """How much a run may use: ``memory_bytes`` and ``events``; ``source`` says where the memory figure comes from."""

    memory_bytes: float
    events: float = DEFAULT_EVENT_BUDGET
    source: str = ""

    @classmethod
    def default(cls, memory_gb: float | None = None, n_parallel: int = 1) -> "Budget":
        """Half this machine's memory (or ``memory_gb``), shared by ``n_parallel`` runs at once."""
        if memory_gb is not None:
            total, source = memory_gb * 1e9, f"--memory-budget-gb {memory_gb:g}"
        else:
            total = MEMORY_FRACTION * machine_memory_bytes()
            source = f"half of this machine's {format_bytes(machine_memory_bytes())}"
        if n_parallel > 1:
            source += f", shared by {n_parallel} workers"
        return cls(total / n_parallel, DEFAULT_EVENT_BUDGET, source)


def machine_memory_bytes() -> float:
    """Memory this process can have: physical memory, lowered by a cgroup limit or RLIMIT_AS if set."""
    limits = [float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))]
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        limits.append(float(soft))
    for cgroup_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            limits.append(float(Path(cgroup_file).read_text().strip()))
        except (OSError, ValueError):
            continue  # absent, or 'max'
    return min(limits)


def format_bytes(n_bytes: float) -> str:
    """``1.5 GB``, ``7.0 TB`` (decimal units)."""
    for unit, size in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n_bytes >= size:
            return f"{n_bytes / size:.1f} {unit}"
    return f"{n_bytes / 1e3:.1f} kB"


def budget_problems(cost: Estimate, budget: Budget) -> list[str]:
    """One line per way ``cost`` exceeds ``budget``, naming the field responsible ([] if it fits)."""
    override = "pass --allow-large to run it anyway"
    problems = []
    if cost.memory_bytes > budget.memory_bytes:
        for part in _culprits(cost.costs, "memory_bytes", budget.memory_bytes):
            problems.append(
                f"{part.field}: {part.what} need about {format_bytes(part.memory_bytes)} of memory "
                f"(whole run: {format_bytes(cost.memory_bytes)}), over the memory budget of "
                f"{format_bytes(budget.memory_bytes)} ({budget.source}); {override} or set --memory-budget-gb"
            )
    if cost.events > budget.events:
        for part in _culprits(cost.costs, "events", budget.events):
            problems.append(
                f"{part.field}: {part.what} make about {part.events:.2g} events (whole run: {cost.events:.2g}), "
                f"over the budget of {budget.events:.2g} events; {override}"
            )
    return problems


def check_budget(scenario: Scenario, budget: Budget | None, source: str = "") -> Estimate:
    """Raise :class:`ScenarioError` (exit 2) if ``scenario`` would exceed ``budget`` (``None``: no limit)."""
    cost = estimate(scenario)
    if budget is not None:
        problems = budget_problems(cost, budget)
        if problems:
            raise ScenarioError(problems, source or scenario.name)
    return cost


def budget_from_options(allow_large: bool, memory_budget_gb: float | None, n_parallel: int = 1) -> Budget | None:
    """The budget the command-line options ask for (``None`` with ``--allow-large``)."""
    if memory_budget_gb is not None and not (math.isfinite(memory_budget_gb) and memory_budget_gb > 0):
        raise ConfigError(f"--memory-budget-gb: must be > 0; got {memory_budget_gb!r}")
    if allow_large:
        return None
    return Budget.default(memory_budget_gb, n_parallel)


def _culprits(costs: tuple[Cost, ...], attribute: str, limit: float) -> list[Cost]:
    """Parts costing over a tenth of ``limit`` (largest first); at least the largest part."""
    ranked = sorted(costs, key=lambda cost: getattr(cost, attribute), reverse=True)
    big = [cost for cost in ranked if getattr(cost, attribute) > limit / 10]
    return big or ranked[:1]


def estimate(scenario: Scenario, topology: ResolvedTopology | None = None) -> Estimate:
    """Memory and events ``scenario`` will need, from its values alone (nothing is built).

    Args:
        scenario: a validated scenario whose cross-references are sound.
        topology: its resolved topology, when the caller has it already (not resolved twice).
    """
    if topology is None:
        topology, problems = check_scenario(scenario)
        if problems:
            return Estimate(())  # the run will be refused for these problems anyway
    spec = network_spec(scenario, topology)
    costs: list[Cost] = []
    if has_entanglement_traffic(scenario) or not has_key_traffic(scenario):
        costs += _entanglement_costs(scenario, spec)
    if has_key_traffic(scenario):
        costs += _qkd_costs(scenario, spec)
    return Estimate(tuple(cost for cost in costs if cost.memory_bytes > 0 or cost.events > 0))


def _samples(duration_s: float, interval_s: float | None) -> float:
    """Samples at 0, interval, 2 interval, ... before the end (100 by default)."""
    return 100.0 if interval_s is None else math.ceil(duration_s / interval_s)


def _entanglement_costs(scenario: Scenario, spec: NetworkSpec) -> list[Cost]:
    per_memory = BYTES_PER_NETSCALE_MEMORY if scenario.fidelity_level == "network" else BYTES_PER_SEQUENCE_MEMORY
    n_memories = {node.name: node.hardware.n_memories for node in spec.nodes}
    largest = max(n_memories, key=lambda name: n_memories[name])
    total_memories = float(sum(n_memories.values()))
    n_nodes = len(spec.nodes)
    n_samples = _samples(scenario.duration_s, scenario.outputs.memory_sample_interval_s)
    costs = [
        Cost(
            f"{_node_template_field(scenario, largest)}.n_memories",
            f"{total_memories:.3g} quantum memories on {n_nodes} nodes",
            total_memories,
            total_memories * per_memory,
        ),
        Cost(
            "outputs.memory_sample_interval_s" if scenario.outputs.memory_sample_interval_s else "duration_s",
            f"{n_samples:.3g} memory samples x {n_nodes} nodes",
            n_samples * n_nodes,
            n_samples * n_nodes * BYTES_PER_ROW,
            n_samples,
        ),
    ]
    for i, item in enumerate(scenario.traffic):
        if item.kind == "teleportation":
            costs.append(
                Cost(
                    f"traffic[{i}].n_teleportations",
                    f"{item.n_teleportations:.3g} teleportations",
                    item.n_teleportations,
                    item.n_teleportations * BYTES_PER_KEY_REQUEST,
                    item.n_teleportations * 10.0,
                )
            )
    return costs


def _node_template_field(scenario: Scenario, node: str) -> str:
    """Dotted path of the hardware template of ``node``."""
    network = scenario.network
    template = next((entry.template for entry in network.nodes if entry.name == node), None)
    if template is None:
        template = network.node_templates.get(node, network.node_template)
    return f"templates.nodes.{template}"


def _qkd_costs(scenario: Scenario, spec: NetworkSpec) -> list[Cost]:
    qkd, duration_s = scenario.qkd, scenario.duration_s
    n_nodes, n_links = len(spec.nodes), len(spec.links)
    n_samples = _samples(duration_s, qkd.pool_sample_interval_s)
    n_reports = math.ceil(duration_s / qkd.report_interval_s)
    costs = [
        Cost(
            "qkd.pool_sample_interval_s" if qkd.pool_sample_interval_s else "duration_s",
            f"{n_samples:.3g} key pool samples x {4 * n_links} key stores",
            n_samples * 4 * n_links,
            n_samples * 4 * n_links * BYTES_PER_ROW,
            n_samples,
        ),
        Cost(
            "qkd.report_interval_s",
            f"{n_reports:.3g} key level reports from {n_nodes} nodes",
            n_reports,
            0.0,
            n_reports * (1 + n_nodes),
        ),
    ]
    demand_bits = 0.0
    for i, item in enumerate(scenario.traffic):
        if item.kind == "key":
            window_s = traffic_end_s(item, duration_s) - item.start_s
            n_requests = float(item.n_requests) if item.n_requests is not None else item.rate_hz * max(window_s, 0.0)
            where = f"traffic[{i}].n_requests" if item.n_requests is not None else f"traffic[{i}].rate_hz"
            hops = _hops(spec, item.src, item.dst)
            costs.append(
                Cost(
                    where,
                    f"{n_requests:.3g} key requests",
                    n_requests,
                    n_requests * BYTES_PER_KEY_REQUEST,
                    n_requests * 4 * hops,
                )
            )
            n_ids = (item.bits / qkd.block_bits + 1) * hops
            key_bytes = item.bits * KEY_BYTE_COPIES
            ids_bytes = n_ids * BYTES_PER_KEY_ID
            costs.append(
                Cost(
                    "qkd.block_bits" if ids_bytes > key_bytes else f"traffic[{i}].bits",
                    f"keys of {item.bits:.3g} bits in blocks of {qkd.block_bits} bits ({n_ids:.3g} key ids per key)",
                    n_ids,
                    key_bytes + ids_bytes,
                )
            )
            demand_bits += n_requests * item.bits
        elif item.kind == "service":
            window_s = traffic_end_s(item, duration_s) - item.start_s
            n_periods = math.ceil(max(window_s, 0.0) / item.period_s)
            period_bits = item.key_rate_bps * item.period_s
            hops = _hops(spec, item.src, item.dst)
            n_ids = (period_bits / qkd.block_bits + 1) * hops
            costs.append(
                Cost(
                    f"traffic[{i}].period_s",
                    f"{n_periods:.3g} service periods of {period_bits:.3g} bits",
                    n_periods,
                    n_periods * BYTES_PER_ROW + period_bits * KEY_BYTE_COPIES + n_ids * BYTES_PER_KEY_ID,
                    n_periods * 4 * hops,
                )
            )
            demand_bits += item.key_rate_bps * max(window_s, 0.0)
    if scenario.kaas is not None:
        n_pairs = len(scenario.kaas.pairs) if scenario.kaas.pairs is not None else n_nodes * (n_nodes - 1) / 2
        n_periods = math.ceil(duration_s / scenario.kaas.period_s)
        costs.append(
            Cost(
                "kaas.period_s",
                f"{n_periods:.3g} key-pool periods x {n_pairs:.3g} node pairs",
                n_periods * n_pairs,
                n_periods * n_pairs * BYTES_PER_ROW,
                n_periods * n_pairs * 4,
            )
        )
        demand_bits += n_periods * n_pairs * scenario.kaas.n_bits_per_slot
    if scenario.failures.random is not None:
        random = scenario.failures.random
        n_outages = duration_s / (random.mtbf_s + random.mttr_s) * n_links
        costs.append(
            Cost(
                "failures.random.mtbf_s",
                f"{n_outages:.3g} link outages",
                n_outages,
                n_outages * BYTES_PER_ROW,
                2 * n_outages,
            )
        )
    if qkd.link_model != "photon":
        costs += _block_costs(scenario, spec, demand_bits)
    return costs


def _hops(spec: NetworkSpec, src: str, dst: str) -> int:
    """Links on the fewest-hop route from ``src`` to ``dst`` (routes with more hops are rare; at least 1)."""
    graph = nx.Graph([(link.a, link.b) for link in spec.links])
    try:
        return max(int(nx.shortest_path_length(graph, src, dst)), 1)
    except (nx.NetworkXException, nx.NodeNotFound):
        return max(len(spec.nodes) - 1, 1)


def _block_costs(scenario: Scenario, spec: NetworkSpec, demand_bits: float) -> list[Cost]:
    """Key blocks of the model-based links: made at the model's rate while the pools have room."""
    from qkdn.keyrate import get_model  # here: runs without key traffic never load the key-rate models

    qkd, duration_s = scenario.qkd, scenario.duration_s
    model = get_model(qkd.link_model)
    n_made = n_held = 0.0
    for link in spec.links:
        rate_bps = model.evaluate(link.length_km, link_keyrate_hardware(scenario, spec, link)).key_rate_bps
        produced_bits = max(rate_bps, 0.0) * duration_s
        n_made += min(produced_bits, 2.0 * qkd.pool_capacity_bits + demand_bits) / qkd.block_bits
        n_held += 4 * min(produced_bits, qkd.pool_capacity_bits) / qkd.block_bits  # two ends, two directions
    held_bytes = n_held * BYTES_PER_HELD_CHUNK
    return [
        Cost(
            "qkd.block_bits",
            f"{n_made:.3g} key blocks of {qkd.block_bits} bits ({n_held:.3g} held at once)",
            n_made,
            n_made * BYTES_PER_ROW + held_bytes,
            n_made,
        )
    ]
