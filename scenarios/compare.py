"""Quantum repeaters against trusted relays on the same topology, fibre and hardware.

``compare(scenario)`` takes a scenario's network, hardware templates and user
pairs (the ``src``/``dst`` of its traffic) and runs it twice:

* **trusted relay**: every node between the users is a trusted relay; links run
  decoy-state BB84 (fast model) into key pools; the end-to-end key capacity is
  the bottleneck link's key rate, and the users ask for keys at 0.8 of it, so
  the served key rate and the latency are those of a busy network;
* **quantum repeater**: every node between the users is a quantum repeater
  (SeQUeNCe routers, fast link mode); the users receive end-to-end entangled
  pairs and use them for BBM92 keys (secret rate from the asymptotic formula
  R = r_pairs (1/2)(1 - 2 h(Q)), Q = 2(1 - F)/3 for the Werner pairs the
  Bell-diagonal swaps deliver; Ma, Fung, Lo, PRA 76, 012307 (2007)) and for
  teleportation (average fidelity (2F + 1)/3; Horodecki et al., PRA 60, 1888
  (1999)).

Both write their usual tables; the comparison adds one summary row per design
and pair, and a key-rate-versus-distance sweep of the user pair's route as a
chain (trusted relay: the slowest hop's model rate; repeater: short fast-mode
simulations) next to the PLOB bound and point-to-point decoy BB84 over the whole
distance.
"""

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from qkdn.keyrate import get_model
from qkdn.keyrate.entropy import binary_entropy
from qtn.errors import ConfigError
from scenarios.build import link_keyrate_hardware, network_spec
from scenarios.checks import check_scenario
from scenarios.loader import from_dict
from scenarios.results import Results
from scenarios.runner import run
from scenarios.schema import Scenario

DESIGNS = ("trusted_relay", "quantum_repeater")
#: Offered key load relative to the bottleneck link's key rate: high, but below saturation,
#: so that latencies are not those of an ever-growing queue.
_LOAD_FACTOR = 0.8


@dataclass
class Comparison:
    """Both designs' results, the side-by-side summary and the distance sweep."""

    scenario: Scenario
    results: dict[str, Results]
    summary: pd.DataFrame
    distance: pd.DataFrame = field(default_factory=pd.DataFrame)

    def write(self, directory: str | Path) -> Path:
        """Write each design's result folder, the summary, the distance sweep and its figure, swapped in whole."""
        from scenarios.compare_folder import write_comparison

        return write_comparison(self, directory)


def user_pairs(scenario: Scenario) -> list[tuple[str, str]]:
    """The distinct ``(src, dst)`` pairs of the scenario's traffic, in order."""
    pairs: list[tuple[str, str]] = []
    for item in scenario.traffic:
        pair = (item.src, item.dst)
        if pair not in pairs:
            pairs.append(pair)
    if not pairs:
        raise ConfigError("traffic: a comparison needs at least one src/dst pair of users")
    return pairs


def _with_roles(data: dict[str, Any], role: str, users: set[str], names: list[str]) -> dict[str, Any]:
    """``data`` with every node that is not a user given ``role``."""
    data = copy.deepcopy(data)
    network = data["network"]
    if network.get("generator") is not None:
        network["node_roles"] = {name: ("end" if name in users else role) for name in names}
    else:
        for node in network["nodes"]:
            node["role"] = "end" if node["name"] in users else role
    return data


def bottleneck_key_rate_bps(scenario: Scenario, path: list[str]) -> float:
    """Decoy-BB84 model key rate of the slowest link on ``path`` (trusted relays: the end-to-end rate)."""
    spec = network_spec(scenario, check_scenario(scenario)[0])
    model = get_model("decoy-bb84")
    rates = []
    for a, b in zip(path, path[1:], strict=False):
        link = next(link for link in spec.links if {link.a, link.b} == {a, b})
        rates.append(model.evaluate(link.length_km, link_keyrate_hardware(scenario, spec, link)).key_rate_bps)
    return min(rates)


_DESIGN_OF_ROLE = {"trusted_relay": "trusted_relay", "repeater": "quantum_repeater"}


def _variant_base(scenario: Scenario, role: str) -> tuple[dict[str, Any], Any, list[tuple[str, str]]]:
    """The scenario as a dict with every non-user node given ``role``, its topology and its user pairs."""
    base = scenario.model_dump(mode="json", exclude_unset=True)
    topology, _ = check_scenario(scenario)
    pairs = user_pairs(scenario)
    names = [node.name for node in topology.nodes]
    data = _with_roles(base, role, {n for pair in pairs for n in pair}, names)
    data["name"] = f"{scenario.name}.{_DESIGN_OF_ROLE[role]}"
    return data, topology, pairs


def trusted_relay_variant(scenario: Scenario) -> Scenario:
    """The scenario as a trusted-relay QKD network with saturating key requests between its users."""
    data, topology, pairs = _variant_base(scenario, "trusted_relay")
    data["fidelity_level"] = "hardware"
    data.setdefault("qkd", {})["link_model"] = "decoy-bb84"
    traffic = []
    graph = topology.graph()
    for src, dst in pairs:
        path = nx.shortest_path(graph, src, dst, weight="length_km")
        rate_bps = bottleneck_key_rate_bps(scenario, path)
        bits = int(2 ** max(8, math.floor(math.log2(max(rate_bps, 1.0) / 2000))))  # ~1,000-2,000 keys/s
        traffic.append(
            {
                "kind": "key",
                "src": src,
                "dst": dst,
                "bits": bits,
                "rate_hz": max(_LOAD_FACTOR * rate_bps / bits, 0.5),
                "deadline_s": max(2.0, scenario.duration_s / 4),
            }
        )
    data["traffic"] = traffic
    data.pop("outputs", None)
    return from_dict(data, data["name"])


def repeater_variant(scenario: Scenario) -> Scenario:
    """The scenario as a quantum-repeater network delivering entangled pairs between its users (fast links)."""
    data, topology, pairs = _variant_base(scenario, "repeater")
    data["fidelity_level"] = "fast"
    templates = {node.template for node in topology.nodes}
    n_memories = max(1, min(scenario.templates.node_template(t).n_memories for t in templates) // 2)
    data["traffic"] = [{"kind": "entanglement", "src": src, "dst": dst, "n_memories": n_memories} for src, dst in pairs]
    data.pop("outputs", None)
    return from_dict(data, data["name"])


def bbm92_secret_fraction(fidelity: float) -> float:
    """Secret bits per sifted bit of BBM92 on Werner pairs: 1 - 2 h(Q), Q = 2(1 - F)/3 (0 if negative)."""
    qber = 2.0 * (1.0 - fidelity) / 3.0
    return max(0.0, 1.0 - 2.0 * float(binary_entropy(qber)))


def _trusted_relay_rows(scenario: Scenario, results: Results) -> list[dict[str, Any]]:
    requests = results.tables["requests"]
    blocks = results.tables["link_blocks"]
    rows = []
    for (src, dst), group in requests.groupby(["src", "dst"], sort=False):
        served = group[group["served"]]
        path = served["path"].iloc[0] if len(served) else group["path"].iloc[0]
        n_trusted = max(len(path.split(" | ")[0].split("-")) - 2, 0) if path else 0
        key_bits = int(served["bits"].sum())
        rows.append(
            {
                "design": "trusted_relay",
                "pair": f"{src}-{dst}",
                "path": path,
                "end_to_end_key_rate_bps": key_bits / scenario.duration_s,
                "key_capacity_bps": bottleneck_key_rate_bps(scenario, path.split(" | ")[0].split("-"))
                if path
                else float("nan"),
                "qber": float(blocks["qber"].mean()) if len(blocks) else float("nan"),
                "fidelity": float("nan"),
                "teleportation_fidelity": float("nan"),
                "latency_s": float(served["latency_s"].mean()) if len(served) else float("nan"),
                "n_trusted_nodes": n_trusted,
                "link_key_per_key_bit": float(served["key_consumed_bits"].sum() / key_bits)
                if key_bits
                else float("nan"),
                "memories_per_node": 0,
            }
        )
    return rows


def _repeater_rows(scenario: Scenario, results: Results) -> list[dict[str, Any]]:
    pairs = results.tables["pairs"]
    requests = results.tables["entanglement_requests"]
    rows = []
    for request in requests.itertuples(index=False):
        mine = pairs[pairs["request_id"] == request.request_id]
        fidelity = float(mine["fidelity"].mean()) if len(mine) else float("nan")
        pair_rate = len(mine) / scenario.duration_s
        secret_rate = pair_rate * 0.5 * bbm92_secret_fraction(fidelity) if len(mine) else 0.0
        rows.append(
            {
                "design": "quantum_repeater",
                "pair": f"{request.src}-{request.dst}",
                "path": request.path,
                "end_to_end_key_rate_bps": secret_rate,
                "key_capacity_bps": secret_rate,
                "qber": 2.0 * (1.0 - fidelity) / 3.0 if len(mine) else float("nan"),
                "fidelity": fidelity,
                "teleportation_fidelity": (2.0 * fidelity + 1.0) / 3.0 if len(mine) else float("nan"),
                "latency_s": float(mine["latency_s"].mean()) if len(mine) else float("nan"),
                "n_trusted_nodes": 0,
                "link_key_per_key_bit": float("nan"),
                "memories_per_node": 2 * int(request.n_memories),
            }
        )
    return rows


def compare(
    scenario: Scenario, *, distances_km: list[float] | None = None, progress: bool | None = False
) -> Comparison:
    """Run both designs on ``scenario``'s network and users; optionally sweep the route's length."""
    tr = run(trusted_relay_variant(scenario), progress=progress)
    qr = run(repeater_variant(scenario), progress=progress)
    summary = pd.DataFrame(_trusted_relay_rows(scenario, tr) + _repeater_rows(scenario, qr))
    comparison = Comparison(scenario, {"trusted_relay": tr, "quantum_repeater": qr}, summary)
    if distances_km:
        comparison.distance = distance_sweep(scenario, distances_km, progress=progress)
    return comparison


def _chain_data(scenario: Scenario, n_hops: int, total_km: float, duration_s: float) -> dict[str, Any]:
    """A chain of ``n_hops`` equal links over ``total_km`` with the scenario's hardware."""
    base = scenario.model_dump(mode="json", exclude_unset=True)
    topology, _ = check_scenario(scenario)
    node_template = topology.nodes[0].template
    link_template = topology.links[0].template
    return {
        "name": f"{scenario.name}.chain",
        "seed": scenario.seed,
        "duration_s": duration_s,
        "fidelity_level": "fast",
        "templates": base.get("templates", {}),
        "entanglement": base.get("entanglement", {}),
        "network": {
            "generator": {"kind": "chain", "n_nodes": n_hops + 1, "length_km": total_km / n_hops},
            "node_template": node_template,
            "link_template": link_template,
        },
        "traffic": [{"kind": "entanglement", "src": "n0", "dst": f"n{n_hops}", "n_memories": 2}],
    }


def distance_sweep(scenario: Scenario, distances_km: list[float], *, progress: bool | None = False) -> pd.DataFrame:
    """End-to-end key rate against total distance for the first user pair's hop count.

    Rows: ``design`` (trusted_relay, quantum_repeater, plob, decoy-bb84 point to
    point), ``distance_km``, ``key_rate_bps``, ``simulated`` (True for repeater points).
    """
    topology, _ = check_scenario(scenario)
    src, dst = user_pairs(scenario)[0]
    n_hops = nx.shortest_path_length(topology.graph(), src, dst)
    spec = network_spec(scenario, topology)
    hardware = link_keyrate_hardware(scenario, spec, spec.links[0])
    decoy, plob = get_model("decoy-bb84"), get_model("plob")
    rows = []
    for total in distances_km:
        rows.append(("trusted_relay", total, decoy.evaluate(total / n_hops, hardware).key_rate_bps, False))
        rows.append(("point_to_point_decoy_bb84", total, decoy.evaluate(total, hardware).key_rate_bps, False))
        rows.append(("plob", total, plob.evaluate(max(total, 1e-9), hardware).key_rate_bps, False))
        duration_s = min(scenario.duration_s, 0.2)
        chain = from_dict(_chain_data(scenario, n_hops, total, duration_s))
        pairs = run(chain, progress=progress).tables["pairs"]
        fidelity = float(pairs["fidelity"].mean()) if len(pairs) else 0.0
        rate = len(pairs) / duration_s * 0.5 * bbm92_secret_fraction(fidelity) if len(pairs) else 0.0
        rows.append(("quantum_repeater", total, rate, True))
    frame = pd.DataFrame(rows, columns=["design", "distance_km", "key_rate_bps", "simulated"])
    frame["n_hops"] = n_hops
    return frame


def default_distances_km(scenario: Scenario) -> list[float]:
    """Five route lengths around the first user pair's own (a quarter to twice it)."""
    topology, _ = check_scenario(scenario)
    src, dst = user_pairs(scenario)[0]
    length = nx.shortest_path_length(topology.graph(), src, dst, weight="length_km")
    return [float(round(x, 1)) for x in np.geomspace(length / 4, length * 2, 5)]
