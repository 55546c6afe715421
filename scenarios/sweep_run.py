"""Running a planned sweep into its folder: budget, folder, executor, retries, resuming, tidy tables.

One function, :func:`run_sweep`, does what ``qnetsim sweep`` does once its options are
read, so the command line and the Python API (:func:`qnetsim.sweep`) run sweeps the
same way. Every point is checked before anything runs; points run in local worker
processes or on a Dask cluster, each into its own result folder; running the same
sweep again skips the points already done and tries the failed ones again.
"""

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from qnetsim.core.errors import ConfigError
from scenarios.errors import ScenarioError
from scenarios.executors import (
    RUNNER_MODULES,
    SEQUENCE_MODULES,
    DaskExecutor,
    LocalExecutor,
    PointOutcome,
    PointTask,
    default_n_workers,
)
from scenarios.loader import from_dict
from scenarios.overrides import option_name
from scenarios.point_batches import BatchExecutor, execute
from scenarios.sweep import SweepPlan
from scenarios.sweep_folder import check_folder, combine_tables, is_complete, open_folder, point_folder, save_record

if TYPE_CHECKING:
    from scenarios.budget import Budget

EXECUTORS = ("local", "dask")
SAVE_INTERVAL_S = 1.0


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep: the workers were stopped and the finished points kept.

    Attributes:
        root: the sweep folder.
        n_kept: points finished and kept (running the same sweep again resumes).
    """

    def __init__(self, root: Path, n_kept: int) -> None:
        super().__init__(f"interrupted; {n_kept} finished points are kept in {root}")
        self.root, self.n_kept = root, n_kept


@dataclass
class SweepOutcome:
    """What running a sweep did.

    Attributes:
        plan: the grid that ran.
        root: the sweep folder.
        record: the content of ``sweep.json`` (with ``tables``: the tidy tables written).
        n_run: points completed by this call (the others were done before).
        failures: ``(point entry, traceback)`` of every point that failed after its retries.
        wall_time_s: wall time of this call.
    """

    plan: SweepPlan
    root: Path
    record: dict[str, Any]
    n_run: int = 0
    failures: list[tuple[dict[str, Any], str | None]] = field(default_factory=list)
    wall_time_s: float = 0.0


def check_options(
    executor: str,
    scheduler: str | None,
    workers: int | None,
    retries: int,
    named: Callable[[str], str] = option_name,
) -> None:
    """Raise :class:`ConfigError` for a bad executor choice (named as the caller spells the options)."""
    if executor not in EXECUTORS:
        raise ConfigError(f"{named('executor')}: must be one of {', '.join(EXECUTORS)}; got {executor!r}")
    if executor == "dask" and not scheduler:
        raise ConfigError(f"{named('executor')} dask: needs {named('scheduler')} ADDRESS (e.g. tcp://127.0.0.1:8786)")
    if executor == "local" and scheduler:
        raise ConfigError(f"{named('scheduler')}: only used with {named('executor')} dask")
    if executor == "dask" and workers is not None:
        raise ConfigError(
            f"{named('workers')}: only used with {named('executor')} local (a Dask cluster has its own workers)"
        )
    if workers is not None and workers < 1:
        raise ConfigError(f"{named('workers')}: must be >= 1; got {workers}")
    if retries < 0:
        raise ConfigError(f"{named('retries')}: must be >= 0; got {retries}")


def run_sweep(
    plan: SweepPlan,
    root: Path,
    *,
    source: str,
    executor: str = "local",
    scheduler: str | None = None,
    workers: int | None = None,
    retries: int = 1,
    overwrite: bool = False,
    progress: bool | None = False,
    budget: "Budget | None" = None,
    inform: Callable[[str], None] = lambda message: None,
    warn: Callable[[str], None] = lambda message: None,
) -> SweepOutcome:
    """Run every point of ``plan`` not yet done into the sweep folder ``root``; gather the tidy tables.

    Args:
        plan: the grid (:func:`scenarios.sweep.plan_sweep`).
        root: the sweep folder (made, resumed, or replaced with ``overwrite``).
        source: where the scenario came from, for messages.
        executor: ``"local"`` (worker processes) or ``"dask"`` (at ``scheduler``).
        workers: local worker processes (default: the CPUs available).
        retries: extra attempts for a failed point.
        progress: a bar of points finished (``None``: on a terminal).
        budget: refuse points whose estimated memory or events exceed their share (``None``: no check).
        inform: called with a note (how many points were done before).
        warn: called when a point failed and will be tried again.

    Raises:
        ConfigError: a point over the budget, or a folder that cannot be used (nothing run).
        SweepInterrupted: Ctrl-C; finished points are kept and ``sweep.json`` saved.
    """
    started = time.perf_counter()
    check_folder(plan, root, overwrite=overwrite)
    # Workers start importing what the points need now, while the points' budget is checked;
    # connect before touching the folder: an unreachable scheduler leaves nothing behind.
    preload = worker_modules(plan, source)
    runner: BatchExecutor = (
        DaskExecutor(scheduler or "", preload)
        if executor == "dask"
        else LocalExecutor(workers or default_n_workers(), preload)
    )
    try:
        check_budget(plan, budget, source)
        record = open_folder(plan, root, overwrite=overwrite)
        state = _SweepState(root, record, warn)
        _run(plan, root, state, runner, retries, progress, inform)
    finally:
        runner.close()
    record["tables"] = combine_tables(root, record, state.parts)
    save_record(root, record)
    return SweepOutcome(plan, root, record, state.n_run, state.failures, time.perf_counter() - started)


def worker_modules(plan: SweepPlan, source: str) -> tuple[str, ...]:
    """What the workers import before their first point: SeQUeNCe only if some point runs on it."""
    from scenarios.runner import uses_sequence

    seen: set[str] = set()
    for point in plan.points:
        params = {name: value for name, value in point.params.items() if name != "seed"}
        key = repr(sorted(params.items()))
        if key not in seen:
            seen.add(key)
            if uses_sequence(from_dict(point.data, source)):
                return (*RUNNER_MODULES, *SEQUENCE_MODULES)
    return RUNNER_MODULES


def check_budget(plan: SweepPlan, budget: "Budget | None", source: str) -> None:
    """Refuse the sweep (bad input) if a point would exceed its share of the budget; seeds do not change the cost."""
    from scenarios.budget import budget_problems, estimate

    if budget is None:
        return
    problems: dict[str, None] = {}
    seen: set[str] = set()
    for point in plan.points:
        params = {name: value for name, value in point.params.items() if name != "seed"}
        key = repr(sorted(params.items()))
        if key in seen:
            continue
        seen.add(key)
        where = ", ".join(f"{name}={value}" for name, value in params.items()) or "base scenario"
        cost = estimate(from_dict(point.data, source))
        problems.update({f"{where}: {problem}": None for problem in budget_problems(cost, budget)})
    if problems:
        raise ScenarioError(list(problems), source)


def label(entry: dict[str, Any]) -> str:
    """``links.length_km=70, seed=3``: a point's parameters."""
    return ", ".join(f"{name}={value}" for name, value in entry["params"].items())


class _SweepState:
    """Keeps the sweep record (and ``sweep.json``, at most once a second) up to date as points finish.

    ``parts`` keeps the rows of the sweep tables that workers sent back with their points.
    """

    def __init__(self, root: Path, record: dict[str, Any], warn: Callable[[str], None]) -> None:
        self.root, self.record, self.warn = root, record, warn
        self.entries = {entry["point_id"]: entry for entry in record["points"]}
        self.n_run = 0
        self.failures: list[tuple[dict[str, Any], str | None]] = []  # (point entry, traceback)
        self.parts: dict[str, dict[str, Any]] = {}
        self._last_save = time.monotonic()

    def note(self, outcome: PointOutcome, attempts: int, final: bool) -> None:
        """Record one attempt of a point."""
        entry = self.entries[outcome.point_id]
        entry["attempts"] += 1
        if outcome.ok:
            entry.update(status="done", error=None)
            self.n_run += 1
            if outcome.tables is not None:
                self.parts[outcome.point_id] = outcome.tables
        elif final:
            entry.update(status="failed", error=outcome.error)
            self.failures.append((entry, outcome.traceback))
        else:
            self.warn(
                f"point {outcome.point_id} ({label(entry)}) failed on attempt {attempts}; trying again: {outcome.error}"
            )
        if time.monotonic() - self._last_save >= SAVE_INTERVAL_S:
            save_record(self.root, self.record)
            self._last_save = time.monotonic()


def _run(
    plan: SweepPlan,
    root: Path,
    state: _SweepState,
    runner: BatchExecutor,
    retries: int,
    progress: bool | None,
    inform: Callable[[str], None],
) -> None:
    """Run every point not yet done; on Ctrl-C keep what finished and raise :class:`SweepInterrupted`."""
    todo = [point for point in plan.points if state.entries[point.point_id]["status"] != "done"]
    n_done = len(plan.points) - len(todo)
    if n_done:
        inform(f"resuming: {n_done} of {len(plan.points)} points already done")
    if not todo:
        return
    tasks = [
        PointTask(
            point.point_id,
            point.data,
            {"sweep_id": plan.sweep_id, "point_id": point.point_id, "params": point.params},
            str(point_folder(root, point.point_id).resolve()),
            {parameter.name: parameter.dtype for parameter in plan.parameters},
        )
        for point in todo
    ]
    try:
        with _points_progress(len(plan.points), n_done, progress) as advance:

            def on_outcome(outcome: PointOutcome, attempts: int, final: bool) -> None:
                state.note(outcome, attempts, final)
                if final:
                    advance(outcome.ok)

            execute(tasks, runner, retries=retries, on_outcome=on_outcome)
    except KeyboardInterrupt:
        runner.close(cancel=True)
        for entry in state.entries.values():  # points of a batch cut short may have finished
            if entry["status"] != "done" and is_complete(root, entry["point_id"], plan.sweep_id):
                entry.update(status="done", error=None, attempts=entry["attempts"] + 1)
        save_record(root, state.record)
        n_kept = sum(entry["status"] == "done" for entry in state.entries.values())
        raise SweepInterrupted(root, n_kept) from None


@contextmanager
def _points_progress(n_points: int, n_done: int, enabled: bool | None) -> Iterator[Callable[[bool], None]]:
    """A bar of points finished out of all points (on a terminal unless ``enabled`` says otherwise).

    Yields the function to call once per finished point (``ok`` false for a point that failed).
    """
    if not (sys.stderr.isatty() if enabled is None else enabled):
        yield lambda ok: None
        return
    columns = (
        TextColumn("sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("points, {task.fields[n_failed]} failed"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    n_failed = 0
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("sweep", total=n_points, completed=n_done, n_failed=0)

        def advance(ok: bool) -> None:
            nonlocal n_failed
            n_failed += not ok
            bar.update(task, advance=1, n_failed=n_failed)

        yield advance
