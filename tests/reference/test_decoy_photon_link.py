"""Decoy-state and GLLP photon-level BB84 against their analytic models.

Formulas checked:

* single-photon yield and error of the channel (Lo, Ma, Chen, PRL 94, 230504 (2005)):
  ``Y1 = eta + Y0 (1 - eta)``, ``e1 Y1 = e_det eta + Y0 (1 - eta) / 2``
  (:func:`qkdn.keyrate.bb84.single_photon_yield_and_error`), with ``eta = T eta_det``,
  ``Y0 = 1 - exp(-2 D / f)`` (two detectors, squashing) and ``e_det = (1 - F) / 2``;
* the vacuum + weak decoy bounds ``Y1^L``, ``e1^U`` of Ma, Qi, Zhao, Lo, PRA 72, 012326
  (2005) evaluated on the expected gains (:func:`qkdn.photon.analytic.expected_decoy_link`):
  the photon-level estimates from simulated tallies must agree with them within 4
  standard errors (Poisson errors of the counts propagated through the bound), and lie
  on the right side of the channel values (``Y1^L <= Y1``, ``e1^U >= e1``);
* key rates: GLLP without decoys (Gottesman, Lo, Lutkenhaus, Preskill, QIC 4, 325 (2004);
  :func:`qkdn.keyrate.bb84.gllp_rate`) and the decoy rate of this link
  (:meth:`DecoyLinkExpectation.secret_bits_per_pulse`), both with error correction
  charged ``f n h(Q)`` (``key_length_formula: infinite_key``), at two distances:
  mean secret bits per block within 4 standard errors of the block mean (plus the
  verification tag, which the formulas do not charge).
"""

import math

import numpy as np
import pytest

from qkdn.keyrate.bb84 import gllp_rate, signal_gain_and_error, single_photon_yield_and_error
from qkdn.keyrate.tallies import DecoyTallies
from qkdn.photon.analytic import expected_decoy_link
from qkdn.photon.config import PhotonLinkConfig, PhotonSourceConfig, PostProcessingConfig
from qkdn.photon.decoy import estimate_single_photon_part
from qkdn.photon.link import KeyBlock, PhotonBB84Link
from qkdn.photon.postprocessing import verification_tag_bits
from qnetsim.core.units import fibre_transmittance
from qtn.sequence_backed.adapter import new_timeline

FIDELITY = 0.97
EFFICIENCY = 1.16
SAMPLE_FRACTION = 0.1


def link_config(length_km: float, source: PhotonSourceConfig, frame_bits: int) -> PhotonLinkConfig:
    return PhotonLinkConfig(
        name=f"decoy-check-{length_km:g}km",
        length_km=length_km,
        polarization_fidelity=FIDELITY,
        frame_bits=frame_bits,
        source=source,
        postprocessing=PostProcessingConfig(
            sample_fraction=SAMPLE_FRACTION, key_length_formula="infinite_key", error_correction_efficiency=EFFICIENCY
        ),
    )


def run_blocks(config: PhotonLinkConfig, emission_s: float, seed: int) -> list[KeyBlock]:
    blocks: list[KeyBlock] = []
    timeline = new_timeline(emission_s + 0.05)
    with PhotonBB84Link(timeline, config, seed, blocks.append) as link:
        link.start(0.0, emission_s)
        timeline.init()
        timeline.run()
    return blocks


def pooled(blocks: list[KeyBlock]) -> DecoyTallies:
    first = blocks[0].tallies
    assert first is not None

    def total(name: str) -> tuple[int, ...]:
        return tuple(int(sum(values)) for values in zip(*(getattr(b.tallies, name) for b in blocks), strict=True))

    return DecoyTallies(
        first.intensities, first.intensity_probabilities, total("key_detections"), total("key_errors"),
        total("test_detections"), total("test_errors"), sum(b.tallies.pulses_sent for b in blocks),
    )  # fmt: skip


def channel(config: PhotonLinkConfig) -> tuple[float, float, float]:
    """(eta, Y0, e_det) of the link in the notation of Lo, Ma, Chen (2005)."""
    eta = fibre_transmittance(config.length_km, config.fibre.attenuation_db_per_km) * config.detector.efficiency
    dark = config.detector.dark_count_rate_hz / config.light_source.frequency_hz
    return eta, -math.expm1(-2.0 * dark), (1.0 - config.polarization_fidelity) / 2.0


def expectation(config: PhotonLinkConfig):
    source = config.source
    return expected_decoy_link(
        source.intensities, source.intensity_probabilities, source.z_basis_probability,
        fibre_transmittance(config.length_km, config.fibre.attenuation_db_per_km), config.detector.efficiency,
        config.polarization_fidelity, config.detector.dark_count_rate_hz, config.light_source.frequency_hz,
        config.detector.count_rate_hz,
    )  # fmt: skip


def standard_errors(tallies: DecoyTallies) -> tuple[float, float]:
    """Standard errors of N_Z Y1^L and of e1^U: Poisson errors of the counts through the Ma et al. bounds."""
    (mu, nu, _), probabilities = tallies.intensities, tallies.intensity_probabilities
    scale = mu / (mu * nu - nu**2)
    weights = (scale * math.exp(mu) * nu**2 / mu**2, scale * math.exp(nu), scale * (mu**2 - nu**2) / mu**2)

    def yield_error(counts: tuple[int, ...]) -> float:
        return math.sqrt(sum((w / p) ** 2 * n for w, p, n in zip(weights, probabilities, counts, strict=True)))

    estimate = estimate_single_photon_part(tallies)
    yield_x = estimate.test_single_photon_yield_counts
    error_count_term = math.exp(nu) * math.sqrt(tallies.test_errors[1]) / probabilities[1] / (yield_x * nu)
    relative_yield = yield_error(tallies.test_detections) / yield_x
    error_error = math.hypot(error_count_term, estimate.single_photon_error_upper * relative_yield)
    return yield_error(tallies.key_detections), error_error


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_decoy_estimates_of_y1_and_e1_match_the_analytic_bounds_and_bound_the_channel(seed):
    config = link_config(10.0, PhotonSourceConfig(), frame_bits=16384)
    blocks = run_blocks(config, 0.02, seed)
    assert len(blocks) >= 3
    tallies = pooled(blocks)
    estimate = estimate_single_photon_part(tallies)
    matched_z = tallies.pulses_sent * config.source.z_basis_probability**2
    y1 = estimate.single_photon_yield_counts / matched_z
    yield_error, error_error = standard_errors(tallies)
    expected = expectation(config)
    assert abs(y1 - expected.single_photon_yield_lower) <= 4 * yield_error / matched_z
    assert abs(estimate.single_photon_error_upper - expected.single_photon_error_upper) <= 4 * error_error
    eta, y0, e_det = channel(config)
    true_y1, true_e1 = single_photon_yield_and_error(eta, y0, e_det)
    assert y1 <= true_y1 + 4 * yield_error / matched_z
    assert estimate.single_photon_error_upper >= true_e1 - 4 * error_error
    # The bound is tight for a weak decoy of 0.1: within 5 % of the channel's Y1 (Ma et al., Fig. 2).
    assert expected.single_photon_yield_lower == pytest.approx(true_y1, rel=0.05)


def block_statistics(blocks: list[KeyBlock]) -> tuple[float, float, int]:
    """(mean secret bits, standard error of the mean, key bits per block) over accepted blocks."""
    accepted = [block for block in blocks if block.accepted]
    assert len(accepted) >= 5 and len(accepted) == len(blocks)
    secret = np.array([block.secret_bits for block in accepted], dtype=float)
    return float(secret.mean()), float(secret.std(ddof=1) / math.sqrt(secret.size)), accepted[0].reconciled_bits


@pytest.mark.parametrize(("length_km", "emission_s"), [(10.0, 0.02), (50.0, 0.1)])
def test_decoy_key_rate_matches_its_analytic_model(length_km, emission_s):
    config = link_config(length_km, PhotonSourceConfig(), frame_bits=8192 if length_km < 20 else 4096)
    blocks = run_blocks(config, emission_s, seed=7)
    mean, error, key_bits = block_statistics(blocks)
    expected = expectation(config)
    key_per_pulse = sum(expected.key_detections_per_pulse)
    pulses_per_block = config.frame_bits / key_per_pulse
    tag = verification_tag_bits(config.postprocessing.epsilon_correctness)
    predicted = expected.secret_bits_per_pulse(EFFICIENCY, 1.0 - key_bits / config.frame_bits)
    predicted = predicted * pulses_per_block - tag
    assert abs(mean - predicted) <= 4 * error, (mean, predicted, error)


@pytest.mark.parametrize(("length_km", "emission_s"), [(5.0, 0.02), (25.0, 0.06)])
def test_gllp_key_rate_matches_the_fast_model(length_km, emission_s):
    """No decoys, mu = 0.1: per block ``n [A (1 - h(E / A)) - f h(E)] - t = n R_GLLP / (q Q_mu) - t``."""
    config = link_config(length_km, PhotonSourceConfig(kind="no_decoy"), frame_bits=8192)
    blocks = run_blocks(config, emission_s, seed=11)
    mean, error, key_bits = block_statistics(blocks)
    eta, y0, e_det = channel(config)
    mu = config.light_source.mean_photon_number
    gain, _ = signal_gain_and_error(mu, eta, y0, e_det)
    rate_per_sifted_bit = float(gllp_rate(mu, eta, y0, e_det, EFFICIENCY)) / (0.5 * float(gain))
    predicted = key_bits * rate_per_sifted_bit - verification_tag_bits(config.postprocessing.epsilon_correctness)
    assert abs(mean - predicted) <= 4 * error, (mean, predicted, error)
