"""``qnetsim export``: a scenario's resolved topology as GraphML, or as a SeQUeNCe topology file.

The topology exported is the one a run builds: generators expanded, role and
template overrides applied, every node and link with its template's hardware.

- **GraphML** (:func:`topology_graph`, :func:`write_graphml`): one node per node with
  ``role``, ``template`` and its hardware flattened to scalar attributes
  (``hw.memory.efficiency``, ...); one edge per link with ``length_km``, ``kind``
  (``qkd``: a direct QKD link between key holders in a scenario with QKD traffic,
  else ``entanglement``), ``template`` and the link hardware (``hw.fibre.*``,
  ``hw.bsm.*``). ``network: {graphml: FILE}`` reads it back (roles, templates, lengths).
- **SeQUeNCe JSON** (:func:`sequence_config`, :func:`write_sequence_json`): the
  configuration SeQUeNCe 1.3.1's ``RouterNetTopo`` builds a network from: a
  ``QuantumRouter`` per node (memory count, memory array parameters, swapping success,
  the seed qnetsim derives for that node), a ``meet_in_the_middle`` quantum connection
  per link (attenuation in dB/m, length in m, a single-heralded BSM node with the
  link's detectors and success probability), and a classical connection between every
  pair of routers delayed by the fastest fibre route, as qnetsim builds them. What the
  format cannot hold (roles, link kinds, gate and measurement fidelities, fibre speed,
  QKD light sources and detectors) is kept under the extra key ``qnetsim``, which
  SeQUeNCe ignores. See docs/topology-interop.md.
"""

import json
import math
from pathlib import Path
from typing import Any

import networkx as nx

from qnetsim.core.bookkeeping import delay_graph
from qnetsim.core.fibre_delays import channel_delay_ps, fastest_routes_from
from qnetsim.core.randomness import derive_seed
from qnetsim.core.spec import NetworkSpec
from qnetsim.core.units import db_per_km_to_db_per_m, km_to_m, s_to_ps
from scenarios.build import network_spec
from scenarios.errors import ScenarioError
from scenarios.loader import load_checked
from scenarios.schema import Scenario
from scenarios.topology_record import link_kind

FORMATS = ("graphml", "sequence-json")
#: The SeQUeNCe release the JSON form is written for.
SEQUENCE_VERSION = "1.3.1"


def resolved_spec(scenario: Scenario | str | Path) -> tuple[Scenario, NetworkSpec]:
    """The scenario and its network as a run builds it (nodes and links with hardware)."""
    if isinstance(scenario, Scenario):
        from scenarios.checks import check_scenario

        topology, problems = check_scenario(scenario)
        if problems:
            raise ScenarioError(problems, scenario.name)
    else:
        scenario, topology = load_checked(scenario)
    return scenario, network_spec(scenario, topology)


def _has_qkd(scenario: Scenario) -> bool:
    """Whether a run builds a QKD network (the runner's own test)."""
    from scenarios.build import has_key_traffic

    return has_key_traffic(scenario)


def _flat(prefix: str, value: Any, into: dict[str, Any]) -> dict[str, Any]:
    """Nested hardware as ``prefix.key`` scalars (GraphML holds no nesting or nulls)."""
    if isinstance(value, dict):
        for key, item in value.items():
            _flat(f"{prefix}.{key}", item, into)
    elif value is not None:
        into[prefix] = value
    return into


def topology_graph(scenario: Scenario | str | Path) -> nx.Graph:
    """The resolved topology as a networkx graph (the attributes the module describes)."""
    scenario, spec = resolved_spec(scenario)
    from scenarios.checks import check_scenario

    topology, _ = check_scenario(scenario)
    templates = {node.name: node.template for node in topology.nodes}
    link_templates = {tuple(sorted((link.a, link.b))): link.template for link in topology.links}
    qkd = _has_qkd(scenario)
    graph = nx.Graph(name=scenario.name, source=f"qnetsim export of scenario {scenario.name!r}")
    for node in spec.nodes:
        node_attributes = {"role": str(node.role), "template": templates[node.name]}
        graph.add_node(node.name, **_flat("hw", node.hardware.model_dump(mode="json"), node_attributes))
    roles = {node.name: str(node.role) for node in spec.nodes}
    for link in spec.links:
        attributes: dict[str, str | float] = {
            "length_km": float(link.length_km),
            "kind": link_kind(roles[link.a], roles[link.b], qkd=qkd),
            "template": link_templates[tuple(sorted((link.a, link.b)))],
        }
        graph.add_edge(link.a, link.b, **_flat("hw", link.hardware.model_dump(mode="json"), attributes))
    return graph


def sequence_config(scenario: Scenario | str | Path) -> dict[str, Any]:
    """The ``RouterNetTopo`` configuration of the scenario's network (see the module)."""
    from qtn.sequence_backed.adapter import bsm_node_name, bsm_node_templates, router_templates

    scenario, spec = resolved_spec(scenario)
    templates: dict[str, Any] = {}
    nodes = []
    for node in spec.nodes:
        name = f"router.{node.name}"
        templates[name] = router_templates(node.hardware)
        nodes.append(
            {
                "name": node.name,
                "type": "QuantumRouter",
                "seed": derive_seed(scenario.seed, f"node.{node.name}"),
                "memo_size": node.hardware.n_memories,
                "template": name,
            }
        )
    qconnections = []
    for link in spec.links:
        name = f"bsm.{link.name}"
        templates[name] = bsm_node_templates(link.hardware.bsm)
        first, second = sorted((link.a, link.b))  # SeQUeNCe names the BSM node BSM.<node1>.<node2>, as qnetsim does
        qconnections.append(
            {
                "node1": first,
                "node2": second,
                "attenuation": db_per_km_to_db_per_m(link.hardware.fibre.attenuation_db_per_km),
                "distance": km_to_m(link.length_km),
                "type": "meet_in_the_middle",
                "seed": derive_seed(scenario.seed, f"node.{bsm_node_name(link)}"),
                "template": name,
            }
        )
    graph = delay_graph(spec)
    cconnections = []
    names = [node.name for node in spec.nodes]
    for index, src in enumerate(names):
        delays, _ = fastest_routes_from(graph, src)  # the same delays as the run's router mesh
        for dst in names[index + 1 :]:
            delay_s = delays.get(dst, math.inf)
            if math.isfinite(delay_s):
                cconnections.append({"node1": src, "node2": dst, "delay": channel_delay_ps(delay_s)})
    qkd = _has_qkd(scenario)
    roles = {node.name: str(node.role) for node in spec.nodes}
    return {
        "templates": templates,
        "nodes": nodes,
        "qconnections": qconnections,
        "cconnections": cconnections,
        "stop_time": s_to_ps(scenario.duration_s),
        "qnetsim": {
            "scenario": scenario.name,
            "sequence_version": SEQUENCE_VERSION,
            "roles": roles,
            "links": {
                link.name: {
                    "length_km": link.length_km,
                    "kind": link_kind(roles[link.a], roles[link.b], qkd=qkd),
                    "fibre_speed_km_per_s": link.hardware.fibre.speed_km_per_s,
                }
                for link in spec.links
            },
            "nodes": {
                node.name: {
                    key: value
                    for key, value in node.hardware.model_dump(mode="json").items()
                    if key in ("gate_fidelity", "measurement_fidelity", "detector", "light_source")
                }
                for node in spec.nodes
            },
        },
    }


def _write_atomically(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    return path


def export_text(scenario: Scenario | str | Path, output_format: str) -> str:
    """The export of ``scenario`` in ``output_format`` (``graphml`` or ``sequence-json``) as text."""
    if output_format == "graphml":
        return "\n".join(nx.generate_graphml(topology_graph(scenario))) + "\n"
    if output_format == "sequence-json":
        return json.dumps(sequence_config(scenario), indent=2) + "\n"
    raise ScenarioError([f"--format: must be one of {', '.join(FORMATS)}; got {output_format!r}"])


#: Text every export holds: a file with it was written by qnetsim export and may be replaced.
EXPORT_MARKERS = ("qnetsim export of scenario", '"qnetsim": {')


def write_export(scenario: Scenario | str | Path, output_format: str, path: str | Path) -> Path:
    """Write the export to ``path`` (atomically: a reader never sees half a file).

    Raises:
        ScenarioError: ``path`` is a folder, or a file that ``qnetsim export`` did not write (never replaced).
    """
    path = Path(path)
    if path.is_dir():
        raise ScenarioError([f"-o {path}: is a folder; give a file name"])
    if path.exists():
        try:
            head = path.read_text(encoding="utf-8", errors="replace")[:100_000]
        except OSError as error:
            raise ScenarioError([f"-o {path}: cannot read the existing file ({error})"]) from None
        if not any(marker in head for marker in EXPORT_MARKERS):
            raise ScenarioError([f"-o {path}: exists and was not written by qnetsim export; not replaced"])
    return _write_atomically(path, export_text(scenario, output_format))
