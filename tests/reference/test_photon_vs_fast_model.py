"""The photon-level BB84 link agrees with the matching fast model at 1, 10 and 50 km.

The fast models (qkdn.keyrate) describe a weak-coherent-pulse BB84 link through its gain
and error gain (Lo, Ma, Chen, PRL 94, 230504 (2005); Ma, Qi, Zhao, Lo, PRA 72, 012326 (2005)):

    Q_mu = Y0 e^(-eta mu) + 1 - e^(-eta mu),   E_mu Q_mu = e_det (1 - e^(-eta mu)) + Y0 e^(-eta mu) / 2,

with eta = 10^(-alpha L/10) eta_det, so sifted bits per pulse = Q_mu / 2 and QBER = E_mu.
The photon-level link is built from the same hardware description; the fast model takes it
through qkdn.link_hardware (Y0 = 2 D / f, e_det = (1 - F) / 2). Both are run for the source's
mean photon number. Tolerance: 4 binomial standard errors on the sifted count and on the
number of errors in the sifted bits.
"""

import math

import pytest

from qkdn.keyrate.bb84 import signal_gain_and_error
from qkdn.link_hardware import keyrate_hardware, polarization_fidelity
from qkdn.photon.config import PhotonLinkConfig, PhotonSourceConfig, PostProcessingConfig
from qkdn.photon.link import PhotonBB84Link
from qnetsim.core.units import fibre_transmittance
from qtn.sequence_backed.adapter import new_timeline

MISALIGNMENT = 0.02
EMISSION_S = {1.0: 0.0015, 10.0: 0.002, 50.0: 0.016}


def link_config(length_km: float) -> PhotonLinkConfig:
    return PhotonLinkConfig(
        name=f"conformance-{length_km:g}km",
        length_km=length_km,
        polarization_fidelity=polarization_fidelity(MISALIGNMENT),
        frame_bits=1024,
        pulses_per_round=2**15,
        postprocessing=PostProcessingConfig(sample_fraction=0.2, epsilon_estimation=1e-6),
        source=PhotonSourceConfig(kind="no_decoy", pulses="photons"),  # GLLP; photon by photon on SeQUeNCe
    )


@pytest.mark.parametrize("length_km", [1.0, 10.0, 50.0])
def test_sifted_rate_and_qber_match_the_fast_model(length_km):
    config = link_config(length_km)
    blocks = []
    timeline = new_timeline(EMISSION_S[length_km] * 2)
    with PhotonBB84Link(timeline, config, seed=5, on_block=blocks.append) as link:
        link.start(0.0, EMISSION_S[length_km])
        timeline.init()
        timeline.run()
    built = link.built
    hardware = keyrate_hardware(config.fibre, config.light_source, config.detector, MISALIGNMENT, 1.16)
    eta = fibre_transmittance(length_km, hardware.attenuation_db_per_km) * hardware.detector_efficiency
    gain, error_gain = signal_gain_and_error(
        config.light_source.mean_photon_number, eta, hardware.dark_count_probability, hardware.misalignment_error
    )
    sifted_per_pulse, qber = float(gain) / 2, float(error_gain / gain)

    n_pulses, n_sifted = built.n_pulses_sifted, built.n_sifted_bits
    assert n_sifted > 2000
    assert abs(n_sifted - n_pulses * sifted_per_pulse) <= 4 * math.sqrt(n_pulses * sifted_per_pulse)

    # QBER measured on every sifted bit the blocks saw (the sample plus the bits Cascade corrected).
    errors = sum(
        round(block.qber * (block.sifted_bits - block.reconciled_bits)) + block.n_corrected_bits for block in blocks
    )
    bits = sum(block.sifted_bits for block in blocks)
    assert bits > 1500
    assert abs(errors - bits * qber) <= 4 * math.sqrt(bits * qber * (1 - qber))
