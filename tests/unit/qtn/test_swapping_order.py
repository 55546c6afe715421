"""When the responder of an end-to-end pair may free its half: the final swapper and the release lags."""

import pytest

from qtn.swapping_order import final_swapper, responder_release_lags_ps

HOP_PS = 50_000_000


def hop_delay_ps(src: str, dst: str) -> int:
    """A chain n0 - n1 - ... with one 10 km hop (50 us) between neighbours."""
    return abs(int(src[1:]) - int(dst[1:])) * HOP_PS


def chain(n_nodes: int) -> list[str]:
    return [f"n{i}" for i in range(n_nodes)]


@pytest.mark.parametrize(("n_nodes", "swapper"), [(3, "n1"), (5, "n2"), (9, "n4"), (17, "n8"), (33, "n16"), (4, "n2")])
def test_nested_final_swapper_joins_the_two_ends(n_nodes, swapper):
    assert final_swapper(chain(n_nodes), "nested") == swapper


def test_no_swapper_on_one_link_and_the_last_repeater_in_the_sequential_order():
    assert final_swapper(chain(2), "nested") is None
    assert final_swapper(chain(6), "sequential") == "n4"


@pytest.mark.parametrize("n_nodes", [2, 3, 5, 9, 17, 33])
def test_both_ends_learn_together_on_power_of_two_nested_chains(n_nodes):
    """The final swapper sits in the middle: no lag after a swap; after purification one path delay."""
    assert responder_release_lags_ps(chain(n_nodes), "nested", hop_delay_ps) == (0, (n_nodes - 1) * HOP_PS)


def test_lag_when_the_final_swapper_is_nearer_the_responder():
    # nested on 4 nodes: n2 joins n0 (2 hops away) and n3 (1 hop): the initiator learns 1 hop later.
    assert responder_release_lags_ps(chain(4), "nested", hop_delay_ps)[0] == HOP_PS
    # sequential on 6 nodes: n4 joins n0 (4 hops) and n5 (1 hop).
    assert responder_release_lags_ps(chain(6), "sequential", hop_delay_ps)[0] == 3 * HOP_PS


def test_no_lag_when_the_responder_learns_last():
    """n1 - n2 is three times longer than n0 - n1: the initiator is told first, the responder frees at once."""

    def uneven_delay_ps(src: str, dst: str) -> int:
        weights = {frozenset(("n0", "n1")): HOP_PS, frozenset(("n1", "n2")): 3 * HOP_PS}
        return weights.get(frozenset((src, dst)), 4 * HOP_PS)

    assert responder_release_lags_ps(chain(3), "nested", uneven_delay_ps) == (0, 4 * HOP_PS)
