"""Photon-level decoy BB84 sized by the finite-key length of Lim et al. (2014), identical at both ends.

Lim, Curty, Walenta, Xu, Zbinden, PRA 89, 022307 (2014), Eq. (1):
``l = s_{Z,0} + s_{Z,1} (1 - h(phi_Z)) - lambda_EC - 6 log2(21 / eps_sec) - log2(2 / eps_cor)``
on the block's tallies (:func:`qkdn.keyrate.finite.finite_key_length_decoy`), where the
link's ``lambda_EC`` is what it disclosed about the key: Cascade's parities and the
estimation sample (everything in ``disclosed_bits`` but the verification tag, which the
``log2(2 / eps_cor)`` term pays for).
"""

import numpy as np
import pytest

from qkdn.keyrate.finite import finite_key_length_decoy
from qkdn.photon.config import PhotonLinkConfig, PostProcessingConfig
from qkdn.photon.link import KeyBlock, PhotonBB84Link
from qkdn.photon.postprocessing import verification_tag_bits
from qtn.sequence_adapter import new_timeline
from scenarios import from_dict, load
from scenarios.runner import run


def test_a_decoy_block_is_sized_by_lims_finite_key_length_and_reports_both():
    postprocessing = PostProcessingConfig(key_length_formula="finite_key")
    config = PhotonLinkConfig(
        length_km=10.0, polarization_fidelity=0.97, frame_bits=2**18, postprocessing=postprocessing
    )
    blocks: list[KeyBlock] = []
    timeline = new_timeline(0.15)
    with PhotonBB84Link(timeline, config, 3, blocks.append) as link:
        link.start(0.0, 0.08)
        timeline.init()
        timeline.run()
    assert len(blocks) == 1 and blocks[0].accepted
    block = blocks[0]
    np.testing.assert_array_equal(block.alice_key, block.bob_key)
    assert block.key_length == "finite" and block.secret_bits == block.finite_secret_bits > 0
    assert block.asymptotic_secret_bits > block.finite_secret_bits
    leak = block.disclosed_bits - verification_tag_bits(postprocessing.epsilon_correctness)
    expected = finite_key_length_decoy(
        block.tallies, eps_sec=postprocessing.epsilon_secrecy, eps_cor=postprocessing.epsilon_correctness,
        leak_ec_bits=leak,
    )  # fmt: skip
    assert block.finite_secret_bits == expected.length_bits


@pytest.mark.slow
def test_photon_scenario_defaults_to_finite_key_decoy_blocks():
    """A scenario with default options: decoy source, finite key, 2^20-bit blocks (about a minute)."""
    data = load("qkd-photon-link").model_dump(mode="json", exclude_unset=True)
    data.update(duration_s=0.6)
    data["traffic"][0]["dst"] = "n1"
    data["network"]["generator"] = {"kind": "chain", "n_nodes": 2, "length_km": 10}
    data["qkd"].pop("postprocessing")
    data["qkd"].pop("photon_link")
    blocks = run(from_dict(data)).tables["link_blocks"]
    assert len(blocks) >= 1 and (blocks["key_length"] == "finite").all()
    assert (blocks["sifted_bits"] == 2**20).all() and (blocks["secret_bits"] == blocks["finite_secret_bits"]).all()
    assert (blocks["secret_bits"] > 0).all() and (blocks["asymptotic_secret_bits"] > blocks["secret_bits"]).all()
