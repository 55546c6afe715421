"""Topologies in and out: GraphML and networkx graphs as sources, GraphML and SeQUeNCe JSON exports.

The SeQUeNCe form is checked with SeQUeNCe 1.3.1's own ``RouterNetTopo``: the network
it builds from the exported file has the routers, memories, BSM stations, quantum
channels and classical channels (parameters and delays) that qnetsim itself builds
for the scenario (``qtn.sequence_backed.adapter.build_entanglement_network``).
"""

import json
import math
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from scenarios import library, load
from scenarios.build import network_spec
from scenarios.checks import check_scenario
from scenarios.cli import app
from scenarios.errors import ScenarioError
from scenarios.export import sequence_config, topology_graph, write_export
from scenarios.graphml import scenario_with_graph

runner = CliRunner()


def _resolved(scenario):
    topology, problems = check_scenario(scenario)
    assert problems == []
    roles = {node.name: node.role for node in topology.nodes}
    lengths = {tuple(sorted((link.a, link.b))): link.length_km for link in topology.links}
    return roles, lengths, network_spec(scenario, topology)


def test_graphml_export_reads_back_to_the_same_topology_and_hardware(tmp_path):
    original = load("nsfnet-trusted-relays")  # a generated (edge-list) topology with role overrides
    path = write_export(original, "graphml", tmp_path / "nsfnet.graphml")
    data = original.model_dump(mode="json", exclude_unset=True)
    network = {key: data["network"][key] for key in ("node_template", "link_template")}
    data["network"] = {"graphml": "nsfnet.graphml", **network}
    (tmp_path / "from-graphml.yaml").write_text(json.dumps(data))  # JSON is YAML
    again = load(tmp_path / "from-graphml.yaml")
    assert again.network.graphml == "nsfnet.graphml" and len(again.network.nodes) == 14
    roles, lengths, spec = _resolved(original)
    roles_again, lengths_again, spec_again = _resolved(again)
    assert roles_again == roles and lengths_again == lengths
    assert {n.name: n.hardware for n in spec_again.nodes} == {n.name: n.hardware for n in spec.nodes}
    graph = nx.read_graphml(path)
    assert graph.nodes["seattle"]["hw.detector.efficiency"] == 0.25 and graph.nodes["seattle"]["role"] == "end"
    assert graph.edges["princeton", "college_park"]["length_km"] == 6.0
    assert graph.edges["princeton", "college_park"]["kind"] == "qkd"
    assert graph.edges["princeton", "college_park"]["hw.fibre.attenuation_db_per_km"] == 0.2


def test_a_networkx_graph_is_a_topology_source():
    graph = nx.Graph()
    graph.add_edge("n0", "r", length_km=25.0)
    graph.add_edge("r", "n5", length_km=30.0)
    graph.nodes["r"]["role"] = "trusted_relay"
    scenario = scenario_with_graph("qkd-trusted-relay-chain", graph)
    roles, lengths, _ = _resolved(scenario)
    assert roles == {"n0": "end", "r": "trusted_relay", "n5": "end"}
    assert lengths == {("n0", "r"): 25.0, ("n5", "r"): 30.0}
    assert scenario.traffic[0].src == "n0"  # the rest of the scenario kept


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda g: g.add_edge("a", "c"), "edge a-c needs a positive 'length_km'; got None"),
        (lambda g: g.add_edge("a", "c", length_km=-1.0), "edge a-c needs a positive 'length_km'; got -1.0"),
    ],
)
def test_bad_graphs_are_refused_naming_the_edge(tmp_path, edit, message):
    graph = nx.Graph()
    graph.add_edge("a", "b", length_km=10.0)
    edit(graph)
    nx.write_graphml(graph, tmp_path / "bad.graphml")
    (tmp_path / "s.yaml").write_text(
        "name: s\nduration_s: 1\nnetwork: {graphml: bad.graphml}\n"
        "traffic: [{kind: key, src: a, dst: b, bits: 8, rate_hz: 1}]\n"
    )
    with pytest.raises(ScenarioError, match=message):
        load(tmp_path / "s.yaml")
    (tmp_path / "t.yaml").write_text("name: t\nduration_s: 1\nnetwork: {graphml: none.graphml}\ntraffic: []\n")
    with pytest.raises(ScenarioError, match=r"network.graphml: no such file: .*none.graphml"):
        load(tmp_path / "t.yaml")


def test_the_nsfnet_graphml_lengths_are_the_great_circle_distances_scaled():
    """length_km = haversine(site a, site b) / 50 with Earth radius 6371 km (coordinates in the file)."""
    graph = nx.read_graphml(library.path("nsfnet-zoo-trusted-relays").parent / "nsfnet-topology-zoo.graphml")
    assert (graph.number_of_nodes(), graph.number_of_edges()) == (13, 15)  # Topology Zoo Nsfnet
    for a, b, data in graph.edges(data=True):
        (p1, l1), (p2, l2) = (
            (math.radians(graph.nodes[n]["latitude"]), math.radians(graph.nodes[n]["longitude"])) for n in (a, b)
        )
        h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2
        great_circle_km = 2 * 6371.0 * math.asin(math.sqrt(h))
        assert data["great_circle_km"] == pytest.approx(great_circle_km, abs=1e-3)
        assert data["length_km"] == pytest.approx(great_circle_km / 50, abs=1e-3)
    scenario = load("nsfnet-zoo-trusted-relays")
    roles, lengths, _ = _resolved(scenario)
    assert sorted(name for name, role in roles.items() if role == "end") == [
        "ithaca", "princeton", "san_diego", "seattle"
    ]  # fmt: skip
    assert lengths[("ann_arbor", "palo_alto")] == pytest.approx(3293.15 / 50, abs=1e-2)  # the longest link


def test_sequence_json_loads_in_sequence_with_the_parameters_qnetsim_builds(tmp_path):
    from sequence.topology.router_net_topo import RouterNetTopo

    from qtn.sequence_backed import adapter as sequence_adapter

    scenario = load("entanglement-mesh")
    path = write_export(scenario, "sequence-json", tmp_path / "mesh.json")
    topo = RouterNetTopo(str(path))  # SeQUeNCe's own loader, from the file
    _, _, spec = _resolved(scenario)
    with sequence_adapter.sequence_globals(link_mode="hardware", purification="bbpssw"):
        built = sequence_adapter.build_entanglement_network(spec, scenario.seed, scenario.duration_s)
    routers = {router.name: router for router in topo.get_nodes_by_type("QuantumRouter")}
    assert set(routers) == set(built.routers)
    for name, ours in built.routers.items():
        theirs = routers[name]
        assert theirs.swapping_success_prob == ours.swapping_success_prob
        mine, loaded = (r.get_components_by_type("MemoryArray")[0] for r in (ours, theirs))
        assert len(loaded) == len(mine)
        for attribute in ("efficiency", "raw_fidelity", "frequency", "coherence_time", "wavelength"):
            assert getattr(loaded[0], attribute) == getattr(mine[0], attribute), attribute
    stations = {node.name: node for node in topo.get_nodes_by_type("BSMNode")}
    assert set(stations) == set(built.bsm_nodes)
    for name, ours in built.bsm_nodes.items():
        mine, loaded = (n.get_components_by_type("SingleHeraldedBSM")[0] for n in (ours, stations[name]))
        assert loaded.success_rate == mine.success_rate
        assert [(d.efficiency, d.dark_count, d.time_resolution) for d in loaded.detectors] == [
            (d.efficiency, d.dark_count, d.time_resolution) for d in mine.detectors
        ]
    quantum = {(qc.sender.name, qc.receiver): qc for qc in topo.get_qchannels()}
    assert len(quantum) == len(built.quantum_channels)
    for qc in built.quantum_channels:
        loaded = quantum[(qc.sender.name, qc.receiver)]
        assert loaded.distance == pytest.approx(qc.distance, rel=1e-12)
        assert loaded.attenuation == pytest.approx(qc.attenuation, rel=1e-12)
        assert loaded.light_speed == pytest.approx(qc.light_speed, rel=1e-12)
    classical = {(cc.sender.name, cc.receiver): cc.delay for cc in topo.get_cchannels()}
    for cc in built.classical_channels:  # every router pair and both halves of every link, delays within 1 ps
        assert classical[(cc.sender.name, cc.receiver)] == pytest.approx(cc.delay, abs=1)
    assert len(classical) == len(built.classical_channels)


def test_cli_export_writes_both_forms_and_refuses_a_foreign_file(tmp_path):
    result = runner.invoke(
        app, ["export", "chain-repeaters", "--format", "sequence-json", "-o", str(tmp_path / "c.json")]
    )
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "c.json").read_text())
    assert config["qnetsim"]["roles"] == sequence_config("chain-repeaters")["qnetsim"]["roles"]
    result = runner.invoke(app, ["export", "chain-repeaters"])  # GraphML to standard output
    assert result.exit_code == 0 and "<graphml" in result.output
    assert nx.is_isomorphic(nx.parse_graphml(result.output), topology_graph("chain-repeaters"))
    mine = tmp_path / "mine.json"
    mine.write_text("{}")
    result = runner.invoke(app, ["export", "chain-repeaters", "--format", "graphml", "-o", str(mine)])
    assert result.exit_code == 2 and "exists and was not written by qnetsim export; not replaced" in result.output
    assert mine.read_text() == "{}"
    result = runner.invoke(app, ["export", "chain-repeaters", "--format", "dot"])
    assert result.exit_code == 2 and "--format: must be one of graphml, sequence-json; got 'dot'" in result.output


def test_runs_record_their_resolved_topology(tmp_path):
    from scenarios.runner import run
    from tests.conftest import chain_scenario

    results = run(chain_scenario(duration_s=0.01))
    record = results.manifest["topology"]
    assert [node["role"] for node in record["nodes"]] == ["end", "repeater", "end"]
    assert [(link["link"], link["length_km"], link["kind"]) for link in record["links"]] == [
        ("n0~n1", 10.0, "entanglement"), ("n1~n2", 10.0, "entanglement")
    ]  # fmt: skip
    assert Path(results.write(tmp_path / "run") / "manifest.json").is_file()
