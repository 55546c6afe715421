"""qtn.sequence_backed.event_list.FastEventList behaves like SeQUeNCe's EventList as the Timeline uses it.

Every check drives both lists with the same operations on twin events (same
label, time and priority; one object per list, since ``update_event_time``
mutates the event) and compares what they pop. Invalid (removed) events are
skipped the way :meth:`sequence.kernel.timeline.Timeline.run` skips them.
Keys ``(time, priority)`` of events in the list are kept distinct because
SeQUeNCe's heap leaves the order of equal keys unspecified.
"""

import math
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sequence.app.request_app import RequestApp
from sequence.kernel.event import Event
from sequence.kernel.eventlist import EventList
from sequence.kernel.process import Process
from sequence.topology.router_net_topo import RouterNetTopo

from qtn.sequence_backed.adapter import sequence_globals
from qtn.sequence_backed.event_list import FastEventList


def _event(label: str, time: int, priority: float) -> Event:
    return Event(time, Process(None, label, []), priority)


def _label(event: Event | None) -> str | None:
    return None if event is None else event.process.activation


def _pop_valid(events) -> Event | None:
    """Pop the next valid event, skipping invalid ones as Timeline.run does (None if exhausted)."""
    while len(events) > 0:
        event = events.pop()
        if event.is_invalid():
            continue
        return event
    return None


@dataclass
class Twins:
    """The same operations applied to a stock EventList and a FastEventList, plus a plain model."""

    stock: EventList = field(default_factory=EventList)
    fast: FastEventList = field(default_factory=FastEventList)
    stock_events: list[Event] = field(default_factory=list)
    fast_events: list[Event] = field(default_factory=list)
    # Model: label -> (time, priority) of every event still in the lists, and removed labels.
    in_list: dict[str, tuple[int, float]] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)

    def key_is_free(self, key: tuple[int, float]) -> bool:
        return key not in self.in_list.values()

    def push(self, time: int, priority: float) -> None:
        label = f"e{len(self.stock_events)}"
        for events, target in ((self.stock_events, self.stock), (self.fast_events, self.fast)):
            event = _event(label, time, priority)
            events.append(event)
            target.push(event)
        self.in_list[label] = (time, priority)

    def remove(self, index: int) -> None:
        self.stock.remove(self.stock_events[index])
        self.fast.remove(self.fast_events[index])
        self.removed.add(_label(self.stock_events[index]))

    def update(self, index: int, time: int) -> None:
        stock_event, fast_event = self.stock_events[index], self.fast_events[index]
        label = _label(stock_event)
        before = (stock_event.time, fast_event.time)
        self.stock.update_event_time(stock_event, time)
        self.fast.update_event_time(fast_event, time)
        if label in self.in_list and label not in self.removed:
            assert stock_event.time == fast_event.time == time
        elif label in self.in_list:
            # A removed event never runs; once compaction has dropped it from the fast
            # list, moving it is a no-op there, which nobody can observe.
            assert stock_event.time == time
            assert fast_event.time in (before[1], time)
        if label in self.in_list:
            self.in_list[label] = (time, stock_event.priority)
        else:
            # Already popped: the update must have no effect, in either list.
            assert (stock_event.time, fast_event.time) == before

    def pop(self) -> str | None:
        expected = self._earliest_valid()
        stock_event, fast_event = _pop_valid(self.stock), _pop_valid(self.fast)
        assert _label(stock_event) == _label(fast_event) == expected
        if expected is None:
            self.in_list.clear()  # only invalid events were left: all were popped and skipped
        else:
            # The popped event and the invalid ones skipped before it have left the lists.
            popped_key = self.in_list[expected]
            self.in_list = {label: key for label, key in self.in_list.items() if key > popped_key}
        return expected

    def _earliest_valid(self) -> str | None:
        valid = {label: key for label, key in self.in_list.items() if label not in self.removed}
        return min(valid, key=valid.__getitem__) if valid else None

    def check_consistent(self) -> None:
        assert len(self.fast) == len(self.stock) == len(self.in_list)
        assert self.fast.isempty() == self.stock.isempty() == (len(self.in_list) == 0)
        assert sum(1 for _ in self.fast) == len(self.fast)
        assert sorted(map(_label, self.fast)) == sorted(map(_label, self.stock)) == sorted(self.in_list)

    def drain(self) -> list[str]:
        popped = []
        while (label := self.pop()) is not None:
            popped.append(label)
        assert len(self.fast) == 0 and self.fast.isempty()
        return popped


times = st.integers(min_value=0, max_value=40)
priorities = st.sampled_from([0, 1, 5, math.inf])  # SeQUeNCe's default priority is inf
operations = st.lists(
    st.one_of(
        st.tuples(st.just("push"), times, priorities),
        st.tuples(st.just("push"), times, priorities),
        st.tuples(st.just("remove"), st.integers(min_value=0, max_value=10**6)),
        st.tuples(st.just("update"), st.integers(min_value=0, max_value=10**6), times),
        st.tuples(st.just("pop")),
        st.tuples(st.just("top")),
    ),
    max_size=120,
)


def _apply(twins: Twins, operation: tuple) -> None:
    kind = operation[0]
    n_events = len(twins.stock_events)
    if kind == "push":
        _, time, priority = operation
        if twins.key_is_free((time, priority)):
            twins.push(time, priority)
    elif kind == "remove" and n_events:
        twins.remove(operation[1] % n_events)
    elif kind == "update" and n_events:
        index = operation[1] % n_events
        new_key = (operation[2], twins.stock_events[index].priority)
        if twins.key_is_free(new_key) or _label(twins.stock_events[index]) not in twins.in_list:
            twins.update(index, operation[2])
    elif kind == "pop":
        twins.pop()
    elif kind == "top" and len(twins.stock) > 0:
        # Both tops are the earliest event in the list, valid or not.
        assert _label(twins.fast.top()) == _label(twins.stock.top())
        assert twins.in_list[_label(twins.fast.top())] == min(twins.in_list.values())


@settings(max_examples=300, deadline=None)
@given(operations)
def test_random_operation_sequences_pop_the_same_events(operations):
    twins = Twins()
    for operation in operations:
        _apply(twins, operation)
        twins.check_consistent()
    twins.drain()
    twins.check_consistent()


def test_update_to_earlier_and_later_times_reorders():
    twins = Twins()
    for time in (10, 20, 30, 40):
        twins.push(time, 0)
    twins.update(0, 35)  # e0: 10 -> 35 (later)
    twins.update(3, 5)  # e3: 40 -> 5 (earlier)
    twins.update(1, 20)  # same time: no change
    twins.check_consistent()
    assert twins.drain() == ["e3", "e1", "e2", "e0"]


def test_update_of_an_event_no_longer_in_the_list_has_no_effect():
    twins = Twins()
    twins.push(10, 0)
    twins.push(20, 0)
    assert twins.pop() == "e0"
    twins.update(0, 30)  # e0 was popped: asserts both lists left it untouched
    twins.check_consistent()
    assert len(twins.fast) == 1
    assert twins.drain() == ["e1"]

    never_pushed = _event("stray", 5, 0)
    fast = FastEventList()
    fast.update_event_time(never_pushed, 1)
    assert never_pushed.time == 5 and len(fast) == 0 and fast.isempty()


def test_removed_events_are_skipped_but_still_counted_until_popped():
    twins = Twins()
    for time in (3, 1, 2):
        twins.push(time, 0)
    twins.remove(1)
    twins.check_consistent()
    assert len(twins.fast) == 3  # like SeQUeNCe: removal is lazy
    assert twins.drain() == ["e2", "e0"]


def test_pop_and_top_of_an_empty_list_raise_index_error():
    for events in (EventList(), FastEventList()):
        with pytest.raises(IndexError):
            events.pop()
        with pytest.raises(IndexError):
            events.top()


def test_equal_keys_run_in_scheduling_order():
    """FastEventList's documented tie-break (SeQUeNCe leaves it unspecified): first scheduled, first run."""
    fast = FastEventList()
    events = [_event(f"e{i}", 7, math.inf) for i in range(20)]
    for event in events:
        fast.push(event)
    assert [_label(fast.pop()) for _ in events] == [f"e{i}" for i in range(20)]


def test_pushing_an_event_already_in_the_list_moves_it():
    """FastEventList's documented behaviour: each event object is in the list at most once."""
    fast = FastEventList()
    event, other = _event("e0", 10, 0), _event("e1", 20, 0)
    fast.push(event)
    fast.push(other)
    event.time = 30
    fast.push(event)
    assert len(fast) == 2
    assert [_label(fast.pop()), _label(fast.pop())] == ["e1", "e0"]
    assert fast.isempty()


def _fresh_times(rng: np.random.Generator, n_times: int) -> list[int]:
    return [int(t) for t in rng.permutation(10 * n_times)[:n_times]]


def _count_compactions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    original = FastEventList._compact

    def counting(self: FastEventList) -> None:
        calls[0] += 1
        original(self)

    monkeypatch.setattr(FastEventList, "_compact", counting)
    return calls


@pytest.mark.parametrize("seed", [0, 1])
def test_compaction_after_many_updates_and_removes_keeps_the_order(seed, monkeypatch):
    compactions = _count_compactions(monkeypatch)
    rng = np.random.default_rng(seed)
    n_events, n_rounds = 600, 12
    times = iter(_fresh_times(rng, n_events * (n_rounds + 2)))  # distinct times: keys never collide
    twins = Twins()
    for _ in range(n_events):
        twins.push(next(times), 0)
    for _ in range(n_rounds):
        for index in rng.permutation(n_events):
            twins.update(int(index), next(times))
            # Stale entries never pile up beyond the compaction threshold.
            assert len(twins.fast.data) <= 4 * len(twins.fast) + 4096 + 1
    assert compactions[0] >= 1  # 7,200 reschedulings of 600 events must have compacted
    for index in rng.choice(n_events, size=400, replace=False):
        twins.remove(int(index))
    for _ in range(5):
        twins.pop()
    n_valid = len(set(twins.in_list) - twins.removed)
    assert sorted(_label(e) for e in twins.fast if not e.is_invalid()) == sorted(set(twins.in_list) - twins.removed)
    for _ in range(n_events // 2):
        twins.push(next(times), 0)
    popped = twins.drain()
    assert len(popped) == n_valid + n_events // 2


@pytest.mark.parametrize("seed", [2, 3])
def test_long_random_run_with_repeated_compactions(seed, monkeypatch):
    compactions = _count_compactions(monkeypatch)
    rng = np.random.default_rng(seed)
    twins = Twins()
    for _ in range(20_000):
        choice = rng.random()
        time = int(rng.integers(0, 10**7))
        if choice < 0.03 or not twins.in_list:
            if twins.key_is_free((time, 0)):
                twins.push(time, 0)
        elif choice < 0.05:
            twins.remove(int(rng.integers(len(twins.stock_events))))
        elif choice < 0.052:
            twins.pop()
        elif choice < 0.06:
            twins.update(int(rng.integers(len(twins.stock_events))), time)  # often a popped event
        elif twins.key_is_free((time, 0)):
            label = sorted(twins.in_list)[int(rng.integers(len(twins.in_list)))]
            twins.update(int(label[1:]), time)
    assert compactions[0] >= 2
    # Compaction drops removed events early; the valid ones are the same in both lists.
    assert len(twins.fast) <= len(twins.stock)
    assert {_label(event) for event in twins.fast} <= {_label(event) for event in twins.stock}
    valid_fast = {_label(event) for event in twins.fast if not event.is_invalid()}
    valid_stock = {_label(event) for event in twins.stock if not event.is_invalid()}
    assert valid_fast == valid_stock == set(twins.in_list) - twins.removed
    twins.drain()


# --- end to end on a SeQUeNCe timeline --------------------------------------------------------


class _CountingFastEventList(FastEventList):
    """FastEventList that counts removals and reschedulings (to show the run exercised them)."""

    def __init__(self) -> None:
        super().__init__()
        self.n_removed = 0
        self.n_updated = 0

    def remove(self, event: Event) -> None:
        self.n_removed += 1
        super().remove(event)

    def update_event_time(self, event: Event, time: int) -> None:
        self.n_updated += 1
        super().update_event_time(event, time)


def _run_router_chain(events, n_routers: int = 3, stop_time_s: float = 0.05) -> tuple[int, int, int, int]:
    """A raw RouterNetTopo chain with one request from r0 to the far end (10 km links).

    The memories' coherence time (10 ms) is well inside the run, so their expiry
    events are removed and rescheduled and some of them fire: a list that got
    removal or rescheduling wrong would change the outcome.
    """
    distance_m = 10_000.0
    templates = {
        "router": {"MemoryArray": {"frequency": 2e6, "coherence_time": 0.01, "efficiency": 1, "fidelity": 0.95}},
        "bsm": {
            "encoding_type": "single_heralded",
            "SingleHeraldedBSM": {
                "detectors": [{"efficiency": 0.9, "dark_count": 0, "time_resolution": 150, "count_rate": 5e7}] * 2
            },
        },
    }
    config = {
        "templates": templates,
        "nodes": [
            {"name": f"r{i}", "type": "QuantumRouter", "seed": i, "memo_size": 10, "template": "router"}
            for i in range(n_routers)
        ],
        "qconnections": [
            {
                "node1": f"r{i}",
                "node2": f"r{i + 1}",
                "attenuation": 0.0002,
                "distance": distance_m,
                "type": "meet_in_the_middle",
                "template": "bsm",
                "seed": 100 + i,
            }
            for i in range(n_routers - 1)
        ],
        "cconnections": [
            {"node1": f"r{i}", "node2": f"r{j}", "delay": int(abs(i - j) * distance_m / 2e-4)}
            for i in range(n_routers)
            for j in range(i + 1, n_routers)
        ],
        "formalism": "bell_diagonal",
        "stop_time": int(stop_time_s * 1e12),
    }
    topology = RouterNetTopo(config)
    timeline = topology.get_timeline()
    if events is not None:
        timeline.events = events
    apps = {router.name: RequestApp(router) for router in topology.get_nodes_by_type("QuantumRouter")}
    timeline.init()
    apps["r0"].start(f"r{n_routers - 1}", int(1e9), int(stop_time_s * 1e12), 4, 0.6)
    timeline.run()
    return apps["r0"].memory_counter, timeline.run_counter, timeline.schedule_counter, timeline.now()


def test_same_sequence_run_with_stock_and_fast_event_list():
    fast_events = _CountingFastEventList()
    with sequence_globals():
        stock = _run_router_chain(events=None)
        fast = _run_router_chain(events=fast_events)
    n_pairs, n_executed, _, _ = stock
    assert n_pairs > 10 and n_executed > 1000  # the scenario does real work
    assert fast_events.n_removed > 100 and fast_events.n_updated > 10
    assert fast == stock  # delivered pairs, executed and scheduled events, final time
