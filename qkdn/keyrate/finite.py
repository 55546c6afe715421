"""Finite-key secret key lengths: decoy-state BB84 (Lim et al. 2014) and qubit BB84 / BBM92 (Tomamichel et al. 2012).

One post-processing block of a prepare-and-measure link with a signal and two
decoy intensities ``mu1 > mu2 + mu3``, ``mu2 > mu3 >= 0`` (the last usually
near vacuum) gives :class:`~qkdn.keyrate.tallies.DecoyTallies`: sifted
detections and errors per intensity in the key basis (Z here) and the test
basis (X here). The paper extracts key from its X basis and tests in Z; only
the names swap.

The bounds, each holding except with a probability that is a fraction of
``eps_sec`` (Lim et al. 2014, Eqs. (1)-(5) and Appendix A):

* Hoeffding on the counts assigned to intensity ``k`` (``n_Z`` all key-basis
  detections, ``m_X`` all test-basis errors)::

      n^±_{Z,k} = e^k / p_k [n_{Z,k} ± sqrt(n_Z / 2 ln(21 / eps_sec))],
      m^±_{X,k} = e^k / p_k [m_{X,k} ± sqrt(m_X / 2 ln(21 / eps_sec))];

* vacuum and single-photon detections (key basis, and the same with
  test-basis counts), ``tau_n = sum_k p_k e^-k k^n / n!``::

      s_0 >= tau_0 (mu2 n^-_{mu3} - mu3 n^+_{mu2}) / (mu2 - mu3),
      s_1 >= tau_1 mu1 [n^-_{mu2} - n^+_{mu3} - (mu2^2 - mu3^2) / mu1^2 (n^+_{mu1} - s_0 / tau_0)]
             / [mu1 (mu2 - mu3) - mu2^2 + mu3^2];

* single-photon errors of the test basis::

      v_{X,1} <= tau_1 (m^+_{X,mu2} - m^-_{X,mu3}) / (mu2 - mu3);

* the phase error rate of the key basis' single-photon events, by random
  sampling without replacement::

      phi_Z <= v_{X,1} / s_{X,1} + gamma(eps_sec, v_{X,1} / s_{X,1}, s_{X,1}, s_{Z,1}),
      gamma(a, b, c, d) = sqrt((c + d)(1 - b) b / (c d ln 2) log2((c + d) / (c d (1 - b) b) 21^2 / a^2));

* the key length, ``eps_cor``-correct and ``eps_sec``-secret (composable)::

      l = floor(s_{Z,0} + s_{Z,1} [1 - h(phi_Z)] - lambda_EC - 6 log2(21 / eps_sec) - log2(2 / eps_cor)).

``lambda_EC`` is what error correction disclosed; the ``log2(2 / eps_cor)``
term already pays for the verification hash, so it is not part of
``lambda_EC``. Lower bounds below zero are replaced by zero, the Hoeffding
lower bounds ``n^-``, ``m^-`` as well as ``s_0`` and ``s_1`` (an expected count
is never negative, so each bound stays valid and only gets tighter; the paper
writes them without this); a phase error bound of 1/2 or more leaves the
single-photon events no key.

References:
    C. C. W. Lim, M. Curty, N. Walenta, F. Xu, H. Zbinden, "Concise security
    bounds for practical decoy-state quantum key distribution", Phys. Rev. A 89,
    022307 (2014), Eqs. (1)-(5).
"""

import math
from dataclasses import dataclass

from qkdn.keyrate.tallies import DecoyTallies
from qnetsim.core.errors import ConfigError

__all__ = [
    "DecoyFiniteKey",
    "decoy_bounds",
    "entanglement_finite_key_bound",
    "decoy_finite_key",
    "finite_key_length_decoy",
    "gamma_sampling",
    "security_cost_bits",
]

#: Number of error terms eps_sec is split into (Lim et al. 2014, Eq. (B4): eps_sec = 21 eps).
N_SECRECY_TERMS = 21


@dataclass(frozen=True)
class DecoyFiniteKey:
    """A block's finite-key length and the bounds it came from (counts, not bits of key).

    Attributes:
        length_bits: secret key length ``l`` (floor, >= 0).
        length_bound_bits: the right-hand side of Eq. (1) before the floor (negative
            where no key is possible; what an optimiser of the rate follows).
        key_bits: sifted key-basis bits of the block, ``n_Z``.
        vacuum_key_lower: ``s_{Z,0}``, lower bound on key-basis detections of empty pulses.
        single_photon_key_lower: ``s_{Z,1}``, lower bound on key-basis single-photon detections.
        single_photon_test_lower: ``s_{X,1}``, the same in the test basis.
        single_photon_test_errors_upper: ``v_{X,1}``, upper bound on the test basis'
            single-photon errors.
        phase_error_upper: ``phi_Z``, upper bound on the phase error rate of the key
            basis' single-photon events (capped at 1/2).
        leak_ec_bits: ``lambda_EC`` charged.
        security_bits: ``6 log2(21 / eps_sec) + log2(2 / eps_cor)`` charged.
        eps_sec: secrecy parameter.
        eps_cor: correctness parameter.
    """

    length_bits: int
    length_bound_bits: float
    key_bits: float
    vacuum_key_lower: float
    single_photon_key_lower: float
    single_photon_test_lower: float
    single_photon_test_errors_upper: float
    phase_error_upper: float
    leak_ec_bits: float
    security_bits: float
    eps_sec: float
    eps_cor: float


def finite_key_length_decoy(
    tallies: DecoyTallies, *, eps_sec: float, eps_cor: float, leak_ec_bits: float
) -> DecoyFiniteKey:
    """Finite-key secret key length of one decoy-BB84 block (Lim et al. 2014, module docstring).

    Args:
        tallies: the block's sifted detections and errors per intensity and basis;
            exactly three intensities, signal first: ``mu1 > mu2 + mu3``, ``mu2 > mu3 >= 0``.
        eps_sec: secrecy parameter in (0, 1).
        eps_cor: correctness parameter in (0, 1) (the verification hash's collision bound).
        leak_ec_bits: bits disclosed by error correction, >= 0.

    Returns:
        The length and the bounds it used.

    Raises:
        ConfigError: intensities not of the form above, a probability of 0 for one of
            them, an epsilon outside (0, 1) or a negative leak; the message names the field.

    Example:
        Expected counts of 10^9 pulses over a 50 km link (transmittance 1%):

        >>> tallies = DecoyTallies((0.5, 0.1, 0.0002), (0.7, 0.2, 0.1), (1_711_129, 98_068, 157),
        ...                        (8_758, 548, 30), (314_289, 18_013, 29), (1_609, 101, 5), 10**9)
        >>> key = finite_key_length_decoy(tallies, eps_sec=1e-9, eps_cor=1e-15, leak_ec_bits=97_880)
        >>> key.length_bits, round(key.phase_error_upper, 4)
        (603537, 0.0327)
    """
    return decoy_finite_key(
        tallies.intensities,
        tallies.intensity_probabilities,
        tuple(float(n) for n in tallies.key_detections),
        tuple(float(n) for n in tallies.test_detections),
        tuple(float(m) for m in tallies.test_errors),
        eps_sec=eps_sec,
        eps_cor=eps_cor,
        leak_ec_bits=leak_ec_bits,
    )


def decoy_finite_key(
    intensities: tuple[float, ...],
    probabilities: tuple[float, ...],
    key_detections: tuple[float, ...],
    test_detections: tuple[float, ...],
    test_errors: tuple[float, ...],
    *,
    eps_sec: float,
    eps_cor: float,
    leak_ec_bits: float,
) -> DecoyFiniteKey:
    """:func:`finite_key_length_decoy` on counts that may be expected (non-integer) values.

    The finite-key rate models (:mod:`qkdn.keyrate.finite_models`) feed it the
    expected tallies of a channel model; the counts of a simulated block go
    through :func:`finite_key_length_decoy`.
    """
    mu = _check_intensities(intensities, probabilities)
    _check_epsilon("eps_sec", eps_sec)
    _check_epsilon("eps_cor", eps_cor)
    if not (math.isfinite(leak_ec_bits) and leak_ec_bits >= 0):
        raise ConfigError(f"leak_ec_bits: must be a finite number >= 0; got {leak_ec_bits!r}")
    s_key_0, s_key_1, s_test_1, errors_upper = decoy_bounds(
        mu, probabilities, key_detections, test_detections, test_errors, math.log(N_SECRECY_TERMS / eps_sec)
    )
    phase = _phase_error(errors_upper, s_test_1, s_key_1, eps_sec)
    security = security_cost_bits(eps_sec, eps_cor)
    length = s_key_0 + s_key_1 * privacy_fraction_scalar(phase) - leak_ec_bits - security
    return DecoyFiniteKey(
        length_bits=max(0, math.floor(length)),
        length_bound_bits=length,
        key_bits=float(sum(key_detections)),
        vacuum_key_lower=s_key_0,
        single_photon_key_lower=s_key_1,
        single_photon_test_lower=s_test_1,
        single_photon_test_errors_upper=errors_upper,
        phase_error_upper=phase,
        leak_ec_bits=float(leak_ec_bits),
        security_bits=security,
        eps_sec=eps_sec,
        eps_cor=eps_cor,
    )


def decoy_bounds(
    intensities: tuple[float, ...],
    probabilities: tuple[float, ...],
    key_detections: tuple[float, ...],
    test_detections: tuple[float, ...],
    test_errors: tuple[float, ...],
    log_term: float,
) -> tuple[float, float, float, float]:
    """``(s_{Z,0}, s_{Z,1}, s_{X,1}, v_{X,1})`` of Eqs. (2)-(4) with Hoeffding term ``ln(21 / eps_sec)``.

    ``log_term = 0`` drops the statistical deviations: the bounds of the same three
    intensities with exact expectations (the asymptotic limit of Lim et al. 2014, Fig. 1's
    dashed curve).
    """
    mu = _check_intensities(intensities, probabilities)
    key_lower = _vacuum_and_single_photon(mu, probabilities, key_detections, log_term)
    test_lower = _vacuum_and_single_photon(mu, probabilities, test_detections, log_term)
    errors_upper = _single_photon_errors(mu, probabilities, test_errors, log_term)
    return float(key_lower[0]), float(key_lower[1]), float(test_lower[1]), float(errors_upper)


def entanglement_finite_key_bound(
    n_key_bits: float,
    n_test_bits: float,
    qber_tolerance: float,
    *,
    eps_sec: float,
    eps_cor: float,
    leak_ec_bits: float,
) -> float:
    """Finite-key length of BB84 with qubits or BBM92 (Tomamichel, Lim, Gisin, Renner 2012, Eq. (2)).

    ``l <= n [1 - h(Q_tol + mu)] - leak_EC - log2(2 / (eps_sec^2 eps_cor))`` with
    ``mu = sqrt((n + k) / (n k) (k + 1) / k ln(4 / eps_sec))``, for ``n`` key bits and
    ``k`` test bits of a protocol that aborts when the test error rate exceeds
    ``Q_tol``; preparation quality q = 1 (a qubit source, or an entangled pair
    measured in two mutually unbiased bases, which is BBM92). Returned before the
    floor, so negative where no key is possible.

    References:
        M. Tomamichel, C. C. W. Lim, N. Gisin, R. Renner, "Tight finite-key analysis
        for quantum cryptography", Nat. Commun. 3, 634 (2012), Eq. (2).
    """
    _check_epsilon("eps_sec", eps_sec)
    _check_epsilon("eps_cor", eps_cor)
    if not 0.0 <= qber_tolerance <= 0.5:
        raise ConfigError(f"qber_tolerance: must be in [0, 0.5]; got {qber_tolerance!r}")
    if not (n_key_bits > 0 and n_test_bits > 0):
        raise ConfigError(f"n_key_bits, n_test_bits: must be > 0; got {n_key_bits!r}, {n_test_bits!r}")
    n, k = float(n_key_bits), float(n_test_bits)
    mu = math.sqrt((n + k) / (n * k) * (k + 1.0) / k * math.log(4.0 / eps_sec))
    fraction = privacy_fraction_scalar(qber_tolerance + mu)
    return n * fraction - leak_ec_bits - math.log2(2.0 / (eps_sec**2 * eps_cor))


def security_cost_bits(eps_sec: float, eps_cor: float) -> float:
    """``6 log2(21 / eps_sec) + log2(2 / eps_cor)``: the bits the finite-key length gives up for security."""
    return 6.0 * math.log2(N_SECRECY_TERMS / eps_sec) + math.log2(2.0 / eps_cor)


def gamma_sampling(a: float, b: float, c: float, d: float) -> float:
    """Deviation of a sampled error rate, gamma(a, b, c, d) of Lim et al. 2014, Eq. (5).

    ``sqrt((c + d)(1 - b) b / (c d ln 2) log2((c + d) / (c d (1 - b) b) 21^2 / a^2))``:
    with probability at least ``1 - a``, the error rate of ``d`` events differs from
    the rate ``b`` observed on ``c`` other events of the same population by at most
    this. Zero at ``b = 0`` or ``1`` (its limit).
    """
    variance = (1.0 - b) * b
    if variance <= 0.0:
        return 0.0
    argument = (c + d) / (c * d * variance) * N_SECRECY_TERMS**2 / a**2
    return math.sqrt(max(0.0, (c + d) * variance / (c * d * math.log(2.0)) * math.log2(argument)))


def binary_entropy_scalar(p: float) -> float:
    """h(p) in bits for one number (the array version, :func:`qkdn.keyrate.entropy.binary_entropy`,
    costs more than the whole bound when an optimiser calls it thousands of times)."""
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return -p * math.log2(p) - (1.0 - p) * math.log2(1.0 - p)


def privacy_fraction_scalar(phase_error_rate: float) -> float:
    """1 - h(min(e, 1/2)) for one number (:func:`qkdn.keyrate.entropy.privacy_fraction`)."""
    return 1.0 - binary_entropy_scalar(min(phase_error_rate, 0.5))


def _hoeffding(counts: tuple[float, ...], probabilities: tuple[float, ...], mu: tuple[float, ...], log_term: float):
    """``(n^-_k, n^+_k)`` per intensity: ``e^k / p_k [n_k -/+ sqrt(n / 2 ln(21 / eps_sec))]``."""
    delta = math.sqrt(sum(counts) / 2.0 * log_term)
    lower = tuple(math.exp(k) / p * max(0.0, n - delta) for k, p, n in zip(mu, probabilities, counts, strict=True))
    upper = tuple(math.exp(k) / p * (n + delta) for k, p, n in zip(mu, probabilities, counts, strict=True))
    return lower, upper


def _tau(n: int, mu: tuple[float, ...], probabilities: tuple[float, ...]) -> float:
    """Probability that a pulse holds ``n`` photons, sum_k p_k e^-k k^n / n!."""
    return sum(p * math.exp(-k) * k**n / math.factorial(n) for k, p in zip(mu, probabilities, strict=True))


def _vacuum_and_single_photon(
    mu: tuple[float, ...], probabilities: tuple[float, ...], counts: tuple[float, ...], log_term: float
) -> tuple[float, float]:
    """Lower bounds ``(s_0, s_1)`` on the vacuum and single-photon detections of one basis (Eqs. (2), (3))."""
    mu1, mu2, mu3 = mu
    lower, upper = _hoeffding(counts, probabilities, mu, log_term)
    tau0, tau1 = _tau(0, mu, probabilities), _tau(1, mu, probabilities)
    s0 = max(0.0, tau0 * (mu2 * lower[2] - mu3 * upper[1]) / (mu2 - mu3))
    bracket = lower[1] - upper[2] - (mu2**2 - mu3**2) / mu1**2 * (upper[0] - s0 / tau0)
    s1 = tau1 * mu1 * bracket / (mu1 * (mu2 - mu3) - mu2**2 + mu3**2)
    return s0, max(0.0, s1)


def _single_photon_errors(
    mu: tuple[float, ...], probabilities: tuple[float, ...], errors: tuple[float, ...], log_term: float
) -> float:
    """Upper bound ``v_1`` on the single-photon errors of the test basis (Eq. (4))."""
    _, mu2, mu3 = mu
    lower, upper = _hoeffding(errors, probabilities, mu, log_term)
    return max(0.0, _tau(1, mu, probabilities) * (upper[1] - lower[2]) / (mu2 - mu3))


def _phase_error(errors_upper: float, s_test_1: float, s_key_1: float, eps_sec: float) -> float:
    """Upper bound on the key basis' single-photon phase error rate (Eq. (5)), capped at 1/2."""
    if s_test_1 <= 0.0 or s_key_1 <= 0.0:
        return 0.5
    observed = errors_upper / s_test_1
    if observed >= 0.5:
        return 0.5
    return min(0.5, observed + gamma_sampling(eps_sec, observed, s_test_1, s_key_1))


def _check_intensities(intensities: tuple[float, ...], probabilities: tuple[float, ...]) -> tuple[float, float, float]:
    if len(intensities) != 3:
        raise ConfigError(
            f"intensities: the two-decoy bounds need exactly three (signal, decoy, weak decoy or vacuum);"
            f" got {tuple(intensities)}"
        )
    mu1, mu2, mu3 = (float(k) for k in intensities)
    if not (mu2 > mu3 >= 0.0 and mu1 > mu2 + mu3):
        raise ConfigError(
            f"intensities: need mu1 > mu2 + mu3 and mu2 > mu3 >= 0 (Lim et al. 2014); got {tuple(intensities)}"
        )
    if len(probabilities) != 3 or any(not p > 0.0 for p in probabilities):
        raise ConfigError(f"intensity_probabilities: each of the three must be > 0; got {tuple(probabilities)}")
    return mu1, mu2, mu3


def _check_epsilon(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and 0.0 < value < 1.0):
        raise ConfigError(f"{name}: must be in (0, 1); got {value!r}")
