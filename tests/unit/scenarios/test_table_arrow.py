"""Arrow-built tables are the tables pandas made: same DataFrames, same Parquet bytes, same group means.

Runs build their tables with pyarrow (no pandas at start-up). The reference here is
how the tables were made with pandas before (NumPy numeric columns, ``str`` and
``Int64`` through ``astype``, written with ``pyarrow.Table.from_pandas``): each
declared table, with rows of every kind of value and with none, must give the same
DataFrame and the same Parquet file either way.
"""

import io
import math
import random

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scenarios.table_arrow import concat_tables, group_means, id_dtype, to_table
from scenarios.tables import PAIRS, TABLES

_NUMPY = {"float64": np.float64, "int64": np.int64, "bool": np.bool_}


def _pandas_frame(spec, rows, ids):
    """The table as pandas built it (the reference)."""
    columns = {}
    layout = [(key, id_dtype(key, value), [value] * len(rows)) for key, value in ids.items()]
    layout += [(name, dtype, [row[name] for row in rows]) for name, dtype in spec.columns.items()]
    for name, dtype, values in layout:
        if dtype in _NUMPY:
            columns[name] = np.array(values, dtype=_NUMPY[dtype])
        else:
            columns[name] = pd.Series(values, dtype=object).astype(dtype).array
    return pd.DataFrame(columns, index=pd.RangeIndex(len(rows)))


def _value(dtype, rng, index):
    """A value of ``dtype`` as records hold them: NaN, None and whole numbers included."""
    choice = rng.random()
    if dtype == "float64":
        return math.nan if choice < 0.2 else (index if choice < 0.3 else rng.uniform(-1e3, 1e3))
    if dtype == "int64":
        return rng.randrange(-(2**40), 2**40)
    if dtype == "bool":
        return choice < 0.5
    if dtype == "Int64":
        return None if choice < 0.3 else rng.randrange(0, 2**20)
    if choice < 0.1:
        return None  # e.g. a refused request's path
    return "" if choice < 0.2 else f"n{rng.randrange(100)}~é{index}"


def _rows(spec, n_rows, seed):
    rng = random.Random(seed)
    return [{name: _value(dtype, rng, i) for name, dtype in spec.columns.items()} for i in range(n_rows)]


def _parquet_bytes(table):
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


IDS = (
    {"run_id": "3f2a", "scenario": "chain", "seed": 7},
    {
        "run_id": "3f2a",
        "scenario": "chain",
        "seed": 7,
        "links.length_km": 25.0,
        "nodes.n_memories": 4,
        "fidelity_level": "fast",
    },
    {"run_id": "3f2a", "scenario": "chain", "seed": 7, "purification.enabled": True},
)


@pytest.mark.parametrize("name", sorted(TABLES))
@pytest.mark.parametrize("n_rows", [0, 1, 13])
@pytest.mark.parametrize("ids", IDS)
def test_arrow_table_is_the_pandas_table(name, n_rows, ids):
    spec = TABLES[name]
    rows = _rows(spec, n_rows, seed=n_rows + len(ids))
    reference = _pandas_frame(spec, rows, ids)
    table = to_table(spec, rows, ids)
    pd.testing.assert_frame_equal(table.to_pandas(), reference, check_exact=True)
    assert _parquet_bytes(table) == _parquet_bytes(pa.Table.from_pandas(reference, preserve_index=False))


def test_concatenated_tables_are_concatenated_frames():
    ids = IDS[0]
    parts = [to_table(PAIRS, _rows(PAIRS, n_rows, seed), ids) for seed, n_rows in ((1, 4), (2, 0), (3, 5))]
    frames = [part.to_pandas() for part in parts]
    joined = concat_tables(parts)
    reference = pd.concat(frames, ignore_index=True)
    pd.testing.assert_frame_equal(joined.to_pandas(), reference, check_exact=True)
    assert _parquet_bytes(joined) == _parquet_bytes(pa.Table.from_pandas(reference, preserve_index=False))


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("layout", ["sorted", "sorted-with-nan", "interleaved", "interleaved-with-nan"])
def test_group_means_are_pandas_group_means_to_the_last_bit(seed, layout):
    """Fidelities near 1 in a few groups, keys in order or not, NaN or not: pandas' ``groupby().mean()`` exactly."""
    rng = random.Random(seed)
    keys = [rng.randrange(6) for _ in range(rng.randrange(1, 3000))]
    if layout.startswith("sorted"):
        keys.sort()
    nan_share = 0.01 if layout.endswith("with-nan") else 0.0
    values = [1.0 - rng.random() ** 3 * 0.3 if rng.random() >= nan_share else math.nan for _ in keys]
    expected = pd.DataFrame({"key": keys, "value": values}).groupby("key")["value"].mean()
    means = group_means(keys, values)
    assert sorted(means) == sorted(key for key in expected.index if not math.isnan(expected[key]))
    for key, mean in means.items():
        assert mean == float(expected[key]), key  # exact: same float, not approximately


def test_rows_must_match_declaration():
    row = _rows(PAIRS, 1, seed=1)[0]
    del row["fidelity"]
    with pytest.raises(ValueError, match=r"table 'pairs' row 0: missing \['fidelity'\]"):
        to_table(PAIRS, [row], IDS[0])
