"""A Gymnasium environment for key routing and admission in a simulated QKD network.

Each step is the next key request that reaches the controller. The
observation (:mod:`qkdn.ml.observation`) holds the links' key levels as the
controller knows them, the request (end points, size, time to its deadline)
and the ``k`` candidate paths' bottleneck key and hop count. The action picks a
candidate path (``0 .. k-1``) or refuses the request (``k``). The request is
then relayed hop by hop under one-time pad along the chosen path by the
simulated network (key pools fed by the scenario's links, relays waiting for
key, failures, the controller's delayed view), and the simulation runs on to
the next request.

The reward of a step is the key delivered, in units of ``bits_scale`` (default:
the largest request size of the traffic), minus ``penalty`` per request that
failed (refused, blocked on a failed link, or late), for every request that
ended since the previous step. A request ends when its key arrives or its
deadline passes, so rewards arrive later than the decision that earned them,
as in the network.

The simulation underneath is the scenario's own (:func:`scenarios.runner.build_run`),
seeded by ``reset(seed=...)``: the same seed and the same actions give the same
episode. An episode lasts the scenario's ``duration_s``; requests still in
flight at its end give no reward.

Registered as ``qnetsim/KeyRouting-v0`` when :mod:`scenarios.ml` is imported::

    import gymnasium
    import scenarios.ml  # registers the environment
    env = gymnasium.make("qnetsim/KeyRouting-v0", scenario="nsfnet-trusted-relays")

References:
    Gymnasium API: M. Towers et al., "Gymnasium: A Standard Interface for
    Reinforcement Learning Environments", arXiv:2407.17032 (2024).
"""

import dataclasses
import random
from collections import deque
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

import gymnasium
import networkx as nx
import numpy as np
from gymnasium import spaces

from qkdn.controller import RouteQuery, RouteReply
from qkdn.ml.observation import MAX_REFILL_S, ObservationBuilder, store_capacity_bits
from qkdn.network import QKDNetwork
from qnetsim.core.errors import ConfigError
from qnetsim.core.randomness import controlled_global_random_state
from qnetsim.core.units import MAX_TIME_S
from qtn.sequence_backed import adapter
from scenarios.build import has_key_traffic, qtn_options
from scenarios.checks import check_scenario
from scenarios.errors import ScenarioError
from scenarios.feasibility import target_problems
from scenarios.hardware_spec import network_spec
from scenarios.hybrid_checks import hybrid_problems
from scenarios.loader import load
from scenarios.runner import BuiltRun, build_run
from scenarios.schema import KeyTraffic, Scenario

__all__ = ["AGENT_REFUSED_REASON", "ENV_ID", "KeyRoutingEnv", "TrafficSampler", "checked_scenario"]

ENV_ID = "qnetsim/KeyRouting-v0"
#: The ``reason`` of a request the agent refused.
AGENT_REFUSED_REASON = "refused by the agent (admission control)"


class TrafficSampler(Protocol):
    """Draws a seed's key traffic between the end points (e.g. :class:`scenarios.ml.traffic.RandomKeyTraffic`)."""

    def items(self, endpoints: list[str], seed: int) -> list[KeyTraffic]: ...


def checked_scenario(scenario: Scenario | str | Path) -> Scenario:
    """``scenario`` loaded (a name or a file) and checked; :class:`ScenarioError` lists its problems."""
    if not isinstance(scenario, Scenario):
        return load(scenario)
    topology, problems = check_scenario(scenario)
    if not problems:
        problems = target_problems(scenario, topology) + hybrid_problems(scenario, topology)
    if problems:
        raise ScenarioError(problems, scenario.name)
    return scenario


class _AgentTurn:
    """The controller's routing policy while an agent decides: park the request and pause the simulation."""

    def __init__(self, timeline: Any) -> None:
        self.timeline = timeline
        self.pending: deque[tuple[nx.Graph, RouteQuery, RouteReply]] = deque()

    def decide(self, graph: nx.Graph, query: RouteQuery, reply: RouteReply) -> None:
        self.pending.append((graph, query, reply))
        self.timeline.stop()  # SeQUeNCe's timeline returns from run() before its next event


class KeyRoutingEnv(gymnasium.Env[dict[str, Any], np.int64]):
    """Key routing and admission on a scenario's QKD network (see the module docstring).

    Args:
        scenario: a built-in scenario's name, a scenario file, or a :class:`Scenario`
            with key traffic (trusted relays; hybrid networks on SeQUeNCe's timeline too).
        k_paths: candidate paths per request (the action space has ``k_paths + 1`` actions).
        penalty: reward lost per failed request (refused, blocked or late).
        bits_scale: bits of delivered key worth a reward of 1 (default: the largest request size).
        traffic: draws each episode's key traffic from its seed instead of the scenario's list.
        duration_s: episode length in simulated seconds (default: the scenario's duration).
    """

    metadata = {"render_modes": []}  # noqa: RUF012  (Gymnasium's declared class attribute)

    def __init__(
        self,
        scenario: Scenario | str | Path = "nsfnet-trusted-relays",
        k_paths: int = 4,
        penalty: float = 1.0,
        bits_scale: float | None = None,
        traffic: TrafficSampler | None = None,
        duration_s: float | None = None,
    ) -> None:
        base = checked_scenario(scenario)
        if duration_s is not None:
            if not 0 < duration_s <= MAX_TIME_S:
                raise ConfigError(f"duration_s: must be > 0 and <= {MAX_TIME_S:g}; got {duration_s!r}")
            base = base.model_copy(update={"duration_s": float(duration_s)})
        if not has_key_traffic(base):
            raise ConfigError(f"scenario: {base.name!r} has no key traffic, so no QKD network to route keys in")
        if not (penalty >= 0 and np.isfinite(penalty)):
            raise ConfigError(f"penalty: must be a finite number >= 0; got {penalty!r}")
        topology, _ = check_scenario(base)
        self._spec = network_spec(base, topology)
        self._endpoints = [node.name for node in topology.nodes if node.role == "end"] or [
            node.name for node in topology.nodes
        ]
        self.base_scenario = base
        self.traffic = traffic
        self.k = int(k_paths)
        self.penalty = float(penalty)
        sizes = [item.bits for item in self._traffic_items(base.seed) if item.kind == "key"]
        self.bits_scale = float(bits_scale) if bits_scale is not None else float(max(sizes, default=1))
        if not (self.bits_scale > 0 and np.isfinite(self.bits_scale)):
            raise ConfigError(f"bits_scale: must be a finite number > 0; got {bits_scale!r}")
        qkd = base.qkd
        self._capacity_bits = store_capacity_bits(qkd.pool_capacity_bits, qkd.direction_share)
        self._built: BuiltRun | None = None
        self._network: QKDNetwork | None = None
        self._turn: _AgentTurn | None = None
        self._builder: ObservationBuilder | None = None
        self._paths: list[list[str]] = []
        self._finished = True
        self._ended: list[dict[str, Any]] = []
        self._global_state: tuple[Any, Any] | None = None
        self.episode_seed: int | None = None
        probe = self._new_builder(self._spec.graph(), ())
        self.observation_space = self._observation_space(len(probe.nodes), len(probe.links))
        self.action_space = spaces.Discrete(self.k + 1)

    # --- spaces ---------------------------------------------------------------------------

    def _new_builder(self, graph: nx.Graph, no_relay: Any) -> ObservationBuilder:
        return ObservationBuilder.for_graph(graph, self.k, self._capacity_bits, no_relay)

    def _observation_space(self, n_nodes: int, n_links: int) -> spaces.Dict:
        return spaces.Dict(
            {
                "pool_levels": spaces.Box(0.0, 1.0, shape=(n_links,), dtype=np.float32),
                "links_up": spaces.MultiBinary(n_links),
                "source": spaces.Discrete(n_nodes),
                "destination": spaces.Discrete(n_nodes),
                "request_bits": spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float32),
                "time_to_deadline_s": spaces.Box(0.0, MAX_TIME_S, shape=(1,), dtype=np.float32),
                "path_valid": spaces.MultiBinary(self.k),
                "path_bottleneck": spaces.Box(0.0, 1.0, shape=(self.k,), dtype=np.float32),
                "path_hops": spaces.Box(0.0, float(n_nodes), shape=(self.k,), dtype=np.float32),
                # key-aware cost: up to 2 + 1/n per hop for a short link (n = nodes), below 2 per hop otherwise
                "path_key_aware_cost": spaces.Box(0.0, 3.0 * n_nodes, shape=(self.k,), dtype=np.float32),
                "path_is_key_aware": spaces.Box(0.0, 1.0, shape=(self.k,), dtype=np.float32),
                "path_short_links": spaces.Box(0.0, float(n_nodes), shape=(self.k,), dtype=np.float32),
                "path_hops_before_short": spaces.Box(0.0, float(n_nodes), shape=(self.k,), dtype=np.float32),
                "path_refill_s": spaces.Box(0.0, MAX_REFILL_S, shape=(self.k,), dtype=np.float32),
            }
        )

    # --- the episode ----------------------------------------------------------------------

    def _traffic_items(self, seed: int) -> list[Any]:
        if self.traffic is None:
            return list(self.base_scenario.traffic)
        return list(self.traffic.items(self._endpoints, seed))

    def scenario_for_seed(self, seed: int) -> Scenario:
        """The scenario an episode seeded ``seed`` simulates (the seed set; the traffic drawn if ``traffic``).

        Running it with a named routing strategy gives the baseline on exactly the
        episode's traffic (:func:`qnetsim.run`).
        """
        update: dict[str, Any] = {"seed": int(seed)}
        if self.traffic is not None:
            update["traffic"] = self._traffic_items(seed)
        return self.base_scenario.model_copy(update=update)

    def _sequence_globals(self) -> AbstractContextManager[None]:
        """SeQUeNCe's formalism and protocol selections for the scenario, as a run sets them."""
        options = qtn_options(self.base_scenario)
        link_mode = "hardware" if options.link_mode == "network" else options.link_mode
        return adapter.sequence_globals(link_mode=link_mode, purification=options.purification)

    @contextmanager
    def _episode_state(self) -> Iterator[None]:
        """SeQUeNCe's selections and the episode's own global random state, the caller's restored after."""
        with self._sequence_globals():
            caller = (np.random.get_state(), random.getstate())
            if self._global_state is not None:
                np.random.set_state(self._global_state[0])
                random.setstate(self._global_state[1])
            try:
                yield
            finally:
                self._global_state = (np.random.get_state(), random.getstate())
                np.random.set_state(caller[0])
                random.setstate(caller[1])

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Build a fresh network for the episode seeded ``seed`` and run it to the first key request."""
        super().reset(seed=seed)
        self.close()
        episode_seed = int(seed) if seed is not None else int(self.np_random.integers(0, 2**31 - 1))
        self.episode_seed = episode_seed
        scenario = self.scenario_for_seed(episode_seed)
        # The run's global random state starts from the seed (as qnetsim.run seeds it) and is then the
        # episode's own: each stretch of simulation swaps it in and the caller's back (_episode_state).
        with self._sequence_globals(), controlled_global_random_state(episode_seed):
            built = build_run(scenario, self._spec, qtn_options(scenario))
            state = (np.random.get_state(), random.getstate())
        self._global_state = state
        if built.qkd is None or (built.entanglement is not None and built.entanglement.shared_timeline is None):
            raise ConfigError(
                f"scenario: {scenario.name!r} needs a QKD network on SeQUeNCe's timeline"
                " (the network-scale entanglement engine runs on its own clock)"
            )
        network = built.qkd
        self._built, self._network = built, network
        self._turn = _AgentTurn(built.timeline)
        network.controller.settings = dataclasses.replace(network.controller.settings, policy=self._turn)
        self._ended = []
        network.request_listeners.append(self._ended.append)
        self._builder = self._new_builder(network.graph, network.no_relay)
        self._finished = False
        with self._episode_state():
            adapter.init_timeline(built.timeline)
        observation = self._advance()
        return observation, self._info()

    def _advance(self) -> dict[str, Any]:
        """Run the simulation to the next key request at the controller (or to the end)."""
        assert self._turn is not None and self._built is not None and self._builder is not None
        while not self._turn.pending and not self._finished:
            with self._episode_state():
                adapter.run_timeline_until(self._built.timeline, self.base_scenario.duration_s)
            if not self._turn.pending:
                self._finished = True
        if not self._turn.pending:
            self._paths = []
            return self._builder.empty()
        graph, query, _ = self._turn.pending[0]
        observation, self._paths = self._builder.observe(
            graph, query.src, query.dst, query.n_bits, query.deadline_s - query.now_s
        )
        return observation

    def step(self, action: Any) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        """Route (or refuse) the pending request, run to the next one; reward the requests that ended meanwhile."""
        if self._turn is None or self._finished:
            raise RuntimeError("step() called before reset() or after the episode ended; call reset()")
        if not (np.ndim(action) == 0 and np.issubdtype(np.asarray(action).dtype, np.integer) and 0 <= action <= self.k):
            raise ValueError(f"action: must be an integer from 0 to {self.k}; got {action!r}")
        choice = int(action)
        _, query, reply = self._turn.pending.popleft()
        with self._episode_state():
            if choice < len(self._paths):
                reply([(list(self._paths[choice]), query.n_bits)], "")
            else:
                reply(None, AGENT_REFUSED_REASON)
        observation = self._advance()
        rows, self._ended[:] = list(self._ended), []
        delivered = sum(int(row["bits"]) for row in rows if row["served"])
        n_failed = sum(1 for row in rows if not row["served"])
        reward = delivered / self.bits_scale - self.penalty * n_failed
        info = self._info()
        info.update({"delivered_bits": delivered, "n_served": len(rows) - n_failed, "n_failed": n_failed})
        return observation, float(reward), self._finished, False, info

    def _info(self) -> dict[str, Any]:
        pending = self._turn.pending[0][1] if self._turn is not None and self._turn.pending else None
        return {
            "t_s": pending.now_s if pending is not None else self.base_scenario.duration_s,
            "request_id": pending.request_id if pending is not None else -1,
            "action_mask": self.action_masks(),
            "seed": self.episode_seed,
        }

    def action_masks(self) -> np.ndarray:
        """Which actions are meaningful now: the existing candidate paths, and refusing (always)."""
        mask = np.zeros(self.k + 1, dtype=bool)
        mask[: len(self._paths)] = True
        mask[self.k] = True
        return mask

    @property
    def network(self) -> QKDNetwork | None:
        """The QKD network of the current episode (its tables and keys), None before the first reset."""
        return self._network

    def close(self) -> None:
        """Release the current episode's network."""
        if self._network is not None:
            self._network.close()
        self._network = None
        self._built = None
        self._turn = None
        self._finished = True
