"""Where the points of a sweep run: local worker processes, or a Dask distributed cluster.

Running a scenario imports SeQUeNCe and changes its class-level state, so the
runs of one process must follow each other: points run in separate processes
(never threads), and :func:`run_point` holds a lock so that even a worker with
several threads runs one point at a time.

:func:`scenarios.point_batches.execute` hands points to an executor (local
workers take batches of points, :func:`run_points`), retries failed points and
reports every outcome. Local workers write their point's result folder
themselves and send back the point's rows of the sweep's tidy tables, read from
that folder, so that gathering a sweep's tables costs the coordinator a
concatenation, not a read of every point's files after the last point. Dask
workers send the results back and the coordinating process writes them, so a
Dask cluster needs no file system shared with it.
"""

import dataclasses
import gc
import importlib
import logging
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import threading
import time
import traceback
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qnetsim.core.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from scenarios.results import Results

logger = logging.getLogger(__name__)

#: One run at a time per process (SeQUeNCe keeps protocol choices in class attributes).
_RUN_LOCK = threading.Lock()

#: What every point imports: a worker imports it before its first point, so a sweep pays it once per worker.
RUNNER_MODULES = ("scenarios.runner", "pyarrow.parquet")
#: What points that build SeQUeNCe objects import besides (the hardware and fast levels, or key traffic).
SEQUENCE_MODULES = ("qtn.sequence_backed.network", "qkdn.network", "qkdn.kaas", "qkdn.kms.service")
#: Imported first by the local workers' fork server: it turns the garbage collector off for the imports.
GC_PAUSE_MODULE = "scenarios.fork_server_gc"

CONNECT_TIMEOUT_S = 10.0
#: After Ctrl-C, a worker that has not stopped this long after SIGTERM is killed.
WORKER_STOP_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class PointTask:
    """One point to run: its scenario data, the ``sweep`` manifest entry and its result folder.

    ``folder`` is ``None`` when the worker should send the results back instead of writing them.
    ``grid`` (swept parameter -> column dtype) asks a worker that writes the folder to send back
    the point's rows of the sweep tables too (:func:`scenarios.sweep_folder.point_tables`).
    """

    point_id: str
    scenario_data: dict[str, Any]
    sweep_entry: dict[str, Any]
    folder: str | None
    grid: dict[str, str] | None = None


@dataclass(frozen=True)
class PointOutcome:
    """What running one point gave: success, or the error (one line and a traceback).

    ``tables``: the point's rows of the sweep tables (asked for by ``PointTask.grid``).
    ``worker_died``: the worker process died while the point was in its hands.
    """

    point_id: str
    ok: bool
    error: str | None = None
    traceback: str | None = None
    results: "Results | None" = None
    wall_time_s: float = 0.0
    tables: "dict[str, pd.DataFrame] | None" = None
    worker_died: bool = False


def run_point(task: PointTask) -> PointOutcome:
    """Run one point in this process; write its result folder or return its results.

    Every failure comes back as an outcome rather than an exception, so that the
    coordinator sees a readable message whatever the executor.
    """
    from scenarios.loader import from_dict
    from scenarios.runner import run

    started = time.perf_counter()
    try:
        with _RUN_LOCK:
            results = run(from_dict(task.scenario_data, f"point {task.point_id}"), progress=False)
        results.manifest = {**results.manifest, "sweep": task.sweep_entry}
        if task.folder is None:
            return PointOutcome(task.point_id, True, results=results, wall_time_s=time.perf_counter() - started)
        folder = results.write(task.folder)
        tables = None
        if task.grid is not None:
            from scenarios.sweep_folder import point_tables

            tables = point_tables(folder, task.sweep_entry["params"], task.grid)
        return PointOutcome(task.point_id, True, wall_time_s=time.perf_counter() - started, tables=tables)
    except Exception as error:
        return failed(task.point_id, error, started)


def run_points(tasks: Sequence[PointTask]) -> list[PointOutcome]:
    """Run a batch of points one after the other in this process (see :func:`run_point`)."""
    return [run_point(task) for task in tasks]


def failed(point_id: str, error: BaseException, started: float | None = None) -> PointOutcome:
    """A failed outcome describing ``error``."""
    elapsed = time.perf_counter() - started if started is not None else 0.0
    message = f"{type(error).__name__}: {error}".strip()
    trace = "".join(traceback.format_exception(error))
    return PointOutcome(point_id, False, error=message, traceback=trace, wall_time_s=elapsed)


def default_n_workers() -> int:
    """CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def import_modules(modules: Sequence[str]) -> None:
    """Import ``modules`` in this process (a worker's warm-up before its first point).

    The cyclic garbage collector is off meanwhile: imports make many objects and free
    few, and collections during them took a sixth of the imports' CPU time (measured).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for module in modules:
            importlib.import_module(module)
    finally:
        if was_enabled:
            gc.enable()


class LocalExecutor:
    """Points in a pool of local worker processes (forkserver where available, else spawn).

    The worker processes live for the whole sweep and import what points need
    (``preload``) once, before their first point. With the forkserver start
    method the server imports them, in the background from the moment the
    executor is made (the coordinator meanwhile checks the points), and every
    worker is forked from it with them loaded: a sweep pays the imports once,
    not once per worker. The fork server imports them with the garbage collector
    off (:data:`GC_PAUSE_MODULE`); each worker turns it on again.

    Workers take batches of points (:mod:`scenarios.point_batches`), at most one
    batch per worker at a time. When a worker process dies, the batches then
    running come back with ``worker_died`` set, and the pool is started anew.
    """

    batches = True

    def __init__(self, n_workers: int, preload: Sequence[str] = RUNNER_MODULES) -> None:
        if n_workers < 1:
            raise ConfigError(f"--workers: must be >= 1; got {n_workers}")
        self.max_in_flight = n_workers
        self._preload = tuple(preload)
        self._context = _worker_context()
        start_fork_server(self._preload)
        self._pool: ProcessPoolExecutor | None = None
        self._pool_of: dict[Any, ProcessPoolExecutor] = {}

    def submit(self, batch: Sequence[PointTask]) -> Any:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.max_in_flight, mp_context=self._context, initializer=_start_worker, initargs=(self._preload,)
            )
        try:
            future = self._pool.submit(run_points, tuple(batch))
        except BrokenProcessPool:
            self._restart()
            return self.submit(batch)
        self._pool_of[future] = self._pool
        return future

    def wait_first(self, futures: Iterable[Any]) -> set[Any]:
        done, _ = wait(list(futures), return_when=FIRST_COMPLETED)
        return set(done)

    def outcomes(self, future: Any, batch: Sequence[PointTask]) -> list[PointOutcome]:
        pool = self._pool_of.pop(future, None)
        try:
            return future.result()  # type: ignore[no-any-return]
        except BrokenProcessPool as error:
            logger.warning("a worker process died while points %s were running", ", ".join(t.point_id for t in batch))
            if pool is self._pool:  # not yet replaced because of another batch of the same pool
                self._restart()
            died = RuntimeError(f"a worker process died while this point was running ({error})")
            return [dataclasses.replace(failed(task.point_id, died), worker_died=True) for task in batch]
        except Exception as error:
            return [failed(task.point_id, error) for task in batch]

    def _restart(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None

    def close(self, cancel: bool = False) -> None:
        """Shut the pool down; with ``cancel`` (Ctrl-C), stop the running points at once.

        Cancelling terminates the workers and then waits for the pool's own
        thread to finish: leaving that thread running while the interpreter
        exits made it write to closed pipes (``OSError: Bad file descriptor``).
        A point stopped half-written leaves only a staging folder, removed on resume.
        """
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if cancel:
            _terminate_workers(pool)
        pool.shutdown(wait=True, cancel_futures=cancel)


def _worker_context() -> Any:
    """The multiprocessing context of local workers: forkserver where available, else spawn."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def start_fork_server(preload: Sequence[str]) -> bool:
    """Start this process's fork server importing ``preload``, without waiting; whether a new one started.

    The imports run in the background from here on. Nothing happens where there is no
    fork server (spawn) or when this process already has one (the preload list is then
    kept for a server started anew): its workers import what they miss themselves
    (``_start_worker``).
    """
    context = _worker_context()
    if context.get_start_method() != "forkserver":
        return False
    before = _fork_server_pid()
    context.set_forkserver_preload(["__main__", GC_PAUSE_MODULE, *preload])
    multiprocessing.forkserver.ensure_running()
    return _fork_server_pid() != before


def _fork_server_pid() -> int | None:
    """This process's fork server (the standard library keeps it in a private attribute)."""
    return getattr(multiprocessing.forkserver._forkserver, "_forkserver_pid", None)


def stop_fork_server() -> None:
    """Stop this process's fork server, if any, even in the middle of its imports.

    For a command that started one early and then refused its input: left alone, the
    server would finish its imports (seconds of CPU) before noticing that its parent
    is gone. Uses the standard library's own stop (``ForkServer._stop``, not public)
    after a SIGTERM, which the fork server does not catch.
    """
    pid = _fork_server_pid()
    if pid is None:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    stop = getattr(multiprocessing.forkserver._forkserver, "_stop", None)
    if stop is not None:
        stop()


def _start_worker(preload: Sequence[str]) -> None:
    """Worker start-up: import what points need (nothing to do when forked from a server that did).

    Ctrl-C goes to the whole process group, but only the coordinator acts on it. A fork
    server imports with the garbage collector off; its workers need it on.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.enable()
    import_modules(preload)


def _terminate_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate ``pool``'s worker processes (Python 3.14 has ``terminate_workers`` for this)."""
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(WORKER_STOP_TIMEOUT_S)
        if process.is_alive():
            process.kill()


class DaskExecutor:
    """Points on a Dask distributed cluster reached at ``address`` (``tcp://host:port``).

    All points are handed to the scheduler at once; it places them on workers and
    moves them elsewhere if a worker dies. Workers need ``qnetsim`` installed.
    """

    def __init__(self, address: str, preload: Sequence[str] = RUNNER_MODULES) -> None:
        try:
            import distributed
        except ImportError:
            raise ConfigError(
                "--executor dask: Dask is not installed; install it with: pip install 'dask[distributed]'"
            ) from None
        try:
            self._client = distributed.Client(address, timeout=f"{CONNECT_TIMEOUT_S}s", set_as_default=False)
        except Exception as error:
            raise ConfigError(f"--scheduler {address}: cannot reach a Dask scheduler: {error}") from None
        self.max_in_flight = 1_000_000
        self.batches = False  # the scheduler places and moves every point itself
        self._futures: set[Any] = set()
        # Our own client, not a process-wide default one: completion is tracked on its event loop.
        self._completed = distributed.as_completed(loop=self._client.loop)
        # Every worker imports what points need now, while the coordinator checks the points; a worker keeps
        # its imports for every later point and sweep. A worker that cannot import them fails its points instead.
        self._warm_up = [
            self._client.submit(
                import_modules,
                tuple(preload),
                key=f"qnetsim-warm-up-{uuid.uuid4().hex[:8]}",
                workers=[worker],
                allow_other_workers=False,
                pure=False,
            )
            for worker in self._client.scheduler_info().get("workers", {})
        ]

    def submit(self, batch: Sequence[PointTask]) -> Any:
        (task,) = batch
        key = f"qnetsim-point-{task.point_id}-{uuid.uuid4().hex[:8]}"
        future = self._client.submit(run_point, dataclasses.replace(task, folder=None), key=key, pure=False)
        self._futures.add(future)
        self._completed.add(future)
        return future

    def wait_first(self, futures: Iterable[Any]) -> set[Any]:
        done = {next(self._completed)}  # every submitted future is in flight, so one will come
        done.update(self._completed.next_batch(block=False))
        return done

    def outcomes(self, future: Any, batch: Sequence[PointTask]) -> list[PointOutcome]:
        (task,) = batch
        self._futures.discard(future)
        try:
            return [_written(future.result(), task)]
        except Exception as error:  # KilledWorker, a lost connection, ...
            return [failed(task.point_id, error)]
        finally:
            future.release()

    def close(self, cancel: bool = False) -> None:
        if cancel and self._futures:
            self._client.cancel(list(self._futures))
        self._futures.clear()
        for future in self._warm_up:
            future.release()
        self._warm_up.clear()
        if self._client.status not in ("closing", "closed"):
            self._client.close()


def _written(outcome: PointOutcome, task: PointTask) -> PointOutcome:
    """Write results a worker sent back into the point's folder (a failed write fails the point)."""
    if outcome.results is None or task.folder is None:
        return outcome
    try:
        outcome.results.write(task.folder)
    except Exception as error:
        return failed(task.point_id, error)
    return dataclasses.replace(outcome, results=None)
