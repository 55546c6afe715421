"""Estimation, verification and key-length functions against their published formulas."""

import math

import numpy as np
import pytest
from scipy.stats import binom

from qkdn.photon import postprocessing as pp
from qnetsim.core.errors import ConfigError


def test_binary_entropy_known_values():
    """h(p) = -p log2 p - (1-p) log2(1-p) (Shannon 1948): h(1/2) = 1, h(0) = 0, h(0.11) ~ 0.4999."""
    assert pp.binary_entropy(0.5) == pytest.approx(1.0)
    assert pp.binary_entropy(0.0) == 0.0 and pp.binary_entropy(1.0) == 0.0
    assert pp.binary_entropy(0.11) == pytest.approx(0.49992, abs=1e-5)
    assert pp.binary_entropy(0.3) == pytest.approx(pp.binary_entropy(0.7))


@pytest.mark.parametrize(("n_errors", "n_samples", "alpha"), [(0, 100, 1e-3), (5, 400, 1e-9), (40, 200, 0.05)])
def test_clopper_pearson_bound_is_the_binomial_tail_inversion(n_errors, n_samples, alpha):
    """Clopper & Pearson (1934): the upper limit Q_U solves P[Binomial(k, Q_U) <= e] = alpha."""
    upper = pp.clopper_pearson_upper_bound(n_errors, n_samples, alpha)
    assert binom.cdf(n_errors, n_samples, upper) == pytest.approx(alpha, rel=1e-6)
    assert upper > n_errors / n_samples


def test_clopper_pearson_with_no_errors_has_a_closed_form():
    """With e = 0 the limit is 1 - alpha^(1/k) (Clopper & Pearson 1934)."""
    assert pp.clopper_pearson_upper_bound(0, 500, 1e-6) == pytest.approx(1 - 1e-6 ** (1 / 500), rel=1e-9)


def test_clopper_pearson_covers_the_true_rate_at_the_stated_confidence():
    """Over 4,000 samples of k = 200 at Q = 0.03 the 95 % bound may fail in at most ~5 % of cases.

    Failures are binomial with p <= 0.05 (CP is conservative): at most 200 + 4 sd (55) = 255.
    """
    rng = np.random.default_rng(3)
    errors = rng.binomial(200, 0.03, size=4000)
    failures = sum(pp.clopper_pearson_upper_bound(int(e), 200, 0.05) < 0.03 for e in errors)
    assert failures <= 200 + 4 * math.sqrt(4000 * 0.05 * 0.95)


def test_sample_positions_are_distinct_sorted_and_seeded():
    positions = pp.choose_sample_positions(1000, 100, np.random.default_rng(5))
    assert positions.size == 100 and np.all(np.diff(positions) > 0)
    np.testing.assert_array_equal(positions, pp.choose_sample_positions(1000, 100, np.random.default_rng(5)))
    assert pp.n_sample_bits(1000, 0.1) == 100 and pp.n_sample_bits(10, 0.01) == 1


def test_verification_tag_length_is_ceil_log2_of_inverse_epsilon():
    """t = ceil(log2(1/eps_cor)) (Tomamichel et al. 2012, Table I): 1e-12 -> 40 bits."""
    assert pp.verification_tag_bits(1e-12) == 40
    assert pp.verification_tag_bits(0.25) == 2


def test_asymptotic_length_is_shor_preskill_with_actual_leak():
    """l = floor(n[1 - h(Q)] - leak_EC - t) (Shor & Preskill 2000, with the disclosed leak)."""
    n, qber, leak, tag = 10_000, 0.03, 2_300, 40
    expected = math.floor(n * (1 - pp.binary_entropy(qber)) - leak - tag)
    assert pp.asymptotic_secret_length(n, qber, leak, tag) == expected == 5_716


def test_asymptotic_length_with_gllp_single_photon_fraction():
    """GLLP (2004): l = floor(n A [1 - h(Q/A)] - leak - t), A = 1 - P_multi/P_detect."""
    mu, detection = 0.1, 0.0276
    multi = 1 - math.exp(-mu) * (1 + mu)
    fraction = pp.single_photon_fraction(mu, detection)
    assert fraction == pytest.approx(1 - multi / detection)
    n, qber, leak, tag = 10_000, 0.02, 1_700, 40
    expected = math.floor(n * fraction * (1 - pp.binary_entropy(qber / fraction)) - leak - tag)
    assert pp.asymptotic_secret_length(n, qber, leak, tag, fraction) == expected
    assert expected < pp.asymptotic_secret_length(n, qber, leak, tag)


def test_asymptotic_length_is_zero_when_nothing_is_left():
    assert pp.asymptotic_secret_length(1000, 0.2, 300, 0) == 0  # 1000 (1 - h(0.2)) = 278 < 300
    assert pp.asymptotic_secret_length(1000, 0.5, 0, 0) == 0
    assert pp.asymptotic_secret_length(1000, 0.01, 990, 40) == 0


def test_finite_key_length_follows_tomamichel_equation_2():
    """Tomamichel, Lim, Gisin, Renner, Nat. Commun. 3, 634 (2012), Eq. (2):
    l = floor(n(1 - h(Q_tol + mu)) - leak_EC - log2(2 / (eps_sec^2 eps_cor))),
    mu = sqrt((n+k)/(nk) (k+1)/k ln(4/eps_sec)).
    """
    n, k, q_tol, leak, eps_sec, eps_cor = 100_000, 20_000, 0.025, 17_000, 1e-10, 1e-12
    mu = math.sqrt((n + k) / (n * k) * (k + 1) / k * math.log(4 / eps_sec))
    assert pp.finite_key_statistical_deviation(n, k, eps_sec) == pytest.approx(mu)
    expected = math.floor(n * (1 - pp.binary_entropy(q_tol + mu)) - leak - math.log2(2 / (eps_sec**2 * eps_cor)))
    assert pp.finite_key_secret_length(n, k, q_tol, leak, eps_sec, eps_cor) == expected
    # The finite-key length approaches the asymptotic one from below as n and k grow.
    asymptotic = n * (1 - pp.binary_entropy(q_tol)) - leak
    assert 0 < expected < asymptotic


def test_privacy_amplification_is_a_toeplitz_compression():
    rng = np.random.default_rng(8)
    key = rng.integers(0, 2, 500, dtype=np.uint8)
    seed = rng.integers(0, 2, pp.amplification_seed_bits(500, 120), dtype=np.uint8)
    secret = pp.privacy_amplification(key, seed, 120)
    assert secret.size == 120 and secret.dtype == np.uint8
    assert pp.amplification_seed_bits(500, 120) == 619


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: pp.binary_entropy(1.5), "probability: must be in"),
        (lambda: pp.clopper_pearson_upper_bound(5, 3, 0.1), "n_errors: must be in"),
        (lambda: pp.asymptotic_secret_length(-1, 0.1, 0, 0), "n_key_bits: must be >= 0; got -1"),
        (lambda: pp.finite_key_secret_length(100, 10, 0.6, 0, 1e-9, 1e-9), "qber_tolerance"),
        (lambda: pp.single_photon_fraction(0.1, 0.0), "detection_probability"),
    ],
)
def test_bad_arguments_raise_config_errors_naming_the_field(call, match):
    with pytest.raises(ConfigError, match=match):
        call()
