"""The learned routing policy: its features and decisions, its model files, and ``qkd.routing: learned``."""

import json

import networkx as nx
import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from qkdn.ml.observation import ObservationBuilder, store_capacity_bits
from qkdn.ml.policy import MODEL_FORMAT, LinearPathPolicy, load_policy, path_features
from qnetsim.core.errors import ConfigError
from scenarios.cli import app
from scenarios.errors import ScenarioError
from scenarios.loader import load
from tests.ml_support import small_mesh_data

#: Prefer a path holding the key, then fewer hops; refuse when no path holds a quarter of the key.
PREFER_KEY = [-0.1, 0.0, 2.0, 0.0, -1.0, 0.0, -4.0]


def _observation(bottleneck_bits, hops, request_bits=1000, capacity=10_000):
    return {
        "request_bits": np.array([request_bits / capacity], dtype=np.float32),
        "path_valid": np.array([1 if h else 0 for h in hops], dtype=np.int8),
        "path_bottleneck": np.array([b / capacity for b in bottleneck_bits], dtype=np.float32),
        "path_hops": np.array(hops, dtype=np.float32),
        "time_to_deadline_s": np.array([1.0], dtype=np.float32),
        "pool_levels": np.zeros(3, dtype=np.float32),
        "links_up": np.ones(3, dtype=np.int8),
        "source": 0,
        "destination": 1,
    }


def test_features_are_scale_free_and_zero_for_absent_paths():
    features = path_features(_observation([2000, 500, 0], [2, 3, 0]))
    assert features[0].tolist() == pytest.approx([2, 0, 1, 1 / 8])  # log2(2000 / 1000) / 8
    assert features[1].tolist() == pytest.approx([3, 1, 0, -1 / 8])
    assert features[2].tolist() == [0, 0, 0, 0]
    scaled = path_features(_observation([20_000, 5000, 0], [2, 3, 0], request_bits=10_000, capacity=100_000))
    assert np.allclose(features, scaled)


def test_prefers_the_path_that_holds_the_key_and_refuses_when_none_comes_close():
    policy = LinearPathPolicy.from_vector(3, PREFER_KEY)
    assert policy.act(_observation([100, 5000, 0], [2, 4, 0])) == 1  # the longer path holds the key
    assert policy.act(_observation([5000, 5000, 0], [3, 2, 0])) == 1  # both do: fewer hops
    assert policy.act(_observation([10, 20, 0], [2, 3, 0])) == 3  # neither is close: refuse (action k)
    assert policy.act(_observation([0, 0, 0], [0, 0, 0])) == 3  # no path at all


def test_zero_weights_take_the_shortest_candidate():
    assert LinearPathPolicy.from_vector(3, [0.0] * 7).act(_observation([0, 9000, 0], [2, 3, 0])) == 0


def test_model_file_round_trip_is_plain_json(tmp_path):
    policy = LinearPathPolicy.from_vector(4, PREFER_KEY, {"scenario": "x"})
    path = tmp_path / "model.json"
    policy.save(path)
    document = json.loads(path.read_text())
    assert document["format"] == MODEL_FORMAT and document["k_paths"] == 4
    loaded = load_policy(path)
    assert loaded == policy and loaded.metadata == {"scenario": "x"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not a key-routing model file"),
        ('["a list"]', "must be a JSON object"),
        ('{"format": "pickle"}', "format: must be"),
        (None, "finite numbers"),
    ],
)
def test_bad_model_files_are_config_errors_naming_the_field(tmp_path, text, message):
    path = tmp_path / "model.json"
    if text is None:
        document = LinearPathPolicy.from_vector(3, PREFER_KEY).to_dict()
        document["path_weights"][0] = float("nan")
        text = json.dumps(document)
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as raised:
        load_policy(path, "qkd.routing_model")
    assert str(raised.value).startswith("qkd.routing_model: ")
    with pytest.raises(ConfigError, match="no such model file"):
        load_policy(tmp_path / "missing.json")


def test_observation_of_a_request_on_a_triangle():
    graph = nx.Graph()
    graph.add_edge("a", "b", residual_bits=600, up=True)
    graph.add_edge("b", "c", residual_bits=300, up=True)
    graph.add_edge("a", "c", residual_bits=100, up=True)
    builder = ObservationBuilder.for_graph(graph, 3, store_capacity_bits(2000, 0.5))
    observation, paths = builder.observe(graph, "a", "c", 200, 0.5)
    assert paths == [["a", "c"], ["a", "b", "c"]]
    assert observation["path_valid"].tolist() == [1, 1, 0]
    assert observation["path_bottleneck"].tolist() == pytest.approx([0.1, 0.3, 0.0])
    assert observation["path_hops"].tolist() == [1, 2, 0]
    graph.edges["a", "c"]["up"] = False  # a failed link leaves the candidates and shows in links_up
    observation, paths = builder.observe(graph, "a", "c", 200, 0.5)
    assert paths == [["a", "b", "c"]] and observation["links_up"].tolist() == [1, 0, 1]


# --- qkd.routing: learned in a scenario --------------------------------------------------


def _scenario_file(tmp_path, **qkd):
    data = small_mesh_data()
    data["qkd"].update(qkd)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_learned_routing_needs_a_readable_model(tmp_path):
    with pytest.raises(ScenarioError, match="qkd.routing_model: qkd.routing: learned needs the model file"):
        load(_scenario_file(tmp_path, routing="learned"))
    with pytest.raises(ScenarioError, match="qkd.routing_model: no such model file: .*missing.json"):
        load(_scenario_file(tmp_path, routing="learned", routing_model="missing.json"))
    with pytest.raises(ScenarioError, match="qkd.routing_model: only used with qkd.routing: learned"):
        load(_scenario_file(tmp_path, routing="key_aware", routing_model="model.json"))


def test_a_relative_model_path_is_relative_to_the_scenario_file(tmp_path):
    LinearPathPolicy.from_vector(3, PREFER_KEY).save(tmp_path / "model.json")
    scenario = load(_scenario_file(tmp_path, routing="learned", routing_model="model.json"))
    assert scenario.qkd.routing_model == str(tmp_path / "model.json")


def test_cli_exits_2_naming_the_model_field_and_value(tmp_path):
    (tmp_path / "model.json").write_text('{"format": "something else"}')
    path = _scenario_file(tmp_path, routing="learned", routing_model="model.json")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "qkd.routing_model: " in result.stderr and "model.json" in result.stderr
