"""Human-readable summary of a run's tables, as printed by ``qnetsim run``."""

import math

import pandas as pd

#: Column headers saying what the spread is: the sample standard deviation of the
#: delivered pairs' (qubits') fidelities, not the standard error of their mean
#: (``qnetsim report`` gives confidence intervals of means over runs).
PAIR_FIDELITY_HEADER = "fidelity (mean ± sd over pairs)"
QUBIT_FIDELITY_HEADER = "fidelity (mean ± sd over qubits)"


def request_summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    """One row per entanglement request: path, pairs, rate, fidelity and latency, formatted.

    Fidelity is given as mean ± sample standard deviation over delivered pairs
    (the spread of single pairs, not the standard error of the mean), and the
    column header says so; latency is the mean time a memory waited for its pair.
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
            fidelity = f"{mine['fidelity'].mean():.4f} ± {std:.4f}"
            latency = f"{1e3 * mine['latency_s'].mean():.3g}"
        rows.append(
            {
                "request": int(request.request_id),
                "pair": f"{request.src}-{request.dst}",
                "path": request.path or "-",
                "served": "yes" if request.approved else f"no: {request.reason}",
                "pairs": int(request.n_pairs),
                "rate_hz": _fmt(request.pair_rate_hz),
                PAIR_FIDELITY_HEADER: fidelity,
                "latency_ms": latency,
            }
        )
    return pd.DataFrame(rows)


def _fmt(value: float) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.4g}"


def teleportation_summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    """One row per teleportation request: scheme, qubits done, fidelity, latency, classical cost.

    Fidelity is mean ± sample standard deviation over completed qubits, as the header says.
    """
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
            fidelity = f"{done['fidelity'].mean():.4f} ± {std:.4f}"
            latency = f"{1e3 * done['latency_s'].mean():.3g}"
        rows.append(
            {
                "request": int(request_id),
                "scheme": str(first["scheme"]),
                "path": str(first["path"]),
                "qubits": f"{len(done)}/{len(jobs)}",
                QUBIT_FIDELITY_HEADER: fidelity,
                "latency_ms": latency,
                "messages/qubit": f"{done['n_classical_messages'].mean():.3g}" if len(done) else "-",
                "corrections/qubit": f"{done['n_corrections'].mean():.3g}" if len(done) else "-",
            }
        )
    return pd.DataFrame(rows)


def key_request_summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    """One row per source-destination pair of key requests: served share, latency, key used."""
    requests = tables.get("requests")
    if requests is None or not len(requests):
        return None
    rows = []
    for (src, dst), group in requests.groupby(["src", "dst"], sort=True):
        served = group[group["served"]]
        reasons = group.loc[~group["served"], "reason"].value_counts()
        rows.append(
            {
                "pair": f"{src}-{dst}",
                "requests": len(group),
                "served": f"{len(served) / len(group):.1%}",
                "latency_ms": f"{1e3 * served['latency_s'].mean():.3g}" if len(served) else "-",
                "key_per_request_bits": f"{group['key_consumed_bits'].mean():.4g}",
                "main failure": reasons.index[0] if len(reasons) else "-",
            }
        )
    return pd.DataFrame(rows)


def segment_summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    """One row per repeater segment of a hybrid network: pairs delivered, BBM92 frames, secret key made."""
    blocks = tables.get("link_blocks")
    if blocks is None or not len(blocks):
        return None
    frames = blocks[blocks["link_kind"] == "bbm92-segment"]
    requests = tables.get("entanglement_requests", pd.DataFrame(columns=["purpose", "n_pairs", "mean_fidelity"]))
    rows = []
    for request in requests.itertuples(index=False):
        if not str(request.purpose).startswith("bbm92 segment "):
            continue
        link = str(request.purpose).removeprefix("bbm92 segment ")
        mine = frames[frames["link"] == link]
        rows.append(
            {
                "segment": link,
                "pairs": int(request.n_pairs),
                "fidelity": _fmt(request.mean_fidelity),
                "frames": f"{int((mine['secret_bits'] > 0).sum())}/{len(mine)}",
                "qber": _fmt(float(mine["qber"].mean())) if len(mine) else "-",
                "secret_bits": int(mine["secret_bits"].sum()),
            }
        )
    return pd.DataFrame(rows) if rows else None


def service_summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    """One row per key service: demand met, and its recoveries after failures."""
    periods = tables.get("service_periods")
    if periods is None or not len(periods):
        return None
    recoveries = tables.get("recoveries", pd.DataFrame(columns=["service_id", "method", "recovered"]))
    rows = []
    for service_id, group in periods.groupby("service_id", sort=True):
        mine = recoveries[recoveries["service_id"] == service_id]
        methods = ", ".join(f"{m}x{n}" for m, n in mine["method"].value_counts().items()) or "-"
        rows.append(
            {
                "service": int(service_id),
                "pair": f"{group['src'].iloc[0]}-{group['dst'].iloc[0]}",
                "demand_met": f"{group['delivered_bits'].sum() / group['demand_bits'].sum():.1%}",
                "periods_short": int((group["delivered_bits"] < group["demand_bits"]).sum()),
                "failures": len(mine),
                "recovered": int(mine["recovered"].sum()),
                "methods": methods,
            }
        )
    return pd.DataFrame(rows)


def kaas_summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    """Key as a service: key pools assembled and virtual key pools granted."""
    assembly = tables.get("kp_assembly")
    if assembly is None or not len(assembly):
        return None
    vkp = tables.get("vkp", pd.DataFrame(columns=["event", "served"]))
    requests = vkp[vkp["event"] == "request"]
    return pd.DataFrame(
        [
            {
                "key_pools": assembly[["src", "dst"]].drop_duplicates().shape[0],
                "periods": int(assembly["period"].max()) + 1,
                "assembled": f"{assembly['assembled'].mean():.1%}",
                "blocked_no_slot": int((assembly["slot"] < 0).sum()),
                "link_key_used_bits": int(assembly["key_consumed_bits"].sum()),
                "vkp_requests": len(requests),
                "vkp_granted": int(requests["served"].sum()),
            }
        ]
    )
