"""Delivered end-to-end fidelity along repeater chains against the Werner swapping formula.

Formula: swapping two Werner pairs of fidelities F1 and F2 with perfect gates and
measurements gives a Werner pair of fidelity

    F = F1 F2 + (1 - F1)(1 - F2) / 3

(Briegel, Duer, Cirac, Zoller, PRL 81, 5932 (1998); Duer et al., PRA 59, 169 (1999)).
In terms of the Werner parameter w = (4F - 1) / 3 this is w = w1 w2, so a chain of n
links of fidelity F0 delivers F_n = 1/4 + (3/4) w0^n whatever the swapping order.

The simulation runs SeQUeNCe's heralded generation (raw fidelity F0, Werner noise)
and Bell-diagonal swapping on chains of 2, 3 and 5 nodes with memories that do not
decohere, so every delivered pair must have exactly F_n (tolerance 1e-9, floating point).
"""

import pytest

from qtn.analytic.swapping import werner_chain_fidelity
from scenarios import run
from tests.conftest import chain_scenario


@pytest.mark.parametrize("n_nodes", [2, 3, 5])
def test_delivered_fidelity_follows_werner_recursion(n_nodes):
    raw_fidelity = 0.92
    scenario = chain_scenario(
        n_nodes=n_nodes, duration_s=0.04, coherence_time_s=None, raw_fidelity=raw_fidelity, seed=21
    )
    pairs = run(scenario).tables["pairs"]
    assert len(pairs) > 5
    expected = werner_chain_fidelity(raw_fidelity, n_nodes - 1)
    assert pairs["fidelity"].to_numpy() == pytest.approx(expected, abs=1e-9)


def test_decoherence_only_lowers_fidelity():
    """With finite coherence time stored pairs decay, so delivered fidelity is below F_n."""
    raw_fidelity = 0.92
    scenario = chain_scenario(n_nodes=3, duration_s=0.04, coherence_time_s=0.01, raw_fidelity=raw_fidelity)
    pairs = run(scenario).tables["pairs"]
    assert len(pairs) > 5
    assert (pairs["fidelity"] < werner_chain_fidelity(raw_fidelity, 2)).all()
