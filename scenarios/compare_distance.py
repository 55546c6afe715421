"""End-to-end key rate against route length: simulated points per design, analytic curves as lines.

The first user pair's route is replaced by a chain of as many equal links
spanning each total distance, with the scenario's hardware. At every distance:

* trusted relays: the chain's key capacity, simulated under saturating demand
  (fast model links, relays simulated) - a ``simulated`` point;
* quantum repeaters: BBM92 keys distilled from the chain's end-to-end pairs,
  simulated at the network level - a ``simulated`` point (zero when no frame was
  complete within the run);
* hybrid (when this build runs hybrids and the chain has two interior nodes): the
  best hybrid's key capacity under saturating demand, its segment at the network
  level - a ``simulated`` point;
* analytic curves (``formula``): the slowest hop's decoy-BB84 rate (what trusted
  relays reach with instant relaying), point-to-point decoy BB84 over the whole
  distance, and the PLOB repeaterless bound.
"""

from typing import Any

import networkx as nx
import pandas as pd

from qkdn.keyrate import get_model
from scenarios.build import link_keyrate_hardware, network_spec
from scenarios.checks import check_scenario
from scenarios.compare_designs import (
    CompareSettings,
    best_hybrid_roles,
    hybrid_design,
    hybrid_supported,
    repeater_design,
    trusted_relay_design,
    user_pairs,
)
from scenarios.compare_measure import bbm92_rows, saturating_rows
from scenarios.loader import from_dict
from scenarios.runner import run
from scenarios.schema import Scenario

#: How each point is simulated: trusted relays 0.3 s (saturating demand), repeaters 20 s at
#: the network level with 512-bit BBM92 frames.
SWEEP_SETTINGS = CompareSettings(duration_s=0.3, bbm92_duration_s=20.0, bbm92_frame_bits=512)


def chain_of(scenario: Scenario, n_hops: int, total_km: float) -> Scenario:
    """A chain of ``n_hops`` equal links over ``total_km`` with the scenario's hardware, users at its ends."""
    base = scenario.model_dump(mode="json", exclude_unset=True)
    topology, _ = check_scenario(scenario)
    data: dict[str, Any] = {
        "name": f"{scenario.name}.chain",
        "seed": scenario.seed,
        "duration_s": scenario.duration_s,
        "templates": base.get("templates", {}),
        "entanglement": base.get("entanglement", {}),
        "qkd": base.get("qkd", {}),
        "network": {
            "generator": {"kind": "chain", "n_nodes": n_hops + 1, "length_km": total_km / n_hops},
            "node_template": topology.nodes[0].template,
            "link_template": topology.links[0].template,
        },
        "traffic": [{"kind": "key", "src": "n0", "dst": f"n{n_hops}", "n_requests": 1}],
    }
    return from_dict(data)


def _analytic_rows(scenario: Scenario, n_hops: int, total_km: float) -> list[tuple[str, float, float, str]]:
    spec = network_spec(scenario, check_scenario(scenario)[0])
    hardware = link_keyrate_hardware(scenario, spec, spec.links[0])
    decoy, plob = get_model("decoy-bb84"), get_model("plob")
    return [
        ("trusted_relay_formula", total_km, decoy.evaluate(total_km / n_hops, hardware).key_rate_bps, "formula"),
        ("point_to_point_decoy_bb84", total_km, decoy.evaluate(total_km, hardware).key_rate_bps, "formula"),
        ("plob", total_km, plob.evaluate(max(total_km, 1e-9), hardware).key_rate_bps, "formula"),
    ]


def distance_sweep(
    scenario: Scenario, distances_km: list[float], point: CompareSettings = SWEEP_SETTINGS
) -> pd.DataFrame:
    """Rows ``design, distance_km, key_rate_bps, source, n_hops`` (simulated points and formula curves).

    Args:
        point: how each distance's designs are simulated (durations, frame size).
    """
    topology, _ = check_scenario(scenario)
    src, dst = user_pairs(scenario)[0]
    n_hops = int(nx.shortest_path_length(topology.graph(), src, dst))
    rows: list[tuple[str, float, float, str]] = []
    pair = f"n0-n{n_hops}"
    for total in distances_km:
        chain = chain_of(scenario, n_hops, total)
        rows += _analytic_rows(chain, n_hops, total)
        relay = trusted_relay_design(chain, point).runs["saturating"]
        requests = run(relay).tables["requests"]
        found = saturating_rows(requests, relay.duration_s, point.warmup_fraction, [pair])
        rate = next((r["value"] for r in found if r["metric"] == "key_capacity_bps"), 0.0)
        rows.append(("trusted_relay", total, rate, "simulated"))
        bbm92 = repeater_design(chain, point).runs["bbm92"]
        tables = run(bbm92).tables
        found = bbm92_rows(tables["link_blocks"], tables["pairs"], bbm92.duration_s, [pair])
        rate = next((r["value"] for r in found if r["metric"] == "key_capacity_bps" and r["pair"] == pair), 0.0)
        rows.append(("quantum_repeater", total, rate, "simulated"))
        if hybrid_supported() and best_hybrid_roles(chain) is not None:
            hybrid = hybrid_design(chain, point).runs["saturating"]
            requests = run(hybrid).tables["requests"]
            found = saturating_rows(requests, hybrid.duration_s, point.warmup_fraction, [pair])
            rate = next((r["value"] for r in found if r["metric"] == "key_capacity_bps"), 0.0)
            rows.append(("hybrid", total, rate, "simulated"))
    frame = pd.DataFrame(rows, columns=["design", "distance_km", "key_rate_bps", "source"])
    frame["n_hops"] = n_hops
    return frame


def default_distances_km(scenario: Scenario) -> list[float]:
    """Four route lengths around the first user pair's own (half to twice it)."""
    topology, _ = check_scenario(scenario)
    src, dst = user_pairs(scenario)[0]
    length = nx.shortest_path_length(topology.graph(), src, dst, weight="length_km")
    return [float(round(length * x, 1)) for x in (0.5, 1.0, 1.5, 2.0)]
