"""Scenario keys of the finite-key lengths: qkd.postprocessing.key_length and qkd.fast_link_block_bits."""

import copy

import pytest

from qkdn.keyrate.finite_models import DecoyBB84FiniteModel
from scenarios.build import bbm92_distillation_settings, fast_link_model, postprocessing_config
from scenarios.errors import ScenarioError
from scenarios.loader import from_dict


def scenario(**qkd: object) -> dict:
    return {
        "name": "t",
        "duration_s": 1.0,
        "network": {
            "nodes": [{"name": "alice", "role": "end"}, {"name": "bob", "role": "end"}],
            "links": [{"a": "alice", "b": "bob", "length_km": 10.0}],
        },
        "traffic": [{"src": "alice", "dst": "bob"}],
        "qkd": qkd,
    }


def problems_of(data: dict) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        from_dict(copy.deepcopy(data))
    return caught.value.problems


def test_bbm92_blocks_are_finite_key_by_default_and_asymptotic_on_request():
    default = from_dict(scenario())
    assert default.qkd.postprocessing.key_length == "finite"
    assert bbm92_distillation_settings(default).key_length_formula == "finite_key"
    assert postprocessing_config(default).key_length_formula == "asymptotic"  # photon links: unchanged
    asked = from_dict(scenario(postprocessing={"key_length": "asymptotic", "key_length_formula": "infinite_key"}))
    assert bbm92_distillation_settings(asked).key_length_formula == "infinite_key"


def test_bad_key_length_settings_name_the_field():
    (problem,) = problems_of(scenario(postprocessing={"key_length": "finit"}))
    assert "qkd.postprocessing.key_length" in problem and "finit" in problem
    (problem,) = problems_of(scenario(postprocessing={"key_length": "asymptotic", "key_length_formula": "finite_key"}))
    assert "qkd.postprocessing.key_length_formula" in problem and "contradicts" in problem
    (problem,) = problems_of(scenario(fast_link_block_bits=10))
    assert "qkd.fast_link_block_bits" in problem and "100" in problem


def test_fast_links_use_the_finite_key_model_when_given_a_block():
    assert fast_link_model(from_dict(scenario())).name == "decoy-bb84"
    model = fast_link_model(from_dict(scenario(fast_link_block_bits=1e8, postprocessing={"epsilon_secrecy": 1e-10})))
    assert isinstance(model, DecoyBB84FiniteModel) and model.block_bits == 1e8 and model.eps_sec == 1e-10
    (problem,) = problems_of(scenario(link_model="bb84-gllp", fast_link_block_bits=1e8))
    assert problem.startswith("qkd.fast_link_block_bits: link_model 'bb84-gllp' has no finite-key model")
