"""A small QKD mesh under heavy key load, for the machine-learning tests (a few seconds per episode at most)."""

from typing import Any

import qnetsim
from scenarios.schema import Scenario
from tests.qkdn_support import trusted_relay_mesh_data


def small_mesh_data(seed: int = 1, duration_s: float = 2.0) -> dict[str, Any]:
    """Five trusted relays in a ring with one chord, two user pairs asking for more key than the links make.

    The 10 MHz sources make a few tens of kbit/s per 20-30 km link, so 4096-bit requests
    at 20 per second per pair with 0.4 s deadlines contend for key: some are served, some
    blocked or late, and the choice of path and admission matters.
    """
    return trusted_relay_mesh_data(
        "ml-small-mesh",
        seed,
        duration_s,
        light_source={"frequency_hz": 1.0e7, "mean_photon_number": 0.5},
        qkd={"link_model": "decoy-bb84", "block_bits": 2048, "pool_capacity_bits": 65536, "routing": "key_aware"},
        edges=[["a", "b", 20], ["b", "c", 25], ["c", "d", 20], ["d", "e", 30], ["e", "a", 25], ["a", "c", 35]],
        traffic=[
            {"kind": "key", "src": "a", "dst": "d", "bits": 4096, "rate_hz": 20.0, "deadline_s": 0.4},
            {"kind": "key", "src": "b", "dst": "e", "bits": 4096, "rate_hz": 20.0, "deadline_s": 0.4},
        ],
    )


def small_mesh(seed: int = 1, duration_s: float = 2.0) -> Scenario:
    """:func:`small_mesh_data` as a checked scenario."""
    return qnetsim.from_dict(small_mesh_data(seed, duration_s))
