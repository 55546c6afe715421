"""The key-aware features of a candidate path, and a policy over them that starts as key-aware routing."""

import itertools
import json
import random

import networkx as nx
import pytest

from qkdn.ml.observation import MAX_REFILL_S, ObservationBuilder, store_capacity_bits
from qkdn.ml.policy import ALL_PATH_FEATURES, ALL_REFUSE_FEATURES, LinearPathPolicy, load_policy, path_features
from qkdn.routing import route_key
from qnetsim.core.errors import ConfigError

#: Key-aware routing as a policy: weight -1 on its cost, a tie-break towards its path, never refuse.
KEY_AWARE = {"key_aware_cost": -1.0, "is_key_aware": 0.001}
NEVER_REFUSE = {"bias": -1.0, "chosen_key_aware_cost": -1.0}


def _key_aware_policy(k):
    vector = [KEY_AWARE.get(n, 0.0) for n in ALL_PATH_FEATURES] + [
        NEVER_REFUSE.get(n, 0.0) for n in ALL_REFUSE_FEATURES
    ]
    return LinearPathPolicy.from_vector(k, vector, {}, ALL_PATH_FEATURES, ALL_REFUSE_FEATURES)


def _triangle():
    graph = nx.Graph()
    graph.add_edge("a", "b", residual_bits=600, up=True, key_rate_bps=1000.0)
    graph.add_edge("b", "c", residual_bits=150, up=True, key_rate_bps=100.0)
    graph.add_edge("a", "c", residual_bits=100, up=True)  # no known key rate
    return graph


def test_key_aware_features_of_the_triangle():
    graph = _triangle()
    builder = ObservationBuilder.for_graph(graph, 3, store_capacity_bits(2000, 0.5))
    observation, paths = builder.observe(graph, "a", "c", 200, 0.5)
    assert paths == [["a", "c"], ["a", "b", "c"]]
    # key_aware_cost (qkdn.route_search): 1 + 3 (1 + deficit) for a short link, 1 + bits / residual otherwise; / 3 nodes
    assert observation["path_key_aware_cost"].tolist() == pytest.approx(
        [(1 + 3 * (1 + 100 / 200)) / 3, ((1 + 200 / 600) + (1 + 3 * (1 + 50 / 200))) / 3, 0.0]
    )
    assert observation["path_short_links"].tolist() == [1, 1, 0]
    assert observation["path_hops_before_short"].tolist() == [0, 1, 0]  # a-b is crossed before b-c waits
    assert observation["path_refill_s"].tolist() == pytest.approx([MAX_REFILL_S, 50 / 100, 0.0])
    chosen = route_key("key_aware", graph, "a", "c", 200)
    assert chosen is not None and observation["path_is_key_aware"].tolist() == [
        float(path == chosen[0][0]) for path in paths
    ] + [0.0]
    features = path_features(observation, ("refill_over_deadline", "hops_before_short"))
    assert features.ravel().tolist() == pytest.approx([1.0, 0.0, (0.5 / 0.5) / 4, 1.0, 0.0, 0.0])


def test_key_aware_path_replaces_the_last_candidate_when_not_among_them():
    graph = nx.Graph()
    for u, v, bits in [("s", "t", 0), ("s", "x", 10), ("x", "t", 10), ("s", "y", 10), ("y", "z", 10), ("z", "t", 10)]:
        graph.add_edge(u, v, residual_bits=bits, up=True)
    graph.edges["s", "x"]["residual_bits"] = 0  # the two shortest paths lack key; only s-y-z-t holds it
    builder = ObservationBuilder.for_graph(graph, 2, 100)
    observation, paths = builder.observe(graph, "s", "t", 5, 1.0)
    assert paths == [["s", "t"], ["s", "y", "z", "t"]]
    assert observation["path_is_key_aware"].tolist() == [0.0, 1.0]
    assert builder.candidate_paths(graph, "s", "t") == [["s", "t"], ["s", "x", "t"]]  # the cache is unchanged


def test_the_key_aware_weights_make_key_aware_routings_choice_on_random_states():
    rng = random.Random(4)
    for trial in range(30):
        graph = nx.gnm_random_graph(9, 16, seed=trial)
        graph = nx.relabel_nodes(graph, {n: f"n{n}" for n in graph})
        for u, v in graph.edges:
            graph.edges[u, v].update(residual_bits=rng.choice([0, 50, 120, 400, 900]), up=True, key_rate_bps=300.0)
        src, dst = rng.sample(sorted(graph.nodes), 2)
        if not nx.has_path(graph, src, dst):
            continue
        builder = ObservationBuilder.for_graph(graph, 4, 1000)
        observation, paths = builder.observe(graph, src, dst, 200, 1.0)
        shares = route_key("key_aware", graph, src, dst, 200)
        assert shares is not None
        assert paths[_key_aware_policy(4).act(observation)] == shares[0][0]


def test_refusal_on_the_chosen_paths_refill_time():
    weights = dict(NEVER_REFUSE, chosen_refill_over_deadline=2.0)  # refuse if refill > half the (clipped) span
    vector = [KEY_AWARE.get(n, 0.0) for n in ALL_PATH_FEATURES] + [weights.get(n, 0.0) for n in ALL_REFUSE_FEATURES]
    policy = LinearPathPolicy.from_vector(3, vector, {}, ALL_PATH_FEATURES, ALL_REFUSE_FEATURES)
    graph = _triangle()
    graph.edges["a", "c"]["key_rate_bps"] = 100.0  # key-aware takes a-c (cost 5.5 against 6.08): 1 s to refill
    builder = ObservationBuilder.for_graph(graph, 3, 1000)
    assert policy.act(builder.observe(graph, "a", "c", 200, 10.0)[0]) == 0  # 10 s left: route
    assert policy.act(builder.observe(graph, "a", "c", 200, 0.05)[0]) == 3  # 0.05 s left: refuse


def test_model_file_names_its_features_and_unknown_ones_are_refused(tmp_path):
    policy = _key_aware_policy(4)
    path = tmp_path / "model.json"
    policy.save(path)
    loaded = load_policy(path)
    assert loaded == policy and loaded.path_feature_names == ALL_PATH_FEATURES
    document = json.loads(path.read_text())
    document["path_features"][0] = "oracle"
    path.write_text(json.dumps(document))
    with pytest.raises(ConfigError, match="path_features: must be a list of distinct names"):
        load_policy(path, "qkd.routing_model")
    with pytest.raises(ValueError, match="unknown names"):
        LinearPathPolicy(3, (1.0,), (0.0,), {}, ("oracle",), ("bias",))


def test_a_policy_needing_data_the_observation_lacks_says_so():
    observation = {
        "request_bits": [0.1],
        "path_valid": [1, 0],
        "path_bottleneck": [0.5, 0.0],
        "path_hops": [2.0, 0.0],
        "time_to_deadline_s": [1.0],
    }
    with pytest.raises(ValueError, match="key_aware_cost"):
        _key_aware_policy(2).act(observation)
    assert list(itertools.chain.from_iterable(path_features(observation).tolist())) == pytest.approx(
        [2.0, 0.0, 1.0, 2.321928 / 8, 0.0, 0.0, 0.0, 0.0]
    )
