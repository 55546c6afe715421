"""Fast QKD link models against published curves and textbook formulas.

Sources (formulas are repeated in each test's docstring):
  [LMC05] H.-K. Lo, X. Ma, K. Chen, "Decoy state quantum key distribution",
          Phys. Rev. Lett. 94, 230504 (2005): GYS parameters alpha = 0.21 dB/km,
          eta_Bob = 4.5%, Y0 = 1.7e-6, e_det = 3.3%, f = 1.22; decoy-state BB84 with
          an optimal mean photon number near 0.48 and a maximal distance near 142 km.
  [MQZL05] X. Ma, B. Qi, Y. Zhao, H.-K. Lo, "Practical decoy state for quantum key
          distribution", Phys. Rev. A 72, 012326 (2005): vacuum + weak decoy nearly
          reaches the infinite-decoy rate.
  [SP00]  P. W. Shor, J. Preskill, Phys. Rev. Lett. 85, 441 (2000): r = 1 - 2 h(Q).
  [GLLP04] D. Gottesman, H.-K. Lo, N. Lutkenhaus, J. Preskill, Quantum Inf. Comput.
          4, 325 (2004).
  [PLOB17] S. Pirandola, R. Laurenza, C. Ottaviani, L. Banchi, Nat. Commun. 8, 15043
          (2017): repeaterless bound -log2(1 - eta).
  [L07]   J. Lodewyck et al., Phys. Rev. A 76, 042305 (2007); [F09] S. Fossier et al.,
          J. Phys. B 42, 114014 (2009): GG02 with reverse reconciliation and a trusted
          detector; [W12] C. Weedbrook et al., Rev. Mod. Phys. 84, 621 (2012).
"""

import math

import numpy as np
import pytest
from scipy.optimize import bisect

from qkdn.keyrate.bb84 import decoy_infinite_rate
from qkdn.keyrate.bbm92 import BBM92Model
from qkdn.keyrate.cvqkd import GG02Model, gg02_key_rate
from qkdn.keyrate.entropy import binary_entropy, thermal_entropy
from qkdn.keyrate.hardware import GYS, IDEAL, hardware_preset
from qkdn.keyrate.registry import KEY_RATE_MODELS, get_model
from qnetsim.core.units import fibre_transmittance


def cutoff_km(name: str, hardware, lower_km: float, upper_km: float) -> float:
    """Largest distance with a positive key rate, by bisection on the sign of the rate (to 1e-6 km)."""
    model = get_model(name)
    assert model.evaluate(lower_km, hardware).key_rate_per_pulse > 0.0
    assert model.evaluate(upper_km, hardware).key_rate_per_pulse == 0.0
    while upper_km - lower_km > 1e-6:
        middle = (lower_km + upper_km) / 2
        if model.evaluate(middle, hardware).key_rate_per_pulse > 0.0:
            lower_km = middle
        else:
            upper_km = middle
    return lower_km


# --- decoy-state BB84 with the GYS parameters [LMC05] ---------------------------------


@pytest.mark.parametrize("distance_km", [0.0, 10.0, 20.0, 30.0, 40.0, 50.0])
def test_gys_decoy_optimal_mean_photon_number_is_near_0_48(distance_km):
    """[LMC05]: with the GYS parameters and infinitely many decoys, the rate

        R = 1/2 { mu e^-mu Y1 [1 - h(e1)] - f Q_mu h(E_mu) },
        Y1 = eta + Y0 (1 - eta), e1 Y1 = e_det eta + Y0 (1 - eta) / 2, eta = eta_Bob 10^(-alpha L/10),

    is maximal near mu = 0.48 at short and moderate distances. Tolerance: mu_opt in
    [0.45, 0.52] from 0 to 50 km (it drifts slowly down with distance)."""
    point = get_model("decoy-bb84").evaluate(distance_km, GYS)
    assert 0.45 <= point.optimal_mean_photon_number <= 0.52
    # an independent check that it is a maximum of the formula, not a search artefact
    eta = fibre_transmittance(distance_km, 0.21) * 0.045
    mu = point.optimal_mean_photon_number
    best = float(decoy_infinite_rate(mu, eta, 1.7e-6, 0.033, 1.22))
    assert best == pytest.approx(point.key_rate_per_pulse, rel=1e-12)
    for nearby in (0.95 * mu, 1.05 * mu):
        assert float(decoy_infinite_rate(nearby, eta, 1.7e-6, 0.033, 1.22)) < best


def test_gys_decoy_maximal_distance_is_near_142_km():
    """[LMC05]: the GYS decoy-state key rate (formula above, mu optimised at each
    distance) vanishes near 142 km. Tolerance: 138 to 146 km (this model: 142.2 km)."""
    assert 138.0 <= cutoff_km("decoy-bb84", GYS, 100.0, 200.0) <= 146.0


def test_shor_preskill_threshold_is_11_percent():
    """[SP00]: the BB84 single-photon rate 1 - 2 h(Q) vanishes at Q = 11.0%
    (11.00%, more precisely 0.110028). Bisection on [1%, 40%]; tolerance 0.1 percentage point."""
    threshold = bisect(lambda q: 1.0 - 2.0 * binary_entropy(q), 0.01, 0.4, xtol=1e-12)
    assert abs(threshold - 0.110) < 0.001
    assert 1.0 - 2.0 * binary_entropy(threshold - 1e-4) > 0.0 > 1.0 - 2.0 * binary_entropy(threshold + 1e-4)


def test_gllp_without_decoys_reaches_far_less_than_decoys():
    """[GLLP04] without decoys, as compared in [LMC05]: with Delta = P_multi / Q_mu,
    P_multi = 1 - (1 + mu) e^-mu (every multi-photon pulse assumed detected and
    tagged), R = 1/2 Q_mu { (1 - Delta) [1 - h(E_mu / (1 - Delta))] - f h(E_mu) }.
    The optimum mu is about eta (tiny), so the rate falls like eta^2 and is killed
    by the dark counts early. Derivation with the GYS parameters (mu optimised):
    the cut-off is 40.2 km; asserted: between 30 and 50 km and under a third of the
    decoy-state distance."""
    gllp = cutoff_km("bb84-gllp", GYS, 10.0, 100.0)
    decoy = cutoff_km("decoy-bb84", GYS, 100.0, 200.0)
    assert 30.0 <= gllp <= 50.0
    assert gllp < decoy / 3
    assert get_model("bb84-gllp").evaluate(20.0, GYS).optimal_mean_photon_number < 0.05


def test_vacuum_weak_decoy_nearly_reaches_infinite_decoys():
    """[MQZL05]: with a vacuum and one weak decoy nu, Y1 >= Y1^L =
    mu / (mu nu - nu^2) [Q_nu e^nu - Q_mu e^mu nu^2/mu^2 - (mu^2 - nu^2)/mu^2 Y0] and
    e1 <= (E_nu Q_nu e^nu - Y0/2) / (Y1^L nu); the rate with these bounds is below the
    infinite-decoy rate and close to it. GYS with nu = 0.05: at least 85% of it up
    to 100 km and a maximal distance within 3 km; with nu = 0.001, within 1%."""
    infinite, vacuum_weak = get_model("decoy-bb84"), get_model("decoy-bb84-vacuum-weak")
    small_nu = hardware_preset("gys", weak_decoy_mean_photon_number=0.001)
    for distance_km in np.arange(0.0, 141.0, 10.0):
        best = infinite.evaluate(distance_km, GYS).key_rate_per_pulse
        practical = vacuum_weak.evaluate(distance_km, GYS).key_rate_per_pulse
        assert practical < best
        if distance_km <= 100.0:
            assert practical >= 0.85 * best
            assert vacuum_weak.evaluate(distance_km, small_nu).key_rate_per_pulse >= 0.99 * best
    gap_km = cutoff_km("decoy-bb84", GYS, 100.0, 200.0) - cutoff_km("decoy-bb84-vacuum-weak", GYS, 100.0, 200.0)
    assert 0.0 < gap_km < 3.0


# --- the repeaterless bound [PLOB17] --------------------------------------------------


def test_plob_value_by_hand():
    """[PLOB17]: K <= -log2(1 - eta). At 100 km of 0.2 dB/km fibre eta = 10^-2, so
    K <= -log2(0.99) = 0.0100503359 / 0.6931471806 = 0.0144995697 bits per channel use;
    at 50 km eta = 0.1 and K <= -log2(0.9) = 0.1520030934."""
    plob = get_model("plob")
    assert plob.evaluate(100.0, IDEAL).key_rate_per_pulse == pytest.approx(0.0144995697, rel=1e-9)
    assert plob.evaluate(50.0, IDEAL).key_rate_per_pulse == pytest.approx(0.1520030934, rel=1e-9)


REPEATERLESS = [name for name, model in KEY_RATE_MODELS.items() if model.is_repeaterless and not model.is_bound]


@pytest.mark.parametrize("hardware_name", ["gys", "ideal"])
@pytest.mark.parametrize("name", REPEATERLESS)
def test_repeaterless_protocols_never_exceed_plob(name, hardware_name):
    """[PLOB17]: no protocol without repeaters beats -log2(1 - eta) per channel use,
    eta the transmittance of the whole link's fibre (0..300 km, every 5 km). This
    covers decoy BB84, GLLP, BBM92 (source in the middle; also point-to-point),
    MDI-QKD (untrusted relay, no memories: the whole distance counts) and GG02."""
    hardware = {"gys": GYS, "ideal": IDEAL}[hardware_name]
    plob = get_model("plob")
    for distance_km in np.arange(5.0, 301.0, 5.0):
        rate = get_model(name).evaluate(distance_km, hardware).key_rate_per_pulse
        assert rate <= plob.evaluate(distance_km, hardware).key_rate_per_pulse, distance_km


def test_point_to_point_bbm92_never_exceeds_plob():
    """As above for BBM92 with the source at Alice."""
    for distance_km in np.arange(5.0, 301.0, 5.0):
        for hardware in (GYS, IDEAL):
            rate = BBM92Model(alice_arm_fraction=0.0).evaluate(distance_km, hardware).key_rate_per_pulse
            assert rate <= get_model("plob").evaluate(distance_km, hardware).key_rate_per_pulse


def test_plob_comparison_is_not_vacuous():
    """With perfect devices GG02 comes within a factor of about 2 of the bound at high
    loss (its rate tends to eta/(2 ln 2) against eta/ln 2), so the check above would
    catch a model that is too optimistic by more than that factor."""
    for detection in ("homodyne", "heterodyne"):
        rate = GG02Model(detection=detection).evaluate(300.0, IDEAL).key_rate_per_pulse
        bound = get_model("plob").evaluate(300.0, IDEAL).key_rate_per_pulse
        assert 0.45 < rate / bound < 1.0


# --- GG02 CV-QKD [L07, F09] -------------------------------------------------------------


def test_cvqkd_positive_at_zero_and_zero_far_away_with_realistic_noise():
    """GG02, reverse reconciliation, excess noise 0.05 SNU, beta = 0.95, homodyne
    efficiency 0.6, electronic noise 0.01 SNU, 0.21 dB/km: a key at 0 km, none at 200 km."""
    hardware = hardware_preset("gys", excess_noise_snu=0.05)
    for name in ("cv-qkd-gg02", "cv-qkd-gg02-heterodyne"):
        assert get_model(name).evaluate(0.0, hardware).key_rate_per_pulse > 0.1
        assert get_model(name).evaluate(200.0, hardware).key_rate_per_pulse == 0.0


def _symplectic_form(n_modes: int) -> np.ndarray:
    return np.kron(np.eye(n_modes), np.array([[0.0, 1.0], [-1.0, 0.0]]))


def _entropy(covariance: np.ndarray) -> float:
    """Von Neumann entropy in bits: sum of g((nu_k - 1)/2) over the symplectic eigenvalues
    nu_k = |eigenvalues of i Omega gamma| (each appears twice) [W12]."""
    n_modes = covariance.shape[0] // 2
    moduli = np.sort(np.abs(np.linalg.eigvals(1j * _symplectic_form(n_modes) @ covariance)))[::2]
    return float(sum(thermal_entropy(max(nu, 1.0)) for nu in moduli))


def _two_mode_squeezed(variance: float) -> np.ndarray:
    identity, z = np.eye(2), np.diag([1.0, -1.0])
    correlation = math.sqrt(variance**2 - 1.0)
    return np.block([[variance * identity, correlation * z], [correlation * z, variance * identity]])


def covariance_matrix_key_rate(
    modulation_variance, transmittance, excess_noise, efficiency, electronic, beta, detection
):
    """GG02 reverse-reconciliation rate computed from covariance matrices, independently
    of the closed form. Entanglement-based picture [L07, F09, W12]: Alice's mode A and
    the sent mode B0 form an EPR state of variance V = V_A + 1; the channel gives
    gamma_AB0 = [[V I, sqrt(T (V^2 - 1)) Z], [sqrt(T (V^2 - 1)) Z, T (V + chi_line) I]].
    The trusted detector is a beam splitter of transmittance eta mixing B0 with one half
    F0 of an EPR pair (F0, G) of variance v = 1 + v_el/(1 - eta) (homodyne) or
    1 + 2 v_el/(1 - eta) (heterodyne). Eve holds a purification, so
    chi_BE = S(A B0) - S(A F G | B), with homodyne conditioning
    gamma - sigma diag(1/gamma_B,xx, 0) sigma^T and heterodyne conditioning
    gamma - sigma (gamma_B + I)^-1 sigma^T. I_AB: Bob's quadrature variance against its
    variance conditioned on Alice's heterodyne of A (the Gaussian modulation)."""
    v = modulation_variance + 1.0
    chi_line = 1.0 / transmittance - 1.0 + excess_noise
    identity, z = np.eye(2), np.diag([1.0, -1.0])
    correlation = math.sqrt(transmittance * (v**2 - 1.0))
    gamma_ab0 = np.block(
        [[v * identity, correlation * z], [correlation * z, transmittance * (v + chi_line) * identity]]
    )
    noise_variance = 1.0 + (1.0 if detection == "homodyne" else 2.0) * electronic / (1.0 - efficiency)
    gamma = np.zeros((8, 8))
    gamma[:4, :4] = gamma_ab0
    gamma[4:, 4:] = _two_mode_squeezed(noise_variance)  # modes A, B0, F0, G
    split = np.eye(8)
    t, r = math.sqrt(efficiency), math.sqrt(1.0 - efficiency)
    split[2:6, 2:6] = np.block([[t * identity, r * identity], [-r * identity, t * identity]])
    gamma = split @ gamma @ split.T  # modes A, B, F, G
    rest, bob = [0, 1, 4, 5, 6, 7], [2, 3]
    gamma_rest, gamma_bob = gamma[np.ix_(rest, rest)], gamma[np.ix_(bob, bob)]
    sigma = gamma[np.ix_(rest, bob)]
    if detection == "homodyne":
        conditional = gamma_rest - sigma @ np.diag([1.0 / gamma_bob[0, 0], 0.0]) @ sigma.T
    else:
        conditional = gamma_rest - sigma @ np.linalg.inv(gamma_bob + identity) @ sigma.T
    holevo = _entropy(gamma_ab0) - _entropy(conditional)
    sigma_ab = gamma[0:2, 2:4]
    bob_given_alice = gamma_bob - sigma_ab.T @ np.linalg.inv(gamma[0:2, 0:2] + identity) @ sigma_ab
    if detection == "homodyne":
        mutual_information = 0.5 * math.log2(gamma_bob[0, 0] / bob_given_alice[0, 0])
    else:
        mutual_information = math.log2((gamma_bob[0, 0] + 1.0) / (bob_given_alice[0, 0] + 1.0))
    return beta * mutual_information - holevo


@pytest.mark.parametrize("detection", ["homodyne", "heterodyne"])
@pytest.mark.parametrize(
    ("modulation_variance", "transmittance", "excess_noise", "efficiency", "electronic", "beta"),
    [(5.0, 0.3, 0.01, 0.6, 0.01, 0.95), (20.0, 0.1, 0.05, 0.7, 0.05, 0.9), (10.0, 0.9, 0.0, 0.5, 0.0, 1.0)],
)
def test_cvqkd_closed_form_matches_covariance_matrices(
    detection, modulation_variance, transmittance, excess_noise, efficiency, electronic, beta
):
    """K = beta I_AB - chi_BE from the closed form of [L07] (homodyne) and [F09]
    (heterodyne) against the covariance-matrix computation above; tolerance 1e-9
    relative (both are exact; the difference is rounding)."""
    args = (modulation_variance, transmittance, excess_noise, efficiency, electronic, beta)
    closed_form = float(gg02_key_rate(*args, detection))
    independent = covariance_matrix_key_rate(*args, detection)
    assert closed_form == pytest.approx(independent, rel=1e-9)


def test_cvqkd_model_point_matches_covariance_matrices():
    """The registry model at 25 km on GYS fibre (T = 10^-0.525) with its own optimal V_A
    equals the covariance-matrix rate at that V_A."""
    point = get_model("cv-qkd-gg02").evaluate(25.0, GYS)
    variance = point.parameters["modulation_variance_snu"]
    independent = covariance_matrix_key_rate(variance, 10 ** (-0.525), 0.01, 0.6, 0.01, 0.95, "homodyne")
    assert point.key_rate_per_pulse == pytest.approx(independent, rel=1e-9)
