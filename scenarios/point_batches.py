"""Handing a sweep's points to an executor in batches, retrying failures, reporting every outcome.

A worker that is handed one point at a time waits, after every point, for the
coordinator to learn of it and hand it the next: a round trip through two
processes that a loaded machine stretches to tens of milliseconds. Points are
therefore handed out in batches (:func:`batch_size`): the first point of each
worker alone (to learn how long a point takes), then batches of about
:data:`BATCH_TARGET_S` seconds of points, and smaller batches as the sweep nears
its end (at most a ``1 / (2 x workers)`` share of the points left: guided
self-scheduling, Polychronopoulos and Kuck, IEEE Trans. Computers 36(12), 1987),
down to single points, so that the workers finish together. Points keep their
order; batching changes which process runs a point, never its result.

A worker process that dies takes its whole batch with it. Such a batch is not
charged an attempt: its points are handed out again one by one, and only a point
that then dies alone (or fails) is charged, as with one point at a time.
"""

import logging
from collections import Counter, deque
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from scenarios.executors import PointOutcome, PointTask

logger = logging.getLogger(__name__)

#: Seconds of points in one batch once a point's duration is known.
BATCH_TARGET_S = 2.0


class BatchExecutor(Protocol):
    """What :func:`execute` needs from a place that runs points."""

    max_in_flight: int
    batches: bool  # whether several points may go in one submission

    def submit(self, batch: Sequence[PointTask]) -> Any: ...

    def wait_first(self, futures: Any) -> set[Any]: ...

    def outcomes(self, future: Any, batch: Sequence[PointTask]) -> list[PointOutcome]: ...

    def close(self, cancel: bool = False) -> None: ...


def batch_size(n_queued: int, n_workers: int, point_s: float | None) -> int:
    """How many of ``n_queued`` points to hand a worker now.

    Args:
        n_queued: points not yet handed out.
        n_workers: worker processes sharing them.
        point_s: mean wall seconds of the points finished so far (``None``: none yet).

    Example:
        >>> batch_size(40, 2, 0.25), batch_size(6, 2, 0.25), batch_size(40, 2, None)
        (8, 1, 1)
    """
    if point_s is None or n_queued <= 1:
        return 1
    by_time = int(BATCH_TARGET_S / max(point_s, 1e-6))
    by_tail = n_queued // (2 * n_workers)
    return max(1, min(by_time, by_tail, n_queued))


def execute(
    tasks: Sequence[PointTask],
    executor: BatchExecutor,
    *,
    retries: int,
    on_outcome: Callable[[PointOutcome, int, bool], None],
) -> None:
    """Run ``tasks`` on ``executor``, in batches where it takes them, retrying failures; report each outcome.

    Args:
        tasks: the points to run (each with its result folder).
        executor: where they run.
        retries: how many more times a failed point is tried.
        on_outcome: called as ``on_outcome(outcome, attempts, final)`` after every
            attempt; ``final`` is false when the point will be tried again.
    """
    queue = deque(tasks)
    alone: deque[PointTask] = deque()  # points of a batch whose worker died: handed out one by one
    attempts: Counter[str] = Counter()
    in_flight: dict[Any, tuple[PointTask, ...]] = {}
    timing = _PointTiming()
    while queue or alone or in_flight:
        while (queue or alone) and len(in_flight) < executor.max_in_flight:
            if alone:
                batch: tuple[PointTask, ...] = (alone.popleft(),)
            else:
                size = batch_size(len(queue), executor.max_in_flight, timing.mean_s) if executor.batches else 1
                batch = tuple(queue.popleft() for _ in range(size))
            in_flight[executor.submit(batch)] = batch
            logger.info("points %s handed to a worker", ", ".join(task.point_id for task in batch))
        for future in executor.wait_first(in_flight):
            batch = in_flight.pop(future)
            for task, outcome in zip(batch, executor.outcomes(future, batch), strict=True):
                if outcome.worker_died and len(batch) > 1:
                    alone.append(task)  # not charged: which point of the batch killed the worker is unknown
                    continue
                timing.add(outcome)
                attempts[task.point_id] += 1
                again = not outcome.ok and attempts[task.point_id] <= retries
                if again:
                    queue.append(task)
                on_outcome(outcome, attempts[task.point_id], not again)


class _PointTiming:
    """Mean wall time of the points that finished."""

    def __init__(self) -> None:
        self.total_s, self.count = 0.0, 0

    def add(self, outcome: PointOutcome) -> None:
        if outcome.ok:
            self.total_s += outcome.wall_time_s
            self.count += 1

    @property
    def mean_s(self) -> float | None:
        return self.total_s / self.count if self.count else None
