"""The SeQUeNCe side of the photon link: wiring, sifting, seeded randomness and the log filter."""

import logging
import random

import numpy as np
import pytest

from qkdn.photon import sequence_bb84 as sb
from qkdn.photon.config import PhotonLinkConfig, PhotonSourceConfig
from qnetsim.core.hardware import DetectorConfig, LightSourceConfig
from qtn.sequence_backed.adapter import new_timeline

CONFIG = PhotonLinkConfig(
    name="l1",
    length_km=1.0,
    polarization_fidelity=0.95,
    frame_bits=512,
    pulses_per_round=8192,
    detector=DetectorConfig(efficiency=0.8, dark_count_rate_hz=25.0, time_resolution_ps=50.0, count_rate_hz=4e7),
    light_source=LightSourceConfig(frequency_hz=5e7, mean_photon_number=0.2),
    source=PhotonSourceConfig(kind="no_decoy", pulses="photons"),  # SeQUeNCe's components, photon by photon
)


def sift(seed: int, duration_s: float = 0.001, config: PhotonLinkConfig = CONFIG, **kwargs):
    frames: dict[int, dict[str, np.ndarray]] = {}
    timeline = new_timeline(duration_s)
    link = sb.build_bb84_link(
        timeline,
        config,
        seed,
        lambda frame: frames.setdefault(frame.index, {}).update({frame.end: frame.bits}),
        **kwargs,
    )
    sb.start_sifting(link, 0.0, duration_s)
    timeline.init()
    timeline.run()
    return link, [pair for _, pair in sorted(frames.items()) if len(pair) == 2]


def test_link_is_wired_from_the_configs_with_owned_channels():
    link, _ = sift(1, duration_s=1e-5)
    source = link.alice.components[f"{link.alice.name}.lightsource"]
    assert isinstance(source, sb.WeakCoherentSource)
    assert (source.frequency, source.mean_photon_num) == (5e7, 0.2)
    detectors = link.bob.components[f"{link.bob.name}.qsdetector"].detectors
    assert [(d.efficiency, d.dark_count, d.time_resolution, d.count_rate) for d in detectors] == [
        (0.8, 25.0, 50, 4e7)
    ] * 2
    channel = link.quantum_channel
    assert (channel.sender, channel.receiver, channel.owner) == (link.alice, link.bob.name, link.alice)
    assert channel.distance == 1000.0 and channel.attenuation == pytest.approx(0.0002)
    assert channel.polarization_fidelity == 0.95
    assert [(c.sender, c.owner, c.delay) for c in link.classical_channels] == [
        (link.alice, link.alice, 5_000_000),
        (link.bob, link.bob, 5_000_000),
    ]
    assert link.alice.name == "qkd.l1.alice" and link.bob.name == "qkd.l1.bob"


def test_both_ends_cut_aligned_frames_of_equal_length():
    """Frames agree except at channel errors: QBER ~ (1 - F)/2 = 2.5 %, far below 50 % for misaligned bits."""
    _, frames = sift(2)
    assert len(frames) >= 3
    for pair in frames:
        assert pair["alice"].size == pair["bob"].size == CONFIG.frame_bits
        assert np.mean(pair["alice"] != pair["bob"]) < 0.1


def test_all_randomness_comes_from_the_nodes_generators():
    """Same seed -> same frames; the global NumPy and Python generators are neither used nor reseeded."""
    numpy_state, python_state = np.random.get_state(), random.getstate()
    _, first = sift(3)
    after_numpy, after_python = np.random.get_state(), random.getstate()
    assert after_python == python_state
    assert all(np.array_equal(a, b) for a, b in zip(numpy_state[1:], after_numpy[1:], strict=True))
    _, again = sift(3)
    _, other = sift(4)
    assert [pair["alice"].tolist() for pair in first] == [pair["alice"].tolist() for pair in again]
    assert first[0]["alice"].tolist() != other[0]["alice"].tolist()


def test_stock_light_source_path_sifts_too():
    link, frames = sift(5, weak_coherent_source=False)
    assert not isinstance(link.alice.components[f"{link.alice.name}.lightsource"], sb.WeakCoherentSource)
    assert len(frames) >= 3 and link.n_sifted_bits >= 3 * CONFIG.frame_bits


def test_messages_and_frames_print_no_bits():
    frame = sb.SiftedFrame("alice", 0, 1e-3, np.ones(8, dtype=np.uint8), 100, 10)
    assert repr(frame) == "SiftedFrame(end='alice', index=0, time_s=0.001, n_bits=8)"
    message = sb.SiftingMessage(
        sb.SiftingMessageType.MATCHES, "b.bb84_receiver", sb.BB84Receiver, matches=np.ones(3, dtype=bool)
    )
    assert str(message) == "SiftingMessage(MATCHES, to=b.bb84_receiver)"


def test_key_log_filter_drops_photon_and_key_records_but_keeps_warnings():
    key_filter = sb.KeyMaterialLogFilter()

    def record(module: str, level: int) -> logging.LogRecord:
        return logging.LogRecord("sequence.utils.log", level, f"/x/{module}.py", 1, "m", (), None)

    assert not key_filter.filter(record("cascade", logging.DEBUG))
    assert not key_filter.filter(record("optical_channel", logging.INFO))
    assert key_filter.filter(record("cascade", logging.WARNING))
    assert key_filter.filter(record("timeline", logging.DEBUG))
