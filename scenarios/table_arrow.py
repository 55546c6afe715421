"""Result tables built as Arrow tables, without pandas.

A run makes its tables here and writes them to Parquet with pyarrow; pandas
(more than half a second of start-up) is imported only when someone reads
``Results.tables``. Every table carries the ``pandas`` schema metadata that
``pyarrow.Table.from_pandas`` would have written for the DataFrame of
:func:`scenarios.tables.to_frame`, so the Parquet files are the same bytes as
those written from pandas, and ``table.to_pandas()`` gives that DataFrame back
with its dtypes (``str``, ``Int64``). ``tests/unit/scenarios/test_table_arrow.py``
checks both for every table.
"""

import functools
import json
import math
from collections.abc import Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np
import pyarrow as pa

from scenarios.tables import ID_COLUMNS, TableSpec

#: dtype name -> (Arrow type, pandas' ``pandas_type`` and ``numpy_type`` in the schema metadata).
_ARROW_TYPES: dict[str, tuple[pa.DataType, str, str]] = {
    "str": (pa.large_string(), "object", "str"),
    "float64": (pa.float64(), "float64", "float64"),
    "int64": (pa.int64(), "int64", "int64"),
    "bool": (pa.bool_(), "bool", "bool"),
    "Int64": (pa.int64(), "int64", "Int64"),
}
_NUMPY_DTYPES = {"float64": np.float64, "int64": np.int64, "bool": np.bool_}


def to_table(spec: TableSpec, records: Iterable[Mapping[str, Any]], ids: Mapping[str, Any]) -> pa.Table:
    """An Arrow table with exactly ``spec``'s columns and dtypes (identifier columns first).

    Args:
        spec: the table's declaration.
        records: one mapping per row with the table's own columns.
        ids: identifier values repeated on every row (``run_id``, ``scenario``,
            ``seed`` and any swept parameters, in that order).

    Raises:
        ValueError: a record lacks a declared column or has an undeclared one.
    """
    rows = list(records)
    expected = set(spec.columns)
    for index, row in enumerate(rows):
        if set(row) != expected:
            missing = sorted(expected - set(row))
            extra = sorted(set(row) - expected)
            raise ValueError(f"table {spec.name!r} row {index}: missing {missing}, undeclared {extra}")
    id_dtypes = tuple((key, id_dtype(key, value)) for key, value in ids.items())
    schema = _schema(tuple(spec.columns.items()), id_dtypes)
    n_rows = len(rows)
    arrays = [_array([value] * n_rows, dtype) for (_, dtype), value in zip(id_dtypes, ids.values(), strict=True)]
    arrays += [_array([row[name] for row in rows], dtype) for name, dtype in spec.columns.items()]
    return pa.Table.from_arrays(arrays, schema=schema)


def _array(values: list[Any], dtype: str) -> pa.Array:
    """One column, from its values' buffers: numbers through NumPy (its conversions, as pandas made them).

    ``pa.array`` would first import pandas (pyarrow's pandas shim looks for pandas
    objects on every conversion once pandas is installed); ``pa.Array.from_buffers``
    takes the Arrow buffers as they are and imports nothing. Nulls where pandas
    wrote them: NaN in float columns, None (and NaN) in string and ``Int64`` columns.
    """
    arrow_type = _ARROW_TYPES[dtype][0]
    if dtype in ("float64", "int64"):
        numbers: np.ndarray = np.array(values, dtype=_NUMPY_DTYPES[dtype])
        valid = ~np.isnan(numbers) if dtype == "float64" else None
        return _from_buffers(arrow_type, len(values), valid, pa.py_buffer(numbers))
    if dtype == "bool":
        flags = np.array(values, dtype=np.bool_)
        return _from_buffers(arrow_type, len(values), None, pa.py_buffer(np.packbits(flags, bitorder="little")))
    if dtype == "str" and all(type(value) is str for value in values):  # no missing value: the usual case
        encoded = [value.encode("utf-8") for value in values]
        valid = None
    else:
        missing = [_missing(value) for value in values]
        valid = np.logical_not(missing) if any(missing) else None
        if dtype == "Int64":
            filled = np.array([0 if gap else value for value, gap in zip(values, missing, strict=True)], dtype=np.int64)
            return _from_buffers(arrow_type, len(values), valid, pa.py_buffer(filled))
        encoded = [b"" if gap else str(value).encode("utf-8") for value, gap in zip(values, missing, strict=True)]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(text) for text in encoded], out=offsets[1:])
    return _from_buffers(arrow_type, len(values), valid, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded)))


def _from_buffers(arrow_type: pa.DataType, length: int, valid: Any, *buffers: pa.Buffer) -> pa.Array:
    """An Arrow array of ``length`` values from its buffers, with the validity bitmap of ``valid`` (None: no null)."""
    validity = None if valid is None or bool(valid.all()) else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(arrow_type, length, [validity, *buffers])


def _missing(value: Any) -> bool:
    """A missing string or ``Int64`` value, as pandas' ``astype`` reads it (None or NaN)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


@functools.cache
def _schema(columns: tuple[tuple[str, str], ...], id_dtypes: tuple[tuple[str, str], ...]) -> pa.Schema:
    """The schema of a table: identifier columns ``id_dtypes`` then ``columns`` (name, dtype), with pandas' metadata."""
    layout = (*id_dtypes, *columns)
    fields = [pa.field(name, _ARROW_TYPES[dtype][0]) for name, dtype in layout]
    described = [
        {
            "name": name,
            "field_name": name,
            "pandas_type": _ARROW_TYPES[dtype][1],
            "numpy_type": _ARROW_TYPES[dtype][2],
            "metadata": None,
        }
        for name, dtype in layout
    ]
    pandas_metadata = {  # what pyarrow.pandas_compat.construct_metadata writes for a RangeIndex left out
        "index_columns": [],
        "column_indexes": [],
        "columns": described,
        "attributes": {},
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": _pandas_version(),
    }
    return pa.schema(fields, metadata={b"pandas": json.dumps(pandas_metadata).encode("utf8")})


@functools.cache
def _pandas_version() -> str:
    """The installed pandas' version (from its distribution's metadata: pandas itself is not imported)."""
    try:
        return version("pandas")
    except PackageNotFoundError:  # pragma: no cover - pandas is a dependency
        return "not installed"


def id_dtype(key: str, value: Any) -> str:
    """The dtype of the identifier column ``key`` with ``value``: declared, or that of a swept parameter's value."""
    if key in ID_COLUMNS:
        return ID_COLUMNS[key]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    return "str"


def concat_tables(tables: list[pa.Table]) -> pa.Table:
    """Tables of one layout one after the other (``pd.concat(..., ignore_index=True)`` of their frames)."""
    return pa.concat_tables(tables).combine_chunks()


def group_means(keys: Iterable[Any], values: Iterable[Any]) -> dict[Any, float]:
    """Mean of ``values`` per key, NaN skipped, summed as pandas' ``groupby(...).mean()`` sums.

    The runner's ``mean_fidelity`` per request was a pandas group-by mean; summing in
    the same way keeps it the same float to the last bit without importing pandas
    (a plain ``sum``, ``math.fsum`` or another order can differ in the last place).
    pandas (3.x) sums keys in non-decreasing order without NaN with NumPy's
    ``np.add.reduceat``, and any other case with a Kahan-compensated sum in row order.
    ``tests/unit/scenarios/test_table_arrow.py`` checks both against pandas.
    """
    key_list = list(keys)
    numbers = np.array(list(values), dtype=np.float64)
    if not key_list:
        return {}
    if all(a <= b for a, b in zip(key_list, key_list[1:], strict=False)) and not np.isnan(numbers).any():
        starts = [0, *(i for i in range(1, len(key_list)) if key_list[i] != key_list[i - 1])]
        segment_sums = np.add.reduceat(numbers, starts)
        sizes = np.diff(starts, append=len(key_list)).astype(np.float64)
        return {
            key_list[start]: float(total / size) for start, total, size in zip(starts, segment_sums, sizes, strict=True)
        }
    sums: dict[Any, float] = {}
    compensations: dict[Any, float] = {}
    counts: dict[Any, int] = {}
    for key, value in zip(key_list, numbers.tolist(), strict=True):
        if math.isnan(value):
            continue
        total = sums.get(key, 0.0)
        compensated = value - compensations.get(key, 0.0)
        new_total = total + compensated
        compensation = (new_total - total) - compensated
        compensations[key] = compensation if math.isfinite(compensation) else 0.0  # an infinite value: no NaN
        sums[key] = new_total
        counts[key] = counts.get(key, 0) + 1
    return {key: sums[key] / counts[key] for key in sums}
