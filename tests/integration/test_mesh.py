"""Several requests share a mesh's memories; what cannot be served is reported, nothing hangs."""

from scenarios import from_dict, run


def test_concurrent_requests_on_a_grid_share_memories():
    scenario = from_dict(
        {
            "name": "grid",
            "seed": 4,
            "duration_s": 0.05,
            "templates": {"nodes": {"r": {"n_memories": 4}}},
            "network": {"generator": {"kind": "grid", "rows": 3, "cols": 3, "length_km": 8}, "node_template": "r"},
            "traffic": [
                {"src": "n0_0", "dst": "n2_2", "n_memories": 1},
                {"src": "n0_2", "dst": "n2_0", "n_memories": 1},
                {"src": "n1_0", "dst": "n1_2", "n_memories": 1},
                # The centre has 4 memories; three requests through it use them all, a fourth cannot fit.
                {"src": "n0_1", "dst": "n2_1", "n_memories": 1, "start_s": 0.001},
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
