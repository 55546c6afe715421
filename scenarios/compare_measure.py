"""Measurements of the compared designs, from their result tables, each with where it comes from.

Every figure is a row ``(pair, metric, value, source)``. Sources:

* ``simulated``: counted from events of the run (served keys, distilled BBM92
  frames, delivered pairs, teleported qubits);
* ``model``: sampled from a calibrated model (the QBER of fast BB84 links);
* ``formula on simulated data``: a closed form applied to simulated figures;
* ``topology``: counted from the design's node roles (nodes that must be trusted);
* ``input``: a setting of the comparison (memories per repeater, error-correction ``f``).
"""

from typing import Any

import pandas as pd

SIMULATED, MODEL, FORMULA_ON_SIMULATED, TOPOLOGY, INPUT = (
    "simulated",
    "model",
    "formula on simulated data",
    "topology",
    "input",
)

#: metric -> (label, unit) of the comparison table, in display order.
METRICS: dict[str, tuple[str, str]] = {
    "key_capacity_bps": ("end-to-end key capacity, demand always waiting", "bit/s"),
    "key_served_bps": ("end-to-end key served at the scenario's load", "bit/s"),
    "served_fraction": ("key requests served at the scenario's load", "fraction"),
    "latency_s": ("key latency at the scenario's load", "s"),
    "bb84_link_qber": ("QBER of BB84 links", "fraction"),
    "bbm92_qber": ("QBER of BBM92 frames (sample estimate)", "fraction"),
    "pair_rate_hz": ("end-to-end pairs delivered", "1/s"),
    "pair_fidelity": ("delivered pair fidelity", "fraction"),
    "teleportation_fidelity": ("teleportation fidelity (Haar-random inputs)", "fraction"),
    "n_trusted_nodes": ("nodes that must be trusted (shortest route)", "count"),
    "link_key_per_key_bit": ("link key used per end-to-end key bit", "ratio"),
    "memories_per_repeater": ("quantum memories per repeater", "count"),
    "error_correction_efficiency": ("error correction charged, f", "ratio"),
}


def _row(pair: str, metric: str, value: float, source: str) -> dict[str, Any]:
    return {"pair": pair, "metric": metric, "value": float(value), "source": source}


def _pairs(frame: pd.DataFrame) -> Any:
    return frame.groupby(["src", "dst"], sort=False)


def _unordered(requests: pd.DataFrame, pairs: list[str]) -> pd.Series:
    """Each request's user pair as labelled in ``pairs`` (``a-b``), whichever end asked."""
    label = {}
    for pair in pairs:
        a, b = pair.split("-", 1)
        label[(a, b)] = label[(b, a)] = pair
    return pd.Series(
        [label.get((s, d), f"{s}-{d}") for s, d in zip(requests["src"], requests["dst"], strict=True)],
        index=requests.index,
        dtype=object,
    )


def saturating_rows(
    requests: pd.DataFrame, duration_s: float, warmup_fraction: float, pairs: list[str]
) -> list[dict[str, Any]]:
    """Key capacity of each user pair: bits of requests (either direction) served after the warm-up,
    per second of the rest of the run; and the link key each end-to-end bit used."""
    rows = []
    start_s = warmup_fraction * duration_s
    by_pair = dict(list(requests.groupby(_unordered(requests, pairs), sort=False)))
    for pair in pairs:
        group = by_pair.get(pair, requests.iloc[:0])  # no request ended: nothing served
        served = group[group["served"]]
        done_s = served["t_s"] + served["latency_s"]
        late = served[done_s >= start_s]
        rows.append(_row(pair, "key_capacity_bps", late["bits"].sum() / (duration_s - start_s), SIMULATED))
        if served["bits"].sum():
            rows.append(
                _row(pair, "link_key_per_key_bit", served["key_consumed_bits"].sum() / served["bits"].sum(), SIMULATED)
            )
    return rows


def load_rows(requests: pd.DataFrame, duration_s: float) -> list[dict[str, Any]]:
    """Key served at the scenario's own load: rate, share of requests served, mean latency."""
    rows = []
    for (src, dst), group in _pairs(requests):
        served = group[group["served"]]
        pair = f"{src}-{dst}"
        rows.append(_row(pair, "key_served_bps", served["bits"].sum() / duration_s, SIMULATED))
        rows.append(_row(pair, "served_fraction", len(served) / len(group), SIMULATED))
        if len(served):
            rows.append(_row(pair, "latency_s", served["latency_s"].mean(), SIMULATED))
    return rows


def _is_bbm92(blocks: pd.DataFrame) -> pd.Series:
    if "link_kind" in blocks:
        return blocks["link_kind"].astype(str).str.startswith("bbm92")
    return blocks["link"].astype(str).str.endswith(" bbm92")


def link_qber_rows(blocks: pd.DataFrame, pairs: list[str]) -> list[dict[str, Any]]:
    """QBER of the key links: fast BB84 links (model) and BBM92 frames (sifted-bit weighted; simulated)."""
    rows = []
    bbm92 = _is_bbm92(blocks)
    for mask, metric, source in ((~bbm92, "bb84_link_qber", MODEL), (bbm92, "bbm92_qber", SIMULATED)):
        part = blocks[mask & blocks["qber"].notna()]
        if len(part):
            qber = (part["qber"] * part["sifted_bits"]).sum() / part["sifted_bits"].sum()
            rows += [_row(pair, metric, qber, source) for pair in pairs]
    return rows


def bbm92_rows(blocks: pd.DataFrame, pairs: pd.DataFrame, duration_s: float, users: list[str]) -> list[dict[str, Any]]:
    """End-to-end BBM92 key, pair rate and fidelity per user pair.

    The key rate is the secret bits of the distilled frames per second of the run up
    to the last frame's end (the pairs after it, less than a frame, are not yet key).
    """
    rows = []
    frames = blocks[_is_bbm92(blocks)]
    for pair in users:
        src, dst = pair.split("-", 1)
        group = pairs[(pairs["src"] == src) & (pairs["dst"] == dst)]
        mine = frames[frames["link"] == f"{src}~{dst} bbm92"]
        # Up to the last distilled frame: the pairs after it (part of a frame) made no key yet.
        window_s = float(mine["t_s"].max()) if len(mine) else duration_s
        rows.append(_row(pair, "key_capacity_bps", mine["secret_bits"].sum() / window_s, SIMULATED))
        rows.append(_row(pair, "pair_rate_hz", len(group) / duration_s, SIMULATED))
        if len(group):
            rows.append(_row(pair, "pair_fidelity", group["fidelity"].mean(), SIMULATED))
    return rows


def teleportation_rows(teleportations: pd.DataFrame) -> list[dict[str, Any]]:
    """Mean output fidelity of the completed teleportations, per user pair."""
    done = teleportations[teleportations["completed"]]
    return [
        _row(f"{src}-{dst}", "teleportation_fidelity", group["fidelity"].mean(), SIMULATED)
        for (src, dst), group in _pairs(done)
    ]


def measure(
    purpose: str, tables: dict[str, pd.DataFrame], duration_s: float, warmup_fraction: float, pairs: list[str]
) -> list[dict[str, Any]]:
    """The rows of one run, by its purpose (``saturating``, ``load``, ``bbm92``, ``teleportation``)."""
    if purpose == "saturating":
        return saturating_rows(tables["requests"], duration_s, warmup_fraction, pairs) + link_qber_rows(
            tables["link_blocks"], pairs
        )
    if purpose == "load":
        return load_rows(tables["requests"], duration_s)
    if purpose == "bbm92":
        return bbm92_rows(tables["link_blocks"], tables["pairs"], duration_s, pairs) + link_qber_rows(
            tables["link_blocks"], pairs
        )
    if purpose == "teleportation":
        return teleportation_rows(tables["teleportations"])
    raise ValueError(f"unknown run purpose {purpose!r}")
