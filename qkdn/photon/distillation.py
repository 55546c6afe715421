"""Two-party key distillation of one sifted frame: estimation, Cascade, verification, amplification.

Alice (:class:`AliceDistiller`) and Bob (:class:`BobDistiller`) each hold only their
own sifted bits and generator; they act only on :mod:`qkdn.photon.messages` handed to
them by :func:`distil`, which plays the authenticated public channel and counts every
message and every disclosed bit. Steps:

1. Alice discloses a random sample (positions and her bits); Bob counts the errors and
   bounds the QBER (Clopper-Pearson, :func:`qkdn.photon.postprocessing.clopper_pearson_upper_bound`),
   and sends the count with a fresh public seed for Cascade's shuffles.
2. Alice aborts if the sample QBER exceeds the tolerance; otherwise she sends all
   top-level Cascade parities and then answers Bob's bisection questions
   (:mod:`qkdn.photon.cascade`) until Bob says he is done.
3. Alice sends a Toeplitz verification tag of her key (``t`` bits, collision
   probability ``2^-t``), the secret length and a fresh privacy-amplification seed.
4. Bob compares tags. On a mismatch the block is discarded by both ends; otherwise
   both compress their keys with the same Toeplitz matrix.

All randomness (sample positions, shuffle seed, hash seeds) comes from the two
parties' own generators.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from qkdn.photon import postprocessing as pp
from qkdn.photon.cascade import CascadeAlice, CascadeBob, cascade_block_sizes, cascade_permutations
from qkdn.photon.messages import (
    Abort,
    Message,
    ParityReply,
    ParityRequest,
    ReconciliationDone,
    SampleDisclosure,
    SampleReport,
    Verdict,
    VerificationRequest,
)
from qkdn.photon.toeplitz import toeplitz_seed_length
from qtn.errors import ConfigError

KeyLengthFormula = Literal["asymptotic", "finite_key", "infinite_key"]
Status = Literal["accepted", "qber_above_tolerance", "no_secret_key", "reconciliation_failed", "verification_failed"]


@dataclass(frozen=True)
class DistillationSettings:
    """Parameters of the post-processing of one frame.

    Attributes:
        sample_fraction: fraction of the sifted bits disclosed for parameter estimation.
        epsilon_estimation: failure probability of the Clopper-Pearson QBER bound.
        epsilon_correctness: bound on the probability that accepted keys differ
            (sets the verification tag length).
        epsilon_secrecy: secrecy parameter of the finite-key formula.
        key_length_formula: ``"asymptotic"`` (Shor-Preskill/GLLP with the QBER upper
            bound and the bits error correction actually disclosed), ``"finite_key"``
            (Tomamichel et al. 2012), or ``"infinite_key"``: the accounting of the fast
            key-rate models (:mod:`qkdn.keyrate`), the sample's error rate taken as
            exact and error correction charged ``f n h(Q)`` with ``f =
            error_correction_efficiency`` (Cascade still corrects the bits, so both
            ends hold the same key); it makes simulated frames comparable with
            model links of the same ``f``.
        error_correction_efficiency: ``f >= 1`` of the ``"infinite_key"`` accounting.
        qber_tolerance: the block is aborted when the sample QBER exceeds it (``Q_tol``
            of the finite-key formula).
        n_cascade_passes: Cascade passes.
        max_cascade_rounds: bisection rounds after which reconciliation is declared failed.
    """

    sample_fraction: float = 0.1
    epsilon_estimation: float = 1e-9
    epsilon_correctness: float = 1e-12
    epsilon_secrecy: float = 1e-9
    key_length_formula: KeyLengthFormula = "asymptotic"
    error_correction_efficiency: float = 1.16
    qber_tolerance: float = 0.11
    n_cascade_passes: int = 4
    max_cascade_rounds: int = 400

    def __post_init__(self) -> None:
        for name in ("sample_fraction", "epsilon_estimation", "epsilon_correctness", "epsilon_secrecy"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise ConfigError(f"{name}: must be in (0, 1); got {value}")
        if self.key_length_formula not in ("asymptotic", "finite_key", "infinite_key"):
            raise ConfigError(
                "key_length_formula: must be 'asymptotic', 'finite_key' or 'infinite_key';"
                f" got {self.key_length_formula!r}"
            )
        if not self.error_correction_efficiency >= 1.0:
            raise ConfigError(f"error_correction_efficiency: must be >= 1; got {self.error_correction_efficiency}")
        if not 0.0 <= self.qber_tolerance <= 0.5:
            raise ConfigError(f"qber_tolerance: must be in [0, 0.5]; got {self.qber_tolerance}")
        if self.n_cascade_passes < 1 or self.max_cascade_rounds < 1:
            raise ConfigError(
                f"n_cascade_passes and max_cascade_rounds: must be >= 1; got "
                f"{self.n_cascade_passes}, {self.max_cascade_rounds}"
            )


@dataclass(frozen=True)
class SecretLengthInputs:
    """What Alice knows when she sizes privacy amplification (counts only).

    Attributes:
        n_key_bits: key bits left after the estimation sample.
        n_sample_bits: bits disclosed by the sample.
        n_sample_errors: errors in the sample.
        leak_ec_bits: bits error correction disclosed.
        n_verification_bits: verification tag bits.
    """

    n_key_bits: int
    n_sample_bits: int
    n_sample_errors: int
    leak_ec_bits: int
    n_verification_bits: int


#: A link's own key lengths ``(finite, asymptotic)`` (e.g. decoy-state bounds), used instead of the
#: single-photon formulas; ``key_length_formula == "finite_key"`` picks the first, otherwise the second.
SecretLengthRule = Callable[[SecretLengthInputs], tuple[int, int]]


@dataclass(frozen=True, repr=False, eq=False)
class DistillationOutcome:
    """What distilling one frame gave; keys are empty unless ``status == "accepted"``.

    ``repr`` shows counts only, never key bits.
    """

    status: Status
    alice_key: np.ndarray
    bob_key: np.ndarray
    n_sifted_bits: int
    n_sample_bits: int
    n_sample_errors: int
    qber_estimate: float
    qber_upper_bound: float
    leak_ec_bits: int
    n_verification_bits: int
    disclosed_bits: int
    n_public_bits: int
    n_messages: int
    n_corrected_bits: int
    secret_bits: int
    finite_secret_bits: int = 0  # Tomamichel et al. 2012 length of the frame (0 if not reached)
    asymptotic_secret_bits: int = 0  # the asymptotic (or infinite_key) length of the frame
    key_length_formula: str = "asymptotic"  # the settings' formula, which chose between them

    @property
    def key_length(self) -> str:
        """Which length sized the key: ``finite`` (``finite_key``) or ``asymptotic``."""
        return "finite" if self.key_length_formula == "finite_key" else "asymptotic"

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"

    def __repr__(self) -> str:
        return (
            f"DistillationOutcome(status={self.status!r}, n_sifted_bits={self.n_sifted_bits}, "
            f"qber_estimate={self.qber_estimate:.4g}, disclosed_bits={self.disclosed_bits}, "
            f"secret_bits={self.secret_bits}, n_messages={self.n_messages})"
        )

    __str__ = __repr__


def _cascade_qber(n_errors: int, n_samples: int) -> float:
    """QBER that sets Cascade's first block size: ``(e + 1) / k``, capped at 0.25.

    The plain estimate ``e / k`` too often underestimates small error rates on small
    samples; blocks then hold several errors and four passes leave some behind (10-15 %
    of 2,048-bit frames failed verification at QBER 0.2-0.5 % in our runs, against
    1-2 % with ``(e + 1) / k``, for about 10 % more disclosure).
    """
    return min(0.25, (n_errors + 1) / n_samples)


class _Party:
    """State common to both ends: own sifted bits, settings, own generator, results."""

    def __init__(self, bits: np.ndarray, settings: DistillationSettings, rng: np.random.Generator) -> None:
        self.bits = bits
        self.settings = settings
        self.rng = rng
        self.key = np.zeros(0, dtype=np.uint8)
        self.secret: np.ndarray | None = None
        self.status: Status | None = None
        self.n_samples = 0
        self.n_errors = 0

    def _keep_unsampled(self, positions: np.ndarray) -> None:
        keep = np.ones(self.bits.size, dtype=bool)
        keep[positions] = False
        self.key = self.bits[keep]


class AliceDistiller(_Party):
    """Alice's end: discloses the sample, answers Cascade, sends tag, length and seeds."""

    def __init__(
        self,
        bits: np.ndarray,
        settings: DistillationSettings,
        rng: np.random.Generator,
        single_photon_fraction: float = 1.0,
        secret_length_rule: SecretLengthRule | None = None,
    ) -> None:
        super().__init__(bits, settings, rng)
        self.single_photon_fraction = single_photon_fraction
        self.secret_length_rule = secret_length_rule
        self.leak_ec_bits = 0
        self.n_verification_bits = 0
        self.n_secret_bits = 0
        self.finite_secret_bits = 0
        self.asymptotic_secret_bits = 0
        self._cascade: CascadeAlice | None = None
        self._amplification_seed = np.zeros(0, dtype=np.uint8)

    def start(self) -> Message:
        """First message: the parameter-estimation sample."""
        n_samples = pp.n_sample_bits(self.bits.size, self.settings.sample_fraction)
        positions = pp.choose_sample_positions(self.bits.size, n_samples, self.rng)
        self._keep_unsampled(positions)
        return SampleDisclosure("alice", positions=positions, bits=self.bits[positions], n_sifted_bits=self.bits.size)

    def receive(self, message: Message) -> Message | None:
        """Handle one message from Bob; return the reply, if any."""
        handlers: dict[type, Callable[[Any], Message | None]] = {
            SampleReport: self._on_sample_report,
            ParityRequest: self._on_parity_request,
            ReconciliationDone: self._on_done,
            Verdict: self._on_verdict,
        }
        return handlers[type(message)](message)

    def _on_sample_report(self, report: SampleReport) -> Message:
        self.n_samples, self.n_errors = report.n_samples, report.n_errors
        if report.n_errors / report.n_samples > self.settings.qber_tolerance:
            self.status = "qber_above_tolerance"
            return Abort("alice", reason=self.status)
        n_passes = self.settings.n_cascade_passes
        sizes = cascade_block_sizes(_cascade_qber(report.n_errors, report.n_samples), self.key.size, n_passes)
        permutations = cascade_permutations(report.shuffle_seed, self.key.size, n_passes)
        self._cascade = CascadeAlice(self.key, sizes, permutations)
        return self._disclose(self._cascade.top_level_parities())

    def _on_parity_request(self, request: ParityRequest) -> Message:
        assert self._cascade is not None, "parity request before the sample report"
        return self._disclose(self._cascade.answer(request))

    def _disclose(self, reply: ParityReply) -> ParityReply:
        self.leak_ec_bits += reply.n_disclosed_bits
        return reply

    def _on_done(self, _: ReconciliationDone) -> Message:
        n_tag = pp.verification_tag_bits(self.settings.epsilon_correctness)
        self.n_secret_bits = self._secret_length(n_tag)
        if self.n_secret_bits == 0:
            self.status = "no_secret_key"
            return Abort("alice", reason=self.status)
        self.n_verification_bits = n_tag
        tag_seed = self.rng.integers(0, 2, toeplitz_seed_length(self.key.size, n_tag), dtype=np.uint8)
        seed_bits = pp.amplification_seed_bits(self.key.size, self.n_secret_bits)
        self._amplification_seed = self.rng.integers(0, 2, seed_bits, dtype=np.uint8)
        return VerificationRequest(
            "alice",
            tag_seed=tag_seed,
            tag=pp.verification_tag(self.key, tag_seed, n_tag),
            amplification_seed=self._amplification_seed,
            n_secret_bits=self.n_secret_bits,
        )

    def _secret_length(self, n_tag_bits: int) -> int:
        """The length the settings choose; both the finite and the asymptotic one are kept for the report."""
        settings = self.settings
        if self.secret_length_rule is not None:
            inputs = SecretLengthInputs(self.key.size, self.n_samples, self.n_errors, self.leak_ec_bits, n_tag_bits)
            self.finite_secret_bits, self.asymptotic_secret_bits = self.secret_length_rule(inputs)
        else:
            self.finite_secret_bits = pp.finite_key_secret_length(
                self.key.size,
                self.n_samples,
                settings.qber_tolerance,
                self.leak_ec_bits,
                settings.epsilon_secrecy,
                settings.epsilon_correctness,
            )
            self.asymptotic_secret_bits = self._asymptotic_length(n_tag_bits)
        if settings.key_length_formula == "finite_key":
            return self.finite_secret_bits
        return self.asymptotic_secret_bits

    def _asymptotic_length(self, n_tag_bits: int) -> int:
        """``infinite_key`` accounting if chosen, else Shor-Preskill/GLLP with the QBER upper bound."""
        settings = self.settings
        if settings.key_length_formula == "infinite_key":
            qber = self.n_errors / self.n_samples
            charged = math.ceil(settings.error_correction_efficiency * self.key.size * pp.binary_entropy(qber))
            return pp.asymptotic_secret_length(self.key.size, qber, charged, n_tag_bits, self.single_photon_fraction)
        upper = pp.clopper_pearson_upper_bound(self.n_errors, self.n_samples, settings.epsilon_estimation)
        return pp.asymptotic_secret_length(
            self.key.size, upper, self.leak_ec_bits, n_tag_bits, self.single_photon_fraction
        )

    def _on_verdict(self, verdict: Verdict) -> None:
        if verdict.accepted:
            self.secret = pp.privacy_amplification(self.key, self._amplification_seed, self.n_secret_bits)
            self.status = "accepted"
        else:
            self.status = "verification_failed"


class BobDistiller(_Party):
    """Bob's end: counts sample errors, drives Cascade, checks the tag, amplifies."""

    def __init__(self, bits: np.ndarray, settings: DistillationSettings, rng: np.random.Generator) -> None:
        super().__init__(bits, settings, rng)
        self.n_rounds = 0
        self.cascade: CascadeBob | None = None
        self._shuffle_seed = 0

    def receive(self, message: Message) -> Message | None:
        """Handle one message from Alice; return the reply, if any."""
        handlers: dict[type, Callable[[Any], Message | None]] = {
            SampleDisclosure: self._on_sample,
            ParityReply: self._on_parities,
            VerificationRequest: self._on_verification,
            Abort: self._on_abort,
        }
        return handlers[type(message)](message)

    def _on_sample(self, sample: SampleDisclosure) -> Message:
        self.n_samples = int(sample.positions.size)
        self.n_errors = int(np.count_nonzero(self.bits[sample.positions] != sample.bits))
        self._keep_unsampled(sample.positions)
        self._shuffle_seed = int(self.rng.integers(0, 2**63 - 1))
        return SampleReport("bob", n_errors=self.n_errors, n_samples=self.n_samples, shuffle_seed=self._shuffle_seed)

    def _on_parities(self, reply: ParityReply) -> Message | None:
        if self.cascade is None:
            n_passes = self.settings.n_cascade_passes
            sizes = cascade_block_sizes(_cascade_qber(self.n_errors, self.n_samples), self.key.size, n_passes)
            permutations = cascade_permutations(self._shuffle_seed, self.key.size, n_passes)
            self.cascade = CascadeBob(self.key, sizes, permutations)
            self.cascade.receive_top_level(reply)
        else:
            self.cascade.receive_reply(reply)
            self.n_rounds += 1
        request = self.cascade.next_request()
        if request is None:
            return ReconciliationDone("bob")
        if self.n_rounds >= self.settings.max_cascade_rounds:
            self.status = "reconciliation_failed"
            return None
        return request

    def _on_verification(self, request: VerificationRequest) -> Message:
        assert self.cascade is not None, "verification before reconciliation"
        corrected = self.cascade.corrected_key
        own_tag = pp.verification_tag(corrected, request.tag_seed, request.tag.size)
        accepted = bool(np.array_equal(own_tag, request.tag))
        if accepted:
            self.secret = pp.privacy_amplification(corrected, request.amplification_seed, request.n_secret_bits)
            self.status = "accepted"
        else:
            self.status = "verification_failed"
        return Verdict("bob", accepted=accepted)

    def _on_abort(self, abort: Abort) -> None:
        self.status = abort.reason  # type: ignore[assignment]


Channel = Callable[[Message], Message]


def distil(
    alice_bits: np.ndarray,
    bob_bits: np.ndarray,
    settings: DistillationSettings,
    alice_rng: np.random.Generator,
    bob_rng: np.random.Generator,
    single_photon_fraction: float = 1.0,
    channel: Channel | None = None,
    secret_length_rule: SecretLengthRule | None = None,
) -> DistillationOutcome:
    """Run the post-processing of one frame between Alice's and Bob's sifted bits.

    Args:
        alice_bits: Alice's sifted frame (0/1 uint8).
        bob_bits: Bob's sifted frame, same length.
        settings: post-processing parameters.
        alice_rng: Alice's generator (sample positions, hash seeds).
        bob_rng: Bob's generator (Cascade shuffle seed).
        single_photon_fraction: GLLP ``A`` for the asymptotic formula (1 = single photons).
        channel: the public channel; identity by default. A test may pass one that
            tampers with messages (an active eavesdropper without authentication).
        secret_length_rule: the link's own ``(finite, asymptotic)`` key lengths (e.g.
            decoy-state bounds), used instead of the single-photon formulas when given;
            ``settings.key_length_formula`` still chooses between the two.

    Returns:
        The outcome, with both keys when accepted.
    """
    alice_bits = np.asarray(alice_bits, dtype=np.uint8)
    bob_bits = np.asarray(bob_bits, dtype=np.uint8)
    if alice_bits.ndim != 1 or alice_bits.shape != bob_bits.shape:
        raise ConfigError(f"frames: must be 1-D and of equal length; got {alice_bits.shape} and {bob_bits.shape}")
    alice = AliceDistiller(alice_bits, settings, alice_rng, single_photon_fraction, secret_length_rule)
    bob = BobDistiller(bob_bits, settings, bob_rng)
    transport = channel if channel is not None else (lambda message: message)
    ends: dict[str, AliceDistiller | BobDistiller] = {"alice": bob, "bob": alice}
    message: Message | None = alice.start()
    n_messages = disclosed = public = 0
    while message is not None:
        n_messages += 1
        disclosed += message.n_disclosed_bits
        public += message.n_public_bits
        message = ends[message.sender].receive(transport(message))
    return _outcome(alice, bob, n_messages, disclosed, public)


def _outcome(
    alice: AliceDistiller, bob: BobDistiller, n_messages: int, disclosed: int, public: int
) -> DistillationOutcome:
    accepted = alice.status == "accepted" and bob.status == "accepted"
    status: Status = "accepted" if accepted else (bob.status or alice.status or "reconciliation_failed")
    empty = np.zeros(0, dtype=np.uint8)
    n_samples, n_errors = bob.n_samples, bob.n_errors
    return DistillationOutcome(
        status=status,
        alice_key=alice.secret if accepted and alice.secret is not None else empty,
        bob_key=bob.secret if accepted and bob.secret is not None else empty,
        n_sifted_bits=int(alice.bits.size),
        n_sample_bits=n_samples,
        n_sample_errors=n_errors,
        qber_estimate=n_errors / n_samples if n_samples else math.nan,
        qber_upper_bound=(
            pp.clopper_pearson_upper_bound(n_errors, n_samples, alice.settings.epsilon_estimation)
            if n_samples
            else math.nan
        ),
        leak_ec_bits=alice.leak_ec_bits,
        n_verification_bits=alice.n_verification_bits,
        disclosed_bits=disclosed,
        n_public_bits=public,
        n_messages=n_messages,
        n_corrected_bits=bob.cascade.n_corrected_bits if bob.cascade is not None else 0,
        secret_bits=int(alice.secret.size) if accepted and alice.secret is not None else 0,
        finite_secret_bits=alice.finite_secret_bits,
        asymptotic_secret_bits=alice.asymptotic_secret_bits,
        key_length_formula=alice.settings.key_length_formula,
    )
