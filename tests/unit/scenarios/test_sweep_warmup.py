"""The glance at a scenario file that starts the workers' imports agrees with the validated points."""

import pytest

from scenarios import library, load
from scenarios.executors import RUNNER_MODULES, SEQUENCE_MODULES
from scenarios.sweep import plan_sweep
from scenarios.sweep_run import worker_modules
from scenarios.sweep_warmup import guess_worker_modules

ALL = (*RUNNER_MODULES, *SEQUENCE_MODULES)


@pytest.mark.parametrize("name", library.names())
def test_the_guess_for_every_built_in_scenario_is_what_its_points_need(name):
    plan = plan_sweep(load(name), [], None)
    assert guess_worker_modules(name, []) == worker_modules(plan, name)


def test_a_network_level_file_needs_no_sequence_unless_a_swept_field_could_change_that(tmp_path):
    scenario = tmp_path / "chain.yaml"
    text = library.path("entanglement-chain").read_text(encoding="utf-8")
    scenario.write_text(text + "\nfidelity_level: network\n", encoding="utf-8")
    assert guess_worker_modules(str(scenario), ["links.length_km=10,20"]) == RUNNER_MODULES
    assert guess_worker_modules(str(scenario), ["fidelity_level=network,fast"]) == ALL
    assert guess_worker_modules(str(scenario), ["traffic[0].kind=key"]) == ALL


@pytest.mark.parametrize("content", [None, "- a list\n", "key: [unclosed\n"])
def test_no_guess_when_the_file_cannot_be_read_as_a_mapping(tmp_path, content):
    scenario = tmp_path / "bad.yaml"
    if content is not None:
        scenario.write_text(content, encoding="utf-8")
    assert guess_worker_modules(str(scenario), []) is None
