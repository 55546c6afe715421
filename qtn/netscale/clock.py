"""A minimal discrete-event loop with integer-picosecond times.

SeQUeNCe's timeline wraps every event in ``Event`` and ``Process`` objects and
costs about 4 us per event on this project's machines; the network-scale engine
schedules plain callables on a binary heap instead (under 1 us per event).
Events at equal times run in the order they were scheduled, so a run is
deterministic.
"""

import heapq
import itertools
from collections.abc import Callable
from typing import Any


class Clock:
    """Runs callables at scheduled times (ps) until a stop time.

    Attributes:
        now_ps: time of the event being run (or of the last one).
        stop_ps: events at or after this time are not run.
        n_executed: events run so far.
    """

    def __init__(self, stop_ps: int) -> None:
        self.now_ps = 0
        self.stop_ps = stop_ps
        self.n_executed = 0
        self._heap: list[tuple[int, int, Callable[..., None], tuple[Any, ...]]] = []
        self._order = itertools.count()

    def at(self, time_ps: int, function: Callable[..., None], *args: Any) -> None:
        """Run ``function(*args)`` at ``time_ps`` (not earlier than now; ignored at or after the stop time)."""
        if time_ps < self.now_ps:
            raise ValueError(f"cannot schedule at {time_ps} ps, before now ({self.now_ps} ps)")
        if time_ps < self.stop_ps:
            heapq.heappush(self._heap, (time_ps, next(self._order), function, args))

    def run(self) -> None:
        """Run every scheduled event in time order until none is left before the stop time."""
        heap = self._heap
        pop = heapq.heappop
        n = 0
        while heap:
            time_ps, _, function, args = pop(heap)
            self.now_ps = time_ps
            function(*args)
            n += 1
        self.n_executed += n
        self.now_ps = max(self.now_ps, self.stop_ps)
