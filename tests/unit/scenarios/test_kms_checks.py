"""The ``kms`` section: structure (pydantic) and cross-references (KMEs at key-holding nodes, unique ids)."""

import pytest

from scenarios import from_dict, load
from scenarios.errors import ScenarioError


def demo(**kms_changes):
    data = load("kms-demo").model_dump(mode="json", exclude_unset=True)
    data["kms"].update(kms_changes)
    return data


def problems_of(data):
    with pytest.raises(ScenarioError) as caught:
        from_dict(data)
    return caught.value.problems


def test_kms_demo_is_valid():
    scenario = load("kms-demo")
    assert [kme.sae_ids for kme in scenario.kms.kmes] == [["sae-alice"], ["sae-bob"]]


def test_kmes_must_sit_at_key_holding_nodes_with_unique_ids():
    data = demo()
    data["network"]["nodes"].append({"name": "rep", "role": "repeater"})
    data["network"]["links"].append({"a": "bob", "b": "rep", "length_km": 5})
    data["kms"]["kmes"] += [
        {"kme_id": "kme-x", "node": "nowhere", "sae_ids": ["sae-x"]},
        {"kme_id": "kme-r", "node": "rep", "sae_ids": ["sae-r"]},
        {"kme_id": "kme-b2", "node": "bob", "sae_ids": ["sae-alice", "kme-x"]},
    ]
    problems = problems_of(data)
    assert "kms.kmes[2].node: must name a node of the network; got 'nowhere'" in problems
    assert any(p.startswith("kms.kmes[3].node: a KME needs a node that holds keys") for p in problems)
    assert any(p.startswith("kms.kmes[4].node: kms.kmes[1] sits at 'bob' already") for p in problems)
    assert any(p.startswith("kms.kmes[4].sae_ids[0]: ids of KMEs and SAEs must be unique") for p in problems)
    assert any(p.startswith("kms.kmes[4].sae_ids[1]: ids of KMEs and SAEs must be unique") for p in problems)


@pytest.mark.parametrize(
    ("limits", "words"),
    [
        ({"key_size_bits": 100}, "multiple of 8"),
        ({"key_size_bits": 8192}, "between min_key_size_bits and max_key_size_bits"),
        ({"max_key_count": 0}, "must be >= 1; got 0"),
    ],
)
def test_limits_are_checked(limits, words):
    problems = problems_of(demo(limits=limits))
    assert any(p.startswith("kms.limits") and words in p for p in problems), problems


def test_relay_bits_must_fit_a_link_store():
    data = demo(relay_bits=1_200_000)
    assert any(p.startswith("kms.relay_bits: must fit a link's key store") for p in problems_of(data))


def test_entity_ids_are_url_safe():
    data = demo()
    data["kms"]["kmes"][0]["sae_ids"] = ["sae/alice"]
    assert any(p.startswith("kms.kmes[0].sae_ids[0]") for p in problems_of(data))
