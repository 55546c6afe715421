"""Loading result folders (Parquet tables + ``manifest.json``) into pandas."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

MANIFEST_FILE = "manifest.json"


class ResultFolderError(ValueError):
    """A folder is not a readable qnetsim result folder."""


@dataclass(frozen=True)
class Run:
    """One run read back from disk: its tables and its manifest."""

    folder: Path
    tables: dict[str, pd.DataFrame]
    manifest: dict[str, Any]


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST_FILE
    if not path.is_file():
        raise ResultFolderError(f"{folder} is not a qnetsim result folder: no {MANIFEST_FILE}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ResultFolderError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("tables"), dict):
        raise ResultFolderError(f"{path}: no 'tables' section")
    return manifest


def load_table(folder: str | Path, name: str) -> pd.DataFrame:
    """One table of a result folder as a DataFrame."""
    folder = Path(folder)
    tables = _manifest(folder)["tables"]
    if name not in tables:
        raise ResultFolderError(f"{folder} has no table {name!r}; it has {', '.join(sorted(tables))}")
    return pd.read_parquet(folder / tables[name]["file"])


def load_run(folder: str | Path) -> Run:
    """Every table of a result folder, with its manifest."""
    folder = Path(folder)
    manifest = _manifest(folder)
    tables = {name: pd.read_parquet(folder / entry["file"]) for name, entry in manifest["tables"].items()}
    return Run(folder=folder, tables=tables, manifest=manifest)
