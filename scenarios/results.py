"""Results of one run: tidy tables, a manifest, and writing them safely to a folder.

A result folder holds one Parquet file per table and ``manifest.json`` (the
scenario as run, seed, package versions, wall time, events executed, simulated
time, and the ``qnetsim_result`` marker listing every file written). Folders are
written to a hidden sibling and swapped into place at the end
(:mod:`analysis.staging`), so a failed or killed run never leaves a partial
folder in place, and a folder qnetsim did not write is never replaced.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.errors import OutputFolderError
from analysis.outputs import check_target, files_in, result_marker
from analysis.staging import staged_folder
from qnetsim.core.errors import ConfigError
from scenarios.schema import Scenario

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

MANIFEST_FILE = "manifest.json"


class OutputError(ConfigError):
    """The output folder cannot be used (holds what qnetsim did not write, is a file, cannot be written)."""


class Results:
    """Tables and manifest of one run.

    Attributes:
        scenario: the scenario as run.
        tables: table name -> tidy DataFrame (see :mod:`scenarios.tables`).
        manifest: provenance of the run (JSON-serialisable).

    A run hands its tables over as Arrow tables (:meth:`from_arrow`): they are
    written to Parquet as they are, and turned into DataFrames (importing pandas)
    the first time :attr:`tables` is read, so a run that only writes its folder
    never imports pandas.
    """

    def __init__(self, scenario: Scenario, tables: "dict[str, pd.DataFrame]", manifest: dict[str, Any]) -> None:
        self.scenario = scenario
        self.manifest = manifest
        self._frames: dict[str, pd.DataFrame] | None = tables
        self._arrow: dict[str, pa.Table] = {}

    @classmethod
    def from_arrow(cls, scenario: Scenario, tables: "dict[str, pa.Table]", manifest: dict[str, Any]) -> "Results":
        """Results whose tables are Arrow tables (see :mod:`scenarios.table_arrow`), DataFrames on first read."""
        results = cls(scenario, {}, manifest)
        results._frames = None
        results._arrow = dict(tables)
        return results

    @property
    def tables(self) -> "dict[str, pd.DataFrame]":
        """Table name -> tidy DataFrame (built from the run's Arrow tables on first read)."""
        if self._frames is None:
            self._frames = {name: table.to_pandas() for name, table in self._arrow.items()}
            self._arrow = {}
        return self._frames

    @tables.setter
    def tables(self, tables: "dict[str, pd.DataFrame]") -> None:
        self._frames, self._arrow = tables, {}

    def __repr__(self) -> str:
        from scenarios.display import run_repr

        return run_repr(self)

    def _repr_html_(self) -> str:
        from scenarios.display import run_repr

        return run_repr(self, html_form=True)

    def write(self, directory: str | Path) -> Path:
        """Write every table as Parquet plus ``manifest.json`` into ``directory``; return ``directory``.

        An earlier run's folder there is replaced as a whole; any other non-empty
        folder is left alone and :class:`OutputError` raised (see :mod:`analysis.outputs`).
        """
        target = Path(directory)
        with output_errors(), staged_folder(target, "run") as staging:
            self.write_files(staging)
        return target

    def write_files(self, folder: Path) -> None:
        """Write the tables and the manifest (with its marker) into the existing empty ``folder``.

        Tables not yet read as DataFrames are written from their Arrow tables (the same
        bytes; see :mod:`scenarios.table_arrow`); CSV files, asked for with ``outputs.csv``,
        are written by pandas, as before.
        """
        manifest = dict(self.manifest)
        files = {}
        tables: dict[str, pa.Table | pd.DataFrame] = {**self._arrow} if self._frames is None else {**self._frames}
        for name, table in tables.items():
            write_parquet(table, folder / f"{name}.parquet")
            files[name] = {"file": f"{name}.parquet", "rows": len(table)}
            if self.scenario.outputs.csv:
                self.tables[name].to_csv(folder / f"{name}.csv", index=False)
        manifest["tables"] = files
        manifest["qnetsim_result"] = result_marker("run", [*files_in(folder), MANIFEST_FILE])
        (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")


def write_parquet(table: "pa.Table | pd.DataFrame", path: Path) -> None:
    """Write ``table`` (an Arrow table, or a DataFrame without its index) to the Parquet file ``path``.

    A DataFrame gives the same file as ``frame.to_parquet(path, index=False)`` with pyarrow
    (same bytes), without the pandas layer's per-call work (file-system lookup, version checks).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not isinstance(table, pa.Table):
        table = pa.Table.from_pandas(table, preserve_index=False)
    with open(path, "wb") as handle:  # a file, not a path: pyarrow skips its file-system lookup (same bytes)
        pq.write_table(table, handle)


@contextmanager
def output_errors() -> Iterator[None]:
    """Report an unusable output place as :class:`OutputError` (bad input: exit 2)."""
    try:
        yield
    except OutputFolderError as error:
        raise OutputError(str(error)) from None


def check_output_folder(target: Path, kind: str = "run") -> Path:
    """Raise :class:`OutputError` unless a folder of ``kind`` may be written at ``target``; return the real folder.

    Called before a run, so that a bad place is refused before the simulation, not after.
    """
    with output_errors():
        return check_target(target, kind)
