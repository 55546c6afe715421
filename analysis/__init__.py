"""Analysis of result folders written by ``qnetsim``: it reads files, never the simulator.

from analysis import load, metrics
results = load("results/my-sweep")                # a run, a sweep, a comparison, or a folder of them
per_run = metrics.pair_metrics(results.tables["pairs"], results.runs)
metrics.confidence_interval(per_run, "mean_fidelity", by=[*results.parameters, "n_hops"])

Figures: :mod:`analysis.plots`, :mod:`analysis.plots_time`; reports:
:func:`analysis.report.write_report` (``qnetsim report``).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from analysis.errors import AnalysisError, OutputFolderError, ResultFolderError

if TYPE_CHECKING:
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

#: Names loaded from :mod:`analysis.load` on first use (PEP 562): it imports pandas, and a run
#: writing its folder uses only :mod:`analysis.outputs` and :mod:`analysis.staging`.
_LOAD_NAMES = (
    "ComparisonResult",
    "Results",
    "Run",
    "load",
    "load_compare",
    "load_run",
    "load_runs",
    "load_sweep",
    "load_table",
)


def __getattr__(name: str) -> Any:
    if name in _LOAD_NAMES:
        return getattr(import_module("analysis.load"), name)
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

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
