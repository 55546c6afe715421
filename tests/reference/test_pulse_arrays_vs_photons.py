"""Pulse trains as NumPy arrays give the same tallies as SeQUeNCe's photon-by-photon components.

Both paths run the same decoy link (signal / weak decoy / vacuum, squashing) for the same
number of pulses; the array path draws photon numbers, losses, polarization noise and
clicks per train (:mod:`qkdn.photon.pulse_arrays`), the reference makes every photon a
SeQUeNCe event (light source, quantum channel, polarization beam splitter, detectors).
Each sifted count per intensity and basis, each error count and the number of double
clicks is a sum of many nearly independent rare events (Poisson), so the difference of
the two paths' counts has standard deviation ``sqrt(n_a + n_b)``; every difference must be
within 4 of them. One configuration adds detector dead time (2 pulse slots), which the
array path applies click by click.
"""

import math

import numpy as np
import pytest

from qkdn.photon import sequence_bb84
from qkdn.photon.config import PhotonLinkConfig, PhotonSourceConfig
from qkdn.photon.decoy import decoy_tallies
from qnetsim.core.hardware import DetectorConfig
from qtn.sequence_backed.adapter import new_timeline

N_PULSES_PER_TRAIN = 2**15
N_TRAINS = 3


def config(pulses: str, count_rate_hz: float) -> PhotonLinkConfig:
    return PhotonLinkConfig(
        name="arrays-vs-photons",
        length_km=10.0,
        polarization_fidelity=0.95,
        frame_bits=64,  # the records after the last whole block (fewer than 64 key bits) are not counted
        pulses_per_round=N_PULSES_PER_TRAIN,
        detector=DetectorConfig(dark_count_rate_hz=2e4, count_rate_hz=count_rate_hz),
        source=PhotonSourceConfig(pulses=pulses),
    )


def counts(pulses: str, count_rate_hz: float, seed: int) -> dict[str, int]:
    link_config = config(pulses, count_rate_hz)
    frames: dict[int, dict[str, sequence_bb84.SiftedFrame]] = {}
    train_s = N_PULSES_PER_TRAIN / link_config.light_source.frequency_hz
    emission_s = N_TRAINS * train_s + 1e-4  # covers the first classical delay (50 us at 10 km)
    timeline = new_timeline(emission_s + 1e-3)
    link = sequence_bb84.build_bb84_link(
        timeline, link_config, seed, lambda frame: frames.setdefault(frame.index, {}).__setitem__(frame.end, frame)
    )
    key_filter = sequence_bb84.install_key_log_filter()
    try:
        assert sequence_bb84.start_sifting(link, 0.0, emission_s) == N_TRAINS
        timeline.init()
        timeline.run()
    finally:
        sequence_bb84.remove_key_log_filter(key_filter)
    pairs = [pair for pair in frames.values() if len(pair) == 2]
    alice = [pair["alice"] for pair in pairs]
    bob = [pair["bob"] for pair in pairs]
    tallies = decoy_tallies(
        link_config.source.intensities,
        link_config.source.intensity_probabilities,
        np.concatenate([frame.key_intensities for frame in alice]),
        np.concatenate([a.bits != b.bits for a, b in zip(alice, bob, strict=True)]),
        np.concatenate([frame.test_intensities for frame in alice]),
        np.concatenate([a.test_bits != b.test_bits for a, b in zip(alice, bob, strict=True)]),
        sum(frame.pulses_sent for frame in alice),
    )
    figures = {"double_clicks": link.receiver.n_double_clicks, "detections": link.receiver.buffer.n_detections}
    for name in ("key_detections", "key_errors", "test_detections", "test_errors"):
        for k, value in enumerate(getattr(tallies, name)[:2]):  # the vacuum's counts are a few dark counts
            figures[f"{name}[{k}]"] = value
    return figures


@pytest.mark.parametrize(("count_rate_hz", "seed"), [(1e8, 1), (4e7, 2)])
def test_array_and_photon_paths_give_the_same_tallies(count_rate_hz, seed):
    arrays = counts("arrays", count_rate_hz, seed)
    photons = counts("photons", count_rate_hz, seed + 100)
    assert photons["detections"] > 10_000 and photons["double_clicks"] > 50
    for name, value in photons.items():
        tolerance = 4 * math.sqrt(value + arrays[name])
        assert abs(arrays[name] - value) <= tolerance, (name, arrays[name], value)
