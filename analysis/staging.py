"""Writing qnetsim's folders and files whole: a hidden sibling, then one rename.

:func:`staged_folder` is the one way every writer (runs, sweep points,
comparisons, reports) puts a folder in place, following the rules of
:mod:`analysis.outputs`: checked first, written into
``.NAME.XXXXXXXX.partial`` (holding a lock file while it is written), swapped in
with one ``renameat2(RENAME_EXCHANGE)`` on Linux or two renames elsewhere, and
removed on failure. :func:`remove_leftovers` removes what killed writes left,
when provably qnetsim's; :func:`write_file_atomically` does the same for one file.

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> with staged_folder(root / "out", "report") as folder:
...     _ = (folder / "report.json").write_text('{"qnetsim_result": {"kind": "report", "format": 1, "files": []}}')
>>> sorted(p.name for p in (root / "out").iterdir())
['report.json']
"""

import contextlib
import ctypes
import errno
import logging
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from analysis.outputs import STAGING_MARKER, check_target, check_writable, claim, is_empty

try:
    import fcntl
except ImportError:  # not on POSIX: leftovers are then never taken for abandoned
    fcntl = None  # type: ignore[assignment]

__all__ = ["discard", "remove_leftovers", "staged_folder", "write_file_atomically"]

logger = logging.getLogger(__name__)

#: Names of the hidden siblings :func:`tempfile.mkdtemp` gives staging and retired folders.
_LEFTOVER_NAME = re.compile(r"^\.(?P<name>.+)\.(prev\.)?[a-z0-9_]{8}\.(partial|old)$")


def write_file_atomically(path: Path, write: Any) -> None:
    """Call ``write(temporary_path)`` on a hidden sibling of ``path`` and move it into place with one rename."""
    # The temporary name keeps the file's extension, for writers that choose the format by it.
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".partial{path.suffix}", dir=path.parent)
    os.close(handle)
    try:
        write(Path(name))
        os.chmod(name, 0o666 & ~_umask())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


@contextlib.contextmanager
def staged_folder(target: str | Path, kind: str, what: str = "output folder") -> Iterator[Path]:
    """Yield an empty hidden sibling of ``target`` to write into; swap it in when the block ends.

    The writer must put the marker (:func:`result_marker`) in the folder's record.
    If the block raises, or the target changed meanwhile so that it may no longer
    be replaced, nothing is swapped and the sibling is removed.
    """
    real = check_target(target, kind, what, probe=False)  # making the staging folder proves the place writable
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(real.parent, real.name)
        staging = Path(tempfile.mkdtemp(prefix=f".{real.name}.", suffix=".partial", dir=real.parent))
    except OSError:
        check_writable(Path(target), real.parent, what)  # why not, as check_target's probe says it
        raise
    lock = _hold(staging)
    try:
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes 0700 folders; results get the usual permissions
        yield staging
        check_target(target, kind, what, probe=False)  # has it changed meanwhile? (the staging proved the parent)
        _release(staging, lock)
        lock = None
        _swap(staging, real)
    except BaseException:
        discard(staging, lock)
        raise


def _hold(folder: Path) -> int | None:
    """Create the lock file in ``folder`` and hold it (until released, or the process ends, even killed)."""
    handle = os.open(folder / STAGING_MARKER, os.O_RDWR | os.O_CREAT, 0o644)
    if fcntl is not None:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return handle


def _release(folder: Path, lock: int | None) -> None:
    (folder / STAGING_MARKER).unlink(missing_ok=True)
    if lock is not None:
        os.close(lock)


def discard(folder: Path, lock: int | None = None) -> None:
    """Remove a folder of qnetsim's, its lock file last, so that a kill half way leaves provable remains."""
    try:
        if lock is None and not (folder / STAGING_MARKER).exists():
            lock = _hold(folder)
        for entry in os.scandir(folder):
            if entry.name == STAGING_MARKER:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        _release(folder, lock)
        lock = None
        folder.rmdir()
    except OSError as error:
        logger.warning("could not remove %s: %s", folder, error)
    finally:
        if lock is not None:
            os.close(lock)


def _swap(staging: Path, real: Path) -> None:
    """Put ``staging`` at ``real`` with one rename; remove whatever was at ``real``."""
    if not real.exists():
        os.rename(staging, real)  # an empty folder made meanwhile is replaced; a non-empty one fails
        return
    if _exchange(staging, real):
        discard(staging)  # now holds the old folder
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{real.name}.prev.", suffix=".partial", dir=real.parent))
    retired.rmdir()
    os.rename(real, retired)
    try:
        os.rename(staging, real)
    except BaseException:
        os.rename(retired, real)
        raise
    discard(retired)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2`` with ``RENAME_EXCHANGE``); ``False`` where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except AttributeError:  # a C library without it
        return False
    renameat2.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    at_cwd, rename_exchange = -100, 2  # AT_FDCWD and RENAME_EXCHANGE from <fcntl.h>, <stdio.h>
    if renameat2(at_cwd, os.fsencode(first), at_cwd, os.fsencode(second), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):  # kernel or file system without it
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))


# --- what killed writes leave behind ------------------------------------------------------


def remove_leftovers(parent: Path, name: str | None = None) -> list[Path]:
    """Remove the hidden siblings that killed writes of ``name`` (or of anything) in ``parent`` left.

    A leftover ``.NAME.XXXXXXXX.partial`` (or ``.NAME.prev.XXXXXXXX.partial``) is
    removed when it holds qnetsim's lock file that no live process holds, or when
    its record proves qnetsim wrote all of it. Anything else is left alone with a
    warning. Returns what was removed.
    """
    pattern = (
        _LEFTOVER_NAME if name is None else re.compile(_LEFTOVER_NAME.pattern.replace("(?P<name>.+)", re.escape(name)))
    )
    removed = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return []
    for entry in entries:
        if not pattern.match(entry.name):
            continue
        if not entry.is_dir(follow_symlinks=False):
            continue
        folder = Path(entry.path)
        if is_empty(folder):  # nothing to lose (mkdtemp's folder before its lock file was made)
            folder.rmdir()
            removed.append(folder)
            continue
        if (folder / STAGING_MARKER).exists():
            lock = _try_lock(folder / STAGING_MARKER)
            if lock is None:
                continue  # another qnetsim process is writing it
            discard(folder, lock)
            removed.append(folder)
            continue
        found = claim(folder)
        if found is not None and not found.foreign:
            discard(folder)
            removed.append(folder)
        else:
            logger.warning("leaving %s alone: an interrupted write, but qnetsim cannot prove it wrote it", folder)
    return removed


def _try_lock(path: Path) -> int | None:
    """A held lock on ``path`` (its descriptor); ``None`` if another process holds it or it cannot be told."""
    if fcntl is None:
        return None
    try:
        handle = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(handle)
        return None
    return handle
