"""Distilling one block of a decoy-state link: test-basis comparison, tallies, bounds, then the usual steps.

A block (:class:`qkdn.photon.sequence_bb84.SiftedFrame` at each end) holds the Z-basis
key bits and the X-basis test bits, each with its intensity (announced by Alice after
sifting). The steps beyond :func:`qkdn.photon.distillation.distil`:

1. Alice discloses her test bits (one message; they are never key). Bob counts the test
   errors per intensity, so both ends hold the block's :class:`DecoyTallies`.
2. Both bound the key's vacuum and single-photon events and the single photons' phase
   error from the tallies (:func:`qkdn.photon.decoy.estimate_single_photon_part`).
3. The key bits go through sampling, Cascade and verification as on any link; privacy
   amplification is sized by one of two lengths, both reported:

   * finite-key (``key_length_formula: finite_key``, which a scenario's
     ``postprocessing.key_length: finite`` selects): Lim, Curty, Walenta, Xu, Zbinden,
     PRA 89, 022307 (2014), composable, eps_sec-secret and eps_cor-correct
     (:func:`qkdn.keyrate.finite.finite_key_length_decoy`) on the block's tallies; the
     estimation sample is disclosed key, so it is charged to the leak with Cascade's
     parities (conditioning on ``k`` public bits lowers the min-entropy by at most ``k``);
   * asymptotic (:func:`qkdn.photon.decoy.asymptotic_decoy_secret_length`): the Ma et
     al. bounds as if exact, with the bits Cascade disclosed (``asymptotic``) or with
     ``f n h(Q)`` charged (``infinite_key``, the fast models' accounting).

The key errors per intensity (``m_{Z,k}``) in the tallies are what Bob learns from the
sample and from Cascade's corrections once verification passes; the simulator counts
them by comparing the two ends' key bits, and they size nothing.
"""

import math
from dataclasses import dataclass

import numpy as np

from qkdn.keyrate.finite import finite_key_length_decoy
from qkdn.keyrate.tallies import DecoyTallies
from qkdn.photon import postprocessing as pp
from qkdn.photon.config import PhotonSourceConfig
from qkdn.photon.decoy import (
    DecoyEstimate,
    asymptotic_decoy_secret_length,
    decoy_tallies,
    estimate_single_photon_part,
)
from qkdn.photon.distillation import DistillationOutcome, DistillationSettings, SecretLengthInputs, distil
from qkdn.photon.sequence_bb84 import SiftedFrame
from qnetsim.core.errors import ConfigError

#: Messages beyond :func:`distil`: Alice's disclosure of the test bits.
N_TEST_MESSAGES = 1


@dataclass(frozen=True, repr=False, eq=False)
class DecoyBlockOutcome:
    """One decoy block: the distillation outcome, its tallies and bounds, and both key lengths.

    Attributes:
        outcome: sampling, Cascade, verification and amplification (keys when accepted).
        tallies: detections and errors per intensity and basis.
        estimate: the single-photon bounds from the tallies.
        n_messages: messages exchanged, the test disclosure included.
    """

    outcome: DistillationOutcome
    tallies: DecoyTallies
    estimate: DecoyEstimate
    n_messages: int


class _DecoyLength:
    """Alice's key lengths for a decoy block: ``(finite, asymptotic)`` (module docstring)."""

    def __init__(self, tallies: DecoyTallies, estimate: DecoyEstimate, settings: DistillationSettings) -> None:
        self.tallies = tallies
        self.estimate = estimate
        self.settings = settings

    def __call__(self, inputs: SecretLengthInputs) -> tuple[int, int]:
        settings = self.settings
        finite = finite_key_length_decoy(
            self.tallies,
            eps_sec=settings.epsilon_secrecy,
            eps_cor=settings.epsilon_correctness,
            leak_ec_bits=inputs.leak_ec_bits + inputs.n_sample_bits,
        ).length_bits
        leak = float(inputs.leak_ec_bits)
        if settings.key_length_formula == "infinite_key":
            qber = inputs.n_sample_errors / inputs.n_sample_bits
            leak = math.ceil(settings.error_correction_efficiency * inputs.n_key_bits * pp.binary_entropy(qber))
        asymptotic = asymptotic_decoy_secret_length(
            self.estimate, inputs.n_key_bits / self.tallies.key_bits, leak, inputs.n_verification_bits
        )
        return min(finite, inputs.n_key_bits), asymptotic


def distil_decoy_block(
    alice: SiftedFrame,
    bob: SiftedFrame,
    source: PhotonSourceConfig,
    settings: DistillationSettings,
    alice_rng: np.random.Generator,
    bob_rng: np.random.Generator,
) -> DecoyBlockOutcome:
    """Distil one decoy block (module docstring); both ends' frames cover the same pulses."""
    if alice.test_bits.shape != bob.test_bits.shape or alice.bits.shape != bob.bits.shape:
        raise ConfigError(f"frames {alice.index}: the two ends' blocks differ in length")
    test_errors = alice.test_bits != bob.test_bits  # Bob's count after Alice's disclosure
    tallies = decoy_tallies(
        source.intensities,
        source.intensity_probabilities,
        alice.key_intensities,
        alice.bits != bob.bits,
        alice.test_intensities,
        test_errors,
        alice.pulses_sent,
    )
    estimate = estimate_single_photon_part(tallies)
    rule = _DecoyLength(tallies, estimate, settings)
    outcome = distil(alice.bits, bob.bits, settings, alice_rng, bob_rng, secret_length_rule=rule)
    return DecoyBlockOutcome(outcome, tallies, estimate, outcome.n_messages + N_TEST_MESSAGES)
