"""A hybrid design of a scenario (scenarios.hybrid): some relays repeaters, the others trusted."""

import pytest

from scenarios import ScenarioError, load
from scenarios.build import hybrid_split, network_spec
from scenarios.checks import check_scenario
from scenarios.hybrid import choose_repeaters, hybrid_nodes, hybrid_variant


def split_of(scenario):
    return hybrid_split(scenario, network_spec(scenario, check_scenario(scenario)[0]))


def test_chain_variant_alternates_repeaters_and_trusted_relays():
    variant = hybrid_variant(load("chain-trusted-relays"))
    assert variant.name == "chain-trusted-relays.hybrid" and variant.fidelity_level == "fast"
    roles = [node.role for node in hybrid_nodes(variant)]
    assert roles == ["end", "repeater", "trusted_relay", "repeater", "end"]
    assert [s.name for s in split_of(variant).segments] == ["n0~n2", "n2~n4"]
    assert variant.traffic == load("chain-trusted-relays").traffic
    assert variant.qkd.segments.n_memories == 4  # the repeaters' 8 memories hold two sides of one segment


@pytest.mark.parametrize("name", ["metro-mesh-trusted-relays", "nsfnet-trusted-relays", "star-trusted-relays"])
def test_mesh_variants_are_valid_hybrid_scenarios_with_segments(name):
    scenario = load(name)
    chosen = choose_repeaters(scenario)
    users = {n for item in scenario.traffic for n in (item.src, item.dst)}
    variant = hybrid_variant(scenario)  # validated, hybrid checks included
    roles = {node.name: node.role for node in hybrid_nodes(variant)}
    assert {n for n, role in roles.items() if role == "repeater"} == set(chosen)
    assert not set(chosen) & users
    split = split_of(variant)
    if not chosen:  # the star's hub would carry 15 segments: more than its memories
        assert name == "star-trusted-relays" and split is None
        return
    assert split.segments
    for segment in split.segments:
        assert all(roles[node] == "repeater" for node in segment.path[1:-1])


def test_a_user_made_repeater_is_refused_naming_the_traffic():
    message = r"traffic\[0\]\.src: 'n0' is a repeater; key traffic needs an end or trusted_relay node"
    with pytest.raises(ScenarioError, match=message):
        hybrid_variant(load("chain-trusted-relays"), repeaters=["n0", "n1"])
