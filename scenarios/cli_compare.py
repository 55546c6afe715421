"""``qnetsim compare``: trusted relays, quantum repeaters and a hybrid on one scenario's network, measured."""

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from scenarios.cli_app import configure_logging, reported_errors, stdout, with_overrides

#: How each unit is shown: (format, scale).
_FORMATS = {"bit/s": ("{:.4g}", 1.0), "1/s": ("{:.4g}", 1.0), "s": ("{:.3g}", 1e3), "count": ("{:.0f}", 1.0)}
_UNIT_LABELS = {"s": "ms"}
_SOURCE_SHORT = {"formula on simulated data": "formula on sim."}


def compare(
    scenario: Annotated[
        str | None, typer.Argument(help="Scenario file or built-in name (default: compare-chain).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Folder (default: results/<name>-compare).")
    ] = None,
    duration_s: Annotated[
        float | None, typer.Option("--duration-s", help="Simulated time of each key run (default: the scenario's).")
    ] = None,
    seeds: Annotated[int, typer.Option("--seeds", help="Run seeds seed .. seed+N-1; figures get 95 % intervals.")] = 1,
    hybrid: Annotated[
        str | None,
        typer.Option(
            "--hybrid", help="Hybrid scenario (file or name) for the third column (default: the best hybrid)."
        ),
    ] = None,
    no_hybrid: Annotated[bool, typer.Option("--no-hybrid", help="Compare the two pure designs only.")] = False,
    distances: Annotated[
        bool, typer.Option("--distances/--no-distances", help="Also sweep the route's length (figure).")
    ] = True,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="Worker processes for the runs (same results; 1: one after the other; default: up to 2 cores).",
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Override the scenario's seed.")] = None,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress", help="Progress bar.")] = None,
    allow_large: Annotated[
        bool, typer.Option("--allow-large", help="Run even if the estimated memory or events exceed the budget.")
    ] = False,
    memory_budget_gb: Annotated[
        float | None, typer.Option("--memory-budget-gb", help="Memory a run may use (default: half).")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Simulate the scenario's network as trusted relays, as quantum repeaters and as a hybrid; print the table."""
    from scenarios.budget import budget_from_options, check_budget
    from scenarios.loader import load
    from scenarios.results import check_output_folder

    configure_logging(debug)
    with reported_errors(debug):
        name = scenario or "compare-chain"
        loaded = with_overrides(load(name), seed, duration_s, name)
        target = output if output is not None else Path("results") / f"{loaded.name}-compare"
        check_output_folder(target, kind="compare")  # refuse a bad folder before the runs, not after
        check_budget(loaded, budget_from_options(allow_large, memory_budget_gb), name)
        from scenarios.compare import compare as run_compare
        from scenarios.compare_designs import CompareSettings
        from scenarios.compare_distance import default_distances_km

        given = load(hybrid) if hybrid else None
        comparison = run_compare(
            loaded,
            settings=CompareSettings(duration_s=loaded.duration_s),
            n_seeds=seeds,
            hybrid=False if no_hybrid else (given if given is not None else True),
            distances_km=default_distances_km(loaded) if distances else None,
            n_workers=workers if workers is not None else default_workers(),
            progress=progress,
        )
        folder = comparison.write(target)
        print_comparison(comparison, stdout)
        print(f"Results in {folder}/ (one folder per design and run, comparison.parquet, measurements.parquet", end="")
        print(", distance.parquet, key_rate_vs_distance.png)" if distances else ")")
        print(f"Load with pandas: pd.read_parquet('{folder}/comparison.parquet')")
        sys.stdout.flush()


def default_workers() -> int:
    """Worker processes when ``--workers`` is not given: two where the machine has two cores or more.

    Two keep the default comparison near half its one-process wall time on a laptop
    without starving the machine; the results do not depend on the number.
    """
    return max(1, min(2, os.cpu_count() or 1))


def _cell(row: object) -> str:
    value, low, high, unit = row["value"], row["ci_low"], row["ci_high"], row["unit"]  # type: ignore[index]
    style, scale = _FORMATS.get(unit, ("{:.4f}" if unit == "fraction" else "{:.3g}", 1.0))
    text = style.format(value * scale)
    if high == high and low == low and high > low:  # an interval (several seeds)
        text += " ± " + f"{(high - low) / 2 * scale:.2g}"
    return text


def print_comparison(comparison, console) -> None:  # type: ignore[no-untyped-def]
    """The summary as one table per user pair: a row per figure, a column per design, and its source."""
    summary = comparison.summary
    scenario = comparison.scenario
    settings = comparison.settings
    seeds = comparison.seeds
    seed_text = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]}-{seeds[-1]} (mean ± 95 % interval)"
    console.print(
        f"[bold]{scenario.name}[/bold]: key runs {settings.duration_s:g} s, BBM92 {settings.bbm92_duration_s:g} s"
        f" simulated per design, {seed_text}"
        + (
            f"; the hybrid's saturating run {settings.bbm92_duration_s:g} s (its segments' BBM92 frames are slow)"
            if "hybrid" in comparison.designs
            else ""
        )
    )
    designs = comparison.designs
    for pair, rows in summary.groupby("pair", sort=False):
        table = Table(title=f"users {pair}", show_edge=False)
        table.add_column("")
        for design in designs:
            table.add_column(design.replace("_", " "), justify="right")
        table.add_column("source")
        for _metric, group in rows.groupby("metric", sort=False):
            by_design = {row["design"]: row for _, row in group.iterrows()}
            first = next(iter(by_design.values()))
            unit = _UNIT_LABELS.get(first["unit"], first["unit"])
            label = f"{first['label']} ({unit})" if unit not in ("fraction", "count", "ratio") else first["label"]
            sources = [by_design[d]["source"] for d in designs if d in by_design]
            source = " / ".join(dict.fromkeys(_SOURCE_SHORT.get(s, s) for s in sources))
            table.add_row(label, *(_cell(by_design[d]) if d in by_design else "-" for d in designs), source)
        console.print(table)
    for design, reason in comparison.unavailable.items():
        console.print(f"{design.replace('_', ' ')}: not run ({reason})")
    for note in comparison.notes:
        console.print(f"note: {note}", highlight=False)
