"""Property: on any photon-level link (decoy or not), both ends hold identical keys for every accepted block.

Drawn: seed, fibre length, polarization fidelity, source kind, basis bias and signal
intensity. For every block: an accepted block's two keys are equal bit for bit and as
long as the block says; a rejected block leaves no key at either end; a decoy block's
tallies account for exactly its key bits.
"""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qkdn.photon.config import PhotonLinkConfig, PhotonSourceConfig
from qkdn.photon.link import KeyBlock, PhotonBB84Link
from qtn.sequence_backed.adapter import new_timeline

FEW = settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@FEW
@given(
    seed=st.integers(0, 2**31),
    length_km=st.floats(1.0, 40.0),
    fidelity=st.floats(0.9, 1.0),
    kind=st.sampled_from(["decoy", "no_decoy"]),
    z_basis_probability=st.sampled_from([0.5, 0.7]),
    signal=st.floats(0.3, 0.8),
)
def test_both_ends_hold_identical_keys_for_every_accepted_block(
    seed, length_km, fidelity, kind, z_basis_probability, signal
):
    source = PhotonSourceConfig(kind=kind, z_basis_probability=z_basis_probability, intensities=(signal, 0.1, 0.0))
    config = PhotonLinkConfig(
        length_km=length_km, polarization_fidelity=fidelity, frame_bits=1024, pulses_per_round=2**14, source=source
    )
    blocks: list[KeyBlock] = []
    timeline = new_timeline(0.02)
    with PhotonBB84Link(timeline, config, seed, blocks.append) as link:
        link.start(0.0, 0.004)
        timeline.init()
        timeline.run()
    assert blocks
    for block in blocks:
        if block.accepted:
            assert block.alice_key.size == block.secret_bits > 0
            np.testing.assert_array_equal(block.alice_key, block.bob_key)
        else:
            assert block.alice_key.size == block.bob_key.size == block.secret_bits == 0
        if kind == "decoy":
            assert block.tallies is not None and block.tallies.key_bits == block.sifted_bits
