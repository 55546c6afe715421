"""The designs ``qnetsim compare`` puts side by side, each as scenarios to run.

A design is a set of ordinary scenarios (:class:`Design`), each run by
:func:`scenarios.run` for one purpose and measured from its tables by
:mod:`scenarios.compare_measure`:

* ``saturating``: key traffic that always waits (closed loop, ``n_outstanding``
  requests per user pair): the end-to-end key capacity;
* ``load``: the scenario's own key traffic: the key served at its own load;
* ``bbm92``: BBM92 on the end-to-end pairs a repeater chain delivers (network level);
* ``teleportation``: teleportations over the repeater chain (fast level).

So a third design is any scenario (e.g. a hybrid of repeater segments and trusted
relays, or one the user gives) with a ``saturating`` and a ``load`` run.
"""

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from qkdn.keyrate import get_model
from qnetsim.core.errors import ConfigError
from scenarios.build import link_keyrate_hardware, network_spec
from scenarios.checks import check_scenario
from scenarios.loader import from_dict
from scenarios.schema import QKDSection, Scenario

#: Requests kept outstanding per user pair and per hop of its route (saturating demand).
OUTSTANDING_PER_HOP = 4
#: Target number of saturating requests served per simulated second (sets the request size).
REQUESTS_PER_S = 400


@dataclass(frozen=True)
class CompareSettings:
    """How long and how each design is simulated.

    Attributes:
        duration_s: simulated time of the key runs (``saturating``, ``load``).
        bbm92_duration_s: simulated time of the BBM92 run (network level, cheap; long
            enough for several distilled frames).
        bbm92_frame_bits: sifted bits per BBM92 frame.
        n_teleportations: teleported qubits per user pair.
        teleportation_duration_s: simulated time of the teleportation run (fast level).
        warmup_fraction: share of a saturating run left out of the throughput (pools filling).
    """

    duration_s: float
    bbm92_duration_s: float = 60.0
    bbm92_frame_bits: int = 1024
    n_teleportations: int = 100
    teleportation_duration_s: float = 0.25
    warmup_fraction: float = 0.2


@dataclass
class Design:
    """One design: the scenarios to run, by purpose, and what the topology says about it."""

    name: str
    runs: dict[str, Scenario]
    n_trusted_nodes: dict[str, int] = field(default_factory=dict)
    memories_per_repeater: int = 0


def user_pairs(scenario: Scenario) -> list[tuple[str, str]]:
    """The distinct ``(src, dst)`` pairs of the scenario's traffic, in order."""
    pairs: list[tuple[str, str]] = []
    for item in scenario.traffic:
        src, dst = getattr(item, "src", None), getattr(item, "dst", None)
        if src is not None and dst is not None and (src, dst) not in pairs:
            pairs.append((src, dst))
    if not pairs:
        raise ConfigError("traffic: a comparison needs at least one src/dst pair of users")
    return pairs


def route(scenario: Scenario, src: str, dst: str) -> list[str]:
    """The shortest route (fibre length) between two users."""
    topology, _ = check_scenario(scenario)
    return list(nx.shortest_path(topology.graph(), src, dst, weight="length_km"))


def _with_roles(scenario: Scenario, roles: dict[str, str], name: str) -> dict[str, Any]:
    """The scenario as a dict with the given roles (others: ``end``), named ``name``, traffic removed."""
    data = copy.deepcopy(scenario.model_dump(mode="json", exclude_unset=True))
    topology, _ = check_scenario(scenario)
    network = data["network"]
    if network.get("generator") is not None:
        network["node_roles"] = {node.name: roles.get(node.name, "end") for node in topology.nodes}
    else:
        for node in network["nodes"]:
            node["role"] = roles.get(node["name"], "end")
    data["name"] = name
    data["traffic"] = []
    data.pop("outputs", None)
    return data


def _interior_roles(scenario: Scenario, role: str) -> dict[str, str]:
    users = {n for pair in user_pairs(scenario) for n in pair}
    topology, _ = check_scenario(scenario)
    return {node.name: role for node in topology.nodes if node.name not in users}


def bottleneck_model_rate_bps(scenario: Scenario, path: list[str]) -> float:
    """Fast-model key rate of the slowest link on ``path`` (sizes the saturating requests only)."""
    spec = network_spec(scenario, check_scenario(scenario)[0])
    model = get_model(scenario.qkd.link_model if scenario.qkd.link_model != "photon" else "decoy-bb84")
    rates = []
    for a, b in zip(path, path[1:], strict=False):
        link = next(link for link in spec.links if {link.a, link.b} == {a, b})
        rates.append(model.evaluate(link.length_km, link_keyrate_hardware(scenario, spec, link)).key_rate_bps)
    return min(rates)


def request_bits(rate_bps: float) -> int:
    """Key size of saturating requests: a power of two near ``rate_bps / REQUESTS_PER_S`` (16 to 2^20 bits)."""
    target = max(rate_bps, 1.0) / REQUESTS_PER_S
    return int(min(2**20, max(16, 2 ** round(math.log2(target)))))


def saturating_traffic(scenario: Scenario, bits: dict[tuple[str, str], int], duration_s: float) -> list[dict[str, Any]]:
    """Closed-loop key traffic for every user pair, from each user to the other: requests always waiting.

    Demand in both directions uses both directions' shares of every link's key
    (:class:`qkdn.pool.LinkPools`), so the pair's throughput is the network's from
    the start, not only once the unused direction's stores have filled up.
    """
    items = []
    for src, dst in user_pairs(scenario):
        n_hops = len(route(scenario, src, dst)) - 1
        for a, b in ((src, dst), (dst, src)):
            items.append(
                {
                    "kind": "key",
                    "src": a,
                    "dst": b,
                    "bits": bits[(src, dst)],
                    "n_outstanding": OUTSTANDING_PER_HOP * n_hops,
                    "deadline_s": duration_s,
                }
            )
    return items


def own_key_traffic(scenario: Scenario) -> list[dict[str, Any]]:
    """The scenario's own key traffic (key requests and services), as given."""
    return [item.model_dump(mode="json", exclude_unset=True) for item in scenario.traffic if item.kind in ("key",)]


def key_design(
    name: str,
    base: dict[str, Any],
    scenario: Scenario,
    bits: dict[tuple[str, str], int],
    saturating_s: float,
    load_s: float,
) -> Design:
    """A key-network design (trusted relays or hybrid): a saturating run of ``saturating_s`` and,
    if the scenario has key traffic, a run of it (``load_s``)."""
    traffic = saturating_traffic(scenario, bits, saturating_s)
    saturating = {**base, "name": f"{base['name']}.saturating", "duration_s": saturating_s, "traffic": traffic}
    runs = {"saturating": from_dict(saturating)}
    own = own_key_traffic(scenario)
    if own:
        runs["load"] = from_dict({**base, "name": f"{base['name']}.load", "duration_s": load_s, "traffic": own})
    return Design(name, runs)


def trusted_relay_design(scenario: Scenario, settings: CompareSettings) -> Design:
    """Every node between the users a trusted relay; links run the scenario's QKD link model."""
    base = _with_roles(scenario, _interior_roles(scenario, "trusted_relay"), f"{scenario.name}.trusted_relay")
    base["duration_s"] = settings.duration_s
    bits = {
        pair: request_bits(bottleneck_model_rate_bps(scenario, route(scenario, *pair))) for pair in user_pairs(scenario)
    }
    design = key_design("trusted_relay", base, scenario, bits, settings.duration_s, settings.duration_s)
    design.n_trusted_nodes = {f"{a}-{b}": len(route(scenario, a, b)) - 2 for a, b in user_pairs(scenario)}
    return design


def _memories_per_request(scenario: Scenario) -> int:
    topology, _ = check_scenario(scenario)
    templates = {node.template for node in topology.nodes}
    return max(1, min(scenario.templates.node_template(t).n_memories for t in templates) // 2)


def repeater_design(scenario: Scenario, settings: CompareSettings) -> Design:
    """Every node between the users a quantum repeater: BBM92 keys and teleportation over delivered pairs.

    BBM92 frames are distilled with ``infinite_key`` accounting and the scenario's
    ``qkd.error_correction_efficiency`` and sample fraction, the assumptions of the
    fast BB84 link model, so the two designs' key rates are comparable.
    """
    base = _with_roles(scenario, _interior_roles(scenario, "repeater"), f"{scenario.name}.quantum_repeater")
    n_memories = _memories_per_request(scenario)
    qkd = base.setdefault("qkd", {})
    qkd.setdefault("postprocessing", {}).update(key_length="asymptotic", key_length_formula="infinite_key")
    pairs = user_pairs(scenario)
    bbm92 = {
        **base,
        "name": f"{base['name']}.bbm92",
        "fidelity_level": "network",
        "duration_s": settings.bbm92_duration_s,
        "traffic": [
            {"kind": "bbm92", "src": a, "dst": b, "n_memories": n_memories, "frame_bits": settings.bbm92_frame_bits}
            for a, b in pairs
        ],
    }
    teleportation = {
        **base,
        "name": f"{base['name']}.teleportation",
        "fidelity_level": "fast",
        "duration_s": settings.teleportation_duration_s,
        "traffic": [
            {
                "kind": "teleportation",
                "src": a,
                "dst": b,
                "scheme": "end_to_end",
                "n_memories": n_memories,
                "n_teleportations": settings.n_teleportations,
            }
            for a, b in pairs
        ],
    }
    design = Design("quantum_repeater", {"bbm92": from_dict(bbm92), "teleportation": from_dict(teleportation)})
    design.n_trusted_nodes = {f"{a}-{b}": 0 for a, b in pairs}
    design.memories_per_repeater = 2 * n_memories
    return design


def hybrid_supported() -> bool:
    """Whether this build runs hybrid networks (repeater segments feeding the key pools)."""
    return "segments" in QKDSection.model_fields


def best_hybrid_roles(scenario: Scenario) -> dict[str, str] | None:
    """Repeater segments where the fibre is long, trusted relays elsewhere (None if no route allows a hybrid).

    On every user pair's route, the interior node joining the longest two-link
    stretch becomes a repeater (that stretch is one repeater segment, on which BB84
    would be slowest), the other interior nodes trusted relays. A route with one
    interior node has no proper hybrid (it would be the repeater design).
    """
    topology, _ = check_scenario(scenario)
    graph = topology.graph()
    roles: dict[str, str] = {}
    for src, dst in user_pairs(scenario):
        path = route(scenario, src, dst)
        interior = path[1:-1]
        if len(interior) < 2:
            continue
        stretch = {
            node: graph.edges[path[i], node]["length_km"] + graph.edges[node, path[i + 2]]["length_km"]
            for i, node in enumerate(interior)
        }
        chosen = max(interior, key=lambda node: stretch[node])  # the first of equals
        for node in interior:
            roles.setdefault(node, "repeater" if node == chosen else "trusted_relay")
    return roles or None


def hybrid_design(scenario: Scenario, settings: CompareSettings, given: Scenario | None = None) -> Design:
    """The best hybrid of ``scenario`` (:func:`best_hybrid_roles`), or the hybrid scenario the user ``given``.

    Run and measured like the trusted-relay design (saturating and load runs of
    key traffic); its repeater segments distil BBM92 frames with the same
    ``infinite_key`` accounting as the repeater design.

    Raises:
        ConfigError: this build has no hybrid networks, or no route allows one.
    """
    if not hybrid_supported():
        raise ConfigError("hybrid design: this build of qnetsim cannot run hybrid networks (no qkd.segments)")
    if given is not None:
        base = copy.deepcopy(given.model_dump(mode="json", exclude_unset=True))
        base.pop("outputs", None)
        base["name"] = f"{given.name}.hybrid"
        source = given
    else:
        from scenarios.hybrid import hybrid_variant

        roles = best_hybrid_roles(scenario)
        if roles is None:
            raise ConfigError("hybrid design: no user route has two interior nodes to split into segments")
        repeaters = [node for node, role in roles.items() if role == "repeater"]
        variant = hybrid_variant(scenario, repeaters, frame_bits=settings.bbm92_frame_bits)
        base = copy.deepcopy(variant.model_dump(mode="json", exclude_unset=True))
        base.pop("outputs", None)
        source = scenario
    base.setdefault("qkd", {}).setdefault("postprocessing", {}).update(
        key_length="asymptotic", key_length_formula="infinite_key"
    )
    base["fidelity_level"] = "network"  # segments' pairs at the network level: long runs stay cheap
    frame_bits = int(base["qkd"].get("segments", {}).get("frame_bits", settings.bbm92_frame_bits))
    bits = {pair: max(16, frame_bits // 16) for pair in user_pairs(scenario)}
    # Saturating: as long as the BBM92 run, for several segment frames; the load run as long as the others'.
    design = key_design("hybrid", base, scenario, bits, settings.bbm92_duration_s, settings.duration_s)
    if given is not None and own_key_traffic(source):
        load = {**base, "name": f"{base['name']}.load", "duration_s": settings.duration_s}
        design.runs["load"] = from_dict({**load, "traffic": own_key_traffic(source)})
    built = design.runs["saturating"]
    topology, _ = check_scenario(built)
    role = {node.name: node.role for node in topology.nodes}
    design.n_trusted_nodes = {
        f"{a}-{b}": sum(role[n] == "trusted_relay" for n in route(built, a, b)[1:-1]) for a, b in user_pairs(scenario)
    }
    design.memories_per_repeater = 2 * _memories_per_request(built)
    return design
