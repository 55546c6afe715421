"""Training the linear key-routing policy by the cross-entropy method on simulated episodes.

The cross-entropy method (CEM; R. Y. Rubinstein, Methodology and Computing in
Applied Probability 1, 127 (1999); for policy search: I. Szita and A. Lőrincz,
Neural Computation 18(12), 2936 (2006)) keeps a Gaussian over the policy's
weights (:class:`qkdn.ml.policy.LinearPathPolicy`): every iteration it draws a
population of weight vectors, runs each as the agent of whole episodes of the
Gymnasium environment (:class:`scenarios.ml.env.KeyRoutingEnv`), and refits the
Gaussian to the best (elite) fraction by their return. All candidates of an
iteration play the same training seeds (common random numbers), so they are
compared on the same traffic; successive iterations may play different seeds.
The policy returned is the Gaussian's final mean.

The search is gradient-free and needs no learning framework: the returns of
simulated episodes are its only signal. Every random draw comes from ``seed``.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qkdn.ml.policy import PATH_FEATURES, REFUSE_FEATURES, LinearPathPolicy
from qnetsim.core.randomness import generator
from scenarios.ml.env import KeyRoutingEnv

__all__ = ["TrainingResult", "episode_return", "random_policy_return", "train_policy"]

logger = logging.getLogger(__name__)

#: Most episodes one training may run (iterations x population x seeds): refused above it, before any run.
MAX_TRAINING_EPISODES = 100_000


def episode_return(env: KeyRoutingEnv, act: Callable[[dict[str, Any]], int], seed: int) -> float:
    """Total reward of one episode of ``env`` seeded ``seed`` with the agent ``act`` (observation -> action)."""
    observation, _ = env.reset(seed=seed)
    total, done = 0.0, False
    while not done:
        observation, reward, done, truncated, _ = env.step(act(observation))
        total += reward
        done = done or truncated
    return total


def random_policy_return(env: KeyRoutingEnv, seeds: Sequence[int], rng_seed: int = 0) -> float:
    """Mean return of the uniformly random agent (any action, refusal included) over ``seeds``."""
    rng = generator(rng_seed, "ml.random-agent")
    return float(np.mean([episode_return(env, lambda _: int(rng.integers(0, env.k + 1)), seed) for seed in seeds]))


@dataclass
class TrainingResult:
    """A trained policy and how the search went.

    Attributes:
        policy: the final mean of the search's Gaussian (the CEM's answer).
        history: per iteration: the seeds played, the population's mean and best return, the new mean.
    """

    policy: LinearPathPolicy
    history: list[dict[str, Any]] = field(default_factory=list)


def train_policy(
    env: KeyRoutingEnv,
    train_seeds: Sequence[int],
    n_iterations: int = 8,
    population: int = 12,
    seeds_per_iteration: int | None = None,
    elite_fraction: float = 0.25,
    initial_mean: Sequence[float] | None = None,
    initial_std: float = 1.0,
    min_std: float = 0.05,
    seed: int = 0,
    metadata: dict[str, Any] | None = None,
    path_features: Sequence[str] = PATH_FEATURES,
    refuse_features: Sequence[str] = REFUSE_FEATURES,
) -> TrainingResult:
    """Train the linear path policy for ``env`` by the cross-entropy method (see the module docstring).

    Args:
        env: the environment (its ``k_paths`` is the policy's).
        train_seeds: the episode seeds training may use.
        n_iterations: CEM iterations.
        population: candidates per iteration.
        seeds_per_iteration: seeds every candidate of one iteration plays, taken in turn from
            ``train_seeds`` (None: all of them every iteration).
        elite_fraction: fraction of each population the Gaussian is refitted to.
        initial_mean: the Gaussian's first mean (default zeros: the shortest candidate path, never refuse).
        initial_std: initial standard deviation of every weight.
        min_std: floor of the standard deviations (keeps exploring).
        seed: seed of the search's own draws.
        metadata: kept in the model file beside the method's own record.
        path_features: the path score's features (:data:`qkdn.ml.policy.ALL_PATH_FEATURES`).
        refuse_features: the refusal score's features (:data:`qkdn.ml.policy.ALL_REFUSE_FEATURES`).

    Raises:
        ValueError: a bad setting, or more than :data:`MAX_TRAINING_EPISODES` episodes asked for.
    """
    n_elite = max(1, int(round(population * elite_fraction)))
    per_iteration = len(train_seeds) if seeds_per_iteration is None else seeds_per_iteration
    if n_iterations < 1 or population < 2 or not train_seeds or not 0 < elite_fraction <= 1 or per_iteration < 1:
        raise ValueError(
            "n_iterations >= 1, population >= 2, seeds_per_iteration >= 1, train_seeds non-empty"
            " and 0 < elite_fraction <= 1"
        )
    if n_iterations * population * per_iteration > MAX_TRAINING_EPISODES:
        raise ValueError(f"n_iterations * population * seeds_per_iteration must be <= {MAX_TRAINING_EPISODES}")
    rng = generator(seed, "ml.cem")
    dimension = len(path_features) + len(refuse_features)

    def policy(vector: Sequence[float], record: dict[str, Any] | None = None) -> LinearPathPolicy:
        return LinearPathPolicy.from_vector(env.k, vector, record, path_features, refuse_features)

    mean = np.zeros(dimension) if initial_mean is None else np.array(initial_mean, dtype=np.float64)
    if mean.shape != (dimension,):
        raise ValueError(f"initial_mean: needs {dimension} weights; got {len(mean)}")
    std = np.full(dimension, float(initial_std))
    history: list[dict[str, Any]] = []
    played: list[list[int]] = []
    for iteration in range(n_iterations):
        seeds = [int(train_seeds[(iteration * per_iteration + j) % len(train_seeds)]) for j in range(per_iteration)]
        played.append(seeds)
        candidates = rng.normal(mean, std, size=(population, dimension))
        candidates[0] = mean  # the current mean is always judged too
        returns = np.array([np.mean([episode_return(env, policy(c).act, s) for s in seeds]) for c in candidates])
        order = np.argsort(-returns, kind="stable")
        elite = candidates[order[:n_elite]]
        mean, std = elite.mean(axis=0), np.maximum(elite.std(axis=0), min_std)
        history.append(
            {
                "iteration": iteration,
                "seeds": seeds,
                "mean_return": float(returns.mean()),
                "best_return": float(returns[order[0]]),
                "new_mean": [float(x) for x in mean],
            }
        )
        logger.info("CEM iteration %d: mean return %.3f, best %.3f", iteration, returns.mean(), returns[order[0]])
    record = {
        "method": "cross-entropy method over a linear path score",
        "train_seeds": sorted({s for seeds in played for s in seeds}),
        "n_iterations": n_iterations,
        "population": population,
        "n_elite": n_elite,
        "search_seed": seed,
        **(metadata or {}),
    }
    return TrainingResult(policy(mean.tolist(), record), history)
