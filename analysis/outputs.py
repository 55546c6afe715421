"""Where qnetsim writes: folders that prove qnetsim wrote them, written whole or not at all.

Every folder qnetsim writes carries a marker, a ``qnetsim_result`` entry
``{"kind": ..., "format": 1, "files": [...]}`` in the folder's own record
(``manifest.json`` of a run or a comparison of designs, ``report.json`` of a
report; a sweep's points are runs, and a sweep folder's ``sweep.json`` carries
``qnetsim_sweep``). ``files`` lists every file qnetsim put in the folder.

The rules every writer follows (checked here; writing is :mod:`analysis.staging`):

1. A missing path or an empty folder takes the new folder.
2. An existing folder is replaced only when its marker proves qnetsim wrote it,
   it is of the same kind, and it holds nothing the marker does not list.
   Anything else raises :class:`~analysis.errors.OutputFolderError` and is not
   touched. Folders written before markers existed are recognised by their
   record's own fields (see :func:`claim`); a foreign ``manifest.json`` is not.
3. The new folder is written into a hidden sibling ``.NAME.XXXXXXXX.partial``
   and swapped in with one rename (on Linux an atomic exchange,
   ``renameat2(RENAME_EXCHANGE)``; elsewhere the old folder is first renamed to
   ``.NAME.prev.XXXXXXXX.partial``). On failure the sibling is removed; a
   killed write leaves at most such a sibling, which the next write into the
   same place removes when it is provably qnetsim's and no live process holds it.
4. A symbolic link: the folder it points to is replaced and the link kept. A
   link to nothing, a path under a file, or a folder qnetsim cannot write in
   is refused by :func:`check_target` before any work is done.

>>> from analysis.outputs import result_marker
>>> result_marker("run", ["pairs.parquet", "manifest.json"])
{'kind': 'run', 'format': 1, 'files': ['manifest.json', 'pairs.parquet']}
"""

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.errors import OutputFolderError

__all__ = [
    "MARKER_KEY",
    "Claim",
    "check_file_target",
    "check_place",
    "check_target",
    "claim",
    "drawn_by_qnetsim",
    "files_in",
    "record_kind",
    "result_marker",
]

MARKER_KEY = "qnetsim_result"
FORMAT = 1
#: Files that may hold a folder's marker, by kind.
RECORD_FILES = {"run": "manifest.json", "compare": "manifest.json", "report": "report.json"}
#: What each kind of folder is called in messages.
NOUNS = {"run": "run", "compare": "comparison of designs", "report": "report"}
#: Lock file inside a folder being written or removed (never in a finished folder).
STAGING_MARKER = ".qnetsim-partial"
LEFTOVER_SUFFIXES = (".partial", ".old")  # ``.old``: what versions before markers left

# Fields of the records written before markers existed (any older folder has all of them).
_LEGACY_RUN_KEYS = frozenset({"run_id", "scenario_name", "seed", "packages", "scenario", "tables"})
_LEGACY_COMPARE_KEYS = frozenset({"comparison_of", "designs", "scenario", "runs", "tables"})
_LEGACY_COMPARE_FILES = ("manifest.json", "comparison.parquet", "distance.parquet", "key_rate_vs_distance.png")
_LEGACY_REPORT_FILES = ("report.html", "report.md")


def result_marker(kind: str, files: Iterable[str]) -> dict[str, Any]:
    """The ``qnetsim_result`` entry of a folder of ``kind`` holding ``files`` (paths relative to it)."""
    if kind not in RECORD_FILES:
        raise ValueError(f"kind: must be one of {', '.join(RECORD_FILES)}; got {kind!r}")
    return {"kind": kind, "format": FORMAT, "files": sorted(set(files))}


def files_in(folder: Path) -> list[str]:
    """Every file below ``folder`` as a POSIX path relative to it (the staging lock file left out)."""
    found = []
    for directory, _, names in os.walk(folder):
        relative = Path(directory).relative_to(folder)
        found += [(relative / name).as_posix() for name in names if name != STAGING_MARKER]
    return sorted(found)


# --- recognising qnetsim's folders --------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """Proof that qnetsim wrote a folder.

    Attributes:
        kind: ``run``, ``compare`` or ``report``.
        legacy: recognised by the fields of a record written before markers existed.
        foreign: entries in the folder that qnetsim did not write (relative paths).
    """

    kind: str
    legacy: bool
    foreign: tuple[str, ...]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def record_kind(record: Any) -> tuple[str, bool] | None:
    """``(kind, legacy)`` of a parsed ``manifest.json`` or ``report.json``; ``None`` if qnetsim did not write it."""
    if not isinstance(record, dict):
        return None
    marker = record.get(MARKER_KEY)
    if isinstance(marker, dict):
        valid = (
            marker.get("kind") in RECORD_FILES
            and marker.get("format") == FORMAT
            and isinstance(marker.get("files"), list)
            and all(isinstance(name, str) for name in marker["files"])
        )
        return (marker["kind"], False) if valid else None
    if _LEGACY_COMPARE_KEYS <= record.keys() and isinstance(record["designs"], list):
        return "compare", True
    if _LEGACY_RUN_KEYS <= record.keys() and _legacy_table_files(record) is not None:
        return "run", True
    return None


def _legacy_table_files(record: dict[str, Any]) -> list[str] | None:
    tables = record.get("tables")
    if not isinstance(tables, dict):
        return None
    files = []
    for name, entry in tables.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            return None
        files += [entry["file"], f"{name}.csv"]
    return files


def claim(folder: Path) -> Claim | None:
    """Whether qnetsim provably wrote ``folder`` (an existing real folder), and what in it it did not write."""
    for kind in ("run", "report"):  # the two record files (a comparison's is manifest.json too)
        record = _read_json(folder / RECORD_FILES[kind])
        found = record_kind(record)
        if found is None or RECORD_FILES[found[0]] != RECORD_FILES[kind]:
            continue
        kind, legacy = found
        owned = _legacy_files(folder, kind, record) if legacy else {*record[MARKER_KEY]["files"], RECORD_FILES[kind]}
        return Claim(kind, legacy, tuple(_foreign(folder, owned)))
    if any((folder / name).is_file() for name in _LEGACY_REPORT_FILES):
        owned = set(_LEGACY_REPORT_FILES) | {f"figures/{p.name}" for p in folder.glob("figures/*.png")}
        return Claim("report", True, tuple(_foreign(folder, owned)))
    return None


def _legacy_files(folder: Path, kind: str, record: dict[str, Any]) -> set[str]:
    """What a version before markers wrote into a folder of ``kind`` with this ``record``."""
    if kind == "run":
        return {"manifest.json", *(_legacy_table_files(record) or [])}
    owned = set(_LEGACY_COMPARE_FILES)
    for design in record["designs"]:
        if not isinstance(design, str) or not design or "/" in design or design.startswith("."):
            continue
        sub = _read_json(folder / design / "manifest.json")
        if record_kind(sub) == ("run", True):
            owned |= {f"{design}/{name}" for name in _legacy_files(folder / design, "run", sub)}
        # A design's run folder being written or replaced when an older version was killed.
        for leftover in folder.glob(f".{design}.*"):
            if leftover.is_dir() and leftover.name.endswith(LEFTOVER_SUFFIXES):
                names = files_in(leftover)
                if all(name.endswith((".parquet", ".csv")) or name == "manifest.json" for name in names):
                    owned |= {f"{leftover.name}/{name}" for name in names}
    return owned


def _foreign(folder: Path, owned: set[str]) -> list[str]:
    """Entries below ``folder`` that are not in ``owned`` nor folders on the way to them."""
    ancestors = {parent.as_posix() for name in owned for parent in Path(name).parents}
    foreign = []
    for directory, subfolders, names in os.walk(folder):
        relative = Path(directory).relative_to(folder)
        for name in names + [d for d in subfolders if (Path(directory) / d).is_symlink()]:
            path = (relative / name).as_posix()
            if path not in owned and name != STAGING_MARKER:
                foreign.append(path)
        for name in list(subfolders):
            path = (relative / name).as_posix()
            if (Path(directory) / name).is_symlink():
                subfolders.remove(name)
            elif path not in ancestors and is_empty(Path(directory) / name):
                foreign.append(path + "/")  # an empty folder qnetsim did not make
    return sorted(foreign)


def is_empty(folder: Path) -> bool:
    with os.scandir(folder) as entries:
        return next(entries, None) is None


# --- checking a place before writing there ------------------------------------------------


def check_target(target: str | Path, kind: str, what: str = "output folder", *, probe: bool = True) -> Path:
    """The real folder to write a folder of ``kind`` to at ``target``; raise if it may not be written.

    Checked before any work: ``target`` (or the folder its symbolic link names)
    is missing, an empty folder, or a folder of the same kind that qnetsim
    provably wrote holding nothing else; and its nearest existing parent is a
    folder qnetsim can create entries in (:func:`check_place`; ``probe=False``
    skips making a folder there to prove it, for a caller that just wrote one).

    Raises:
        OutputFolderError: the message names the path and what is wrong with it.
    """
    real = check_place(target, what, probe=probe)
    if real.is_dir() and not is_empty(real):
        _check_replaceable(Path(target), real, kind, what)
    return real


def check_place(target: str | Path, what: str = "output folder", *, probe: bool = True) -> Path:
    """The real path of the folder ``target`` (symbolic links followed); raise unless qnetsim can make it there.

    Refused: a link to nothing, an existing file, the root folder, and a place
    whose nearest existing parent is a file or a folder qnetsim cannot write in.
    Nothing is created.

    Raises:
        OutputFolderError: the message names the path and what is wrong with it.
    """
    target = Path(target)
    real = Path(os.path.realpath(target))
    if target.is_symlink() and not real.exists():
        raise OutputFolderError(
            f"{what} {target} is a symbolic link to {real}, which does not exist; create it or choose another folder"
        )
    if real.exists() and not real.is_dir():
        raise OutputFolderError(f"{what} {target} exists and is not a folder")
    if real.parent == real:
        raise OutputFolderError(f"{what} {target}: cannot replace the root folder")
    if probe:
        check_writable(target, real.parent, what)
    return real


def _check_replaceable(target: Path, real: Path, kind: str, what: str) -> None:
    found = claim(real)
    if found is None:
        noun = "report" if kind == "report" else "qnetsim results"
        raise OutputFolderError(f"{what} {target} exists, is not empty and holds no {noun}; choose another folder")
    if found.kind != kind:
        raise OutputFolderError(
            f"{what} {target} holds a qnetsim {NOUNS[found.kind]}, not a {NOUNS[kind]}; choose another folder"
        )
    if found.foreign:
        shown = ", ".join(found.foreign[:3]) + (f" and {len(found.foreign) - 3} more" if len(found.foreign) > 3 else "")
        raise OutputFolderError(
            f"{what} {target} holds files qnetsim did not write ({shown}); move them away or choose another folder"
        )


def check_writable(target: Path, parent: Path, what: str) -> None:
    """Raise unless qnetsim can create entries in ``parent`` (or, if missing, in its nearest existing parent)."""
    existing = parent
    while not existing.exists():
        if existing.is_symlink():
            raise OutputFolderError(f"{what} {target}: {existing} is a symbolic link to nothing")
        existing = existing.parent
    if not existing.is_dir():
        raise OutputFolderError(f"{what} {target}: {existing} is not a folder")
    try:  # the one reliable test (permissions, read-only file systems, /proc): make and remove a folder
        os.rmdir(tempfile.mkdtemp(prefix=".qnetsim-probe.", dir=existing))
    except OSError as error:
        raise OutputFolderError(f"{what} {target}: cannot write in {existing} ({error.strerror})") from None


def check_file_target(path: str | Path, what: str = "output file", ours: Callable[[Path], bool] | None = None) -> Path:
    """The real file to write at ``path``; raise unless its folder exists and any file there is qnetsim's.

    An existing file may be replaced only when ``ours(file)`` says qnetsim wrote
    it (default: a PNG that qnetsim drew, see :func:`analysis.figures.save`). The
    folder must exist (nothing is created).

    Raises:
        OutputFolderError: the message names the path and what is wrong with it.
    """
    path = Path(path)
    real = Path(os.path.realpath(path))
    if path.is_symlink() and not real.exists():
        raise OutputFolderError(f"{what} {path} is a symbolic link to {real}, which does not exist")
    if real.is_dir():
        raise OutputFolderError(f"{what} {path} is a folder")
    if not real.parent.is_dir():
        raise OutputFolderError(f"{what} {path}: folder {path.parent} does not exist; create it first")
    if real.exists() and not (ours or drawn_by_qnetsim)(real):
        raise OutputFolderError(f"{what} {path} exists and was not written by qnetsim; choose another name")
    check_writable(path, real.parent, what)
    return real


def drawn_by_qnetsim(path: Path) -> bool:
    """Whether ``path`` is a PNG whose ``Software`` text entry names qnetsim."""
    from PIL import Image, UnidentifiedImageError  # matplotlib's own dependency

    try:
        with Image.open(path) as image:
            return str(image.info.get("Software", "")).startswith("qnetsim")
    except (OSError, UnidentifiedImageError):
        return False
