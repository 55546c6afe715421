"""Table declarations: identifiers first, declared dtypes, and nothing undeclared."""

import pandas as pd
import pytest

from scenarios.tables import ID_COLUMNS, PAIRS, TABLES, to_frame


def _pair_row(**overrides):
    row = {
        "request_id": 0,
        "t_s": 0.1,
        "src": "a",
        "dst": "b",
        "path": "a-b",
        "n_hops": 1,
        "fidelity": 0.9,
        "latency_s": 0.001,
        "stored_s": 0.0,
        "memory_index": 0,
    }
    row.update(overrides)
    return row


def test_every_table_starts_with_identifiers():
    for spec in TABLES.values():
        assert list(spec.all_columns())[: len(ID_COLUMNS)] == list(ID_COLUMNS)


DIMENSIONLESS = {
    "fidelity",
    "mean_fidelity",
    "target_fidelity",
    "input_x",
    "input_y",
    "input_z",
    "success_probability",
    "model_success_probability",
    "qber",
    "priority",
}


def test_units_are_in_physical_column_names():
    for spec in TABLES.values():
        for column, dtype in spec.columns.items():
            if dtype == "float64" and column not in DIMENSIONLESS:
                assert column.endswith(("_s", "_hz", "_km", "_bps", "_bits")), column


def test_to_frame_applies_declared_dtypes():
    frame = to_frame(PAIRS, [_pair_row(), _pair_row(request_id=1)], {"run_id": "x", "scenario": "s", "seed": 3})
    assert list(frame.columns) == list(PAIRS.all_columns())
    assert frame["seed"].dtype == "int64"
    assert frame["fidelity"].dtype == "float64"
    assert pd.api.types.is_string_dtype(frame["src"])


def test_to_frame_with_no_rows_keeps_columns_and_dtypes():
    frame = to_frame(PAIRS, [], {"run_id": "x", "scenario": "s", "seed": 3})
    assert len(frame) == 0
    assert list(frame.columns) == list(PAIRS.all_columns())
    assert frame["n_hops"].dtype == "int64"


def test_swept_parameters_follow_identifiers():
    ids = {"run_id": "x", "scenario": "s", "seed": 3, "length_km": 25.0}
    frame = to_frame(PAIRS, [_pair_row()], ids)
    assert list(frame.columns[:4]) == ["run_id", "scenario", "seed", "length_km"]
    assert frame["length_km"].dtype == "float64"


@pytest.mark.parametrize("bad", [{"extra": 1}, {"fidelity": None}])
def test_rows_must_match_declaration(bad):
    row = _pair_row()
    if "extra" in bad:
        row["extra"] = 1
    else:
        del row["fidelity"]
    with pytest.raises(ValueError, match="pairs"):
        to_frame(PAIRS, [row], {"run_id": "x", "scenario": "s", "seed": 3})
