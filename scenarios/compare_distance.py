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
from scenarios.compare_runs import Task, run_all
from scenarios.loader import from_dict
from scenarios.results import Results
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


def distance_tasks(
    scenario: Scenario, distances_km: list[float], point: CompareSettings = SWEEP_SETTINGS
) -> list[Task]:
    """The runs of the sweep: per distance, the chain's trusted-relay, repeater and (if any) hybrid run."""
    n_hops = _n_hops(scenario)
    tasks: list[Task] = []
    for total in distances_km:
        chain = chain_of(scenario, n_hops, total)
        tasks.append((f"trusted_relay@{total}", trusted_relay_design(chain, point).runs["saturating"]))
        tasks.append((f"quantum_repeater@{total}", repeater_design(chain, point).runs["bbm92"]))
        if hybrid_supported() and best_hybrid_roles(chain) is not None:
            tasks.append((f"hybrid@{total}", hybrid_design(chain, point).runs["saturating"]))
    return tasks


def distance_sweep(
    scenario: Scenario,
    distances_km: list[float],
    point: CompareSettings = SWEEP_SETTINGS,
    results: dict[str, Results] | None = None,
) -> pd.DataFrame:
    """Rows ``design, distance_km, key_rate_bps, source, n_hops`` (simulated points and formula curves).

    Args:
        point: how each distance's designs are simulated (durations, frame size).
        results: the runs of :func:`distance_tasks`, if already run (else they run here).
    """
    n_hops = _n_hops(scenario)
    tasks = dict(distance_tasks(scenario, distances_km, point))
    results = results if results is not None else run_all(list(tasks.items()))
    pair = f"n0-n{n_hops}"
    rows: list[tuple[str, float, float, str]] = []
    for total in distances_km:
        rows += _analytic_rows(chain_of(scenario, n_hops, total), n_hops, total)
        for design in ("trusted_relay", "quantum_repeater", "hybrid"):
            name = f"{design}@{total}"
            if name not in tasks:
                continue
            tables = results[name].tables
            if design == "quantum_repeater":
                found = bbm92_rows(tables["link_blocks"], tables["pairs"], tasks[name].duration_s, [pair])
            else:
                found = saturating_rows(tables["requests"], tasks[name].duration_s, point.warmup_fraction, [pair])
            rate = next((r["value"] for r in found if r["metric"] == "key_capacity_bps"), 0.0)
            rows.append((design, total, rate, "simulated"))
    frame = pd.DataFrame(rows, columns=["design", "distance_km", "key_rate_bps", "source"])
    frame["n_hops"] = n_hops
    return frame


def _n_hops(scenario: Scenario) -> int:
    topology, _ = check_scenario(scenario)
    src, dst = user_pairs(scenario)[0]
    return int(nx.shortest_path_length(topology.graph(), src, dst))


def default_distances_km(scenario: Scenario) -> list[float]:
    """Four route lengths around the first user pair's own (half to twice it)."""
    topology, _ = check_scenario(scenario)
    src, dst = user_pairs(scenario)[0]
    length = nx.shortest_path_length(topology.graph(), src, dst, weight="length_km")
    return [float(round(length * x, 1)) for x in (0.5, 1.0, 1.5, 2.0)]
