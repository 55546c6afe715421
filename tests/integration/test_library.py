"""Every scenario shipped in the library validates and runs briefly (mesa-style example test)."""

import pytest

from scenarios import from_dict, library, load, run


@pytest.mark.parametrize("name", library.names())
def test_builtin_scenario_runs_briefly(name):
    scenario = load(name)
    data = scenario.model_dump(mode="json", exclude_unset=True)
    # Entanglement is simulated photon by photon (about 10 s of wall time per simulated
    # second); QKD networks move whole key blocks, so a few simulated seconds are brief.
    quantum = any(item.kind in ("entanglement", "teleportation") for item in scenario.traffic)
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
