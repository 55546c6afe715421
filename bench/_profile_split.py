"""Where a run's time goes: a cProfile run split by component of the stack.

Every function's own time (cProfile's ``tottime``) is charged to a component
named by where the function lives (SeQUeNCe's resource manager, swapping, our
protocols, the event loop, ...). Time spent in libraries and the standard
library (numpy, enum, builtins) is charged to the components that called them,
in proportion to the time each caller spent there, so that for example
``numpy.isclose`` inside a Bell-diagonal state counts as quantum-state work.
Logging calls and the ``__str__``/``__repr__``/``__format__`` methods that build
log text are a component of their own: SeQUeNCe formats its log messages even
when logging is off. Profiling slows Python calls down unevenly, so shares are
indicative, not exact.
"""

import cProfile
import pstats
from collections import defaultdict
from collections.abc import Callable
from typing import Any

Function = tuple[str, int, str]  # (file, line, name), as pstats keys them

LOGGING = "logging and log-text formatting"
#: (component, path fragment) in matching order; the first fragment found in a file's path wins.
COMPONENTS: tuple[tuple[str, str], ...] = (
    ("event loop (timeline, events, FastEventList)", "sequence/kernel/timeline.py"),
    ("event loop (timeline, events, FastEventList)", "sequence/kernel/event"),
    ("event loop (timeline, events, FastEventList)", "sequence/kernel/process.py"),
    ("event loop (timeline, events, FastEventList)", "qtn/sequence_backed/event_list.py"),
    ("SeQUeNCe resource manager and rules", "sequence/resource_management/"),
    ("SeQUeNCe network manager and reservations", "sequence/network_management/"),
    ("our protocols (qtn/sequence_backed/protocols.py)", "qtn/sequence_backed/protocols.py"),
    ("SeQUeNCe heralded generation", "sequence/entanglement_management/generation/"),
    ("SeQUeNCe swapping", "sequence/entanglement_management/swapping"),
    ("SeQUeNCe purification", "sequence/entanglement_management/purification"),
    ("SeQUeNCe protocol base", "sequence/entanglement_management/"),
    ("memories and Bell-diagonal states", "sequence/components/memory.py"),
    ("memories and Bell-diagonal states", "sequence/kernel/quantum_manager"),
    ("memories and Bell-diagonal states", "sequence/kernel/quantum_state"),
    ("BSM station and detectors", "sequence/components/bsm.py"),
    ("BSM station and detectors", "sequence/components/detector.py"),
    ("messages, nodes and channels", "sequence/topology/"),
    ("messages, nodes and channels", "sequence/message.py"),
    ("messages, nodes and channels", "sequence/components/optical_channel.py"),
    ("our app and pair records (qtn)", "qtn/"),
    ("scenario checks, build and tables", "scenarios/"),
    ("other SeQUeNCe", "sequence/"),
    (LOGGING, "logging/__init__.py"),
)
_LOG_TEXT_METHODS = ("__str__", "__repr__", "__format__")
_MAX_DEPTH = 12


def component_of(function: Function) -> str | None:
    """Component of a function, or None for library code charged to its callers."""
    path, _, name = function
    path = path.replace("\\", "/")
    if name in _LOG_TEXT_METHODS and ("sequence/" in path or path.endswith("enum.py")):
        return LOGGING
    in_standard_library = "/lib/python3" in path and "site-packages" not in path
    if in_standard_library and "/logging/" in path:
        return LOGGING
    if in_standard_library or path.startswith("~") or "site-packages/numpy" in path:
        return None
    for component, fragment in COMPONENTS:
        if fragment in path:
            return component
    return None


def split_by_component(stats: pstats.Stats) -> dict[str, float]:
    """Seconds of own time per component, library time charged to callers (see the module docstring)."""
    table: dict[Function, Any] = stats.stats  # type: ignore[attr-defined]
    totals: dict[str, float] = defaultdict(float)

    def charge(function: Function, seconds: float, depth: int) -> None:
        component = component_of(function)
        if component is not None:
            totals[component] += seconds
            return
        callers = table[function][4] if function in table else {}
        weights = {caller: entry[2] for caller, entry in callers.items() if caller != function}
        weight = sum(weights.values())
        if depth >= _MAX_DEPTH or weight <= 0:
            totals["unattributed library code"] += seconds
            return
        for caller, caller_weight in weights.items():
            charge(caller, seconds * caller_weight / weight, depth + 1)

    for function, (_, _, own_s, _, _) in table.items():
        if own_s > 0:
            charge(function, own_s, 0)
    return dict(totals)


def profile_lines(function: Callable[[], Any], label: str, n_top: int = 12) -> list[str]:
    """Profile one call of ``function`` and describe where its time went."""
    profiler = cProfile.Profile()
    profiler.enable()
    function()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total_s = sum(entry[2] for entry in stats.stats.values())  # type: ignore[attr-defined]
    lines = [f"profile of one run ({label}): {total_s:.2f} s under cProfile, own time by component"]
    for component, seconds in sorted(split_by_component(stats).items(), key=lambda item: -item[1]):
        lines.append(f"  {component:<48}{seconds:8.3f} s {seconds / total_s:6.1%}")
    lines.append(f"  top {n_top} functions by own time:")
    ranked = sorted(stats.stats.items(), key=lambda item: -item[1][2])  # type: ignore[attr-defined]
    for (path, line, name), (_, n_calls, own_s, cumulative_s, _) in ranked[:n_top]:
        short = "/".join(path.replace("\\", "/").split("/")[-2:])
        lines.append(f"    {own_s:7.3f} s own {cumulative_s:7.3f} s cum {n_calls:>9,} calls  {short}:{line}({name})")
    return lines
