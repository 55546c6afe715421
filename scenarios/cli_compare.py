"""``qnetsim compare``: quantum repeaters against trusted relays on one scenario's network."""

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

ROWS = (
    ("key_capacity_bps", "end-to-end key capacity (bit/s)", "{:.4g}"),
    ("end_to_end_key_rate_bps", "end-to-end key rate served (bit/s)", "{:.4g}"),
    ("qber", "QBER", "{:.4f}"),
    ("fidelity", "delivered pair fidelity", "{:.4f}"),
    ("teleportation_fidelity", "teleportation fidelity (average)", "{:.4f}"),
    ("latency_s", "latency (ms)", "ms"),
    ("n_trusted_nodes", "nodes that must be trusted", "{:d}"),
    ("link_key_per_key_bit", "link key used per end-to-end key bit", "{:.3g}"),
    ("memories_per_node", "quantum memories per repeater", "{:d}"),
)


def compare(
    scenario: Annotated[
        str | None, typer.Argument(help="Scenario file or built-in name (default: compare-chain).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Folder (default: results/<name>-compare).")
    ] = None,
    distances: Annotated[
        bool, typer.Option("--distances/--no-distances", help="Also sweep the route's length (figure).")
    ] = True,
    seed: Annotated[int | None, typer.Option(help="Override the scenario's seed.")] = None,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress", help="Progress bars.")] = None,
    allow_large: Annotated[
        bool, typer.Option("--allow-large", help="Run even if the estimated memory or events exceed the budget.")
    ] = False,
    memory_budget_gb: Annotated[
        float | None, typer.Option("--memory-budget-gb", help="Memory a run may use (default: half).")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Run the scenario's network as trusted relays and as quantum repeaters, side by side."""
    from scenarios.budget import budget_from_options, check_budget
    from scenarios.cli import _configure_logging, _with_overrides, reported_errors, stdout
    from scenarios.loader import load
    from scenarios.results import check_output_folder

    _configure_logging(debug)
    with reported_errors(debug):
        name = scenario or "compare-chain"
        loaded = _with_overrides(load(name), seed, None, name)
        target = output if output is not None else Path("results") / f"{loaded.name}-compare"
        check_output_folder(target, kind="compare")  # refuse a bad folder before the runs, not after
        check_budget(loaded, budget_from_options(allow_large, memory_budget_gb), name)
        from scenarios.compare import compare as run_compare
        from scenarios.compare import default_distances_km

        comparison = run_compare(
            loaded, distances_km=default_distances_km(loaded) if distances else None, progress=progress
        )
        folder = comparison.write(target)
        _print(comparison, stdout)
        print(f"Results in {folder}/ (trusted_relay/, quantum_repeater/, comparison.parquet", end="")
        print(", distance.parquet, key_rate_vs_distance.png)" if distances else ")")
        print(f"Load with pandas: pd.read_parquet('{folder}/comparison.parquet')")
        sys.stdout.flush()


def _cell(value: object, style: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if style == "ms":
        return f"{1e3 * float(value):.3g}"  # type: ignore[arg-type]
    if style == "{:d}":
        return str(int(value))  # type: ignore[call-overload]
    return style.format(value)


def _print(comparison, console) -> None:  # type: ignore[no-untyped-def]
    summary = comparison.summary
    scenario = comparison.scenario
    console.print(f"[bold]{scenario.name}[/bold]: {scenario.duration_s:g} s simulated per design, seed {scenario.seed}")
    for pair, rows in summary.groupby("pair", sort=False):
        table = Table(title=f"users {pair}", show_edge=False)
        table.add_column("")
        by_design = {row["design"]: row for _, row in rows.iterrows()}
        for design in ("trusted_relay", "quantum_repeater"):
            table.add_column(design.replace("_", " "), justify="right")
        for column, label, style in ROWS:
            table.add_row(label, *(_cell(by_design[d][column], style) if d in by_design else "-" for d in by_design))
        console.print(table)
