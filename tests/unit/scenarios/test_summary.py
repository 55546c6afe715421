"""The run summary printed by ``qnetsim run``: what its ``±`` is."""

import statistics
from pathlib import Path

import pandas as pd
import pytest

from scenarios.summary import PAIR_FIDELITY_HEADER, QUBIT_FIDELITY_HEADER, request_summary, teleportation_summary

FIDELITIES = [0.80, 0.84, 0.90, 0.86]


def _requests() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"request_id": 0, "purpose": "pairs", "src": "n0", "dst": "n2", "path": "n0-n1-n2", "approved": True,
             "reason": "", "n_pairs": len(FIDELITIES), "pair_rate_hz": 4.0},
        ]
    )  # fmt: skip


def test_pair_fidelity_is_mean_and_sample_standard_deviation_over_pairs_and_says_so():
    pairs = pd.DataFrame({"request_id": 0, "fidelity": FIDELITIES, "latency_s": 1e-3})
    row = request_summary({"entanglement_requests": _requests(), "pairs": pairs}).iloc[0]
    assert PAIR_FIDELITY_HEADER == "fidelity (mean ± sd over pairs)"
    mean, sd = (float(x) for x in row[PAIR_FIDELITY_HEADER].split(" ± "))
    assert mean == pytest.approx(statistics.mean(FIDELITIES), abs=5e-5)
    # the sample standard deviation (n - 1), not the standard error sd / sqrt(n)
    assert sd == pytest.approx(statistics.stdev(FIDELITIES), abs=5e-5)
    assert sd != pytest.approx(statistics.stdev(FIDELITIES) / len(FIDELITIES) ** 0.5, abs=5e-5)


def test_teleportation_fidelity_is_over_completed_qubits_and_says_so():
    teleportations = pd.DataFrame(
        {
            "request_id": 0,
            "scheme": "hop_by_hop",
            "path": "n0-n1",
            "completed": [True, True, True, True, False],
            "fidelity": [*FIDELITIES, 0.0],
            "latency_s": 1e-3,
            "n_classical_messages": 1,
            "n_corrections": 1,
        }
    )
    row = teleportation_summary({"teleportations": teleportations}).iloc[0]
    assert QUBIT_FIDELITY_HEADER == "fidelity (mean ± sd over qubits)"
    mean, sd = (float(x) for x in row[QUBIT_FIDELITY_HEADER].split(" ± "))
    assert (mean, sd) == pytest.approx((statistics.mean(FIDELITIES), statistics.stdev(FIDELITIES)), abs=5e-5)
    assert row["qubits"] == "4/5"


def test_the_readme_quotes_the_summary_with_its_labelled_headers():
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    header = "┃ rate_hz ┃ " + PAIR_FIDELITY_HEADER + " ┃ latency_ms"
    assert header in readme
    assert "┃ qubits ┃ " + QUBIT_FIDELITY_HEADER + " ┃ latency_ms" in readme
    assert "0.9012±" not in readme and "0.7938±" not in readme  # no unlabelled spread left
