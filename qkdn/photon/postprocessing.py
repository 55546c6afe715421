"""Classical post-processing of BB84 keys: estimation, verification, privacy amplification, key length.

Pure functions of numbers and bit arrays (NumPy/SciPy only). The two-party protocol
that strings them together with error correction is :mod:`qkdn.photon.distillation`;
error correction itself is :mod:`qkdn.photon.cascade`.

Parameter estimation discloses a random sample of the sifted key and bounds the
quantum bit error rate (QBER) with a one-sided **Clopper-Pearson** (exact binomial)
upper confidence limit. Error verification and privacy amplification both use
Toeplitz hashing (:mod:`qkdn.photon.toeplitz`), with seeds drawn by Alice and sent
in the clear: seeds are public and are not counted as disclosed key bits.

Key length, asymptotic (default): the Shor-Preskill rate applied to the actual
disclosure, ``l = n[1 - h(Q)] - leak_EC - t``, with ``Q`` the Clopper-Pearson upper
bound and ``t`` the verification tag length; for weak coherent pulses the GLLP
single-photon correction ``n A[1 - h(Q / A)]`` replaces ``n[1 - h(Q)]``. Finite-key
option: Tomamichel, Lim, Gisin, Renner (2012), Eq. (2).
"""

import math

import numpy as np

from qkdn.photon.toeplitz import toeplitz_hash, toeplitz_seed_length
from qnetsim.core.errors import ConfigError


def binary_entropy(probability: float) -> float:
    """Binary Shannon entropy ``h(p) = -p log2 p - (1 - p) log2(1 - p)`` in bits (``h(0) = h(1) = 0``).

    Args:
        probability: a probability in [0, 1].

    Returns:
        The entropy in bits, in [0, 1].

    References:
        C. E. Shannon, "A mathematical theory of communication", Bell Syst. Tech. J. 27,
        379-423 (1948).
    """
    if not 0.0 <= probability <= 1.0:
        raise ConfigError(f"probability: must be in [0, 1]; got {probability}")
    if probability in (0.0, 1.0):
        return 0.0
    return float(-probability * math.log2(probability) - (1.0 - probability) * math.log2(1.0 - probability))


def clopper_pearson_upper_bound(n_errors: int, n_samples: int, failure_probability: float) -> float:
    """One-sided Clopper-Pearson upper confidence limit of a binomial error rate.

    The returned ``Q_U`` satisfies ``P[Binomial(n_samples, Q_U) <= n_errors] = failure_probability``,
    so the true rate exceeds ``Q_U`` with probability at most ``failure_probability``.
    It is the ``1 - failure_probability`` quantile of ``Beta(n_errors + 1, n_samples - n_errors)``.

    Args:
        n_errors: errors seen in the sample.
        n_samples: sample size (bits compared).
        failure_probability: probability that the bound fails (e.g. 1e-9).

    Returns:
        Upper bound on the error rate, in (0, 1].

    References:
        C. J. Clopper, E. S. Pearson, "The use of confidence or fiducial limits illustrated
        in the case of the binomial", Biometrika 26, 404-413 (1934).
    """
    if n_samples < 1:
        raise ConfigError(f"n_samples: must be >= 1; got {n_samples}")
    if not 0 <= n_errors <= n_samples:
        raise ConfigError(f"n_errors: must be in [0, n_samples={n_samples}]; got {n_errors}")
    if not 0.0 < failure_probability < 1.0:
        raise ConfigError(f"failure_probability: must be in (0, 1); got {failure_probability}")
    if n_errors == n_samples:
        return 1.0
    from scipy.stats import beta  # imported on first use, as every scipy import of qkdn

    return float(beta.ppf(1.0 - failure_probability, n_errors + 1, n_samples - n_errors))


def n_sample_bits(n_sifted_bits: int, sample_fraction: float) -> int:
    """Number of sifted bits disclosed for parameter estimation (at least one, leaving at least one)."""
    if n_sifted_bits < 2:
        raise ConfigError(f"n_sifted_bits: must be >= 2; got {n_sifted_bits}")
    if not 0.0 < sample_fraction < 1.0:
        raise ConfigError(f"sample_fraction: must be in (0, 1); got {sample_fraction}")
    return min(n_sifted_bits - 1, max(1, int(round(sample_fraction * n_sifted_bits))))


def choose_sample_positions(n_sifted_bits: int, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Uniformly random, sorted positions of the bits to disclose (sampling without replacement).

    Args:
        n_sifted_bits: length of the sifted key.
        n_samples: number of positions to draw.
        rng: the choosing party's generator.

    Returns:
        int64 array of ``n_samples`` distinct sorted positions.
    """
    if not 0 < n_samples < n_sifted_bits:
        raise ConfigError(f"n_samples: must be in [1, {n_sifted_bits - 1}]; got {n_samples}")
    return np.sort(rng.choice(n_sifted_bits, size=n_samples, replace=False)).astype(np.int64)


def verification_tag_bits(epsilon_correctness: float) -> int:
    """Tag length ``t = ceil(log2(1 / eps_cor))`` of the error-verification hash.

    With a universal_2 (Toeplitz) hash of ``t`` bits, two different keys pass
    verification with probability at most ``2**-t <= eps_cor``.

    References:
        M. Tomamichel, C. C. W. Lim, N. Gisin, R. Renner, "Tight finite-key analysis for
        quantum cryptography", Nat. Commun. 3, 634 (2012), Table I (error correction step).
    """
    if not 0.0 < epsilon_correctness < 1.0:
        raise ConfigError(f"epsilon_correctness: must be in (0, 1); got {epsilon_correctness}")
    return max(1, math.ceil(math.log2(1.0 / epsilon_correctness)))


def verification_tag(key: np.ndarray, seed: np.ndarray, n_tag_bits: int) -> np.ndarray:
    """Toeplitz hash tag of ``key`` used to check that both ends hold the same corrected key.

    Args:
        key: corrected key bits.
        seed: ``len(key) + n_tag_bits - 1`` public seed bits.
        n_tag_bits: tag length; collision probability ``2**-n_tag_bits``.

    Returns:
        uint8 array of ``n_tag_bits`` bits (disclosed: counted as leaked).

    References:
        Krawczyk, CRYPTO '94 (Toeplitz hashing; see :mod:`qkdn.photon.toeplitz`).
    """
    return toeplitz_hash(key, seed, n_tag_bits)


def privacy_amplification(key: np.ndarray, seed: np.ndarray, n_secret_bits: int) -> np.ndarray:
    """Compress the corrected key to ``n_secret_bits`` by a Toeplitz (two-universal) hash.

    Args:
        key: corrected key bits, identical at both ends.
        seed: ``len(key) + n_secret_bits - 1`` public seed bits drawn by Alice.
        n_secret_bits: output length, from :func:`asymptotic_secret_length` or
            :func:`finite_key_secret_length`.

    Returns:
        uint8 array of ``n_secret_bits`` secret bits.

    References:
        C. H. Bennett, G. Brassard, C. Crepeau, U. M. Maurer, "Generalized privacy
        amplification", IEEE Trans. Inf. Theory 41, 1915-1923 (1995).
        R. Renner, "Security of quantum key distribution", PhD thesis, ETH Zurich (2005),
        arXiv:quant-ph/0512258 (quantum leftover hash lemma).
    """
    return toeplitz_hash(key, seed, n_secret_bits)


def amplification_seed_bits(n_key_bits: int, n_secret_bits: int) -> int:
    """Public seed length for :func:`privacy_amplification`."""
    return toeplitz_seed_length(n_key_bits, n_secret_bits)


def multi_photon_probability(mean_photon_number: float) -> float:
    """Probability ``1 - e^-mu (1 + mu)`` that a Poissonian pulse holds two or more photons."""
    if mean_photon_number < 0:
        raise ConfigError(f"mean_photon_number: must be >= 0; got {mean_photon_number}")
    return float(-math.expm1(-mean_photon_number) - mean_photon_number * math.exp(-mean_photon_number))


def single_photon_fraction(mean_photon_number: float, detection_probability: float) -> float:
    """GLLP lower bound on the fraction of detections caused by single-photon pulses.

    ``A = 1 - Delta`` with ``Delta = P_multi / P_detect``: in the worst case every
    multi-photon pulse is detected (photon-number-splitting attack), so only
    ``P_detect - P_multi`` of the detections are guaranteed to come from single photons.

    Args:
        mean_photon_number: mean photon number mu of the weak coherent pulses.
        detection_probability: observed probability that a pulse gives a valid detection.

    Returns:
        ``A`` clipped to [0, 1].

    References:
        D. Gottesman, H.-K. Lo, N. Lutkenhaus, J. Preskill, "Security of quantum key
        distribution with imperfect devices", Quant. Inf. Comput. 4, 325-360 (2004).
    """
    if not 0.0 < detection_probability <= 1.0:
        raise ConfigError(f"detection_probability: must be in (0, 1]; got {detection_probability}")
    return min(1.0, max(0.0, 1.0 - multi_photon_probability(mean_photon_number) / detection_probability))


def asymptotic_secret_length(
    n_key_bits: int,
    qber: float,
    leak_ec_bits: int,
    n_verification_bits: int,
    single_photon_fraction: float = 1.0,
) -> int:
    """Secret key length from the asymptotic Shor-Preskill / GLLP rate with the actual disclosure.

    ``l = floor(n A [1 - h(Q / A)] - leak_EC - t)``, and 0 when that is negative. With
    ``A = 1`` (ideal single photons) this is the Shor-Preskill form ``n[1 - h(Q)] - leak_EC - t``:
    ``n h(Q)`` bits go to the phase errors (privacy amplification), ``leak_EC`` are the
    error-correction bits actually disclosed, ``t`` the verification tag.

    Args:
        n_key_bits: key bits left after the parameter-estimation sample.
        qber: bit error rate to assume (the pipeline passes the Clopper-Pearson upper bound).
        leak_ec_bits: bits disclosed by error correction.
        n_verification_bits: bits of the disclosed verification tag.
        single_photon_fraction: GLLP ``A`` (see :func:`single_photon_fraction`); 1 for a
            single-photon source.

    Returns:
        Secret key length in bits (>= 0).

    References:
        P. W. Shor, J. Preskill, "Simple proof of security of the BB84 quantum key
        distribution protocol", Phys. Rev. Lett. 85, 441 (2000).
        D. Gottesman, H.-K. Lo, N. Lutkenhaus, J. Preskill, Quant. Inf. Comput. 4, 325 (2004).
    """
    _check_counts(n_key_bits=n_key_bits, leak_ec_bits=leak_ec_bits, n_verification_bits=n_verification_bits)
    if not 0.0 <= qber <= 1.0:
        raise ConfigError(f"qber: must be in [0, 1]; got {qber}")
    if not 0.0 <= single_photon_fraction <= 1.0:
        raise ConfigError(f"single_photon_fraction: must be in [0, 1]; got {single_photon_fraction}")
    if single_photon_fraction == 0.0 or qber / single_photon_fraction >= 0.5:
        return 0
    private = n_key_bits * single_photon_fraction * (1.0 - binary_entropy(qber / single_photon_fraction))
    return max(0, math.floor(private - leak_ec_bits - n_verification_bits))


def finite_key_statistical_deviation(n_key_bits: int, n_sample_bits: int, epsilon_secrecy: float) -> float:
    """Statistical margin ``mu`` added to the tolerated QBER in the finite-key bound.

    ``mu = sqrt((n + k) / (n k) * (k + 1) / k * ln(4 / eps_sec))``.

    References:
        M. Tomamichel, C. C. W. Lim, N. Gisin, R. Renner, Nat. Commun. 3, 634 (2012), Eq. (2).
    """
    _check_counts(n_key_bits=n_key_bits, n_sample_bits=n_sample_bits)
    if n_key_bits < 1 or n_sample_bits < 1:
        raise ConfigError(f"n_key_bits, n_sample_bits: must be >= 1; got {n_key_bits}, {n_sample_bits}")
    if not 0.0 < epsilon_secrecy < 1.0:
        raise ConfigError(f"epsilon_secrecy: must be in (0, 1); got {epsilon_secrecy}")
    n, k = float(n_key_bits), float(n_sample_bits)
    return math.sqrt((n + k) / (n * k) * (k + 1.0) / k * math.log(4.0 / epsilon_secrecy))


def finite_key_secret_length(
    n_key_bits: int,
    n_sample_bits: int,
    qber_tolerance: float,
    leak_ec_bits: int,
    epsilon_secrecy: float,
    epsilon_correctness: float,
) -> int:
    """Secret key length of the finite-key analysis of Tomamichel, Lim, Gisin and Renner.

    ``l = floor(n [1 - h(Q_tol + mu)] - leak_EC - log2(2 / (eps_sec^2 eps_cor)))`` with
    ``mu`` from :func:`finite_key_statistical_deviation`, for a protocol that aborts when
    the sample error rate exceeds ``Q_tol``; the result is ``eps_cor``-correct and
    ``eps_sec``-secret. The ``log2(2 / eps_cor)`` part already covers the verification tag,
    so ``leak_ec_bits`` excludes it. Preparation quality ``q = 1`` (single photons).

    Args:
        n_key_bits: key bits ``n`` (after removing the sample).
        n_sample_bits: sample size ``k``.
        qber_tolerance: ``Q_tol``; the caller aborts when the sample QBER exceeds it.
        leak_ec_bits: bits disclosed by error correction.
        epsilon_secrecy: ``eps_sec``.
        epsilon_correctness: ``eps_cor``.

    Returns:
        Secret key length in bits (>= 0).

    References:
        M. Tomamichel, C. C. W. Lim, N. Gisin, R. Renner, "Tight finite-key analysis for
        quantum cryptography", Nat. Commun. 3, 634 (2012), Eq. (2).
    """
    _check_counts(leak_ec_bits=leak_ec_bits)
    if not 0.0 <= qber_tolerance <= 0.5:
        raise ConfigError(f"qber_tolerance: must be in [0, 0.5]; got {qber_tolerance}")
    if not 0.0 < epsilon_correctness < 1.0:
        raise ConfigError(f"epsilon_correctness: must be in (0, 1); got {epsilon_correctness}")
    mu = finite_key_statistical_deviation(n_key_bits, n_sample_bits, epsilon_secrecy)
    if qber_tolerance + mu >= 0.5:
        return 0
    security_bits = math.log2(2.0 / (epsilon_secrecy**2 * epsilon_correctness))
    length = n_key_bits * (1.0 - binary_entropy(qber_tolerance + mu)) - leak_ec_bits - security_bits
    return max(0, math.floor(length))


def _check_counts(**counts: int) -> None:
    for name, value in counts.items():
        if value < 0:
            raise ConfigError(f"{name}: must be >= 0; got {value}")
