"""Two-party distillation: equal keys when accepted, no key when verification fails, lengths by formula."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qkdn.photon import postprocessing as pp
from qkdn.photon.distillation import DistillationSettings, distil
from qkdn.photon.messages import Message, ParityReply, VerificationRequest

SETTINGS = DistillationSettings(sample_fraction=0.2, epsilon_estimation=1e-6, epsilon_correctness=1e-9)


def frames(n_bits: int, qber: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    alice = rng.integers(0, 2, n_bits, dtype=np.uint8)
    return alice, alice ^ (rng.random(n_bits) < qber).astype(np.uint8)


def run(alice, bob, settings=SETTINGS, seeds=(1, 2), **kwargs):
    return distil(alice, bob, settings, np.random.default_rng(seeds[0]), np.random.default_rng(seeds[1]), **kwargs)


def expected_asymptotic_length(outcome, settings=SETTINGS, single_photon_fraction=1.0):
    """l = floor(n A [1 - h(Q_U / A)] - leak_EC - t) with the Clopper-Pearson Q_U (Shor-Preskill / GLLP)."""
    upper = pp.clopper_pearson_upper_bound(outcome.n_sample_errors, outcome.n_sample_bits, settings.epsilon_estimation)
    n_key = outcome.n_sifted_bits - outcome.n_sample_bits
    tag = pp.verification_tag_bits(settings.epsilon_correctness)
    return pp.asymptotic_secret_length(n_key, upper, outcome.leak_ec_bits, tag, single_photon_fraction)


@given(n_bits=st.integers(300, 3000), qber=st.floats(0.0, 0.06), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_accepted_blocks_hold_identical_keys_of_the_formula_length(n_bits, qber, seed):
    alice, bob = frames(n_bits, qber, seed)
    outcome = run(alice, bob, seeds=(seed, seed + 1))
    if outcome.accepted:
        assert outcome.alice_key.size == outcome.secret_bits > 0
        np.testing.assert_array_equal(outcome.alice_key, outcome.bob_key)
        assert outcome.secret_bits == expected_asymptotic_length(outcome)
        assert outcome.disclosed_bits == outcome.n_sample_bits + outcome.leak_ec_bits + outcome.n_verification_bits
    else:
        assert outcome.alice_key.size == outcome.bob_key.size == outcome.secret_bits == 0


def tampering_channel(seed: int):
    """An unauthenticated public channel: flips one parity of every third parity reply."""
    rng = np.random.default_rng(seed)
    count = {"replies": 0}

    def channel(message: Message) -> Message:
        if isinstance(message, ParityReply) and message.parities.size:
            count["replies"] += 1
            if count["replies"] % 3 == 0:
                parities = message.parities.copy()
                parities[rng.integers(parities.size)] ^= 1
                return dataclasses.replace(message, parities=parities)
        return message

    return channel


@given(n_bits=st.integers(300, 2000), qber=st.floats(0.005, 0.05), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_no_key_is_output_unless_both_ends_agree(n_bits, qber, seed):
    alice, bob = frames(n_bits, qber, seed)
    settings = dataclasses.replace(SETTINGS, max_cascade_rounds=100)
    outcome = run(alice, bob, settings, seeds=(seed, seed + 1), channel=tampering_channel(seed))
    if outcome.accepted:
        np.testing.assert_array_equal(outcome.alice_key, outcome.bob_key)
    else:
        assert outcome.alice_key.size == outcome.bob_key.size == outcome.secret_bits == 0


def test_a_failed_verification_discards_the_block():
    """One Cascade pass leaves the blocks with an even number of errors uncorrected; the tags
    then differ and nothing is output."""
    alice, bob = frames(4000, 0.04, 7)
    outcome = run(alice, bob, dataclasses.replace(SETTINGS, n_cascade_passes=1))
    assert outcome.n_corrected_bits < int(np.count_nonzero(alice != bob)) - outcome.n_sample_errors
    assert outcome.status == "verification_failed"
    assert outcome.alice_key.size == outcome.bob_key.size == outcome.secret_bits == 0


def test_a_tampered_tag_is_rejected():
    """An altered verification tag (active attacker on the public channel) makes Bob reject the block."""

    def flip_tag(message: Message) -> Message:
        if isinstance(message, VerificationRequest):
            tag = message.tag.copy()
            tag[0] ^= 1
            return dataclasses.replace(message, tag=tag)
        return message

    alice, bob = frames(2000, 0.02, 8)
    assert run(alice, bob).accepted
    outcome = run(alice, bob, channel=flip_tag)
    assert outcome.status == "verification_failed" and outcome.secret_bits == 0


def test_finite_key_length_follows_tomamichel_and_aborts_above_tolerance():
    settings = dataclasses.replace(SETTINGS, key_length_formula="finite_key", qber_tolerance=0.05, epsilon_secrecy=1e-6)
    alice, bob = frames(20_000, 0.01, 3)
    outcome = run(alice, bob, settings)
    assert outcome.accepted
    n_key = outcome.n_sifted_bits - outcome.n_sample_bits
    assert outcome.secret_bits == pp.finite_key_secret_length(
        n_key, outcome.n_sample_bits, 0.05, outcome.leak_ec_bits, 1e-6, settings.epsilon_correctness
    )
    noisy_alice, noisy_bob = frames(20_000, 0.08, 3)
    aborted = run(noisy_alice, noisy_bob, settings)
    assert aborted.status == "qber_above_tolerance" and aborted.secret_bits == 0 and aborted.leak_ec_bits == 0


def test_gllp_fraction_shortens_the_key_by_the_formula():
    alice, bob = frames(4000, 0.01, 5)
    outcome = run(alice, bob, single_photon_fraction=0.9)
    assert outcome.accepted and outcome.secret_bits == expected_asymptotic_length(outcome, single_photon_fraction=0.9)
    assert outcome.secret_bits < run(alice, bob).secret_bits


def test_same_generators_give_the_same_block_and_fresh_draws_a_different_one():
    alice, bob = frames(3000, 0.02, 9)
    first, again = run(alice, bob), run(alice, bob)
    np.testing.assert_array_equal(first.alice_key, again.alice_key)
    other = run(alice, bob, seeds=(3, 4))
    assert first.accepted and other.accepted
    size = min(first.secret_bits, other.secret_bits)
    assert not np.array_equal(first.alice_key[:size], other.alice_key[:size])


def test_outcome_and_message_reprs_show_no_key_bits():
    alice, bob = frames(1000, 0.0, 2)
    outcome = run(alice, bob)
    text = repr(outcome) + str(outcome)
    assert "alice_key" not in text and "[" not in text
    assert repr(ParityReply("alice", parities=np.ones(5, dtype=np.uint8))) == (
        "ParityReply(sender='alice', n_disclosed_bits=5, n_public_bits=0)"
    )


def test_settings_are_validated():
    with pytest.raises(ValueError, match="sample_fraction: must be in"):
        DistillationSettings(sample_fraction=1.0)
    with pytest.raises(ValueError, match="key_length_formula"):
        DistillationSettings(key_length_formula="magic")  # type: ignore[arg-type]


@pytest.mark.parametrize(("qber", "seed"), [(0.02, 3), (0.05, 4), (0.07, 5)])
def test_infinite_key_accounting_charges_f_h_of_the_sample_qber(qber, seed):
    """l = floor(n [1 - h(Q)] - ceil(f n h(Q)) - t), Q the sample QBER taken as exact: the fast
    decoy-BB84 model's R = q {Q1 [1 - h(e1)] - f Q h(E)} for single photons (Lo, Ma, Chen, PRL 94,
    230504 (2005)); Cascade still corrects the bits, so both keys are identical."""
    settings = dataclasses.replace(SETTINGS, key_length_formula="infinite_key", error_correction_efficiency=1.2)
    alice, bob = frames(4096, qber, seed)
    outcome = run(alice, bob, settings)
    assert outcome.accepted
    assert np.array_equal(outcome.alice_key, outcome.bob_key)
    n_key = outcome.n_sifted_bits - outcome.n_sample_bits
    h = pp.binary_entropy(outcome.qber_estimate)
    tag = pp.verification_tag_bits(settings.epsilon_correctness)
    assert outcome.secret_bits == int(np.floor(n_key * (1 - h) - np.ceil(1.2 * n_key * h) - tag))
    assert outcome.leak_ec_bits > 0  # what Cascade disclosed is still reported


def test_infinite_key_needs_f_of_at_least_one():
    with pytest.raises(ValueError, match="error_correction_efficiency"):
        DistillationSettings(key_length_formula="infinite_key", error_correction_efficiency=0.9)
