"""``qkd.routing: learned``: where the model file is, whether it is one, and the policy it gives the network.

A relative ``qkd.routing_model`` is relative to the scenario file's folder (a
built-in scenario: the library folder; a mapping: the working directory), as
``network.graphml`` is; loading makes it absolute, so the scenario a run records
in its manifest names the file it used. The file is checked with the other
scenario problems (each names ``qkd.routing_model`` and the value) and read
as JSON only (:func:`qkdn.ml.policy.load_policy`): no code runs from it.
"""

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qnetsim.core.errors import ConfigError
from scenarios.schema import Scenario

if TYPE_CHECKING:  # the learned policy's modules: imported only for qkd.routing: learned
    from qkdn.ml.policy import LearnedRouting

__all__ = ["learned_routing", "resolve_routing_model", "routing_model_problems"]

WHERE = "qkd.routing_model"


def resolve_routing_model(data: Any, base_folder: Path | None = None) -> Any:
    """Scenario data with a relative ``qkd.routing_model`` made absolute against ``base_folder`` (a new mapping)."""
    qkd = data.get("qkd") if isinstance(data, dict) else None
    model = qkd.get("routing_model") if isinstance(qkd, dict) else None
    if not isinstance(model, str) or not model or Path(model).is_absolute():
        return data  # absent, absolute, or of the wrong type (the schema reports that)
    resolved = copy.deepcopy(data)
    resolved["qkd"]["routing_model"] = str((base_folder or Path.cwd()) / model)
    return resolved


def routing_model_problems(scenario: Scenario) -> list[str]:
    """Problems of ``qkd.routing`` / ``qkd.routing_model``: a learned policy needs a readable model file."""
    qkd = scenario.qkd
    if qkd.routing != "learned":
        if qkd.routing_model is not None:
            return [f"{WHERE}: only used with qkd.routing: learned; got routing {qkd.routing!r}"]
        return []
    if qkd.routing_model is None:
        return [f"{WHERE}: qkd.routing: learned needs the model file; got none"]
    from qkdn.ml.policy import load_policy

    try:
        load_policy(qkd.routing_model, WHERE)
    except ConfigError as error:
        return [str(error)]
    return []


def learned_routing(scenario: Scenario) -> "LearnedRouting | None":
    """The network's routing policy object for ``qkd.routing: learned`` (None for a named strategy)."""
    qkd = scenario.qkd
    if qkd.routing != "learned" or qkd.routing_model is None:
        return None
    from qkdn.ml.observation import store_capacity_bits
    from qkdn.ml.policy import LearnedRouting, load_policy

    policy = load_policy(qkd.routing_model, WHERE)
    return LearnedRouting(policy, store_capacity_bits(qkd.pool_capacity_bits, qkd.direction_share))
