"""Several requests share a mesh's memories; what cannot be served is reported, nothing hangs."""

from scenarios import from_dict, run


def test_concurrent_requests_on_a_grid_share_memories():
    scenario = from_dict(
        {
            "name": "grid",
            "seed": 4,
            "duration_s": 0.05,
            "templates": {"nodes": {"r": {"n_memories": 4}}},
            # Users at the four corners, repeaters elsewhere (only repeaters swap).
            "network": {
                "generator": {"kind": "grid", "rows": 3, "cols": 3, "length_km": 8, "role": "repeater"},
                "node_roles": {"n0_0": "end", "n0_2": "end", "n2_0": "end", "n2_2": "end"},
                "node_template": "r",
            },
            "traffic": [
                {"src": "n0_0", "dst": "n2_2", "n_memories": 1},
                {"src": "n0_2", "dst": "n2_0", "n_memories": 1},
                # Repeaters have 4 memories: n0_1 gives them all to the two requests above, so this
                # one finds none free there.
                {"src": "n0_0", "dst": "n0_2", "n_memories": 1},
                {"src": "n2_0", "dst": "n2_2", "n_memories": 2, "start_s": 0.001},
            ],
        }
    )
    results = run(scenario)
    requests = results.tables["entanglement_requests"]
    pairs = results.tables["pairs"]
    served = requests[requests["approved"]]
    assert len(served) >= 2
    for row in served.itertuples():
        assert (pairs["request_id"] == row.request_id).sum() > 0
    for row in requests[~requests["approved"]].itertuples():
        assert row.reason and row.n_pairs == 0
    # Every run ends at its duration: nothing delivered after it.
    assert (pairs["t_s"] <= 0.05).all()
