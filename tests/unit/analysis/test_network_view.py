"""The network view's data: per-window link metrics, links down, paths, and where the topology comes from."""

import math

import numpy as np
import pandas as pd
import pytest

from analysis.network_view import down_links, link_metrics, path_links, topology_of, windows

MANIFEST = {
    "topology": {
        "nodes": [{"name": "a", "role": "end"}, {"name": "r", "role": "trusted_relay"}, {"name": "b", "role": "end"}],
        "links": [
            {"link": "a~r", "a": "a", "b": "r", "length_km": 20.0, "kind": "qkd"},
            {"link": "b~r", "a": "r", "b": "b", "length_km": 35.0, "kind": "qkd"},
        ],
    }
}


def test_paths_split_into_nodes_per_path():
    assert path_links("a-r-b | a-x-y-b") == [["a", "r", "b"], ["a", "x", "y", "b"]]
    assert path_links("") == []


def test_key_rate_pool_level_and_use_per_window():
    topology = topology_of(MANIFEST, {})
    edges = windows(2.0)  # 20 windows of 0.1 s
    assert len(edges) == 21 and edges[1] == pytest.approx(0.1)
    tables = {
        "link_blocks": pd.DataFrame(
            {"t_s": [0.05, 0.06, 1.55], "link": ["a~r", "a~r", "b~r"], "secret_bits": [100, 50, 10],
             "link_kind": "bb84-fast"}
        ),
        "pools": pd.DataFrame(
            {"t_s": [0.1, 0.1, 0.1, 0.1], "node": ["a", "r", "r", "b"], "peer": ["r", "a", "b", "r"],
             "direction": "out", "level_bits": [4000, 1000, 7000, 9000]}
        ),
        "requests": pd.DataFrame(
            {"t_s": [0.05, 0.07], "src": "a", "dst": "b", "served": [True, False], "path": ["a-r-b", ""]}
        ),
    }  # fmt: skip
    found = link_metrics(tables, topology, edges)
    rate = found["key rate (bit/s)"]
    assert rate.at[0, "a~r"] == pytest.approx(150 / 0.1)  # both blocks of window 0, over its 0.1 s
    assert rate.at[15, "b~r"] == pytest.approx(10 / 0.1) and rate.at[1, "a~r"] == 0.0
    level = found["pool level (kbit, lower end)"]
    assert level.at[0, "a~r"] == 1.0 and level.at[0, "b~r"] == 7.0  # the lower of the two ends' stores
    assert level.at[5, "a~r"] == 1.0  # the last sample holds until the next
    use = found["use (deliveries routed per s)"]
    assert use.at[0, "a~r"] == use.at[0, "b~r"] == pytest.approx(1 / 0.1)  # one served request crossed both links
    assert "pair fidelity (mean)" not in found  # no pairs table


def test_links_are_down_in_the_windows_ending_inside_an_outage():
    edges = np.array([0.0, 1.0, 2.0, 3.0])
    outages = pd.DataFrame({"link": ["a~r", "b~r"], "down_s": [0.5, 1.5], "up_s": [1.2, math.inf]})
    assert down_links(outages, edges) == [{"a~r"}, {"b~r"}, {"b~r"}]


def test_without_a_recorded_topology_the_links_table_gives_it_and_says_roles_are_unknown():
    links = pd.DataFrame({"link": ["a~b"], "a": ["a"], "b": ["b"], "length_km": [5.0]})
    topology = topology_of({}, {"links": links})
    assert topology is not None and topology.roles == {"a": "unknown", "b": "unknown"}
    assert topology.source == "result tables (roles not recorded)"
    assert topology_of({}, {}) is None
    assert topology_of(MANIFEST, {}).roles["r"] == "trusted_relay"
