"""BBM92 on delivered pairs: sifting, QBER from the Bell-diagonal state, identical distilled keys.

Formula: for a pair with Bell-diagonal coefficients [Phi+, Phi-, Psi+, Psi-], matching
Z-basis measurements disagree with probability p(Psi+) + p(Psi-) and X-basis ones with
p(Phi-) + p(Psi-); a Werner pair of fidelity F gives 2(1 - F)/3 in both (Bennett, Brassard,
Mermin, PRL 68, 557 (1992); Ma, Fung, Lo, PRA 76, 012307 (2007)). Bases are chosen
independently and uniformly, so half the pairs are sifted out. Tolerance: 4 standard errors.
"""

import math

import numpy as np
import pytest

from qkdn.bbm92 import BBM92Session, basis_qber
from qkdn.photon.distillation import DistillationSettings
from qtn.entanglement_app import PairDelivery
from qtn.randomness import generator


def session(frame_bits: int, blocks: list, settings: DistillationSettings | None = None) -> BBM92Session:
    return BBM92Session(
        name="a~b bbm92",
        frame_bits=frame_bits,
        settings=settings or DistillationSettings(),
        rngs={role: generator(7, f"test.{role}") for role in ("alice", "bob", "nature", "alice_pp", "bob_pp")},
        classical_delay_s=1e-4,
        schedule=lambda t, f, *args: f(*args),
        on_block=blocks.append,
    )


def werner(fidelity: float) -> tuple[float, float, float, float]:
    e = (1 - fidelity) / 3
    return (fidelity, e, e, e)


def pair(state, t_ps=0) -> PairDelivery:
    return PairDelivery(0, t_ps, ("a", "b"), state[0], 0, 0, 0, state)


def test_basis_qber_of_bell_diagonal_states():
    state = (0.85, 0.05, 0.07, 0.03)
    assert basis_qber(state, "Z") == pytest.approx(0.10)
    assert basis_qber(state, "X") == pytest.approx(0.08)
    assert basis_qber(werner(0.94), "Z") == pytest.approx(2 * 0.06 / 3)


def test_sifting_and_qber_follow_the_state():
    blocks: list = []
    s = session(frame_bits=10**9, blocks=blocks)  # never distil: inspect the sifted bits
    n = 40_000
    for k in range(n):
        s.on_pair(pair(werner(0.94), k))
    n_sifted = len(s._alice)
    assert abs(n_sifted - n / 2) < 4 * math.sqrt(n / 4)
    errors = np.mean(np.asarray(s._alice) != np.asarray(s._bob))
    expected = 2 * 0.06 / 3
    assert abs(errors - expected) < 4 * math.sqrt(expected * (1 - expected) / n_sifted)


def test_distilled_keys_are_identical_and_secret_length_positive():
    blocks: list = []
    s = session(frame_bits=8192, blocks=blocks)
    for k in range(3 * 8192):
        s.on_pair(pair(werner(0.97), k))
    assert blocks and all(row["sifted_bits"] == 8192 and row["source"] == "simulated" for row in blocks)
    accepted = [row for row in blocks if row["secret_bits"] > 0]
    assert accepted and len(s.keys) == len(accepted)
    for alice, bob in s.keys:
        assert np.array_equal(alice, bob) and len(alice) > 0
    assert len({a.tobytes() for a, _ in s.keys}) == len(s.keys)  # consecutive keys differ


def test_noisy_pairs_give_no_key():
    blocks: list = []
    s = session(frame_bits=8192, blocks=blocks)
    for k in range(2 * 8192 + 100):
        s.on_pair(pair(werner(0.78), k))  # QBER 14.7% > 11%
    assert blocks and all(row["secret_bits"] == 0 for row in blocks)
    assert s.keys == []


def test_finite_key_blocks_follow_tomamichel_and_report_both_lengths():
    """A 32,768-bit block at QBER 2 % (Werner F = 0.97): the finite-key length of Tomamichel et al.,
    Nat. Commun. 3, 634 (2012), Eq. (2), with Q_tol = 5 %, sizes the key; the asymptotic length is
    reported beside it and is larger; both ends hold the same key."""
    blocks: list = []
    settings = DistillationSettings(key_length_formula="finite_key", qber_tolerance=0.05)
    s = session(frame_bits=32_768, blocks=blocks, settings=settings)
    for k in range(2 * 32_768 + 400):
        s.on_pair(pair(werner(0.97), k))
    (row,) = blocks
    assert row["key_length"] == "finite" and row["secret_bits"] == row["finite_secret_bits"] > 0
    assert row["asymptotic_secret_bits"] > row["finite_secret_bits"]
    n = 32_768 - math.ceil(0.1 * 32_768)
    assert row["secret_bits"] < n * (1 - 2 * 0.05)  # below even the asymptotic 1 - 2 h(.) at no error margin
    ((alice, bob),) = s.keys
    assert np.array_equal(alice, bob) and len(alice) == row["secret_bits"]


def test_small_finite_key_blocks_give_no_key_but_say_what_asymptotic_would_give():
    blocks: list = []
    s = session(frame_bits=4096, blocks=blocks, settings=DistillationSettings(key_length_formula="finite_key"))
    for k in range(2 * 4096 + 200):
        s.on_pair(pair(werner(0.97), k))
    (row,) = blocks
    assert row["secret_bits"] == row["finite_secret_bits"] == 0 and row["asymptotic_secret_bits"] > 0
    assert s.keys == []
