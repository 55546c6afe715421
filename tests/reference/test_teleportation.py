"""Teleportation over simulated links against the Werner teleportation formula.

Formula: teleporting a qubit through a Werner pair of fidelity F with perfect
Bell measurement and corrections gives output fidelity (2F + 1)/3 for every
pure input state (hence also on average over inputs): Horodecki, Horodecki,
Horodecki, PRA 60, 1888 (1999); Popescu, PRL 72, 797 (1994). Through k links of
Werner fidelity F0, either scheme composes the links' Pauli channels exactly as
swapping does, so the output fidelity is (2 F_k + 1)/3 with F_k = 1/4 + (3/4) w^k,
w = (4 F0 - 1)/3 (Duer et al., PRA 59, 169 (1999)).

Memories here do not decohere and operations are perfect, so every qubit's
fidelity must equal the formula to floating-point precision (1e-9).
"""

import pytest

from qtn.analytic.swapping import werner_chain_fidelity
from qtn.analytic.teleportation import teleportation_average_fidelity
from scenarios import from_dict, run


def teleport_scenario(n_nodes: int, scheme: str, raw_fidelity: float, coherence_time_s=None, seed=5, n=12):
    return from_dict(
        {
            "name": "teleport-test",
            "seed": seed,
            "duration_s": 0.06,
            "templates": {
                "nodes": {
                    "r": {
                        "n_memories": 4,
                        "memory": {"raw_fidelity": raw_fidelity, "coherence_time_s": coherence_time_s},
                    }
                }
            },
            "network": {"generator": {"kind": "chain", "n_nodes": n_nodes, "length_km": 5}, "node_template": "r"},
            "traffic": [
                {
                    "kind": "teleportation",
                    "src": "n0",
                    "dst": f"n{n_nodes - 1}",
                    "scheme": scheme,
                    "n_teleportations": n,
                    "n_memories": 2,
                }
            ],
        }
    )


@pytest.mark.parametrize("scheme", ["hop_by_hop", "end_to_end"])
def test_single_hop_werner_resource_gives_two_f_plus_one_over_three(scheme):
    raw_fidelity = 0.9
    table = run(teleport_scenario(2, scheme, raw_fidelity)).tables["teleportations"]
    assert table["completed"].all()
    expected = float(teleportation_average_fidelity(raw_fidelity))
    assert expected == pytest.approx((2 * 0.9 + 1) / 3)
    assert table["fidelity"].to_numpy() == pytest.approx(expected, abs=1e-9)
    assert (table["n_classical_messages"] == 1).all() and (table["classical_bits"] == 2).all()


@pytest.mark.parametrize("scheme", ["hop_by_hop", "end_to_end"])
def test_multi_hop_follows_the_werner_chain(scheme):
    raw_fidelity = 0.93
    table = run(teleport_scenario(4, scheme, raw_fidelity)).tables["teleportations"]
    assert table["completed"].all()
    expected = float(teleportation_average_fidelity(werner_chain_fidelity(raw_fidelity, 3)))
    assert table["fidelity"].to_numpy() == pytest.approx(expected, abs=1e-9)


def test_schemes_differ_in_corrections_not_in_messages():
    """Both schemes send one 2-bit message per Bell measurement (k per qubit over k links);
    hop-by-hop corrects at every node, the end-to-end scheme only at the destination."""
    hop = run(teleport_scenario(4, "hop_by_hop", 0.95)).tables["teleportations"]
    e2e = run(teleport_scenario(4, "end_to_end", 0.95)).tables["teleportations"]
    assert (hop["n_classical_messages"] == 3).all() and (e2e["n_classical_messages"] == 3).all()
    assert (hop["n_corrections"] == 3).all() and (e2e["n_corrections"] == 1).all()


def test_decoherence_lowers_the_fidelity_below_the_formula():
    raw_fidelity = 0.93
    table = run(teleport_scenario(3, "hop_by_hop", raw_fidelity, coherence_time_s=0.005)).tables["teleportations"]
    expected = float(teleportation_average_fidelity(werner_chain_fidelity(raw_fidelity, 2)))
    done = table[table["completed"]]
    assert len(done) > 5
    assert (done["fidelity"] < expected).all()
