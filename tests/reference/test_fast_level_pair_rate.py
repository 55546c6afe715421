"""The fast level delivers pairs at the network level's rate on a ring and a chain (same fidelity, same latency).

Both levels free the responder's half of an end-to-end pair when the initiator knows
the pair. The network level's single-link rate is the renewal formula R = n p / tau
(``tests/reference/test_pair_rate_formula.py``; Barrett & Kok, PRA 71, 060310 (2005);
Sangouard et al., Rev. Mod. Phys. 83, 33 (2011)), so agreement here means the fast
level's sampled attempts follow it too, on the link where its requester is SeQUeNCe's
primary (where it used to deliver pairs that did not exist at the responder) and
through swaps on a chain.

Statistics (``tests.crosslevel.compare``): per request, the mean pair count per run at
the two levels over the same seeds must differ by at most 4 standard errors of the
difference, each level's variance taken as at least its mean (Poisson); mean fidelity
and latency likewise (4 standard errors).
"""

import pytest

from tests.crosslevel import compare
from tests.pair_rate_cases import chain, ring, runs_of


def _check(case, seeds):
    runs = runs_of(case, ("fast", "network"), seeds)
    result = compare(case, runs["fast"], runs["network"])
    assert result.verdict == "agree", result.describe()
    assert result.informative
    return result


@pytest.mark.slow
def test_fast_and_network_levels_deliver_at_one_rate_on_a_ring_short():
    """Ring, seeds 1-3, 0.05 s: about 70 and 57 pairs per run and request."""
    _check(ring(0.05), (1, 2, 3))


@pytest.mark.slow
@pytest.mark.parametrize("case", [ring(0.2), chain(0.3)], ids=["ring", "chain"])
def test_fast_and_network_levels_deliver_at_one_rate(case):
    """Ring (0.2 s) and 5-node chain (0.3 s), seeds 1-6 (4 standard errors: 10-14 % of a request's count)."""
    _check(case, (1, 2, 3, 4, 5, 6))
