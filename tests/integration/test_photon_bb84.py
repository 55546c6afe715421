"""Photon-level BB84 end to end: SeQUeNCe photons -> sifting -> Cascade -> verification -> Toeplitz PA.

Each simulation is a few milliseconds of link time (a few hundred thousand pulses); the
runs are shared by the tests through module-scoped fixtures.
"""

import logging
import re

import numpy as np
import pytest

from qkdn.photon import sequence_bb84
from qkdn.photon.analytic import expected_bb84_link
from qkdn.photon.config import PhotonLinkConfig, PhotonSourceConfig, PostProcessingConfig
from qkdn.photon.link import LINK_BLOCK_COLUMNS, KeyBlock, PhotonBB84Link
from qnetsim.core.units import fibre_transmittance
from qtn.sequence_backed.adapter import new_timeline

POSTPROCESSING = PostProcessingConfig(sample_fraction=0.2, epsilon_estimation=1e-6, epsilon_correctness=1e-9)
FIDELITY = 0.96
#: Emission time per distance: enough pulses for at least two accepted 2,048-bit frames (GLLP keys at
#: 50 km with mu = 0.1 are marginal: about two frames in five give key).
EMISSION_S = {1.0: 0.002, 10.0: 0.003, 50.0: 0.03}
#: Post-processing needs up to ~100 classical one-way delays after the last frame.
DRAIN_S = {1.0: 0.002, 10.0: 0.008, 50.0: 0.04}


def config(length_km: float) -> PhotonLinkConfig:
    return PhotonLinkConfig(
        name=f"link-{length_km:g}km",
        length_km=length_km,
        polarization_fidelity=FIDELITY,
        frame_bits=2048,
        pulses_per_round=2**15,
        postprocessing=POSTPROCESSING,
        source=PhotonSourceConfig(kind="no_decoy", pulses="photons"),  # GLLP; photon by photon on SeQUeNCe
    )


def run_link(length_km: float, seed: int) -> tuple[list[KeyBlock], PhotonBB84Link]:
    blocks: list[KeyBlock] = []
    emission_s = EMISSION_S[length_km]
    timeline = new_timeline(emission_s + DRAIN_S[length_km])
    with PhotonBB84Link(timeline, config(length_km), seed, blocks.append) as link:
        link.start(0.0, emission_s)
        timeline.init()
        timeline.run()
    return blocks, link


@pytest.fixture(scope="module")
def runs() -> dict[tuple[float, int], tuple[list[KeyBlock], PhotonBB84Link]]:
    return {(length, seed): run_link(length, seed) for length, seed in [(1.0, 1), (10.0, 1), (50.0, 1), (10.0, 2)]}


def expectation(length_km: float):
    hardware = config(length_km)
    return expected_bb84_link(
        hardware.light_source.mean_photon_number,
        fibre_transmittance(length_km, hardware.fibre.attenuation_db_per_km),
        hardware.detector.efficiency,
        FIDELITY,
        hardware.detector.dark_count_rate_hz,
        hardware.light_source.frequency_hz,
        hardware.detector.count_rate_hz,
    )


@pytest.mark.parametrize("length_km", [1.0, 10.0, 50.0])
def test_both_ends_hold_identical_secret_keys(runs, length_km):
    blocks, _ = runs[(length_km, 1)]
    accepted = [block for block in blocks if block.accepted]
    assert len(accepted) >= 2
    for block in accepted:
        assert block.alice_key.dtype == np.uint8 and block.alice_key.size == block.secret_bits > 0
        np.testing.assert_array_equal(block.alice_key, block.bob_key)
        assert block.disclosed_bits > block.sifted_bits - block.reconciled_bits
    assert [block.t_s for block in blocks] == sorted(block.t_s for block in blocks)


def test_consecutive_blocks_differ(runs):
    """SeQUeNCe's Cascade reseeds NumPy per frame; ours must give fresh keys every block."""
    keys = [block.alice_key for block in runs[(1.0, 1)][0] + runs[(10.0, 1)][0] if block.accepted]
    for first, second in zip(keys, keys[1:], strict=False):
        size = min(first.size, second.size)
        assert np.count_nonzero(first[:size] != second[:size]) > size // 4


def test_same_seed_gives_identical_blocks_and_another_seed_different_ones(runs):
    again, _ = run_link(10.0, 1)
    first, _ = runs[(10.0, 1)]
    assert [block.row() for block in again] == [block.row() for block in first]
    assert all(np.array_equal(a.alice_key, b.alice_key) for a, b in zip(again, first, strict=True))
    other = [block for block in runs[(10.0, 2)][0] if block.accepted]
    assert other and not np.array_equal(other[0].alice_key[:256], first[0].alice_key[:256])


@pytest.mark.parametrize("length_km", [1.0, 10.0, 50.0])
def test_sifted_rate_matches_the_analytic_photon_model(runs, length_km):
    """Sifted bits per pulse = (1/2)(1 - d) P_valid (qkdn.photon.analytic; Gisin et al., RMP 74, 145 (2002),
    Sec. IV, with SeQUeNCe's dead time and dark counts): the count is within 4 binomial standard errors."""
    _, link = runs[(length_km, 1)]
    n_pulses, n_sifted = link.built.n_pulses_sifted, link.built.n_sifted_bits
    rate = expectation(length_km).sifted_bits_per_pulse
    standard_error = np.sqrt(n_pulses * rate * (1 - rate))
    assert abs(n_sifted - n_pulses * rate) <= 4 * standard_error


def test_qber_matches_the_configured_channel_noise(runs):
    """QBER = P_error / P_valid ~ (1 - F)/2 = 2 % (qkdn.photon.analytic). Errors of accepted blocks are exact
    (sample errors + bits Cascade corrected, confirmed by verification); pooled over all runs, within 4
    binomial standard errors; the disclosed-sample estimates agree within 4 standard errors too."""
    errors = bits = sample_errors = sample_bits = 0
    expected = []
    for (length_km, _), (blocks, _) in runs.items():
        for block in blocks:
            n_sample = block.sifted_bits - block.reconciled_bits
            sample_errors += round(block.qber * n_sample)
            sample_bits += n_sample
            if block.accepted:
                errors += round(block.qber * n_sample) + block.n_corrected_bits
                bits += block.sifted_bits
                expected.append((block.sifted_bits, expectation(length_km).qber))
    mean_qber = sum(n * q for n, q in expected) / bits
    assert abs(errors - bits * mean_qber) <= 4 * np.sqrt(bits * mean_qber * (1 - mean_qber))
    assert abs(sample_errors - sample_bits * mean_qber) <= 4 * np.sqrt(sample_bits * mean_qber * (1 - mean_qber))


def test_block_rows_have_the_link_blocks_columns(runs):
    block = runs[(10.0, 1)][0][0]
    assert list(block.row()) == list(LINK_BLOCK_COLUMNS)
    assert block.row()["source"] == "simulated"
    assert block.row()["link"] == "link-10km" and 0 < block.row()["t_s"] < 0.011
    assert "alice_key" not in repr(block) and str(block).startswith("KeyBlock(")


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def debug_everything():
    """DEBUG level on the root and on every logger that exists, with a capturing handler on the root."""
    loggers = [logging.getLogger()] + [
        logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    loggers.append(sequence_bb84.sequence_log.logger)
    saved = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    capture = Capture()
    logging.getLogger().addHandler(capture)
    yield capture
    logging.getLogger().removeHandler(capture)
    for logger, level in saved:
        logger.setLevel(level)


KEY_LIKE = re.compile(r"\d{20,}|[01]{32,}|key=\d|send qubit with state")


def key_strings(bits: np.ndarray) -> list[str]:
    text = "".join(map(str, bits[:64].tolist()))
    return [text[:32], str(int(text, 2))] if len(text) >= 32 else []


def test_no_key_bits_reach_any_log_record(debug_everything):
    blocks, _ = run_link(1.0, 3)
    accepted = [block for block in blocks if block.accepted]
    assert accepted and len(debug_everything.messages) > 100  # DEBUG records really were captured
    leaked = [m for m in debug_everything.messages if KEY_LIKE.search(m)]
    assert leaked == []
    for block in accepted:
        for needle in key_strings(block.alice_key):
            assert not any(needle in message for message in debug_everything.messages)


def test_sequence_own_stack_leaks_keys_and_the_filter_stops_it(debug_everything):
    """Control: the same capture sees SeQUeNCe's BB84 + Cascade write keys into debug records;
    with :func:`install_key_log_filter` those records are gone."""
    from sequence.components.optical_channel import ClassicalChannel, QuantumChannel
    from sequence.kernel.event import Event
    from sequence.kernel.process import Process
    from sequence.kernel.timeline import Timeline
    from sequence.qkd.BB84 import pair_bb84_protocols
    from sequence.qkd.cascade import pair_cascade_protocols
    from sequence.topology.node import QKDNode

    def run_sequence_stack() -> list[str]:
        debug_everything.messages.clear()
        timeline = Timeline(int(4.5e9))  # 4.5 ms
        alice, bob = QKDNode("alice", timeline, seed=1), QKDNode("bob", timeline, seed=2)
        pair_bb84_protocols(alice.protocol_stack[0], bob.protocol_stack[0])
        pair_cascade_protocols(alice.protocol_stack[1], bob.protocol_stack[1])
        for sender, receiver in ((alice, bob), (bob, alice)):
            QuantumChannel(f"qc.{sender.name}", timeline, attenuation=0.0, distance=100.0).set_ends(
                sender, receiver.name
            )
            ClassicalChannel(f"cc.{sender.name}", timeline, distance=100.0).set_ends(sender, receiver.name)
        # Cascade first asks BB84 for a 10,000-bit key, which it logs on arrival ("key=...").
        timeline.schedule(Event(0, Process(alice.protocol_stack[1], "push", [256, 1, 1e12])))
        timeline.init()
        timeline.run()
        return [m for m in debug_everything.messages if KEY_LIKE.search(m)]

    np_state = np.random.get_state()
    try:
        assert any("key=" in message for message in run_sequence_stack())
        key_filter = sequence_bb84.install_key_log_filter()
        try:
            assert run_sequence_stack() == []
        finally:
            sequence_bb84.remove_key_log_filter(key_filter)
    finally:
        np.random.set_state(np_state)
