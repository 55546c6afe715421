"""Single-heralded entanglement generation on one link, as SeQUeNCe 1.3.1 times and scores it.

Model (``components/bsm.py``: ``SingleHeraldedBSM``; ``entanglement_management/
generation/single_heralded.py`` and ``generation_base.py``;
``resource_management/action_condition_set.py``): both memories of a link emit
one photon each towards the BSM station at the midpoint. An attempt succeeds when
the station's linear-optics BSM succeeds (``success_rate``), both photons
survive memory emission (``efficiency``) and their half of the fibre, and both
detectors click:

    p = q_BSM * (eta_mem * 10^(-alpha L / 20))^2 * eta_det^2.

Dark counts are ignored: a false herald needs a click inside the detector's
resolution window (about dark_count_rate_hz * time_resolution, 1e-9 for
10 Hz and 100 ps) on a detector the photons missed. Detector dead time is
ignored too (it only matters for attempts closer than 1/count_rate).

Timing of one attempt (tau_c: classical delay between the two routers; tau_q,
tau_m: quantum and classical delay between a router and the midpoint, L/(2v)).
The node nearer the reservation's initiator (the "requester") creates its
protocol and sends a resource-manager REQUEST; the other (the "responder")
answers and starts. The protocol's "primary" is the node whose name is larger
as a string; it sends NEGOTIATE; the other answers with the emission time,
``max(now, next_excite_time) + tau_c``, rounded up to the quantum channel's
time bin (1/8e7 s = 12.5 ns by default). Photons reach the BSM tau_q later, its
result reaches the nodes tau_m after that, and the nodes decide 10 ps later.
On failure both memories are free at that moment and the cycle repeats:

    responder primary:  period = ceil_bin(max(tau_q + tau_m + 10 ps + 2 tau_c, 1/f_mem) + tau_c)
    requester primary:  period = ceil_bin(max(tau_q + tau_m + 10 ps + 3 tau_c, 1/f_mem) + tau_c)

i.e. about 4 L/v or 5 L/v. Each delay is rounded to integer picoseconds as
``qtn.sequence_backed.adapter`` builds the channels (classical router-to-router delay:
the fastest fibre route, L/v for a link that is its own shortest route). With
successive attempts failing, the n-th decision comes n periods after the first
attempt began (the first attempt starts with the REQUEST at the same point of
the cycle as a retry, so it lasts one period up to one time bin), hence the time
to the first success is T = N * period with N geometric, E[T] = period / p.

Not modelled: what happens after a success (the application's release of the
pair starts the next cycle). Note that after a successful round the primary's
``start()`` still sends a NEGOTIATE (``update_memory()`` returns True); when the
requester is primary, SeQUeNCe's own protocol lets this stray message reach the
partner's next protocol instance (same name), which shortens the following cycles
to about 3 L/v and can make one end alone decide a success. qnetsim's protocols
(``qtn.sequence_backed.protocols``) name each instance apart, so the message is
dropped and every cycle lasts the period below. Also not modelled: several memories per link
(each memory pair runs its own cycle, sharing the channel's time bins); a memory
whose ``coherence_time * cutoff_ratio`` is shorter than the herald delay expires
before its attempt is decided and never succeeds.

The heralded pair is the raw Bell-diagonal state ``[F, w_Z (1-F), w_X (1-F),
w_Y (1-F)]`` (Werner for equal weights) with both halves decohered for the
herald delay tau_q + tau_m + 10 ps, because each memory's clock starts at its emission.
"""

import numpy as np
import numpy.typing as npt

from qnetsim.core.errors import ConfigError
from qnetsim.core.units import FIBRE_SPEED_KM_PER_S, PS_PER_S
from qtn.analytic.bell_diagonal import (
    FloatOrArray,
    as_non_negative,
    as_output,
    as_positive,
    as_probability,
)
from qtn.analytic.decoherence import DEPOLARISING_WEIGHTS, decohere_both_halves

#: SeQUeNCe's default ``QuantumChannel.frequency``: emission times are multiples of 1/f (12.5 ns).
SEQUENCE_CHANNEL_FREQUENCY_HZ = 8.0e7
#: Gap SeQUeNCe leaves between the arrival of the BSM result and the decision (``+ 10`` ps).
SEQUENCE_DECISION_GAP_PS = 10
#: Raw Pauli error weights (X, Y, Z) of SeQUeNCe's heralded pairs (``raw_epr_errors`` default).
RAW_ERROR_WEIGHTS: tuple[float, float, float] = (1 / 3, 1 / 3, 1 / 3)


def single_heralded_success_probability(
    length_km: npt.ArrayLike,
    attenuation_db_per_km: npt.ArrayLike,
    memory_efficiency: npt.ArrayLike,
    detector_efficiency: npt.ArrayLike,
    bsm_success_probability: npt.ArrayLike = 0.5,
) -> FloatOrArray:
    """Probability that one single-heralded attempt on a midpoint link succeeds.

    p = q_BSM * (eta_mem * 10^(-alpha L / 20))^2 * eta_det^2: each photon crosses
    L/2 of fibre (transmittance 10^(-alpha L/20)), leaves its memory with
    probability eta_mem and is detected with probability eta_det; the BSM
    distinguishes the outcome with probability q_BSM (1/2 for linear optics).

    Args:
        length_km: link length L between the two routers (km, >= 0); broadcasts.
        attenuation_db_per_km: fibre loss alpha (dB/km, >= 0).
        memory_efficiency: eta_mem, photon emission efficiency of each memory.
        detector_efficiency: eta_det of each of the station's two detectors.
        bsm_success_probability: q_BSM (SeQUeNCe's ``SingleHeraldedBSM.success_rate``).

    Returns:
        Success probability per attempt (dimensionless).

    References:
        SeQUeNCe 1.3.1, ``SingleHeraldedBSM.get`` in ``sequence/components/bsm.py``;
        S. Barrett, P. Kok, Phys. Rev. A 71, 060310 (2005) (two-photon heralding, q_BSM = 1/2).
    """
    length = as_non_negative(length_km, "length_km")
    attenuation = as_non_negative(attenuation_db_per_km, "attenuation_db_per_km")
    eta_memory = as_probability(memory_efficiency, "memory_efficiency")
    eta_detector = as_probability(detector_efficiency, "detector_efficiency")
    q_bsm = as_probability(bsm_success_probability, "bsm_success_probability")
    half_transmittance = 10.0 ** (-attenuation * length / 20.0)
    return as_output(q_bsm * (eta_memory * half_transmittance) ** 2 * eta_detector**2)


def sequence_requester_is_primary(requester: str, responder: str) -> bool:
    """Whether SeQUeNCe makes the requesting node the generation protocol's primary.

    ``EntanglementGenerationA.set_others``: ``primary = owner.name > remote_node_name``
    (string order, so "n9" > "n10"). The requester is the node nearer the
    reservation's initiator on the path.
    """
    return requester > responder


def _delay_ps(length_km: npt.NDArray[np.float64], speed_km_per_s: float) -> npt.NDArray[np.float64]:
    """Channel delay as ``qtn.sequence_backed.adapter`` sets it: integer ps, at least 1."""
    return np.maximum(1.0, np.rint(length_km / speed_km_per_s * PS_PER_S))


def single_heralded_herald_delay_s(
    length_km: npt.ArrayLike, speed_km_per_s: float = FIBRE_SPEED_KM_PER_S
) -> FloatOrArray:
    """Time from emission to the success/failure decision: tau_q + tau_m + 10 ps (about L/v).

    Args:
        length_km: link length L (km, >= 0).
        speed_km_per_s: signal speed in the fibre (km/s, > 0).
    """
    length = as_non_negative(length_km, "length_km")
    speed = float(as_positive(speed_km_per_s, "speed_km_per_s"))
    half_ps = _delay_ps(length / 2.0, speed)
    return as_output((2.0 * half_ps + SEQUENCE_DECISION_GAP_PS) / PS_PER_S)


def single_heralded_attempt_period_s(
    length_km: npt.ArrayLike,
    speed_km_per_s: float = FIBRE_SPEED_KM_PER_S,
    *,
    requester_is_primary: bool = False,
    memory_frequency_hz: float | None = None,
    channel_frequency_hz: float = SEQUENCE_CHANNEL_FREQUENCY_HZ,
    classical_delay_s: npt.ArrayLike | None = None,
) -> FloatOrArray:
    """Time between successive failed attempts of SeQUeNCe's single-heralded generation.

    period = ceil_bin(max(tau_q + tau_m + 10 ps + k tau_c, 1/f_mem) + tau_c), with
    k = 2 when the responder is primary and k = 3 when the requester is (see the
    module docstring); ceil_bin rounds up to a multiple of 1/channel_frequency_hz.

    Args:
        length_km: link length L (km, >= 0); broadcasts.
        speed_km_per_s: signal speed in the fibre (km/s, > 0).
        requester_is_primary: see :func:`sequence_requester_is_primary`.
        memory_frequency_hz: memory excitation rate f_mem (Hz, > 0); None ignores the limit.
        channel_frequency_hz: quantum channel's transmission rate (Hz, > 0).
        classical_delay_s: router-to-router classical delay tau_c (s) if not L/v.

    Returns:
        Attempt period (s).

    References:
        SeQUeNCe 1.3.1, ``SingleHeraldedA.received_message`` (NEGOTIATE, NEGOTIATE_ACK),
        ``ResourceManager.send_request``/``received_message`` and ``QuantumChannel.schedule_transmit``.
    """
    length = as_non_negative(length_km, "length_km")
    speed = float(as_positive(speed_km_per_s, "speed_km_per_s"))
    bin_ps = PS_PER_S / float(as_positive(channel_frequency_hz, "channel_frequency_hz"))
    if classical_delay_s is None:
        classical_ps = _delay_ps(length, speed)
    else:
        classical_ps = np.maximum(1.0, np.rint(as_non_negative(classical_delay_s, "classical_delay_s") * PS_PER_S))
    herald_ps = 2.0 * _delay_ps(length / 2.0, speed) + SEQUENCE_DECISION_GAP_PS
    n_lead = 3 if requester_is_primary else 2
    ready_ps = herald_ps + n_lead * classical_ps
    if memory_frequency_hz is not None:
        ready_ps = np.maximum(ready_ps, PS_PER_S / float(as_positive(memory_frequency_hz, "memory_frequency_hz")))
    n_bins = np.ceil((ready_ps + classical_ps) / bin_ps - 1e-9)
    return as_output(np.floor(n_bins * bin_ps) / PS_PER_S)


def mean_time_to_success_s(period_s: npt.ArrayLike, success_probability: npt.ArrayLike) -> FloatOrArray:
    """E[T] = period / p for T = N * period with N ~ Geometric(p) on {1, 2, ...}.

    Args:
        period_s: attempt period (s, > 0).
        success_probability: p per attempt, in (0, 1].
    """
    period = as_positive(period_s, "period_s")
    return as_output(period / _success(success_probability))


def time_to_success_cdf(
    time_s: npt.ArrayLike, period_s: npt.ArrayLike, success_probability: npt.ArrayLike
) -> FloatOrArray:
    """P(T <= t) = 1 - (1 - p)^floor(t / period) for T = N * period, N ~ Geometric(p).

    Args:
        time_s: t (s, >= 0).
        period_s: attempt period (s, > 0).
        success_probability: p per attempt, in (0, 1].
    """
    time = as_non_negative(time_s, "time_s")
    period = as_positive(period_s, "period_s")
    p = _success(success_probability)
    return as_output(1.0 - (1.0 - p) ** np.floor(time / period + 1e-12))


def sample_time_to_success_s(
    period_s: float,
    success_probability: float,
    rng: np.random.Generator,
    size: int | tuple[int, ...] | None = None,
) -> FloatOrArray:
    """Draw T = N * period with N ~ Geometric(p) (number of attempts up to and including the success).

    Args:
        period_s: attempt period (s, > 0).
        success_probability: p per attempt, in (0, 1].
        rng: numpy generator (the caller's per-entity stream).
        size: output shape; None for one float.
    """
    period = float(as_positive(period_s, "period_s"))
    return as_output(sample_n_attempts(success_probability, rng, size) * period)


def sample_n_attempts(
    success_probability: float, rng: np.random.Generator, size: int | tuple[int, ...] | None = None
) -> npt.NDArray[np.int64] | int:
    """Draw N ~ Geometric(p): the number of attempts up to and including the first success (N >= 1).

    The one sampler of the attempt count for a generator of numpy's: the fast link
    mode's midpoint station (:class:`qtn.sequence_backed.protocols.FastHeraldedBSM`)
    and :func:`sample_time_to_success_s` draw through it. The network-scale engine
    draws the same law from its own stream by inversion
    (:func:`qtn.netscale.generation.n_attempts_by_inversion`).

    Args:
        success_probability: p per attempt, in (0, 1].
        rng: numpy generator (the caller's per-entity stream).
        size: output shape; None for one integer.
    """
    return rng.geometric(float(_success(success_probability)), size=size)  # type: ignore[no-any-return]


def _success(success_probability: npt.ArrayLike) -> npt.NDArray[np.float64]:
    p = as_probability(success_probability, "success_probability")
    if np.any(p == 0):
        raise ConfigError("success_probability: must be > 0 for a finite time to success; got 0.0")
    return p


def single_heralded_raw_state(
    raw_fidelity: npt.ArrayLike, raw_error_weights: npt.ArrayLike = RAW_ERROR_WEIGHTS
) -> npt.NDArray[np.float64]:
    """Bell-diagonal state SeQUeNCe writes for a heralded pair: ``[F, w_Z(1-F), w_X(1-F), w_Y(1-F)]``.

    Args:
        raw_fidelity: F (``Memory.raw_fidelity``), in [0, 1].
        raw_error_weights: (w_X, w_Y, w_Z) (``raw_epr_errors``), summing to 1.

    References:
        SeQUeNCe 1.3.1, ``SingleHeraldedA.update_memory``.
    """
    fidelity = as_probability(raw_fidelity, "raw_fidelity")
    weights = as_probability(raw_error_weights, "raw_error_weights")
    if weights.shape != (3,) or abs(weights.sum() - 1.0) > 1e-8:
        raise ConfigError(f"raw_error_weights: must be 3 weights (X, Y, Z) summing to 1; got {weights.tolist()!r}")
    rest = 1.0 - fidelity
    w_x, w_y, w_z = weights
    return np.stack([fidelity, w_z * rest, w_x * rest, w_y * rest], axis=-1)


def single_heralded_heralded_state(
    raw_fidelity: npt.ArrayLike,
    length_km: npt.ArrayLike,
    coherence_time_s: float | None,
    speed_km_per_s: float = FIBRE_SPEED_KM_PER_S,
    raw_error_weights: npt.ArrayLike = RAW_ERROR_WEIGHTS,
    decoherence_weights: npt.ArrayLike = DEPOLARISING_WEIGHTS,
) -> npt.NDArray[np.float64]:
    """State of a pair at the moment it is heralded: the raw state after both halves idled for the herald delay.

    Args:
        raw_fidelity: F of the raw pair.
        length_km: link length (km).
        coherence_time_s: T of both memories (s), or None.
        speed_km_per_s: fibre signal speed (km/s).
        raw_error_weights: (w_X, w_Y, w_Z) of the raw pair.
        decoherence_weights: (w_X, w_Y, w_Z) of the memories' decoherence.

    References:
        SeQUeNCe 1.3.1, ``SingleHeraldedA.update_memory`` and ``Memory.bds_decohere``.
    """
    raw = single_heralded_raw_state(raw_fidelity, raw_error_weights)
    delay_s = single_heralded_herald_delay_s(length_km, speed_km_per_s)
    return decohere_both_halves(raw, delay_s, coherence_time_s, decoherence_weights)
