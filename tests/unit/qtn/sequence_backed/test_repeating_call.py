"""RepeatingCall: one reused event runs a function at the times and in the order fresh events would."""

from qtn.sequence_backed import adapter


def _run(use_repeating: bool) -> tuple[list[tuple[str, float]], int]:
    """A clock ticking every 1 ms next to one-off calls at the same instants; the order of calls and events run."""
    seen: list[tuple[str, float]] = []
    with adapter.sequence_globals():
        timeline = adapter.new_timeline(0.0105)

        def note(label: str) -> None:
            seen.append((label, adapter.now_s(timeline)))

        def tick() -> None:
            note("tick")
            following = adapter.now_s(timeline) + 1e-3
            if following <= 0.01:
                if use_repeating:
                    clock.at(following)
                else:
                    adapter.schedule_call(timeline, following, tick)
            if len(seen) % 3 == 0:  # a call at the very instant of the next tick, scheduled after it
                adapter.schedule_call(timeline, following, note, "other")

        clock = adapter.RepeatingCall(timeline, tick)
        adapter.schedule_call(timeline, 0.002, note, "early")  # at a tick's instant, scheduled before it
        if use_repeating:
            clock.at(1e-3)
        else:
            adapter.schedule_call(timeline, 1e-3, tick)
        adapter.run_timeline(timeline)
        return seen, adapter.events_executed(timeline)


def test_a_repeating_call_runs_as_fresh_events_would():
    """Same calls, same simulated times, same order among events at one instant, same events executed."""
    reused, fresh = _run(True), _run(False)
    assert reused == fresh
    labels = [label for label, _ in reused[0]]
    assert labels.count("tick") == 10 and "other" in labels and "early" in labels
