"""Every scenario shipped in the library validates and runs briefly (mesa-style example test)."""

import pytest

from qkdn.segments import is_hybrid
from scenarios import from_dict, library, load, run
from scenarios.build import network_spec
from scenarios.checks import resolve_topology


@pytest.mark.parametrize("name", library.names())
def test_builtin_scenario_runs_briefly(name):
    scenario = load(name)
    data = scenario.model_dump(mode="json", exclude_unset=True)
    # Entanglement is simulated photon by photon (about 10 s of wall time per simulated
    # second); QKD networks move whole key blocks, so a few simulated seconds are brief.
    quantum = any(item.kind in ("entanglement", "teleportation", "bbm92") for item in scenario.traffic)
    quantum = quantum or is_hybrid(network_spec(scenario, resolve_topology(scenario)[0]))  # repeater segments
    photon = scenario.qkd.link_model == "photon" and not quantum  # every pulse is an event
    data["duration_s"] = min(scenario.duration_s, 0.02 if quantum else 0.004 if photon else 3.0)
    for item in data.get("traffic", []):
        item.pop("end_s", None)
    results = run(from_dict(data))
    for table in results.tables.values():
        assert list(table["scenario"].unique()) in ([scenario.name], [])
    # Every request is either served or says why not.
    if "entanglement_requests" in results.tables:
        requests = results.tables["entanglement_requests"]
        assert (requests["approved"] | (requests["reason"] != "")).all()
    if "requests" in results.tables:
        requests = results.tables["requests"]
        assert (requests["served"] | (requests["reason"] != "")).all()


def test_default_scenario_exists():
    assert library.DEFAULT in library.names()


TOPOLOGIES = ("chain", "metro-mesh", "star", "bus", "nsfnet", "beijing-shanghai")


@pytest.mark.parametrize("topology", TOPOLOGIES)
def test_design_variants_share_topology_fibre_and_hardware(topology):
    """Each library topology comes as a repeater and a trusted-relay variant of the same network."""
    repeaters, relays = load(f"{topology}-repeaters"), load(f"{topology}-trusted-relays")
    assert repeaters.templates == relays.templates
    assert [(t.src, t.dst) for t in repeaters.traffic] == [(t.src, t.dst) for t in relays.traffic]
    assert {item.kind for item in repeaters.traffic} == {"entanglement"}
    assert {item.kind for item in relays.traffic} == {"key"}
    (net_r, _), (net_t, _) = resolve_topology(repeaters), resolve_topology(relays)
    links = sorted((link.a, link.b, link.length_km, link.template) for link in net_r.links)
    assert links == sorted((link.a, link.b, link.length_km, link.template) for link in net_t.links)
    users = {n for t in repeaters.traffic for n in (t.src, t.dst)}
    roles_r = {node.name: (node.role, node.template) for node in net_r.nodes}
    roles_t = {node.name: (node.role, node.template) for node in net_t.nodes}
    assert roles_r.keys() == roles_t.keys()
    for name in roles_r:
        (role_r, template_r), (role_t, template_t) = roles_r[name], roles_t[name]
        assert template_r == template_t
        if name in users or role_r == "end":
            assert role_r == role_t == "end"
        else:
            assert (role_r, role_t) == ("repeater", "trusted_relay")
