"""``qnetsim sweep``: one scenario over a grid of parameter values and seeds, resumable.

Every point is checked before anything runs (exit 2 lists every problem).
Points run in local worker processes or on a Dask cluster, each into its own
result folder; running the same command again skips the points already done
and tries the failed ones again. The exit code is 1 when points still failed
after their retries, once everything else has been written.
"""

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from qnetsim.core.errors import ConfigError
from scenarios.cli_types import integer, number
from scenarios.errors import ScenarioError
from scenarios.executors import (
    DaskExecutor,
    Executor,
    LocalExecutor,
    PointOutcome,
    PointTask,
    default_n_workers,
    execute,
)
from scenarios.loader import from_dict, load
from scenarios.sweep import SweepPlan, parse_seeds, plan_sweep
from scenarios.sweep_folder import check_folder, combine_tables, open_folder, point_folder, save_record

if TYPE_CHECKING:
    from scenarios.budget import Budget

EXECUTORS = ("local", "dask")
SAVE_INTERVAL_S = 1.0
EXIT_INTERRUPTED = 130


def sweep(
    scenario: Annotated[str, typer.Argument(help="Scenario file or built-in name.")],
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="PATH=VALUES, VALUES 'start:stop:step' (stop included), 'a,b,c' or one value; "
            "repeat for a grid. PATH: links.length_km, duration_s, network.links[*].length_km, "
            "templates.nodes.NAME.memory.coherence_time_s, traffic[0].target_fidelity, ...",
        ),
    ] = None,
    seeds: Annotated[
        str | None, typer.Option("--seeds", help="N (seeds 0..N-1) or a list 3,7,11 (default: the scenario's seed).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Sweep folder (default: sweeps/<scenario name>).")
    ] = None,
    executor: Annotated[str, typer.Option("--executor", help="local (worker processes) or dask.")] = "local",
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", "-j", help="Local worker processes (default: the CPUs available).")
    ] = None,
    retries: Annotated[int, typer.Option("--retries", parser=integer, help="Extra attempts for a failed point.")] = 1,
    duration_s: Annotated[
        float | None, typer.Option("--duration-s", parser=number, help="Override the simulated duration.")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace another sweep in the output folder.")] = False,
    progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="Progress bar (default: on a terminal).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the sweep folder.")] = False,
    allow_large: Annotated[
        bool, typer.Option("--allow-large", help="Run points whose estimated memory or events exceed the budget.")
    ] = False,
    memory_budget_gb: Annotated[
        float | None,
        typer.Option("--memory-budget-gb", help="Memory all local workers together may use (default: half)."),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    """Run a scenario at every point of a parameter grid and every seed; re-running resumes."""
    from scenarios.cli import EXIT_FAILED, _configure_logging, _with_overrides, reported_errors, stderr

    _configure_logging(debug)
    with reported_errors(debug):
        _check_options(executor, scheduler, workers, retries)
        from scenarios.budget import budget_from_options

        n_parallel = (workers or default_n_workers()) if executor == "local" else 1
        budget = budget_from_options(allow_large, memory_budget_gb, n_parallel)
        base = _with_overrides(load(scenario), None, duration_s, scenario)
        plan = plan_sweep(base, param or [], parse_seeds(seeds) if seeds is not None else None)
        _check_budget(plan, budget, scenario)
        root = output if output is not None else Path("sweeps") / base.name
        check_folder(plan, root, overwrite=overwrite)
        started = time.perf_counter()
        # Connect before touching the folder: an unreachable scheduler leaves nothing behind.
        runner: Executor = (
            DaskExecutor(scheduler or "") if executor == "dask" else LocalExecutor(workers or default_n_workers())
        )
        try:
            record = open_folder(plan, root, overwrite=overwrite)
            state = _SweepState(root, record)
            _run(plan, root, state, runner, retries, progress, quiet)
        finally:
            runner.close()
        record["tables"] = combine_tables(root, record)
        save_record(root, record)
    _print_summary(plan, root, record, state, time.perf_counter() - started, quiet)
    for entry, trace in state.failures:
        if debug and trace:
            stderr.print(trace, markup=False, highlight=False)
        stderr.print(
            f"error: point {entry['point_id']} ({_label(entry)}) failed after {entry['attempts']} "
            f"attempt(s): {entry['error']}",
            markup=False,
        )
    if state.failures:
        stderr.print(f"{len(state.failures)} point(s) failed; run the same command again to retry them", markup=False)
        raise typer.Exit(EXIT_FAILED)


def _check_options(executor: str, scheduler: str | None, workers: int | None, retries: int) -> None:
    if executor not in EXECUTORS:
        raise ConfigError(f"--executor: must be one of {', '.join(EXECUTORS)}; got {executor!r}")
    if executor == "dask" and not scheduler:
        raise ConfigError("--executor dask: needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
    if executor == "local" and scheduler:
        raise ConfigError("--scheduler: only used with --executor dask")
    if executor == "dask" and workers is not None:
        raise ConfigError("--workers: only used with --executor local (a Dask cluster has its own workers)")
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers: must be >= 1; got {workers}")
    if retries < 0:
        raise ConfigError(f"--retries: must be >= 0; got {retries}")


def _check_budget(plan: SweepPlan, budget: "Budget | None", source: str) -> None:
    """Refuse the sweep (exit 2) if a point would exceed its share of the budget; seeds do not change the cost."""
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


def _label(entry: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value}" for name, value in entry["params"].items())


class _SweepState:
    """Keeps the sweep record (and ``sweep.json``, at most once a second) up to date as points finish."""

    def __init__(self, root: Path, record: dict[str, Any]) -> None:
        self.root, self.record = root, record
        self.entries = {entry["point_id"]: entry for entry in record["points"]}
        self.n_run = 0
        self.failures: list[tuple[dict[str, Any], str | None]] = []  # (point entry, traceback)
        self._last_save = time.monotonic()

    def note(self, outcome: PointOutcome, attempts: int, final: bool) -> None:
        """Record one attempt of a point."""
        from scenarios.cli import stderr

        entry = self.entries[outcome.point_id]
        entry["attempts"] += 1
        if outcome.ok:
            entry.update(status="done", error=None)
            self.n_run += 1
        elif final:
            entry.update(status="failed", error=outcome.error)
            self.failures.append((entry, outcome.traceback))
        else:
            stderr.print(
                f"warning: point {outcome.point_id} ({_label(entry)}) failed on attempt {attempts}; "
                f"trying again: {outcome.error}",
                markup=False,
            )
        if time.monotonic() - self._last_save >= SAVE_INTERVAL_S:
            save_record(self.root, self.record)
            self._last_save = time.monotonic()


def _run(
    plan: SweepPlan,
    root: Path,
    state: _SweepState,
    runner: Executor,
    retries: int,
    progress: bool | None,
    quiet: bool,
) -> None:
    """Run every point not yet done; on Ctrl-C keep what finished and exit 130."""
    from scenarios.cli import exit_at_once, stderr

    todo = [point for point in plan.points if state.entries[point.point_id]["status"] != "done"]
    n_done = len(plan.points) - len(todo)
    if n_done and not quiet:
        stderr.print(f"resuming: {n_done} of {len(plan.points)} points already done", markup=False)
    if not todo:
        return
    tasks = [
        PointTask(
            point.point_id,
            point.data,
            {"sweep_id": plan.sweep_id, "point_id": point.point_id, "params": point.params},
            str(point_folder(root, point.point_id).resolve()),
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
        save_record(root, state.record)
        n_kept = sum(entry["status"] == "done" for entry in state.entries.values())
        stderr.print(
            f"interrupted; {n_kept} finished points are kept in {root}; run the same command again to resume",
            markup=False,
        )
        exit_at_once(EXIT_INTERRUPTED)  # the workers are stopped and the record saved: nothing left to tidy


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


def _print_summary(
    plan: SweepPlan, root: Path, record: dict[str, Any], tally: _SweepState, wall_time_s: float, quiet: bool
) -> None:
    from scenarios.cli import stdout

    if quiet:
        stdout.print(str(root), markup=False, highlight=False)
        return
    grid = " x ".join(f"{p.name} ({len(p.values)})" for p in plan.parameters) or "no parameters"
    n_done = sum(entry["status"] == "done" for entry in record["points"])
    stdout.print(
        f"sweep {plan.sweep_id}: {plan.base['name']}, {len(plan.points)} points = {grid} x {len(plan.seeds)} seed(s)\n"
        f"  {tally.n_run} run now, {n_done - tally.n_run} done before, {len(tally.failures)} failed "
        f"({wall_time_s:.1f} s wall)",
        markup=False,
        highlight=False,
    )
    tables = record["tables"]
    if tables:
        listed = ", ".join(f"{entry['file']} ({entry['rows']} rows)" for entry in tables.values())
        print(f"Tables in {root}/: {listed}")
        first = next((entry["file"] for entry in tables.values() if entry["rows"]), None)
        if first is not None:
            print(f"Load with pandas: pd.read_parquet('{root}/{first}')")
