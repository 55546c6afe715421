"""Link failures and repairs: scheduled, or random with exponential times between them.

A failed link makes no key and relays nothing; the two nodes at its ends
notice at once and notify the controller, which re-allocates the services that
used it (:mod:`qkdn.controller`). Random failures follow the usual reliability
model: up times exponential with mean MTBF, repair times exponential with mean
MTTR, drawn per link from the link's own generator.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LinkOutage:
    """Link ``a``-``b`` is down from ``down_s`` to ``up_s``."""

    a: str
    b: str
    down_s: float
    up_s: float


def random_outages(
    a: str, b: str, mtbf_s: float, mttr_s: float, duration_s: float, rng: np.random.Generator
) -> list[LinkOutage]:
    """Outages of one link over ``duration_s``: alternating Exp(MTBF) up and Exp(MTTR) down periods."""
    outages: list[LinkOutage] = []
    t = 0.0
    while True:
        t += float(rng.exponential(mtbf_s))
        if t >= duration_s:
            return outages
        repair = t + float(rng.exponential(mttr_s))
        outages.append(LinkOutage(a, b, t, repair))
        t = repair
