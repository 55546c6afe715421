"""Random key traffic matrices: a different traffic pattern for every seed, for training and evaluation.

A learned routing policy must be judged on traffic it was not trained on. A
scenario's own traffic list changes only its arrival times with the seed;
:class:`RandomKeyTraffic` draws the traffic matrix itself from the seed: every
unordered pair of end points gets a Poisson key flow whose rate is the mean rate
times a weight drawn from a symmetric Dirichlet distribution (scaled to mean 1),
in a random direction. Seeds used for training and seeds used for evaluation
thus see different matrices as well as different arrivals.
"""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qnetsim.core.randomness import generator
from scenarios.schema import KeyTraffic

__all__ = ["RandomKeyTraffic"]


@dataclass(frozen=True)
class RandomKeyTraffic:
    """Key flows between every pair of end points, rates drawn per seed.

    Attributes:
        mean_rate_hz: mean arrival rate of one pair's flow.
        bits: key size of every request.
        deadline_s: time each request has to be served.
        concentration: Dirichlet concentration (small: a few heavy pairs; large: near-uniform).
    """

    mean_rate_hz: float
    bits: int
    deadline_s: float
    concentration: float = 1.0

    def __post_init__(self) -> None:
        if not self.mean_rate_hz > 0:
            raise ValueError(f"mean_rate_hz: must be > 0; got {self.mean_rate_hz}")
        if not self.concentration > 0:
            raise ValueError(f"concentration: must be > 0; got {self.concentration}")

    def items(self, endpoints: Sequence[str], seed: int) -> list[KeyTraffic]:
        """The scenario traffic items for ``seed`` between the ``endpoints``.

        >>> [item.src for item in RandomKeyTraffic(1.0, 256, 1.0).items(["a", "b"], 7)] in (["a"], ["b"])
        True
        """
        pairs = list(itertools.combinations(sorted(endpoints), 2))
        if not pairs:
            raise ValueError("endpoints: need at least two end points for key traffic")
        rng = generator(seed, "ml.random-key-traffic")
        weights = rng.dirichlet(np.full(len(pairs), self.concentration)) * len(pairs)
        flips = rng.random(len(pairs)) < 0.5
        items = []
        for (a, b), weight, flip in zip(pairs, weights, flips, strict=True):
            if weight * self.mean_rate_hz <= 1e-9:
                continue  # a pair the draw left (numerically) without traffic
            src, dst = (b, a) if flip else (a, b)
            items.append(
                KeyTraffic(
                    kind="key",
                    src=src,
                    dst=dst,
                    bits=self.bits,
                    rate_hz=float(weight * self.mean_rate_hz),
                    deadline_s=self.deadline_s,
                )
            )
        return items
