"""Handing points out in batches: sizes, every point once, retries, and a worker that dies mid-batch."""

import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import Future

import pytest

from scenarios.executors import PointOutcome, PointTask, failed
from scenarios.point_batches import BATCH_TARGET_S, batch_size, execute


def _tasks(n: int) -> list[PointTask]:
    return [PointTask(f"{i:04d}", {}, {"params": {"seed": i}}, None) for i in range(n)]


class _InlineExecutor:
    """Runs batches at once in this process; ``verdicts`` decide each attempt of a point."""

    def __init__(self, n_workers: int, verdicts: dict[str, list[str]] | None = None, point_s: float = 0.1) -> None:
        self.max_in_flight, self.batches = n_workers, True
        self.verdicts = verdicts or {}
        self.point_s = point_s
        self.submitted: list[tuple[str, ...]] = []

    def submit(self, batch: Sequence[PointTask]) -> Future:
        self.submitted.append(tuple(task.point_id for task in batch))
        future: Future = Future()
        future.set_result(tuple(batch))
        return future

    def wait_first(self, futures) -> set:
        return {next(iter(futures))}

    def outcomes(self, future: Future, batch: Sequence[PointTask]) -> list[PointOutcome]:
        verdicts = [(self.verdicts.get(t.point_id) or ["ok"]).pop(0) for t in batch]
        if "die" in verdicts:  # the worker died: every point of the batch comes back so marked
            return [PointOutcome(t.point_id, False, error="died", worker_died=True) for t in batch]
        return [
            PointOutcome(t.point_id, True, wall_time_s=self.point_s) if v == "ok" else failed(t.point_id, ValueError(v))
            for t, v in zip(batch, verdicts, strict=True)
        ]

    def close(self, cancel: bool = False) -> None:
        pass


def _run(executor, tasks, retries=1):
    seen = []
    execute(tasks, executor, retries=retries, on_outcome=lambda o, attempts, final: seen.append((o, attempts, final)))
    return seen


def test_first_points_go_alone_then_batches_of_the_target_time_then_single_points_at_the_end():
    assert batch_size(40, 2, None) == 1  # nothing known yet
    assert batch_size(1000, 2, 0.25) == int(BATCH_TARGET_S / 0.25)
    assert batch_size(12, 2, 0.01) == 3  # at most a 1 / (2 x workers) share of what is left
    assert [batch_size(n, 2, 0.01) for n in (3, 2, 1)] == [1, 1, 1]
    assert batch_size(100, 1, 60.0) == 1  # long points: one at a time


def test_every_point_runs_once_in_order_and_batches_shrink_to_single_points():
    executor = _InlineExecutor(2, point_s=0.01)
    seen = _run(executor, _tasks(40))
    assert [o.point_id for o, _, _ in seen] == [f"{i:04d}" for i in range(40)]
    assert all(o.ok and attempts == 1 and final for o, attempts, final in seen)
    sizes = [len(batch) for batch in executor.submitted]
    assert sizes[0] == 1 and max(sizes) > 1 and sizes[-3:] == [1, 1, 1]
    assert sum(sizes) == 40


def test_a_failed_point_is_retried_and_charged_each_attempt():
    executor = _InlineExecutor(2, {"0003": ["bad", "bad", "ok"]}, point_s=0.01)
    seen = _run(executor, _tasks(10), retries=2)
    attempts = [(attempts, final, o.ok) for o, attempts, final in seen if o.point_id == "0003"]
    assert attempts == [(1, False, False), (2, False, False), (3, True, True)]


def test_a_batch_whose_worker_died_is_split_and_only_the_point_dying_alone_is_charged():
    # 0005 kills its worker every time; the points batched with it must not pay for it.
    executor = _InlineExecutor(1, {"0005": ["die"] * 5}, point_s=0.01)
    seen = _run(executor, _tasks(20), retries=1)
    charged = [(o.point_id, attempts, final) for o, attempts, final in seen if not o.ok]
    assert charged == [("0005", 1, False), ("0005", 2, True)]
    assert sorted(o.point_id for o, _, final in seen if o.ok) == [f"{i:04d}" for i in range(20) if i != 5]
    died_batch = next(batch for batch in executor.submitted if "0005" in batch)
    assert len(died_batch) > 1  # it was in a batch first ...
    assert executor.submitted.count(("0005",)) == 2  # ... then ran alone, once per attempt


def test_the_fork_server_imports_with_the_collector_off_and_workers_turn_it_on():
    code = (
        "import gc, scenarios.fork_server_gc\n"
        "assert not gc.isenabled()\n"
        "from scenarios.executors import _start_worker, import_modules\n"
        "import_modules(['json'])\n"
        "assert not gc.isenabled()  # imports leave the collector as they found it\n"
        "_start_worker(())\n"
        "assert gc.isenabled()\n"
    )
    finished = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert finished.returncode == 0, finished.stderr


@pytest.mark.parametrize("n_points", [1, 2, 7])
def test_few_points_all_run(n_points):
    seen = _run(_InlineExecutor(4, point_s=0.001), _tasks(n_points))
    assert sorted(o.point_id for o, _, _ in seen) == [f"{i:04d}" for i in range(n_points)]
