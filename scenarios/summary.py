"""Human-readable summary of a run's tables, as printed by ``qnetsim run``."""

import math

import pandas as pd


def request_summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    """One row per entanglement request: path, pairs, rate, fidelity and latency, formatted.

    Fidelity is given as mean ± standard deviation over delivered pairs;
    latency is the mean time a memory waited for its pair.
    """
    requests = tables.get("entanglement_requests")
    if requests is None:
        return None
    pairs = tables.get("pairs", pd.DataFrame(columns=["request_id", "fidelity", "latency_s"]))
    rows = []
    for request in requests.itertuples(index=False):
        if request.purpose != "pairs":
            continue  # link reservations serving a teleportation: see teleportation_summary
        mine = pairs[pairs["request_id"] == request.request_id]
        fidelity = "-"
        latency = "-"
        if len(mine):
            std = float(mine["fidelity"].std()) if len(mine) > 1 else 0.0
            fidelity = f"{mine['fidelity'].mean():.4f}±{std:.4f}"
            latency = f"{1e3 * mine['latency_s'].mean():.3g}"
        rows.append(
            {
                "request": int(request.request_id),
                "pair": f"{request.src}-{request.dst}",
                "path": request.path or "-",
                "served": "yes" if request.approved else f"no: {request.reason}",
                "pairs": int(request.n_pairs),
                "rate_hz": _fmt(request.pair_rate_hz),
                "fidelity": fidelity,
                "latency_ms": latency,
            }
        )
    return pd.DataFrame(rows)


def _fmt(value: float) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.4g}"


def teleportation_summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    """One row per teleportation request: scheme, qubits done, fidelity, latency, classical cost."""
    teleportations = tables.get("teleportations")
    if teleportations is None or not len(teleportations):
        return None
    rows = []
    for request_id, jobs in teleportations.groupby("request_id", sort=True):
        done = jobs[jobs["completed"]]
        first = jobs.iloc[0]
        fidelity = latency = "-"
        if len(done):
            std = float(done["fidelity"].std()) if len(done) > 1 else 0.0
            fidelity = f"{done['fidelity'].mean():.4f}±{std:.4f}"
            latency = f"{1e3 * done['latency_s'].mean():.3g}"
        rows.append(
            {
                "request": int(request_id),
                "scheme": str(first["scheme"]),
                "path": str(first["path"]),
                "qubits": f"{len(done)}/{len(jobs)}",
                "fidelity": fidelity,
                "latency_ms": latency,
                "messages/qubit": f"{done['n_classical_messages'].mean():.3g}" if len(done) else "-",
                "corrections/qubit": f"{done['n_corrections'].mean():.3g}" if len(done) else "-",
            }
        )
    return pd.DataFrame(rows)
