"""Writing a comparison of designs to one folder, whole or not at all.

The folder holds one result folder per design and run (``trusted_relay-saturating/``,
``quantum_repeater-bbm92/``, ...: normal run folders), ``comparison.parquet`` (the
side-by-side summary, a ``source`` per figure), ``measurements.parquet`` (one row per
seed, design, pair and metric), ``timings.parquet`` (wall time per run),
``distance.parquet`` and ``key_rate_vs_distance.png`` (when distances were swept)
and ``manifest.json`` naming the runs, with the
``qnetsim_result`` marker of kind ``compare``. All of it is staged in a hidden
sibling and swapped in at once (:func:`analysis.staging.staged_folder`), so an
interrupted write never mixes designs or manifests of two runs.
"""

import json
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.outputs import files_in, result_marker
from analysis.staging import staged_folder
from scenarios.results import MANIFEST_FILE, output_errors

if TYPE_CHECKING:
    from scenarios.compare import Comparison

KIND = "compare"
SUMMARY_FILE = "comparison.parquet"
MEASUREMENTS_FILE = "measurements.parquet"
TIMINGS_FILE = "timings.parquet"
DISTANCE_FILE = "distance.parquet"
FIGURE_FILE = "key_rate_vs_distance.png"


def write_comparison(comparison: "Comparison", directory: str | Path) -> Path:
    """Write ``comparison`` into the folder ``directory`` (replacing an earlier comparison there)."""
    target = Path(directory)
    with output_errors(), staged_folder(target, KIND) as staging:
        for name, results in comparison.results.items():
            (staging / name).mkdir()
            results.write_files(staging / name)
        comparison.summary.to_parquet(staging / SUMMARY_FILE, index=False)
        comparison.measurements.to_parquet(staging / MEASUREMENTS_FILE, index=False)
        comparison.timings.to_parquet(staging / TIMINGS_FILE, index=False)
        tables = {
            "comparison": {"file": SUMMARY_FILE, "rows": len(comparison.summary)},
            "measurements": {"file": MEASUREMENTS_FILE, "rows": len(comparison.measurements)},
            "timings": {"file": TIMINGS_FILE, "rows": len(comparison.timings)},
        }
        if len(comparison.distance):
            from analysis.compare_plots import plot_design_comparison  # imports matplotlib: only when drawing

            comparison.distance.to_parquet(staging / DISTANCE_FILE, index=False)
            plot_design_comparison(comparison.distance, staging / FIGURE_FILE, title=comparison.scenario.name)
            tables["distance"] = {"file": DISTANCE_FILE, "rows": len(comparison.distance)}
        manifest = {
            "comparison_of": comparison.scenario.name,
            "designs": list(comparison.results),  # one run folder per design and purpose
            "design_names": comparison.designs,
            "run_keys": {name: list(key) for name, key in comparison.run_keys.items()},
            "unavailable": comparison.unavailable,
            "seeds": comparison.seeds,
            "settings": comparison.settings.__dict__,
            "scenario": comparison.scenario.model_dump(mode="json"),
            "runs": {name: results.manifest["run_id"] for name, results in comparison.results.items()},
            "tables": tables,
            "qnetsim_result": result_marker(KIND, [*files_in(staging), MANIFEST_FILE]),
        }
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return target
