"""A BBM92 scenario distils finite-key secret keys, identical at both users (slow: about a minute).

qkd-bbm92-repeaters at the network level with one block of 32,768 sifted bits and Q_tol = 8 %:
the block's finite-key length (Tomamichel, Lim, Gisin, Renner, Nat. Commun. 3, 634 (2012), Eq. (2))
sizes the key and is well below the asymptotic length reported beside it.
"""

import numpy as np
import pytest

from scenarios import from_dict, load
from scenarios.runner import run_keeping_networks


@pytest.mark.slow
def test_bbm92_scenario_gives_finite_key_identical_at_both_users():
    data = load("qkd-bbm92-repeaters").model_dump(mode="json", exclude_unset=True)
    data.update(fidelity_level="network", duration_s=20.0)
    data["traffic"][0]["frame_bits"] = 32_768
    data["qkd"] = {"postprocessing": {"key_length": "finite", "qber_tolerance": 0.08}}
    results, built = run_keeping_networks(from_dict(data))
    blocks = results.tables["link_blocks"]
    assert len(blocks) >= 1 and (blocks["key_length"] == "finite").all()
    assert (blocks["secret_bits"] == blocks["finite_secret_bits"]).all() and (blocks["secret_bits"] > 0).all()
    assert (blocks["asymptotic_secret_bits"] > 2 * blocks["finite_secret_bits"]).all()
    keys = built.bbm92[0].keys
    assert len(keys) == len(blocks)
    for (alice, bob), bits in zip(keys, blocks["secret_bits"], strict=True):
        assert np.array_equal(alice, bob) and len(alice) == bits
