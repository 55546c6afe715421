"""The public Python API: run, sweep and compare scenarios from Python, get tidy tables.

The top of the stack (``qnetsim.api -> scenarios -> qkdn -> qtn``). Each function does
what the matching ``qnetsim`` command does, through the same code: loading and
validating the scenario, the ``seed``/``duration_s`` overrides
(:mod:`scenarios.overrides`), the memory and event budget checked before anything
runs (:mod:`scenarios.budget`), the runner (:func:`scenarios.run`), the sweep
(:func:`scenarios.sweep_run.run_sweep`) and the comparison of designs
(:func:`scenarios.compare.compare`). Nothing is written unless ``output`` is given
(sweeps always write their folder: that is what makes them resumable).

Examples:
    >>> import qnetsim
    >>> results = qnetsim.run("entanglement-chain", seed=3, duration_s=0.05)
    >>> results.tables["entanglement_requests"][["src", "dst", "approved"]]
      src dst  approved
    0  n0  n2      True

See ``docs/python-api.md`` for every argument, with examples.
"""

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from analysis.load import Results as LoadedResults
from analysis.load import load_sweep
from qnetsim.core.errors import ConfigError, SimulationError
from scenarios.budget import Budget, budget_from_options, check_budget
from scenarios.compare import Comparison
from scenarios.errors import ScenarioError
from scenarios.loader import from_dict as _from_dict
from scenarios.loader import load as _load
from scenarios.overrides import keyword_name, with_overrides
from scenarios.results import Results, check_output_folder
from scenarios.schema import Scenario
from scenarios.sweep import parse_seeds, plan_sweep
from scenarios.sweep_run import check_options, label, run_sweep

__all__ = ["Comparison", "Results", "Scenario", "compare", "from_dict", "load", "run", "sweep"]

logger = logging.getLogger(__name__)

ScenarioLike = Scenario | Mapping[str, Any] | str | Path
ParamValues = Sequence[Any] | str | int | float | bool


def from_dict(data: Mapping[str, Any], source: str = "") -> Scenario:
    """Validate a mapping (the content of a scenario file) into a :class:`Scenario`.

    Every problem is reported at once, each with its dotted path and bad value.

    Example:
        >>> qnetsim.from_dict({"name": "x", "network": {"generator": {"kind": "chain", "n_nodes": 0}}})
        Traceback (most recent call last):
        scenarios.errors.ScenarioError: ...

    Raises:
        ScenarioError: the mapping is not a valid scenario.
    """
    return _from_dict(data, source)


def load(path_or_name: str | Path) -> Scenario:
    """A scenario file (YAML), or a built-in scenario by name (``qnetsim list``).

    Raises:
        ScenarioError: no such file or built-in scenario, or it is not valid.
    """
    return _load(path_or_name)


def _scenario(scenario: ScenarioLike, seed: int | None, duration_s: float | None) -> tuple[Scenario, str]:
    """``scenario`` as a validated :class:`Scenario` with the overrides, and where it came from."""
    if isinstance(scenario, Scenario):
        loaded, source = scenario, scenario.name
    elif isinstance(scenario, Mapping):
        source = str(scenario.get("name", "")) or "<dict>"
        loaded = _from_dict(scenario, source)
    elif isinstance(scenario, str | Path):
        loaded, source = _load(scenario), str(scenario)
    else:
        raise ConfigError(
            f"scenario: expected a Scenario, a dict, a file path or a built-in name; got {type(scenario).__name__}"
        )
    return with_overrides(loaded, seed, duration_s, source, keyword_name), source


def _budget(allow_large: bool, memory_budget_gb: float | None, n_parallel: int = 1) -> Budget | None:
    if memory_budget_gb is not None and not (
        isinstance(memory_budget_gb, int | float) and math.isfinite(memory_budget_gb) and memory_budget_gb > 0
    ):
        raise ConfigError(f"memory_budget_gb: must be > 0; got {memory_budget_gb!r}")
    return budget_from_options(allow_large, memory_budget_gb, n_parallel)


def run(
    scenario: ScenarioLike,
    *,
    seed: int | None = None,
    duration_s: float | None = None,
    output: str | Path | None = None,
    progress: bool | None = False,
    allow_large: bool = False,
    memory_budget_gb: float | None = None,
) -> Results:
    """Run a scenario and return its tidy tables (``qnetsim run``).

    Args:
        scenario: a :class:`Scenario`, a dict (as in a scenario file), a file path or a built-in name.
        seed: the run's seed instead of the scenario's (same scenario and seed: identical tables).
        duration_s: simulated time instead of the scenario's, in seconds.
        output: also write the tables (Parquet) and ``manifest.json`` to this folder, as
            ``qnetsim run -o`` does (an earlier run's folder there is replaced; any other
            non-empty folder is refused before the run).
        progress: a progress bar of simulated time (``None``: on a terminal).
        allow_large: run even if the estimated memory or events exceed the budget.
        memory_budget_gb: memory the run may use (default: half of this machine's).

    Returns:
        :class:`Results`: ``tables`` (name -> DataFrame), ``manifest`` (provenance), ``scenario``.

    Raises:
        ScenarioError: the scenario or an override is not valid, or the run would exceed
            the budget (nothing is run).
        SimulationError: the simulation failed while running.
    """
    loaded, source = _scenario(scenario, seed, duration_s)
    budget = _budget(allow_large, memory_budget_gb)
    if output is not None:
        check_output_folder(Path(output))  # refuse a bad folder before a long run, not after
    check_budget(loaded, budget, source)
    from scenarios.runner import run as run_scenario  # imports SeQUeNCe: only when running

    results = run_scenario(loaded, progress=progress)
    if output is not None:
        results.write(output)
    return results


def _assignments(params: Mapping[str, ParamValues] | Sequence[str]) -> list[str]:
    """``{"links.length_km": [10, 20]}`` -> ``["links.length_km=10,20"]`` (the command line's ``--param``)."""
    if isinstance(params, str):
        return [params]
    if not isinstance(params, Mapping):
        return list(params)
    texts = []
    for path, values in params.items():
        items = [values] if isinstance(values, str | int | float | bool) else list(values)
        shown = [("true" if item else "false") if isinstance(item, bool) else str(item) for item in items]
        if any("," in text for text in shown if len(items) > 1):
            raise ConfigError(f"params[{path!r}]: a value contains a comma: {values!r}")
        texts.append(f"{path}={','.join(shown)}")
    return texts


def _seeds(seeds: int | Sequence[int] | None) -> list[int] | None:
    if seeds is None:
        return None
    if isinstance(seeds, bool) or isinstance(seeds, str) or not isinstance(seeds, int | Sequence):
        raise ConfigError(f"seeds=: expected a count N or a list of seeds like [3, 7, 11]; got {seeds!r}")
    if isinstance(seeds, int):
        return parse_seeds(str(seeds))
    return parse_seeds(",".join(str(seed) for seed in seeds) + ("," if len(seeds) == 1 else ""))


def sweep(
    scenario: ScenarioLike,
    params: Mapping[str, ParamValues] | Sequence[str] = (),
    *,
    seeds: int | Sequence[int] | None = None,
    duration_s: float | None = None,
    output: str | Path | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    workers: int | None = None,
    retries: int = 1,
    overwrite: bool = False,
    progress: bool | None = False,
    allow_large: bool = False,
    memory_budget_gb: float | None = None,
) -> LoadedResults:
    """Run a scenario at every point of a parameter grid and every seed (``qnetsim sweep``).

    Every point is validated before anything runs. Points run in worker processes
    (or on a Dask cluster), each into its own result folder under ``output``; calling
    again with the same arguments resumes, running only the points not done.

    Args:
        scenario: a :class:`Scenario`, a dict, a file path or a built-in name.
        params: parameter path -> values: a list, one value, or a range text
            ``"start:stop:step"`` (stop included), e.g. ``{"links.length_km": [10, 20, 50]}``;
            several parameters form a grid. (Or a list of ``PATH=VALUES`` texts, as ``--param``.)
        seeds: ``N`` for seeds ``0..N-1``, or a list of seeds (default: the scenario's seed).
        duration_s: simulated time of every point instead of the scenario's.
        output: the sweep folder (default: ``sweeps/<scenario name>``).
        executor: ``"local"`` (worker processes) or ``"dask"`` (a cluster at ``scheduler``).
        workers: local worker processes (default: the CPUs available).
        retries: extra attempts for a failed point.
        overwrite: replace a different sweep in ``output`` (only what qnetsim wrote there).
        progress, allow_large, memory_budget_gb: as for :func:`run` (the budget is shared
            by the local workers).

    Returns:
        The sweep's tables loaded from its folder (:class:`analysis.Results`, ``kind``
        ``"sweep"``): every table with the swept parameters as columns after
        ``run_id, scenario, seed``, and ``runs``, one row per point.

    Raises:
        ScenarioError / ConfigError: a bad parameter, value, point, option or folder (nothing run).
        SimulationError: points still failed after their retries (the others are kept;
            call again to retry them).
    """
    check_options(executor, scheduler, workers, retries, keyword_name)
    loaded, source = _scenario(scenario, None, duration_s)
    from scenarios.executors import default_n_workers

    n_parallel = (workers or default_n_workers()) if executor == "local" else 1
    budget = _budget(allow_large, memory_budget_gb, n_parallel)
    try:
        plan = plan_sweep(loaded, _assignments(params), _seeds(seeds))
    except ScenarioError:
        raise
    except ConfigError as error:  # worded for the command line: name the keywords instead
        text = str(error)
        for option, keyword in (("--param ", "params "), ("--param:", "params:"), ("--seeds", "seeds=")):
            if text.startswith(option):
                text = keyword + text.removeprefix(option)
        raise ConfigError(text) from None
    root = Path(output) if output is not None else Path("sweeps") / loaded.name
    outcome = run_sweep(
        plan,
        root,
        source=source,
        executor=executor,
        scheduler=scheduler,
        workers=workers,
        retries=retries,
        overwrite=overwrite,
        progress=progress,
        budget=budget,
        inform=logger.info,
        warn=logger.warning,
    )
    if outcome.failures:
        failed = "; ".join(
            f"point {entry['point_id']} ({label(entry)}): {entry['error']}" for entry, _ in outcome.failures
        )
        raise SimulationError(
            f"{len(outcome.failures)} sweep point(s) failed after their retries: {failed}. "
            f"The other points are in {root}; call sweep again with the same arguments to retry the failed ones."
        )
    return load_sweep(root)


def compare(
    scenario: ScenarioLike = "compare-chain",
    *,
    seed: int | None = None,
    duration_s: float | None = None,
    seeds: int = 1,
    hybrid: ScenarioLike | bool = True,
    distances: bool | Sequence[float] = False,
    settings: Mapping[str, Any] | None = None,
    workers: int = 1,
    output: str | Path | None = None,
    progress: bool | None = False,
    allow_large: bool = False,
    memory_budget_gb: float | None = None,
) -> Comparison:
    """Simulate a scenario's network as trusted relays, as quantum repeaters and as a hybrid (``qnetsim compare``).

    Args:
        scenario: the network, hardware and user pairs (its traffic's src/dst).
        seed: the first seed instead of the scenario's.
        duration_s: simulated time of each key run instead of the scenario's.
        seeds: run seeds ``seed .. seed + seeds - 1``; figures become means with 95 % intervals.
        hybrid: True for the best hybrid, a hybrid scenario (as ``scenario``), or False for two designs.
        distances: also sweep the route's length: True for four lengths around the
            scenario's, or a list of lengths in km (adds ``distance``).
        settings: other fields of :class:`scenarios.compare_designs.CompareSettings`,
            e.g. ``{"bbm92_duration_s": 10}`` for a shorter BBM92 run.
        workers: worker processes for the runs (same results; 1: one after the other).
        output: also write the comparison folder there (as ``qnetsim compare -o``).
        progress, allow_large, memory_budget_gb: as for :func:`run`.

    Returns:
        :class:`Comparison`: ``summary`` (one row per design, user pair and figure, with
        its ``source``), ``measurements`` (per seed), ``results`` (every run's tables).

    Raises:
        ScenarioError / ConfigError: the scenario, an override or a setting is not valid (nothing run).
    """
    from scenarios.compare import compare as run_compare  # imports the runner (SeQUeNCe): only when comparing
    from scenarios.compare_designs import CompareSettings
    from scenarios.compare_distance import default_distances_km

    loaded, source = _scenario(scenario, seed, duration_s)
    if output is not None:
        check_output_folder(Path(output), kind="compare")
    check_budget(loaded, _budget(allow_large, memory_budget_gb), source)
    known = {item.name for item in fields(CompareSettings)} - {"duration_s"}
    unknown = sorted(set(settings or {}) - known)
    if unknown:
        raise ConfigError(f"settings: unknown field {unknown[0]!r}; known: {', '.join(sorted(known))}")
    given = hybrid if isinstance(hybrid, bool) else _scenario(hybrid, None, None)[0]
    if distances is True:
        distances_km: list[float] | None = default_distances_km(loaded)
    elif distances is False:
        distances_km = None
    else:
        distances_km = [float(km) for km in distances]
    comparison = run_compare(
        loaded,
        settings=CompareSettings(duration_s=loaded.duration_s, **dict(settings or {})),
        n_seeds=seeds,
        hybrid=given,
        distances_km=distances_km,
        n_workers=workers,
        progress=progress,
    )
    if output is not None:
        comparison.write(output)
    return comparison
