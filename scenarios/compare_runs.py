"""Running a comparison's scenarios: one after the other, or in worker processes.

The runs of a comparison are independent (each is a pure function of its scenario
and seed), so they may run in parallel. Runs change SeQUeNCe's class-level state,
so parallel runs go to separate processes, never threads (as the sweeps'
:mod:`scenarios.executors`). Workers start from a fork server that has imported the
simulator once. Results are the same whichever way they ran.
"""

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed

from scenarios.results import Results
from scenarios.runner import run
from scenarios.schema import Scenario

#: Name of a run and its scenario.
Task = tuple[str, Scenario]


def run_all(tasks: list[Task], n_workers: int = 1, on_start: Callable[[str], None] | None = None) -> dict[str, Results]:
    """Run every task; results keyed by task name, in the order of ``tasks``.

    Args:
        tasks: ``(name, scenario)`` pairs, names unique.
        n_workers: worker processes (1: run here, one after the other).
        on_start: told each task's name as it is handed out (a progress bar).
    """
    tell = on_start or (lambda _name: None)
    if n_workers <= 1 or len(tasks) <= 1:
        done = {}
        for name, scenario in tasks:
            tell(name)
            done[name] = run(scenario)
        return done
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if "forkserver" in methods:
        context.set_forkserver_preload(["scenarios.runner"])
    results: dict[str, Results] = {}
    with ProcessPoolExecutor(min(n_workers, len(tasks)), mp_context=context) as pool:
        futures = {}
        for name, scenario in tasks:
            tell(name)
            futures[pool.submit(run, scenario)] = name
        for future in as_completed(futures):
            results[futures[future]] = future.result()
    return {name: results[name] for name, _ in tasks}
