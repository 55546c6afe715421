"""A progress bar of simulated time, drawn from a side thread.

The bar polls the timeline's clock from another thread instead of scheduling
events on the timeline, so showing it or not can never change a run's results.
It appears only on an interactive terminal and only once a run has lasted a
couple of seconds.
"""

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

POLL_INTERVAL_S = 0.2
SHOW_AFTER_S = 2.0


@contextmanager
def simulated_time_progress(
    now_s: Callable[[], float],
    duration_s: float,
    *,
    enabled: bool | None = None,
    label: str = "simulating",
) -> Iterator[None]:
    """Show ``now_s()`` against ``duration_s`` while the body runs.

    Args:
        now_s: returns the current simulated time; called from another thread.
        duration_s: simulated time at which the run ends.
        enabled: force the bar on or off; ``None`` shows it on a terminal only.
        label: text before the bar.
    """
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield
        return
    done = threading.Event()

    def draw() -> None:
        if done.wait(SHOW_AFTER_S):
            return
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:.3g} / {task.total:.3g} s simulated"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task(label, total=duration_s)
            while not done.wait(POLL_INTERVAL_S):
                bar.update(task, completed=min(now_s(), duration_s))

    thread = threading.Thread(target=draw, name="qnetsim-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


@contextmanager
def steps_progress(
    n_steps: int, *, enabled: bool | None = None, label: str = "running"
) -> Iterator[Callable[[str], None]]:
    """A bar over ``n_steps`` steps (e.g. the runs of a comparison); yields ``advance(description)``.

    Call ``advance`` as each step starts; the bar shows how many have started and
    the current one. It draws on stderr, only on an interactive terminal unless
    ``enabled`` forces it, and never touches the runs themselves.
    """
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield lambda _description: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f} / {task.total:.0f}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=n_steps)
        started = [0]

        def advance(description: str) -> None:
            bar.update(task, completed=started[0], description=f"{label}: {description}")
            started[0] += 1

        yield advance
        bar.update(task, completed=n_steps)
