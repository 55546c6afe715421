"""Pair rate of the fast level against the network and hardware levels on a ring and a chain.

Two fixed scenarios, 10 km links, raw fidelity 0.95 (no purification: target 0.5):

* ``ring``: a 6-node ring with two single-link requests, n0 -> n1 (the requester sorts
  first, so SeQUeNCe makes the responder the generation protocol's primary) and
  n3 -> n2 (the requester is the primary). The second is where the fast level's
  responder memory, freed as soon as the initiator knew the pair, used to read the
  finished protocol's last NEGOTIATE and deliver pairs that did not exist at the
  responder (``qtn.sequence_backed.protocols``).
* ``chain``: a 5-node chain, n0 -> n4 with nested swapping.

Each is run at several seeds per level; :func:`tests.crosslevel.compare` then checks, per
request, the mean pair count per run (4 standard errors, each level's variance at least
Poisson), mean fidelity and mean latency. Used by ``tests/reference/test_fast_level_pair_rate.py``
and by ``bench/pair_rate_levels.py`` (the figures of docs/benchmarks.md).

Expected counts for the ring (renewal formula R = n p / tau of
``tests/reference/test_pair_rate_formula.py``): 1,437 pairs/s for n0 -> n1 and 1,150 for n3 -> n2.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tests.crosslevel import Case, LevelRuns, run_level

LENGTH_KM = 10.0


def _case(name: str, generator: dict[str, Any], traffic: list[tuple[str, str]], duration_s: float) -> Case:
    data = {
        "name": f"pair-rate-{name}",
        "duration_s": duration_s,
        "templates": {"nodes": {"r": {"n_memories": 4}}},
        "network": {"generator": generator, "node_template": "r"},
        "traffic": [{"src": src, "dst": dst, "n_memories": 2, "target_fidelity": 0.5} for src, dst in traffic],
    }
    return Case(name, data, {"topology": generator["kind"], "n_nodes": generator["n_nodes"]})


def ring(duration_s: float) -> Case:
    """6-node ring, requests n0 -> n1 and n3 -> n2 (2 memories each)."""
    generator = {"kind": "ring", "n_nodes": 6, "length_km": LENGTH_KM}
    return _case("ring", generator, [("n0", "n1"), ("n3", "n2")], duration_s)


def chain(duration_s: float) -> Case:
    """5-node chain, request n0 -> n4 (2 memories)."""
    generator = {"kind": "chain", "n_nodes": 5, "length_km": LENGTH_KM}
    return _case("chain", generator, [("n0", "n4")], duration_s)


@dataclass(frozen=True)
class PairCounts:
    """Pairs per run of each request at one level: mean over seeds and its standard error."""

    level: str
    means: tuple[float, ...]
    standard_errors: tuple[float, ...]


def pair_counts(runs: LevelRuns) -> PairCounts:
    """Mean pairs per run per request, standard error from the seeds' spread (at least Poisson)."""
    n_requests = len(runs.outcomes[0])
    means, errors = [], []
    for request in range(n_requests):
        counts = [len(seed[request].fidelities) for seed in runs.outcomes]
        mean = sum(counts) / len(counts)
        variance = sum((c - mean) ** 2 for c in counts) / max(1, len(counts) - 1)
        means.append(mean)
        errors.append(math.sqrt(max(variance, mean) / len(counts)))
    return PairCounts(runs.level, tuple(means), tuple(errors))


def runs_of(case: Case, levels: Sequence[str], seeds: Sequence[int]) -> dict[str, LevelRuns]:
    """``case`` run at each level over ``seeds``."""
    return {level: run_level(case, level, seeds) for level in levels}
