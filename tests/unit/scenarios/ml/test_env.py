"""The key-routing environment: Gymnasium's API checks, seeding, and the simulation underneath."""

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import qnetsim
import scenarios.ml  # noqa: F401  (registers the environment)
from qkdn.ml.policy import LinearPathPolicy
from scenarios.ml.env import AGENT_REFUSED_REASON, ENV_ID, KeyRoutingEnv
from scenarios.ml.train import episode_return
from tests.ml_support import small_mesh

pytest.importorskip("gymnasium")


def _env(**kwargs):
    return KeyRoutingEnv(small_mesh(duration_s=1.0), k_paths=3, **kwargs)


def _episode(env, seed, actions):
    """Observations, rewards and infos of one episode playing ``actions(observation, step)``."""
    observation, info = env.reset(seed=seed)
    trace = [(observation, 0.0, info["request_id"])]
    done, step = False, 0
    while not done:
        observation, reward, done, _, info = env.step(actions(observation, step))
        trace.append((observation, reward, info["request_id"]))
        step += 1
    return trace


def _same(trace_a, trace_b):
    if len(trace_a) != len(trace_b):
        return False
    for (obs_a, r_a, id_a), (obs_b, r_b, id_b) in zip(trace_a, trace_b, strict=True):
        if r_a != r_b or id_a != id_b or any(not np.array_equal(obs_a[key], obs_b[key]) for key in obs_a):
            return False
    return True


def test_passes_gymnasium_env_checker():
    env = _env()
    check_env(env, skip_render_check=True)
    env.close()


def test_make_by_id_gives_the_declared_spaces():
    env = gymnasium.make(ENV_ID, scenario=small_mesh(duration_s=1.0), k_paths=3)
    observation, info = env.reset(seed=3)
    assert env.action_space == gymnasium.spaces.Discrete(4)
    assert env.observation_space.contains(observation)
    assert set(observation) >= {"pool_levels", "source", "destination", "request_bits", "path_bottleneck", "path_hops"}
    assert observation["pool_levels"].shape == (6,)  # one entry per link of the mesh
    assert info["action_mask"][-1]  # refusing is always possible
    env.close()


def test_same_seed_same_episode_and_other_seeds_differ():
    env = _env()
    cycle = lambda observation, step: step % 4  # noqa: E731  (paths 0..2 and refusal in turn)
    first = _episode(env, 11, cycle)
    again = _episode(env, 11, cycle)
    other = _episode(env, 12, cycle)
    assert len(first) > 10  # the load gives many decisions in one simulated second
    assert _same(first, again)
    assert not _same(first, other)


def test_episode_leaves_the_callers_global_random_state_alone():
    env = _env()
    np.random.seed(5)
    expected = np.random.random()
    np.random.seed(5)
    env.reset(seed=1)
    env.step(0)
    assert np.random.random() == expected


def test_refusal_is_recorded_and_penalised():
    env = _env(penalty=2.0)
    trace = _episode(env, 4, lambda observation, step: env.k)  # refuse everything
    rows = env.network.request_records
    assert rows and all(not row["served"] for row in rows)
    assert {row["reason"] for row in rows} == {AGENT_REFUSED_REASON}
    assert sum(reward for _, reward, _ in trace) == pytest.approx(-2.0 * len(rows))


def test_reward_counts_the_delivered_key():
    env = _env()
    total = sum(reward for _, reward, _ in _episode(env, 6, lambda observation, step: 0))
    rows = env.network.request_records
    served = sum(row["bits"] for row in rows if row["served"]) / env.bits_scale
    failed = sum(1 for row in rows if not row["served"])
    assert served > 0 and failed > 0  # the load blocks some requests on the shortest paths
    assert total == pytest.approx(served - failed)


def test_bad_actions_are_refused_with_the_value():
    env = _env()
    env.reset(seed=1)
    for action in (-1, 4, 1.5, "0"):
        with pytest.raises(ValueError, match="action"):
            env.step(action)


def test_episode_with_a_policy_is_the_scenario_run_with_that_policy(tmp_path):
    """The agent's decisions in the environment and ``qkd.routing: learned`` in a run give the same requests."""
    policy = LinearPathPolicy.from_vector(3, [-0.3, 0.0, 1.0, 0.5, -0.8, -1.0, 0.0])
    model = tmp_path / "policy.json"
    policy.save(model)
    env = _env()
    episode_return(env, policy.act, 8)
    from_env = [(row["request_id"], row["served"], row["path"]) for row in env.network.request_records]
    scenario = env.scenario_for_seed(8)
    scenario = scenario.model_copy(
        update={"qkd": scenario.qkd.model_copy(update={"routing": "learned", "routing_model": str(model)})}
    )
    requests = qnetsim.run(scenario).tables["requests"]
    from_run = list(zip(requests["request_id"], requests["served"], requests["path"], strict=True))
    assert sorted(from_env) == sorted(from_run)
    assert any(not served for _, served, _ in from_env)


def test_episode_global_random_state_comes_from_the_seed_not_the_caller():
    """SeQUeNCe's photon-level BB84 draws from NumPy's global generator: an episode must own that state."""
    env = _env()
    states = []
    for caller_seed in (1, 2):
        np.random.seed(caller_seed)
        env.reset(seed=5)
        states.append(env._global_state[0][1])  # NumPy's Mersenne Twister key of the episode
    assert np.array_equal(states[0], states[1])
