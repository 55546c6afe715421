"""Quantum repeaters, trusted relays and a hybrid of both on the same topology, fibre and hardware, measured.

``compare(scenario)`` takes a scenario's network, hardware templates and user
pairs (the ``src``/``dst`` of its traffic) and simulates each design
(:mod:`scenarios.compare_designs`):

* **trusted relay**: every node between the users a trusted relay; the links run
  the scenario's QKD link model into key pools, keys are relayed hop by hop under
  one-time pad. The key capacity is the end-to-end key throughput measured under
  saturating demand (requests always waiting); the served key, share of requests
  served and latency are measured under the scenario's own key traffic;
* **quantum repeater**: every node between the users a repeater; the users run
  BBM92 on the end-to-end pairs (distilled into real keys with the same
  error-correction efficiency ``f`` and infinite-key accounting as the fast BB84
  link model) and teleport Haar-random qubits over the chain;
* **hybrid**: repeater segments where the fibre is long, trusted relays elsewhere
  (or a hybrid scenario the user gives), run like the trusted-relay design.

With several seeds each figure is the mean over seeds with a Student-t 95 %
interval. Each row of the summary says where its figure comes from
(:mod:`scenarios.compare_measure`). A distance sweep adds simulated points of each
design against route length, next to analytic curves (:mod:`scenarios.compare_distance`).
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.metrics import confidence_interval
from qnetsim.core.errors import ConfigError
from scenarios.compare_designs import (
    CompareSettings,
    Design,
    hybrid_design,
    hybrid_supported,
    repeater_design,
    trusted_relay_design,
    user_pairs,
)
from scenarios.compare_distance import SWEEP_SETTINGS, distance_sweep, distance_tasks
from scenarios.compare_measure import INPUT, METRICS, TOPOLOGY, measure
from scenarios.compare_runs import run_all
from scenarios.progress import steps_progress
from scenarios.results import Results
from scenarios.schema import Scenario

DESIGNS = ("trusted_relay", "quantum_repeater", "hybrid")


@dataclass
class Comparison:
    """The designs' results, per-seed measurements, the summary and the distance sweep.

    Attributes:
        scenario: the scenario compared.
        settings: durations and sizes of the runs.
        seeds: the seeds run.
        results: run folder name (``<design>-<purpose>``, with several seeds
            ``<design>-<purpose>-seed<N>``) -> the run's results.
        run_keys: run folder name -> ``(design, purpose, seed)``.
        measurements: one row per seed, design, pair and metric (``value``, ``source``).
        summary: mean and 95 % interval over seeds per design, pair and metric.
        timings: wall time of each run (design, purpose, seed).
        unavailable: design -> why it was not run.
        distance: the distance sweep (empty if not asked for).
        notes: what a reader needs to read a figure right, from the runs (e.g. a load run
            that ended before a link's first key block).
    """

    scenario: Scenario
    settings: CompareSettings
    seeds: list[int]
    results: dict[str, Results]
    run_keys: dict[str, tuple[str, str, int]]
    measurements: pd.DataFrame
    summary: pd.DataFrame
    timings: pd.DataFrame
    unavailable: dict[str, str] = field(default_factory=dict)
    distance: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        from scenarios.display import comparison_repr

        return comparison_repr(self)

    def _repr_html_(self) -> str:
        from scenarios.display import comparison_repr

        return comparison_repr(self, html_form=True)

    @property
    def designs(self) -> list[str]:
        """The designs that were run, in display order."""
        return [d for d in DESIGNS if d in set(self.summary["design"])]

    def write(self, directory: str | Path) -> Path:
        """Each run's folder (named as in :attr:`results`), the tables, the figure and a manifest, swapped in whole."""
        from scenarios.compare_folder import write_comparison

        return write_comparison(self, directory)


def designs_of(
    scenario: Scenario, settings: CompareSettings, hybrid: Scenario | bool = True
) -> tuple[list[Design], dict[str, str]]:
    """The designs to run and, for any left out, why.

    Args:
        hybrid: True for the best hybrid, a scenario for that hybrid, False for none.
    """
    designs = [trusted_relay_design(scenario, settings), repeater_design(scenario, settings)]
    unavailable = {}
    if hybrid is False:
        unavailable["hybrid"] = "not asked for"
    elif not hybrid_supported():
        unavailable["hybrid"] = "this build cannot run hybrid networks (repeater segments feeding key pools)"
    else:
        try:
            designs.append(hybrid_design(scenario, settings, hybrid if isinstance(hybrid, Scenario) else None))
        except ConfigError as error:
            if isinstance(hybrid, Scenario):
                raise
            unavailable["hybrid"] = str(error)
    return designs, unavailable


def _with_seed(scenario: Scenario, seed: int) -> Scenario:
    return scenario.model_copy(update={"seed": seed})


def _fixed_rows(design: Design, scenario: Scenario) -> list[dict[str, Any]]:
    """Figures that no run measures: trusted nodes (topology), memories and ``f`` (inputs)."""
    rows = []
    for pair, n in design.n_trusted_nodes.items():
        rows.append({"pair": pair, "metric": "n_trusted_nodes", "value": float(n), "source": TOPOLOGY})
        if design.memories_per_repeater:
            rows.append(
                {
                    "pair": pair,
                    "metric": "memories_per_repeater",
                    "value": float(design.memories_per_repeater),
                    "source": INPUT,
                }
            )
        f = scenario.qkd.error_correction_efficiency
        rows.append({"pair": pair, "metric": "error_correction_efficiency", "value": f, "source": INPUT})
    return rows


def compare(
    scenario: Scenario,
    *,
    settings: CompareSettings | None = None,
    n_seeds: int = 1,
    hybrid: Scenario | bool = True,
    distances_km: list[float] | None = None,
    distance_settings: CompareSettings | None = None,
    n_workers: int = 1,
    progress: bool | None = False,
) -> Comparison:
    """Simulate every design on ``scenario``'s network for seeds ``seed .. seed + n_seeds - 1``.

    Args:
        scenario: the network, hardware and user pairs (its traffic's src/dst).
        settings: run durations and sizes (default: the scenario's duration).
        n_seeds: how many seeds (figures become means with 95 % intervals).
        hybrid: True for the best hybrid, a hybrid scenario, or False for two designs.
        distances_km: route lengths of the distance sweep (None: no sweep).
        distance_settings: how each distance point is simulated (default: short runs,
            :data:`scenarios.compare_distance.SWEEP_SETTINGS`).
        n_workers: worker processes for the runs (1: one after the other here); the
            results are the same either way.
        progress: a progress bar over the runs (None: on a terminal).
    """
    if n_seeds < 1:
        raise ConfigError(f"seeds: must be >= 1; got {n_seeds}")
    settings = settings or CompareSettings(duration_s=scenario.duration_s)
    designs, unavailable = designs_of(scenario, settings, hybrid)
    seeds = [scenario.seed + k for k in range(n_seeds)]
    pairs = [f"{a}-{b}" for a, b in user_pairs(scenario)]
    run_keys: dict[str, tuple[str, str, int]] = {}
    tasks: list[tuple[str, Scenario]] = []
    for seed in seeds:
        for design in designs:
            for purpose, variant in design.runs.items():
                name = f"{design.name}-{purpose}" + (f"-seed{seed}" if n_seeds > 1 else "")
                run_keys[name] = (design.name, purpose, seed)
                tasks.append((name, _with_seed(variant, seed)))
    sweep: list[tuple[str, Scenario]] = []
    if distances_km:
        sweep = distance_tasks(scenario, distances_km, distance_settings or SWEEP_SETTINGS)
    with steps_progress(len(tasks) + len(sweep), enabled=progress, label="compare") as advance:
        done = run_all(tasks + sweep, n_workers, advance)
    results = {name: done[name] for name, _ in tasks}
    rows: list[dict[str, Any]] = []
    timings: list[dict[str, Any]] = []
    for name, (design_name, purpose, seed) in run_keys.items():
        finished = results[name]
        timings.append(
            {"design": design_name, "purpose": purpose, "seed": seed, "wall_time_s": finished.manifest["wall_time_s"]}
        )
        variant = finished.scenario
        found = measure(purpose, finished.tables, variant.duration_s, settings.warmup_fraction, pairs)
        rows += [{"design": design_name, "seed": seed, "purpose": purpose, **r} for r in found]
    for seed in seeds:
        for design in designs:
            rows += [{"design": design.name, "seed": seed, "purpose": "", **r} for r in _fixed_rows(design, scenario)]
    measurements = pd.DataFrame(rows)
    comparison = Comparison(
        scenario,
        settings,
        seeds,
        results,
        run_keys,
        measurements,
        summarise(measurements, pairs),
        pd.DataFrame(timings),
        unavailable,
    )
    comparison.notes = late_link_notes(results, run_keys)
    if distances_km:
        point = distance_settings or SWEEP_SETTINGS
        comparison.distance = distance_sweep(scenario, distances_km, point, {name: done[name] for name, _ in sweep})
    return comparison


def late_link_notes(results: dict[str, Results], run_keys: dict[str, tuple[str, str, int]]) -> list[str]:
    """Notes for load runs that ended before some link of the design made its first key block.

    Such a run serves nothing over that link by construction of its length, not because
    the design cannot serve the load; the time of the link's first block is read from
    the design's saturating run (the same network, longer), so the note says how long a
    load run must last.
    """
    first_block_s: dict[tuple[str, int], dict[str, float]] = {}
    for name, (design, purpose, seed) in run_keys.items():
        blocks = results[name].tables.get("link_blocks")
        if purpose == "saturating" and blocks is not None and len(blocks):
            first_block_s[(design, seed)] = blocks.groupby("link")["t_s"].min().to_dict()
    notes = []
    for name, (design, purpose, seed) in run_keys.items():
        if purpose != "load":
            continue
        duration_s = results[name].scenario.duration_s
        late = {link: t for link, t in first_block_s.get((design, seed), {}).items() if t > duration_s}
        if late:
            link, t_s = max(late.items(), key=lambda item: item[1])
            notes.append(
                f"{design.replace('_', ' ')} (seed {seed}): link {link} made its first key block at {t_s:.3g} s"
                f" of the saturating run, after the {duration_s:g} s load run ended, so the load run cannot"
                f" use it; run longer (--duration-s) to measure the load"
            )
    return notes


def summarise(measurements: pd.DataFrame, pairs: list[str] | None = None) -> pd.DataFrame:
    """Mean and Student-t 95 % interval over seeds per design, pair and metric, with its source and unit.

    Rows come in the order of ``pairs`` (default: as measured), then of :data:`METRICS`, then of designs.
    """
    keys = ["design", "pair", "metric", "source"]
    stats = confidence_interval(measurements, "value", by=keys)
    summary = stats.rename(
        columns={
            "value_mean": "value",
            "value_ci_low": "ci_low",
            "value_ci_high": "ci_high",
            "n_samples_value": "n_seeds",
        }
    )
    summary["label"] = summary["metric"].map(lambda m: METRICS[m][0])
    summary["unit"] = summary["metric"].map(lambda m: METRICS[m][1])
    pair_order = {p: i for i, p in enumerate(pairs or list(dict.fromkeys(measurements["pair"])))}
    metric_order = {m: i for i, m in enumerate(METRICS)}
    design_order = {d: i for i, d in enumerate(DESIGNS)}
    summary = summary.assign(
        _p=summary["pair"].map(pair_order),
        _m=summary["metric"].map(metric_order),
        _d=summary["design"].map(design_order),
    ).sort_values(["_p", "_m", "_d"])
    columns = ["design", "pair", "metric", "label", "value", "ci_low", "ci_high", "n_seeds", "unit", "source"]
    return summary[columns].reset_index(drop=True)
