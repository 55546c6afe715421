"""Distilling one block of a decoy-state link: test-basis comparison, tallies, bounds, then the usual steps.

A block (:class:`qkdn.photon.sequence_bb84.SiftedFrame` at each end) holds the Z-basis
key bits and the X-basis test bits, each with its intensity (announced by Alice after
sifting). The steps beyond :func:`qkdn.photon.distillation.distil`:

1. Alice discloses her test bits (one message; they are never key). Bob counts the test
   errors per intensity, so both ends hold the block's :class:`DecoyTallies`.
2. Both bound the key's vacuum and single-photon events and the single photons' phase
   error from the tallies (:func:`qkdn.photon.decoy.estimate_single_photon_part`).
3. The key bits go through sampling, Cascade and verification as on any link; privacy
   amplification is sized by the decoy bound (:func:`asymptotic_decoy_secret_length`):
   with the bits Cascade disclosed (``key_length_formula: asymptotic``) or with
   ``f n h(Q)`` charged (``infinite_key``, the fast models' accounting).

The key errors per intensity (``m_{Z,k}``) in the tallies are what Bob learns from the
sample and from Cascade's corrections once verification passes; the simulator counts
them by comparing the two ends' key bits, and they size nothing.
"""

import math
from dataclasses import dataclass

import numpy as np

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
from qtn.errors import ConfigError

#: Messages beyond :func:`distil`: Alice's disclosure of the test bits.
N_TEST_MESSAGES = 1


@dataclass(frozen=True, repr=False, eq=False)
class DecoyBlockOutcome:
    """One decoy block: the distillation outcome, its tallies and bounds, and both key lengths.

    Attributes:
        outcome: sampling, Cascade, verification and amplification (keys when accepted).
        tallies: detections and errors per intensity and basis.
        estimate: the single-photon bounds from the tallies.
        asymptotic_secret_bits: length from the asymptotic decoy bound (0 when Cascade
            or verification stopped before sizing).
        n_messages: messages exchanged, the test disclosure included.
    """

    outcome: DistillationOutcome
    tallies: DecoyTallies
    estimate: DecoyEstimate
    asymptotic_secret_bits: int
    n_messages: int


class _DecoyLength:
    """Alice's key-length rule for a decoy block: the asymptotic decoy bound, noted for the report."""

    def __init__(self, estimate: DecoyEstimate, settings: DistillationSettings, n_key_detections: int) -> None:
        self.estimate = estimate
        self.settings = settings
        self.n_key_detections = n_key_detections
        self.asymptotic_bits = 0

    def __call__(self, inputs: SecretLengthInputs) -> int:
        leak = float(inputs.leak_ec_bits)
        if self.settings.key_length_formula == "infinite_key":
            qber = inputs.n_sample_errors / inputs.n_sample_bits
            leak = math.ceil(self.settings.error_correction_efficiency * inputs.n_key_bits * pp.binary_entropy(qber))
        self.asymptotic_bits = asymptotic_decoy_secret_length(
            self.estimate, inputs.n_key_bits / self.n_key_detections, leak, inputs.n_verification_bits
        )
        return self.asymptotic_bits


def check_settings(settings: DistillationSettings) -> None:
    """Refuse key-length formulas that assume a single-photon source."""
    if settings.key_length_formula == "finite_key":
        raise ConfigError(
            "postprocessing.key_length_formula: 'finite_key' (Tomamichel et al. 2012) assumes a single-photon "
            "source; a decoy source is sized by its decoy bounds ('asymptotic' or 'infinite_key')"
        )


def distil_decoy_block(
    alice: SiftedFrame,
    bob: SiftedFrame,
    source: PhotonSourceConfig,
    settings: DistillationSettings,
    alice_rng: np.random.Generator,
    bob_rng: np.random.Generator,
) -> DecoyBlockOutcome:
    """Distil one decoy block (module docstring); both ends' frames cover the same pulses."""
    check_settings(settings)
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
    rule = _DecoyLength(estimate, settings, int(alice.bits.size))
    outcome = distil(alice.bits, bob.bits, settings, alice_rng, bob_rng, secret_length_rule=rule)
    return DecoyBlockOutcome(outcome, tallies, estimate, rule.asymptotic_bits, outcome.n_messages + N_TEST_MESSAGES)
