"""A learned key-routing policy: a linear score per candidate path, and a score for refusing.

The policy reads the observation of :mod:`qkdn.ml.observation` (the same one the
Gymnasium environment gives an agent) and picks one of the ``k`` candidate
paths, or refuses the request (admission control). Each candidate path ``i``
gets the score ``w . f_i`` over scale-free features (a model file names the
ones it uses, :data:`PATH_FEATURES` by default, any of :data:`ALL_PATH_FEATURES`):

* ``hops``: its hop count (each hop spends the key's size of link key);
* ``extra_hops``: hops beyond the shortest candidate;
* ``fits``: 1 if every link on it holds at least the request's size of key now;
* ``log2_key_ratio``: log2 of its bottleneck key over the request size, clipped to
  [-8, 8] and divided by 8 (-1 for a path without key);
* ``key_aware_cost``: key-aware routing's cost of the path over the number of
  nodes (weight -1 alone makes key-aware routing's choice among the candidates);
* ``is_key_aware``: 1 for the path key-aware routing takes;
* ``short_links``: links holding less key than the request;
* ``hops_before_short``: hops a relay crosses, spending key, before it waits at the first short link;
* ``refill_over_deadline``: the slowest short link's time to make up its shortfall at its key rate,
  over the time left to the deadline, clipped to [0, 4] and divided by 4.

Refusing scores ``v . g`` over :data:`REFUSE_FEATURES` by default (1, any path
fits, the best ``log2_key_ratio``), or any of :data:`ALL_REFUSE_FEATURES`, which
add the chosen path's (the best-scored one's) ``key_aware_cost``, ``short_links``,
``hops_before_short``, ``refill_over_deadline`` and ``hops`` as ``chosen_...``.
The highest score wins; ties go to the earlier path, and refusing must beat
every path strictly.

The weights are trained by the cross-entropy method (:mod:`scenarios.ml.train`)
and stored as JSON (a plain list of numbers, never pickled objects), so a
model file can be read without running code from it.
"""

import json
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from qkdn.controller import RouteQuery
from qkdn.ml.observation import MAX_CANDIDATE_PATHS, ObservationBuilder
from qnetsim.core.errors import ConfigError

__all__ = ["LearnedRouting", "LinearPathPolicy", "MODEL_FORMAT", "load_policy"]

PATH_FEATURES = ("hops", "extra_hops", "fits", "log2_key_ratio")
REFUSE_FEATURES = ("bias", "any_fits", "best_log2_key_ratio")
ALL_PATH_FEATURES = (
    *PATH_FEATURES,
    "key_aware_cost",
    "is_key_aware",
    "short_links",
    "hops_before_short",
    "refill_over_deadline",
)
_CHOSEN = ("key_aware_cost", "short_links", "hops_before_short", "refill_over_deadline", "hops")
ALL_REFUSE_FEATURES = (*REFUSE_FEATURES, *(f"chosen_{name}" for name in _CHOSEN))
#: The ``format`` field every model file carries.
MODEL_FORMAT = "qnetsim.key-routing.linear-path-policy"
MODEL_VERSION = 1
#: Largest model file read (bytes): a handful of weights and their provenance, not a data set.
MAX_MODEL_BYTES = 1_000_000
#: The reason a request refused by the policy carries in its ``key_requests`` row.
REFUSED_REASON = "refused by the learned routing policy (admission control)"
_LOG2_CLIP = 8.0
_REFILL_CLIP = 4.0


def path_features(observation: dict[str, Any], names: Sequence[str] = PATH_FEATURES) -> np.ndarray:
    """The ``k`` x ``len(names)`` feature matrix of an observation's candidate paths (zero rows if absent)."""
    table = _all_path_features(observation)
    missing = [name for name in names if name not in table]
    if missing:
        raise ValueError(f"observation: has no path data for the features {missing}")
    valid = np.asarray(observation["path_valid"]) > 0
    features = np.stack([table[name] for name in names], axis=1) if names else np.zeros((len(valid), 0))
    features[~valid] = 0.0
    return features


def _all_path_features(observation: dict[str, Any]) -> dict[str, np.ndarray]:
    """The columns of :data:`ALL_PATH_FEATURES` the observation holds the data of."""
    valid = np.asarray(observation["path_valid"]) > 0
    hops = np.asarray(observation["path_hops"], dtype=np.float64)
    bottleneck = np.asarray(observation["path_bottleneck"], dtype=np.float64)
    request = max(float(np.asarray(observation["request_bits"]).reshape(-1)[0]), 1e-12)
    ratio = bottleneck / request
    with np.errstate(divide="ignore"):
        log_ratio = np.where(
            ratio > 0, np.clip(np.log2(np.maximum(ratio, 1e-300)), -_LOG2_CLIP, _LOG2_CLIP), -_LOG2_CLIP
        )
    shortest = hops[valid].min() if valid.any() else 0.0
    columns = {
        "hops": hops,
        "extra_hops": hops - shortest,
        "fits": (ratio >= 1.0).astype(np.float64),
        "log2_key_ratio": log_ratio / _LOG2_CLIP,
    }
    for name in ("key_aware_cost", "is_key_aware", "short_links", "hops_before_short"):
        if f"path_{name}" in observation:
            columns[name] = np.asarray(observation[f"path_{name}"], dtype=np.float64)
    if "path_refill_s" in observation:
        deadline = max(float(np.asarray(observation["time_to_deadline_s"]).reshape(-1)[0]), 1e-9)
        refill = np.asarray(observation["path_refill_s"], dtype=np.float64) / deadline
        columns["refill_over_deadline"] = np.clip(refill, 0.0, _REFILL_CLIP) / _REFILL_CLIP
    return columns


@dataclass(frozen=True)
class LinearPathPolicy:
    """Weights of the path score and of the refusal score (see the module docstring).

    Attributes:
        k: candidate paths per request.
        path_weights: one weight per :data:`PATH_FEATURES` entry.
        refuse_weights: one weight per :data:`REFUSE_FEATURES` entry.
        metadata: provenance kept with the weights in the model file (scenario, seeds, method).
    """

    k: int
    path_weights: tuple[float, ...]
    refuse_weights: tuple[float, ...]
    metadata: dict[str, Any] = field(default_factory=dict, compare=False)
    path_feature_names: tuple[str, ...] = PATH_FEATURES
    refuse_feature_names: tuple[str, ...] = REFUSE_FEATURES

    #: Weights of a policy over the default features.
    N_PARAMETERS = len(PATH_FEATURES) + len(REFUSE_FEATURES)

    def __post_init__(self) -> None:
        unknown = [n for n in self.path_feature_names if n not in ALL_PATH_FEATURES] + [
            n for n in self.refuse_feature_names if n not in ALL_REFUSE_FEATURES
        ]
        if unknown:
            raise ValueError(f"features: unknown names {unknown}")
        if len(self.path_weights) != len(self.path_feature_names):
            raise ValueError(
                f"path_weights: needs {len(self.path_feature_names)} weights; got {len(self.path_weights)}"
            )
        if len(self.refuse_weights) != len(self.refuse_feature_names):
            raise ValueError(
                f"refuse_weights: needs {len(self.refuse_feature_names)} weights; got {len(self.refuse_weights)}"
            )

    @classmethod
    def from_vector(
        cls,
        k: int,
        vector: Sequence[float],
        metadata: dict[str, Any] | None = None,
        path_features: Sequence[str] = PATH_FEATURES,
        refuse_features: Sequence[str] = REFUSE_FEATURES,
    ) -> "LinearPathPolicy":
        """The policy whose weights are ``vector`` (path weights, then refusal weights) over the named features.

        >>> LinearPathPolicy.from_vector(3, [0.0] * 7).act_index_of_refusal()
        3
        """
        values = tuple(float(x) for x in vector)
        n_path = len(path_features)
        if len(values) != n_path + len(refuse_features):
            raise ValueError(f"vector: needs {n_path + len(refuse_features)} weights; got {len(values)}")
        return cls(
            k, values[:n_path], values[n_path:], dict(metadata or {}), tuple(path_features), tuple(refuse_features)
        )

    def vector(self) -> np.ndarray:
        """The weights as one vector (path weights, then refusal weights)."""
        return np.array(self.path_weights + self.refuse_weights, dtype=np.float64)

    def act_index_of_refusal(self) -> int:
        """The action that refuses a request (``k``; actions ``0 .. k-1`` pick a candidate path)."""
        return self.k

    def act(self, observation: dict[str, Any]) -> int:
        """The action for ``observation``: a candidate path's index, or ``k`` to refuse."""
        valid = np.asarray(observation["path_valid"]) > 0
        if not valid.any():
            return self.k
        columns = _all_path_features(observation)
        features = path_features(observation, self.path_feature_names)
        scores = features @ np.asarray(self.path_weights)
        scores[~valid] = -np.inf
        best = int(np.argmax(scores))
        inputs = {
            "bias": 1.0,
            "any_fits": float(columns["fits"][valid].max()),
            "best_log2_key_ratio": float(columns["log2_key_ratio"][valid].max()),
        }
        inputs.update({f"chosen_{name}": float(columns[name][best]) for name in _CHOSEN if name in columns})
        missing = [name for name in self.refuse_feature_names if name not in inputs]
        if missing:
            raise ValueError(f"observation: has no path data for the features {missing}")
        refuse_inputs = np.array([inputs[name] for name in self.refuse_feature_names])
        if float(refuse_inputs @ np.asarray(self.refuse_weights)) > scores[best]:
            return self.k
        return best

    # --- model files --------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of a model file."""
        return {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "k_paths": self.k,
            "path_features": list(self.path_feature_names),
            "path_weights": list(self.path_weights),
            "refuse_features": list(self.refuse_feature_names),
            "refuse_weights": list(self.refuse_weights),
            "metadata": self.metadata,
        }

    def save(self, path: str | Path) -> None:
        """Write the model file atomically (a temporary file in the same folder, then renamed)."""
        path = Path(path)
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _weights(document: dict[str, Any], key: str, names: tuple[str, ...], problems: list[str]) -> tuple[float, ...]:
    values = document.get(key)
    if not isinstance(values, list) or len(values) != len(names):
        problems.append(f"{key}: must be a list of {len(names)} numbers; got {values!r}"[:200])
        return ()
    if not all(isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in values):
        problems.append(f"{key}: must hold finite numbers; got {values!r}"[:200])
        return ()
    return tuple(float(x) for x in values)


def policy_from_dict(document: Any) -> LinearPathPolicy:
    """Check a model file's JSON document and build its policy (ValueError listing every problem)."""
    if not isinstance(document, dict):
        raise ValueError("must be a JSON object")
    problems: list[str] = []
    if document.get("format") != MODEL_FORMAT:
        problems.append(f"format: must be {MODEL_FORMAT!r}; got {document.get('format')!r}")
    if document.get("version") != MODEL_VERSION:
        problems.append(f"version: must be {MODEL_VERSION}; got {document.get('version')!r}")
    k = document.get("k_paths")
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_CANDIDATE_PATHS:
        problems.append(f"k_paths: must be an integer from 1 to {MAX_CANDIDATE_PATHS}; got {k!r}")
    feature_names = {}
    for key, known in (("path_features", ALL_PATH_FEATURES), ("refuse_features", ALL_REFUSE_FEATURES)):
        names = document.get(key)
        if (
            not isinstance(names, list)
            or not all(isinstance(name, str) and name in known for name in names)
            or len(set(names)) != len(names)
        ):
            problems.append(f"{key}: must be a list of distinct names from {list(known)}; got {names!r}"[:400])
            names = []
        feature_names[key] = tuple(names)
    path_weights = _weights(document, "path_weights", feature_names["path_features"], problems)
    refuse_weights = _weights(document, "refuse_weights", feature_names["refuse_features"], problems)
    metadata = document.get("metadata", {})
    if not isinstance(metadata, dict):
        problems.append("metadata: must be a JSON object")
    if problems:
        raise ValueError("; ".join(problems))
    return LinearPathPolicy(
        int(k),  # type: ignore[arg-type]
        path_weights,
        refuse_weights,
        metadata,
        feature_names["path_features"],
        feature_names["refuse_features"],
    )


def load_policy(path: str | Path, where: str = "model") -> LinearPathPolicy:
    """Read and check a model file; :class:`ConfigError` naming ``where`` and the file when it is not one.

    Raises:
        ConfigError: no such file, too large, not JSON, or not a model of this format.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{where}: no such model file: {str(path)!r}")
    if path.stat().st_size > MAX_MODEL_BYTES:
        raise ConfigError(f"{where}: {str(path)!r} is larger than {MAX_MODEL_BYTES} bytes; not a routing model")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return policy_from_dict(document)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as error:
        raise ConfigError(f"{where}: {str(path)!r} is not a key-routing model file ({error})") from None


class LearnedRouting:
    """The controller's routing policy for ``qkd.routing: learned``: the linear policy over the observation.

    Args:
        policy: the trained weights.
        capacity_bits: normaliser of key levels (:func:`qkdn.ml.observation.store_capacity_bits`).
    """

    def __init__(self, policy: LinearPathPolicy, capacity_bits: int) -> None:
        self.policy = policy
        self.capacity_bits = capacity_bits
        self._builder: ObservationBuilder | None = None

    def decide(self, graph: nx.Graph, query: RouteQuery, reply: Callable[[list[Any] | None, str], None]) -> None:
        """Answer the controller at once: the chosen candidate path with the whole key, or a refusal."""
        if self._builder is None:
            self._builder = ObservationBuilder.for_graph(graph, self.policy.k, self.capacity_bits, query.untrusted)
        observation, paths = self._builder.observe(
            graph, query.src, query.dst, query.n_bits, query.deadline_s - query.now_s
        )
        action = self.policy.act(observation)
        if action >= len(paths):
            reply(None, REFUSED_REASON if paths else "")
            return
        reply([(list(paths[action]), query.n_bits)], "")
