"""Impossible requests are refused before running, unservable ones reported after.

Reachable fidelity: recurrence purification of Werner pairs with imperfect CNOTs
converges to a fixed point below 1 (Duer, Briegel, Cirac, Zoller, PRA 59, 169
(1999)); with gate fidelity 0.98 and raw fidelity 0.9, BBPSSW tops out at 0.9483.
"""

import pytest

from qtn.analytic.recurrence import max_reachable_fidelity
from scenarios import from_dict, run
from scenarios.errors import ScenarioError


def data(target, entanglement=None, n_memories=1, node_memories=4, gate=0.98):
    return {
        "name": "feasibility",
        "duration_s": 0.02,
        "entanglement": entanglement or {},
        "templates": {
            "nodes": {"r": {"n_memories": node_memories, "gate_fidelity": gate, "memory": {"raw_fidelity": 0.9}}}
        },
        "network": {"generator": {"kind": "chain", "n_nodes": 3, "length_km": 10}, "node_template": "r"},
        "traffic": [{"src": "n0", "dst": "n2", "target_fidelity": target, "n_memories": n_memories}],
    }


def problems(payload):
    with pytest.raises(ScenarioError) as error:
        from_dict(payload)
    return error.value.problems


def test_target_above_the_purification_fixed_point_is_refused():
    best = max_reachable_fidelity("bbpssw", 0.9, gate_fidelity_a=0.98, gate_fidelity_b=0.98)
    assert best == pytest.approx(0.9483, abs=1e-4)
    assert problems(data(0.99)) == [
        "traffic[0].target_fidelity: bbpssw purification with any number of rounds reaches at most 0.9483 on link"
        " n0-n1 (raw fidelity 0.9, gate fidelities 0.98/0.98, measurement fidelities 1/1); got 0.99"
    ]


def test_target_above_what_the_allowed_rounds_reach_is_refused():
    (line,) = problems(data(0.93, {"purification_rounds": 1}))
    assert line.startswith("traffic[0].target_fidelity: bbpssw purification with 1 round(s) reaches at most 0.9108")


def test_reachable_target_is_accepted():
    # 0.94 is below BBPSSW's fixed point 0.9483 with these gates: accepted as written.
    scenario = from_dict(data(0.94))
    assert scenario.traffic[0].target_fidelity == 0.94
    assert scenario.entanglement.purification == "bbpssw"


def test_dejmps_reaches_higher_than_bbpssw():
    """With gate fidelity 0.98, DEJMPS's fixed point (0.9729) lies above BBPSSW's (0.9483)."""
    gates = {"gate_fidelity_a": 0.98, "gate_fidelity_b": 0.98}
    bbpssw, dejmps = (max_reachable_fidelity(protocol, 0.9, **gates) for protocol in ("bbpssw", "dejmps"))
    assert bbpssw == pytest.approx(0.9483, abs=1e-4) and dejmps == pytest.approx(0.9729, abs=1e-4)
    between = 0.955
    assert from_dict(data(between, {"purification": "dejmps"})).traffic[0].target_fidelity == between
    (line,) = problems(data(between))  # the same target with BBPSSW is refused
    assert line.startswith("traffic[0].target_fidelity: bbpssw purification with any number of rounds")


def test_too_few_memories_is_reported_as_an_unserved_request():
    """The repeater needs 2 x n_memories: RSVP rejects and the table says why."""
    requests = run(from_dict(data(0.5, n_memories=3, node_memories=4))).tables["entanglement_requests"]
    row = requests.iloc[0]
    assert not row["approved"]
    assert row["reason"] == "rejected by the network: not enough free memories on the path"
    assert row["n_pairs"] == 0
