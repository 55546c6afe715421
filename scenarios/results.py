"""Results of one run: tidy tables, a manifest, and writing them safely to a folder.

A result folder holds one Parquet file per table and ``manifest.json`` (the
scenario as run, seed, package versions, wall time, events executed, simulated
time). Folders are written to a temporary sibling and moved into place at the
end, so a failed run or write never leaves a partial folder behind.
"""

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from qtn.errors import ConfigError
from scenarios.schema import Scenario

MANIFEST_FILE = "manifest.json"


class OutputError(ConfigError):
    """The output folder cannot be used (exists with other content, or is a file)."""


@dataclass
class Results:
    """Tables and manifest of one run.

    Attributes:
        scenario: the scenario as run.
        tables: table name -> tidy DataFrame (see :mod:`scenarios.tables`).
        manifest: provenance of the run (JSON-serialisable).
    """

    scenario: Scenario
    tables: dict[str, pd.DataFrame]
    manifest: dict[str, Any]

    def write(self, directory: str | Path) -> Path:
        """Write every table as Parquet plus ``manifest.json`` into ``directory``.

        An existing result folder (one holding a ``manifest.json``) is replaced;
        any other non-empty folder is left alone and :class:`OutputError` raised.
        """
        target = Path(directory)
        check_output_folder(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
        _make_world_readable(staging)
        try:
            self._write_files(staging)
            _replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return target

    def _write_files(self, folder: Path) -> None:
        manifest = dict(self.manifest)
        files = {}
        for name, frame in self.tables.items():
            frame.to_parquet(folder / f"{name}.parquet", index=False)
            files[name] = {"file": f"{name}.parquet", "rows": len(frame)}
            if self.scenario.outputs.csv:
                frame.to_csv(folder / f"{name}.csv", index=False)
        manifest["tables"] = files
        (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")


def _make_world_readable(folder: Path) -> None:
    # mkdtemp creates 0700 folders; a result folder gets the usual permissions.
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)


def check_output_folder(target: Path) -> None:
    """Raise :class:`OutputError` unless ``target`` may receive (or replace) a result folder."""
    if target.exists() and not target.is_dir():
        raise OutputError(f"output folder {target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not (target / MANIFEST_FILE).is_file():
        raise OutputError(
            f"output folder {target} exists, is not empty and holds no qnetsim results; choose another folder"
        )


def _replace(staging: Path, target: Path) -> None:
    if not target.exists():
        staging.rename(target)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    retired.rmdir()
    target.rename(retired)
    try:
        staging.rename(target)
    except BaseException:
        retired.rename(target)
        raise
    shutil.rmtree(retired, ignore_errors=True)
