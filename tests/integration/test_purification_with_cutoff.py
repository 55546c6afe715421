"""Purification on a long chain whose cut-off discards pairs while rounds are under way.

The scenario is the one that stopped the fast level on SeQUeNCe's assertion
"Mismatch of entangled memories n4 and n6 on node n0" at t = 0.0959 s (seed 1):
the measured memory of a purification round at n0 expired (cut-off) after n0
had measured it and sent its result, SeQUeNCe discarded the kept pair at n0 as
well, while n4 got n0's result and kept its half as purified, paired with a
memory of n0 that was soon reused for a pair with n6. A later round between n4
and n0 then paired n0's memories entangled with two different nodes. The
purification protocols now free only the measured memory in that case
(:mod:`qtn.sequence_backed.purification`).
"""

import pytest

from scenarios import from_dict, run
from tests.crosslevel import purification_with_cutoff_data

TARGET_FIDELITY = 0.65


def scenario(level: str, duration_s: float = 1.0, seed: int = 1):
    """The scenario of the issue at ``level`` (see :func:`tests.crosslevel.purification_with_cutoff_data`)."""
    return from_dict(purification_with_cutoff_data(duration_s) | {"seed": seed, "fidelity_level": level})


def _check(level: str, duration_s: float, *, below_target_checked: bool = True) -> None:
    results = run(scenario(level, duration_s))
    pairs = results.tables["pairs"]
    assert results.manifest["fidelity_level"] == level
    assert len(pairs) > 5
    if below_target_checked:
        assert pairs["fidelity"].min() >= TARGET_FIDELITY - 1e-9  # delivered only at or above the target
    purifications = results.tables["purifications"]
    assert purifications["n_attempts"].sum() > 20  # rounds ran, some while pairs expired
    assert set(purifications["b"]) >= {"n6"}  # end-to-end rounds, not only link rounds


def test_fast_level_runs_past_the_round_whose_measured_memory_expires():
    """Seed 1 stopped at t = 0.0959 s before the fix; 0.12 s covers it (the full second is a slow test)."""
    _check("fast", 0.12)


def test_network_level_runs_the_scenario():
    _check("network", 1.0, below_target_checked=False)


def test_network_level_delivers_no_pair_below_the_target():
    pairs = run(scenario("network", 1.0)).tables["pairs"]
    assert pairs["fidelity"].min() >= TARGET_FIDELITY - 1e-9


@pytest.mark.slow
@pytest.mark.parametrize("level", ["hardware", "fast"])
def test_whole_scenario_at_the_sequence_levels(level):
    _check(level, 1.0)
