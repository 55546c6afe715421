"""Learned decoy BB84 settings (qkdn.ml.parameters): accuracy on a fixed held-out set, domain, format, scenarios.

The accuracy check is the one of W. Wang and H.-K. Lo, Phys. Rev. A 100, 062334 (2019):
the key rate at the predicted settings against the rate at the optimiser's settings
(finite-key decoy BB84 of Lim et al., Phys. Rev. A 89, 022307 (2014)). The held-out
cases were drawn from a seed never used in training (bench/train_parameter_model.py).
"""

import copy
import json
import logging
import math
from pathlib import Path

import numpy as np
import pytest

from qkdn.keyrate.finite_models import DecoyBB84FiniteModel, DecoyChoice
from qkdn.keyrate.hardware import KeyRateHardwareConfig
from qkdn.keyrate.hardware import KeyRateHardwareConfig as Hardware
from qkdn.ml.parameters import (
    FEATURE_NAMES,
    TRAINING_DOMAIN,
    LearnedDecoyBB84FiniteModel,
    ParameterNetwork,
    choice_from_coordinates,
    coordinates_of,
    domain_problem,
    features_of,
    load_parameter_network,
)
from qnetsim.core.errors import ConfigError
from scenarios.build import fast_link_model
from scenarios.errors import ScenarioError
from scenarios.loader import from_dict

ROOT = Path(__file__).resolve().parents[4]
HELDOUT = ROOT / "tests" / "data" / "ml" / "decoy_parameters_heldout.json"
#: Bounds the shipped network meets on the held-out set (README and docs/machine-learning.md quote the figures).
MEDIAN_RATIO_BOUND = 0.99
WORST_RATIO_BOUND = 0.02


def heldout() -> list[dict]:
    return json.loads(HELDOUT.read_text(encoding="utf-8"))["cases"]


def case(features: list[float]) -> tuple[LearnedDecoyBB84FiniteModel, DecoyBB84FiniteModel, float, Hardware]:
    """Learned and numerical models of one case (as bench/train_parameter_model.py builds it)."""
    loss_db, log_y0, e_det, f, log_block = features
    hardware = KeyRateHardwareConfig(
        detector_efficiency=1.0, dark_count_probability=10**log_y0, misalignment_error=e_det,
        error_correction_efficiency=f,
    )  # fmt: skip
    settings = {"block_bits": 10**log_block, "eps_sec": 1e-9, "eps_cor": 1e-12}
    return LearnedDecoyBB84FiniteModel(**settings), DecoyBB84FiniteModel(**settings), 10 ** (-loss_db / 10), hardware


def test_rate_at_predicted_settings_on_the_heldout_set():
    cases = heldout()
    assert len(cases) >= 100
    ratios = []
    for item in cases:
        learned, _, eta, hardware = case(item["features"])
        assert learned.outside_domain(eta, hardware) is None
        rate, _ = learned.rate_of(learned.predicted_choice(eta, hardware), eta, hardware)
        ratios.append(max(rate, 0.0) / item["optimised_rate_per_pulse"])
    assert np.median(ratios) >= MEDIAN_RATIO_BOUND
    assert min(ratios) >= WORST_RATIO_BOUND
    # README.md and docs/machine-learning.md quote these figures (bench/eval_parameter_model.py prints them)
    quoted = (
        f"median {np.median(ratios):.5f}, 5th percentile {np.percentile(ratios, 5):.4f}, worst {min(ratios):.4f}, "
        f"share >= 0.99: {np.mean(np.array(ratios) >= 0.99):.3f}"
    )
    assert f"held-out cases: {len(cases)} " in (ROOT / "docs" / "machine-learning.md").read_text(encoding="utf-8")
    assert quoted in (ROOT / "docs" / "machine-learning.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    row = f"| {len(cases)} | {np.median(ratios):.5f} | {np.percentile(ratios, 5):.4f} | {min(ratios):.4f} |"
    assert row in readme


@pytest.mark.parametrize("index", [0, 1])
def test_heldout_rates_are_the_optimisers(index):
    # The stored rates are what DecoyBB84FiniteModel.optimum gives now (deterministic search).
    item = heldout()[index]
    _, numerical, eta, hardware = case(item["features"])
    assert numerical.optimum(eta, hardware)[0] == pytest.approx(item["optimised_rate_per_pulse"], rel=1e-9)


@pytest.mark.slow
def test_every_heldout_rate_is_the_optimisers():
    for item in heldout():
        _, numerical, eta, hardware = case(item["features"])
        assert numerical.optimum(eta, hardware)[0] == pytest.approx(item["optimised_rate_per_pulse"], rel=1e-9)


def test_coordinates_round_trip():
    choice = DecoyChoice((0.5, 0.1, 2e-4), (0.6, 0.3, 0.1), 0.8)
    back = choice_from_coordinates(coordinates_of(choice), 2e-4)
    assert np.allclose(back.intensities, choice.intensities, rtol=1e-12)
    assert np.allclose(back.probabilities, choice.probabilities, rtol=1e-12)
    assert back.key_basis_probability == pytest.approx(0.8, rel=1e-12)


def test_predicted_settings_are_valid_protocol_settings():
    learned, _, eta, hardware = case([20.0, -6.0, 0.015, 1.16, 8.0])
    choice = learned.predicted_choice(eta, hardware)
    mu1, mu2, mu3 = choice.intensities
    assert mu1 > mu2 + mu3 and mu2 > mu3 == 2e-4  # Lim et al. (2014): mu1 > mu2 + mu3, mu2 > mu3
    assert math.isclose(sum(choice.probabilities), 1.0) and min(choice.probabilities) > 0
    assert 0.05 < choice.key_basis_probability < 1


def test_features_and_domain():
    hardware = KeyRateHardwareConfig(dark_count_probability=1e-6, misalignment_error=0.01)
    features = features_of(1e-3, hardware, 1e7)
    assert dict(zip(FEATURE_NAMES, features, strict=True))["channel_loss_db"] == pytest.approx(30.0)
    assert domain_problem(features) is None
    assert domain_problem(features_of(1e-6, hardware, 1e7)) == "channel_loss_db = 60 outside the trained range [0, 50]"
    assert set(TRAINING_DOMAIN) == set(FEATURE_NAMES)


def test_outside_the_domain_the_optimiser_runs_and_says_so(caplog):
    learned, numerical, _, hardware = case([20.0, -6.0, 0.015, 1.16, 8.0])
    eta = 10 ** (-55 / 10)  # 55 dB: beyond the trained 50 dB
    with caplog.at_level(logging.WARNING, logger="qkdn.ml.parameters"):
        assert learned.optimum(eta, hardware) == numerical.optimum(eta, hardware)
    assert "channel_loss_db = 55 outside the trained range [0, 50]" in caplog.text
    assert "running the numerical optimiser" in caplog.text
    other = LearnedDecoyBB84FiniteModel(block_bits=1e8, eps_sec=1e-10, eps_cor=1e-12)
    assert "eps_sec" in other.outside_domain(0.01, hardware)


def test_network_file_is_plain_json_and_checked(tmp_path):
    network = load_parameter_network()
    data = network.to_json()
    assert ParameterNetwork.from_json(json.loads(json.dumps(data))).predict(np.zeros(5)).shape == (5,)
    assert data["metadata"]["trainer"] == "sklearn.neural_network.MLPRegressor"
    path = tmp_path / "net.json"
    path.write_text(json.dumps(data))
    assert np.array_equal(load_parameter_network(path).predict(np.ones((2, 5))), network.predict(np.ones((2, 5))))
    bad = copy.deepcopy(data)
    bad["format"] = "pickle"
    with pytest.raises(ConfigError, match="format must be 'qnetsim-mlp-1'; got 'pickle'"):
        ParameterNetwork.from_json(bad)
    bad = copy.deepcopy(data)
    bad["weights"][0] = bad["weights"][0][:3]
    with pytest.raises(ConfigError, match="layer shapes do not chain"):
        ParameterNetwork.from_json(bad)


def scenario(**qkd: object) -> dict:
    return {
        "name": "t",
        "duration_s": 1.0,
        "network": {
            "nodes": [{"name": "alice", "role": "end"}, {"name": "bob", "role": "end"}],
            "links": [{"a": "alice", "b": "bob", "length_km": 30.0}],
        },
        "traffic": [{"src": "alice", "dst": "bob"}],
        "qkd": qkd,
    }


def test_scenarios_choose_the_learned_settings():
    model = fast_link_model(from_dict(scenario(fast_link_block_bits=1e8, parameter_optimiser="learned")))
    assert isinstance(model, LearnedDecoyBB84FiniteModel) and model.block_bits == 1e8
    assert (model.eps_sec, model.eps_cor) == (1e-9, 1e-12)  # the scenario defaults the network was trained on
    assert type(fast_link_model(from_dict(scenario(fast_link_block_bits=1e8)))) is DecoyBB84FiniteModel
    with pytest.raises(ScenarioError) as caught:
        from_dict(scenario(parameter_optimiser="learned"))
    (problem,) = caught.value.problems
    assert problem.startswith("qkd.parameter_optimiser: 'learned' predicts the settings of finite-key decoy BB84")
    with pytest.raises(ScenarioError) as caught:
        from_dict(scenario(parameter_optimiser="leanred"))
    assert "qkd.parameter_optimiser" in caught.value.problems[0] and "leanred" in caught.value.problems[0]


def test_a_run_with_learned_settings_makes_finite_key_blocks():
    from scenarios import run

    data = scenario(fast_link_block_bits=1e8, parameter_optimiser="learned", block_bits=1024)
    data["traffic"] = [{"kind": "key", "src": "alice", "dst": "bob", "bits": 256}]
    blocks = run(from_dict(data)).tables["link_blocks"]
    assert len(blocks) > 0 and set(blocks["key_length"]) == {"finite"}
    # the same link with the optimiser's settings: the learned rate is within 1 % of it
    hardware = KeyRateHardwareConfig(detector_efficiency=0.25, dark_count_probability=1e-6)
    learned = fast_link_model(from_dict(data)).evaluate(30.0, hardware).key_rate_per_pulse
    numerical = fast_link_model(from_dict(scenario(fast_link_block_bits=1e8))).evaluate(30.0, hardware)
    assert learned == pytest.approx(numerical.key_rate_per_pulse, rel=0.01)
