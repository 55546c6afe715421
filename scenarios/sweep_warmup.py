"""Starting the local workers' imports before the sweep command's own.

No point can run before its worker has imported pandas, the runner and, for the
hardware and fast levels or key traffic, SeQUeNCe with QuTiP and SciPy behind it:
seconds of CPU that a one-worker and a two-worker sweep both wait for. The
command itself meanwhile imports the scenario layer (about a second), loads and
checks every point. :func:`start_worker_imports` starts the fork server of the
local workers first, so that both run side by side on a machine with two or more
cores.

What the workers import is decided by a glance at the scenario file
(:func:`guess_worker_modules`), before any validation: the fidelity level, key
traffic, and whether a swept parameter could change either. A wrong guess costs
time, never a result: workers import whatever is still missing before their
first point (:func:`scenarios.sweep_run.worker_modules` decides that from the
validated points), and an unneeded import only keeps the fork server busy.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scenarios import library
from scenarios.executors import RUNNER_MODULES, SEQUENCE_MODULES, start_fork_server

#: Traffic kinds that make a QKD network (built on SeQUeNCe's timeline at every level).
KEY_TRAFFIC_KINDS = ("key", "service", "vkp")
#: Scenario fields that decide whether a run builds SeQUeNCe objects (see ``scenarios.runner.uses_sequence``).
DECIDING_FIELDS = ("fidelity_level", "traffic", "kaas", "kms")
DEFAULT_FIDELITY_LEVEL = "hardware"
#: Larger files are left to the loader's own checks (and the workers start later).
MAX_GLANCE_BYTES = 1_000_000


def guess_worker_modules(scenario: str, assignments: Sequence[str]) -> tuple[str, ...] | None:
    """What a sweep's workers will likely import, from the raw scenario file; ``None`` if it cannot be read.

    Args:
        scenario: a scenario file or built-in name, as given to ``qnetsim sweep``.
        assignments: the ``--param PATH=VALUES`` texts.

    Example:
        >>> guess_worker_modules("entanglement-chain", []) == (*RUNNER_MODULES, *SEQUENCE_MODULES)
        True
    """
    data = _raw_scenario(scenario)
    if data is None:
        return None
    swept = {text.partition("=")[0].strip().split(".")[0].split("[")[0] for text in assignments}
    if swept & set(DECIDING_FIELDS) or _uses_sequence(data):
        return (*RUNNER_MODULES, *SEQUENCE_MODULES)
    return RUNNER_MODULES


def start_worker_imports(scenario: str, assignments: Sequence[str]) -> bool:
    """Start the local workers' fork server with the guessed imports; whether a new one was started."""
    modules = guess_worker_modules(scenario, assignments)
    return modules is not None and start_fork_server(modules)


def _uses_sequence(data: dict[str, Any]) -> bool:
    """``scenarios.runner.uses_sequence`` on raw scenario data (defaults as in the schema)."""
    if data.get("fidelity_level", DEFAULT_FIDELITY_LEVEL) != "network":
        return True
    if data.get("kaas") is not None or data.get("kms") is not None:
        return True
    traffic = data.get("traffic") or []
    return any(isinstance(item, dict) and item.get("kind") in KEY_TRAFFIC_KINDS for item in traffic)


def _raw_scenario(scenario: str) -> dict[str, Any] | None:
    """The scenario file's content as plain data, or ``None`` (not found, unreadable, not a mapping)."""
    import yaml

    path = Path(scenario)
    try:
        if not path.is_file():
            if scenario not in library.names():
                return None
            path = library.path(scenario)
        if path.stat().st_size > MAX_GLANCE_BYTES:
            return None
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError):
        return None
    return data if isinstance(data, dict) else None
