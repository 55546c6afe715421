"""Analysis of result folders written by ``qnetsim``: it reads files, never the simulator.

from analysis import load, metrics
results = load("results/my-sweep")                # a run, a sweep, a comparison, or a folder of them
per_run = metrics.pair_metrics(results.tables["pairs"], results.runs)
metrics.confidence_interval(per_run, "mean_fidelity", by=[*results.parameters, "n_hops"])

Figures: :mod:`analysis.plots`, :mod:`analysis.plots_time`; reports:
:func:`analysis.report.write_report` (``qnetsim report``).
"""

from analysis.errors import AnalysisError, OutputFolderError, ResultFolderError
from analysis.load import (
    ComparisonResult,
    Results,
    Run,
    load,
    load_compare,
    load_run,
    load_runs,
    load_sweep,
    load_table,
)

__all__ = [
    "AnalysisError",
    "ComparisonResult",
    "OutputFolderError",
    "ResultFolderError",
    "Results",
    "Run",
    "load",
    "load_compare",
    "load_run",
    "load_runs",
    "load_sweep",
    "load_table",
]
