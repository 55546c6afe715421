"""``qnetsim sweep``: one scenario over a grid of parameter values and seeds, resumable.

Every point is checked before anything runs (exit 2 lists every problem).
Points run in local worker processes or on a Dask cluster, each into its own
result folder; running the same command again skips the points already done
and tries the failed ones again. The exit code is 1 when points still failed
after their retries, once everything else has been written.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from scenarios.cli_types import integer, number

if TYPE_CHECKING:
    from scenarios.sweep_run import SweepOutcome

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
    started_early = False
    if executor == "local" and scheduler is None and (workers is None or workers >= 1) and retries >= 0:
        # Before the command's own imports: the workers' imports then run beside them.
        from scenarios.sweep_warmup import start_worker_imports

        started_early = start_worker_imports(scenario, param or [])
    try:
        _sweep(
            scenario, param, seeds, output, executor, scheduler, workers, retries, duration_s,
            overwrite, progress, quiet, allow_large, memory_budget_gb, debug,
        )  # fmt: skip
    except BaseException:
        if started_early:  # refused input, or points failed: no fork server left importing for nothing
            from scenarios.executors import stop_fork_server

            stop_fork_server()
        raise


def _sweep(
    scenario: str,
    param: list[str] | None,
    seeds: str | None,
    output: Path | None,
    executor: str,
    scheduler: str | None,
    workers: int | None,
    retries: int,
    duration_s: float | None,
    overwrite: bool,
    progress: bool | None,
    quiet: bool,
    allow_large: bool,
    memory_budget_gb: float | None,
    debug: bool,
) -> None:
    from scenarios.cli_app import EXIT_FAILED, configure_logging, exit_at_once, reported_errors, stderr, with_overrides
    from scenarios.executors import default_n_workers
    from scenarios.loader import load
    from scenarios.sweep import parse_seeds, plan_sweep
    from scenarios.sweep_run import SweepInterrupted, check_options, label, run_sweep

    configure_logging(debug)
    with reported_errors(debug):
        check_options(executor, scheduler, workers, retries)
        from scenarios.budget import budget_from_options

        n_parallel = (workers or default_n_workers()) if executor == "local" else 1
        budget = budget_from_options(allow_large, memory_budget_gb, n_parallel)
        base = with_overrides(load(scenario), None, duration_s, scenario)
        plan = plan_sweep(base, param or [], parse_seeds(seeds) if seeds is not None else None)
        root = output if output is not None else Path("sweeps") / base.name

        def warn(message: str) -> None:
            stderr.print(f"warning: {message}", markup=False)

        try:
            outcome = run_sweep(
                plan,
                root,
                source=scenario,
                executor=executor,
                scheduler=scheduler,
                workers=workers,
                retries=retries,
                overwrite=overwrite,
                progress=progress,
                budget=budget,
                inform=(lambda message: None) if quiet else (lambda message: stderr.print(message, markup=False)),
                warn=warn,
            )
        except SweepInterrupted as interrupted:
            stderr.print(f"{interrupted}; run the same command again to resume", markup=False)
            exit_at_once(EXIT_INTERRUPTED)  # the workers are stopped and the record saved: nothing left to tidy
    _print_summary(outcome, quiet)
    for entry, trace in outcome.failures:
        if debug and trace:
            stderr.print(trace, markup=False, highlight=False)
        stderr.print(
            f"error: point {entry['point_id']} ({label(entry)}) failed after {entry['attempts']} "
            f"attempt(s): {entry['error']}",
            markup=False,
        )
    if outcome.failures:
        stderr.print(f"{len(outcome.failures)} point(s) failed; run the same command again to retry them", markup=False)
        raise typer.Exit(EXIT_FAILED)


def _print_summary(outcome: "SweepOutcome", quiet: bool) -> None:
    from scenarios.cli_app import stdout

    plan, root, record = outcome.plan, outcome.root, outcome.record
    if quiet:
        stdout.print(str(root), markup=False, highlight=False)
        return
    grid = " x ".join(f"{p.name} ({len(p.values)})" for p in plan.parameters) or "no parameters"
    n_done = sum(entry["status"] == "done" for entry in record["points"])
    stdout.print(
        f"sweep {plan.sweep_id}: {plan.base['name']}, {len(plan.points)} points = {grid} x {len(plan.seeds)} seed(s)\n"
        f"  {outcome.n_run} run now, {n_done - outcome.n_run} done before, {len(outcome.failures)} failed "
        f"({outcome.wall_time_s:.1f} s wall)",
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
