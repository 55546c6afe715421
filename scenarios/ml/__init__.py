"""Machine learning on the simulated QKD network (the ``ml`` extra: Gymnasium).

Importing this package registers the key-routing environment with Gymnasium as
``qnetsim/KeyRouting-v0`` (:mod:`scenarios.ml.env`), so that::

    import gymnasium
    import scenarios.ml

    env = gymnasium.make("qnetsim/KeyRouting-v0", scenario="nsfnet-trusted-relays")

works for any agent. :mod:`scenarios.ml.train` trains the linear path-scoring
policy that ``qkd.routing: learned`` runs (:mod:`qkdn.ml.policy`).
"""

from gymnasium.envs.registration import register, registry

from scenarios.ml.env import ENV_ID

if ENV_ID not in registry:
    register(id=ENV_ID, entry_point="scenarios.ml.env:KeyRoutingEnv")

__all__ = ["ENV_ID"]
