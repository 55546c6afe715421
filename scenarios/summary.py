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
