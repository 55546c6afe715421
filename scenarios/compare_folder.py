"""Writing a comparison of designs to one folder, whole or not at all.

The folder holds each design's result folder (``trusted_relay/``,
``quantum_repeater/``: normal run folders), ``comparison.parquet`` (the
side-by-side summary), ``distance.parquet`` and ``key_rate_vs_distance.png``
(when distances were swept) and ``manifest.json`` naming the runs, with the
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
DISTANCE_FILE = "distance.parquet"
FIGURE_FILE = "key_rate_vs_distance.png"


def write_comparison(comparison: "Comparison", directory: str | Path) -> Path:
    """Write ``comparison`` into the folder ``directory`` (replacing an earlier comparison there)."""
    target = Path(directory)
    with output_errors(), staged_folder(target, KIND) as staging:
        for design, results in comparison.results.items():
            (staging / design).mkdir()
            results.write_files(staging / design)
        comparison.summary.to_parquet(staging / SUMMARY_FILE, index=False)
        tables = {"comparison": {"file": SUMMARY_FILE, "rows": len(comparison.summary)}}
        if len(comparison.distance):
            from analysis.compare_plots import plot_design_comparison  # imports matplotlib: only when drawing

            comparison.distance.to_parquet(staging / DISTANCE_FILE, index=False)
            plot_design_comparison(comparison.distance, staging / FIGURE_FILE, title=comparison.scenario.name)
            tables["distance"] = {"file": DISTANCE_FILE, "rows": len(comparison.distance)}
        manifest = {
            "comparison_of": comparison.scenario.name,
            "designs": list(comparison.results),
            "scenario": comparison.scenario.model_dump(mode="json"),
            "runs": {design: results.manifest["run_id"] for design, results in comparison.results.items()},
            "tables": tables,
            "qnetsim_result": result_marker(KIND, [*files_in(staging), MANIFEST_FILE]),
        }
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return target
