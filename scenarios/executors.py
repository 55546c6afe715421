"""Where the points of a sweep run: local worker processes, or a Dask distributed cluster.

Running a scenario imports SeQUeNCe and changes its class-level state, so the
runs of one process must follow each other: points run in separate processes
(never threads), and :func:`run_point` holds a lock so that even a worker with
several threads runs one point at a time.

:func:`execute` hands points to an executor, keeps at most ``max_in_flight`` of
them running, retries a failed point up to ``retries`` more times and reports
every outcome as it arrives. Local workers write their point's result folder
themselves; Dask workers send the results back and the coordinating process
writes them, so a Dask cluster needs no file system shared with it.
"""

import dataclasses
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
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol

from qnetsim.core.errors import ConfigError
from scenarios.results import Results

logger = logging.getLogger(__name__)

#: One run at a time per process (SeQUeNCe keeps protocol choices in class attributes).
_RUN_LOCK = threading.Lock()

#: What every point imports: a worker imports it before its first point, so a sweep pays it once per worker.
RUNNER_MODULES = ("scenarios.runner", "pyarrow.parquet")
#: What points that build SeQUeNCe objects import besides (the hardware and fast levels, or key traffic).
SEQUENCE_MODULES = ("qtn.sequence_backed.network", "qkdn.network", "qkdn.kaas", "qkdn.kms.service")

CONNECT_TIMEOUT_S = 10.0
#: After Ctrl-C, a worker that has not stopped this long after SIGTERM is killed.
WORKER_STOP_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class PointTask:
    """One point to run: its scenario data, the ``sweep`` manifest entry and its result folder.

    ``folder`` is ``None`` when the worker should send the results back instead of writing them.
    """

    point_id: str
    scenario_data: dict[str, Any]
    sweep_entry: dict[str, Any]
    folder: str | None


@dataclass(frozen=True)
class PointOutcome:
    """What running one point gave: success, or the error (one line and a traceback)."""

    point_id: str
    ok: bool
    error: str | None = None
    traceback: str | None = None
    results: Results | None = None
    wall_time_s: float = 0.0


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
        if task.folder is not None:
            results.write(task.folder)
            return PointOutcome(task.point_id, True, wall_time_s=time.perf_counter() - started)
        return PointOutcome(task.point_id, True, results=results, wall_time_s=time.perf_counter() - started)
    except Exception as error:
        return failed(task.point_id, error, started)


def failed(point_id: str, error: BaseException, started: float | None = None) -> PointOutcome:
    """A failed outcome describing ``error``."""
    elapsed = time.perf_counter() - started if started is not None else 0.0
    message = f"{type(error).__name__}: {error}".strip()
    trace = "".join(traceback.format_exception(error))
    return PointOutcome(point_id, False, error=message, traceback=trace, wall_time_s=elapsed)


class Executor(Protocol):
    """What :func:`execute` needs from a place that runs points."""

    max_in_flight: int

    def submit(self, task: PointTask) -> Any: ...

    def wait_first(self, futures: Iterable[Any]) -> set[Any]: ...

    def outcome(self, future: Any, task: PointTask) -> PointOutcome: ...

    def close(self, cancel: bool = False) -> None: ...


def default_n_workers() -> int:
    """CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def import_modules(modules: Sequence[str]) -> None:
    """Import ``modules`` in this process (a worker's warm-up before its first point)."""
    for module in modules:
        importlib.import_module(module)


class LocalExecutor:
    """Points in a pool of local worker processes (forkserver where available, else spawn).

    The worker processes live for the whole sweep and import what points need
    (``preload``) once, before their first point. With the forkserver start
    method the server imports them, in the background from the moment the
    executor is made (the coordinator meanwhile checks the points), and every
    worker is forked from it with them loaded: a sweep pays the imports once,
    not once per worker.

    At most one point per worker is handed out, so when a worker process dies only
    the points then running are charged an attempt; the pool is then started anew.
    Short points lose little to that: a worker waits only for the coordinator to
    hand it the next point (well under a millisecond on an idle machine), while
    batches of points would leave workers idle at the end of a sweep.
    """

    def __init__(self, n_workers: int, preload: Sequence[str] = RUNNER_MODULES) -> None:
        if n_workers < 1:
            raise ConfigError(f"--workers: must be >= 1; got {n_workers}")
        self.max_in_flight = n_workers
        self._preload = tuple(preload)
        methods = multiprocessing.get_all_start_methods()
        self._context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if self._context.get_start_method() == "forkserver":
            # Takes effect if this process has no fork server yet; otherwise each worker imports them itself.
            self._context.set_forkserver_preload(["__main__", *self._preload])
            multiprocessing.forkserver.ensure_running()  # starts it (and its imports) now, without waiting
        self._pool: ProcessPoolExecutor | None = None
        self._pool_of: dict[Any, ProcessPoolExecutor] = {}

    def submit(self, task: PointTask) -> Any:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.max_in_flight, mp_context=self._context, initializer=_start_worker, initargs=(self._preload,)
            )
        try:
            future = self._pool.submit(run_point, task)
        except BrokenProcessPool:
            self._restart()
            return self.submit(task)
        self._pool_of[future] = self._pool
        return future

    def wait_first(self, futures: Iterable[Any]) -> set[Any]:
        done, _ = wait(list(futures), return_when=FIRST_COMPLETED)
        return set(done)

    def outcome(self, future: Any, task: PointTask) -> PointOutcome:
        pool = self._pool_of.pop(future, None)
        try:
            return future.result()  # type: ignore[no-any-return]
        except BrokenProcessPool as error:
            logger.warning("a worker process died while point %s was running", task.point_id)
            if pool is self._pool:  # not yet replaced because of another point of the same pool
                self._restart()
            return failed(task.point_id, RuntimeError(f"a worker process died while this point was running ({error})"))
        except Exception as error:
            return failed(task.point_id, error)

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


def _start_worker(preload: Sequence[str]) -> None:
    """Worker start-up: import what points need (nothing to do when forked from a server that did).

    Ctrl-C goes to the whole process group, but only the coordinator acts on it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
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

    def submit(self, task: PointTask) -> Any:
        key = f"qnetsim-point-{task.point_id}-{uuid.uuid4().hex[:8]}"
        future = self._client.submit(run_point, dataclasses.replace(task, folder=None), key=key, pure=False)
        self._futures.add(future)
        self._completed.add(future)
        return future

    def wait_first(self, futures: Iterable[Any]) -> set[Any]:
        done = {next(self._completed)}  # every submitted future is in flight, so one will come
        done.update(self._completed.next_batch(block=False))
        return done

    def outcome(self, future: Any, task: PointTask) -> PointOutcome:
        self._futures.discard(future)
        try:
            return future.result()  # type: ignore[no-any-return]
        except Exception as error:  # KilledWorker, a lost connection, ...
            return failed(task.point_id, error)
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


def execute(
    tasks: Sequence[PointTask],
    executor: Executor,
    *,
    retries: int,
    on_outcome: Callable[[PointOutcome, int, bool], None],
) -> None:
    """Run ``tasks`` on ``executor``, retrying failures, and report each outcome.

    Args:
        tasks: the points to run (each with its result folder).
        executor: where they run.
        retries: how many more times a failed point is tried.
        on_outcome: called as ``on_outcome(outcome, attempts, final)`` after every
            attempt; ``final`` is false when the point will be tried again.
    """
    queue = deque(tasks)
    attempts: Counter[str] = Counter()
    in_flight: dict[Any, PointTask] = {}
    while queue or in_flight:
        while queue and len(in_flight) < executor.max_in_flight:
            task = queue.popleft()
            in_flight[executor.submit(task)] = task
            logger.info("point %s handed to a worker", task.point_id)
        for future in executor.wait_first(in_flight):
            task = in_flight.pop(future)
            outcome = _written(executor.outcome(future, task), task)
            attempts[task.point_id] += 1
            again = not outcome.ok and attempts[task.point_id] <= retries
            if again:
                queue.append(task)
            on_outcome(outcome, attempts[task.point_id], not again)


def _written(outcome: PointOutcome, task: PointTask) -> PointOutcome:
    """Write results a worker sent back into the point's folder (a failed write fails the point)."""
    if outcome.results is None or task.folder is None:
        return outcome
    try:
        outcome.results.write(task.folder)
    except Exception as error:
        return failed(task.point_id, error)
    return dataclasses.replace(outcome, results=None)
