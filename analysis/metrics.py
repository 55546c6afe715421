"""Metrics from result tables: per-run figures, then means with confidence intervals over seeds.

Every function is a pure function of DataFrames. The per-run functions take a
table and ``runs`` (:attr:`analysis.load.Results.runs`, one row per run): the
identifier and parameter columns the two share (``run_id``, ``scenario``,
``seed``, swept parameters) label each output row, and ``simulated_time_s``
turns counts into rates. :func:`confidence_interval` then averages a per-run
metric over seeds, grouped by parameters or keys. Units are in the column names.
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import AnalysisError

#: Columns of ``runs`` that describe a run rather than identify it.
_RUN_DETAILS = frozenset(
    {"simulated_time_s", "wall_time_s", "events_executed", "fidelity_level", "qkd_link_model", "started_utc", "folder"}
)


def confidence_interval(
    frame: pd.DataFrame, values: str | Sequence[str], by: Sequence[str] = (), *, level: float = 0.95
) -> pd.DataFrame:
    """Mean of each value column per group, with a two-sided Student-t confidence interval.

    For ``n`` samples with mean ``m`` and sample standard deviation ``s`` the
    interval is ``m ± t_{(1+level)/2, n-1} · s / √n``: the interval that covers
    the true mean with probability ``level`` when the samples are independent
    and roughly normal (e.g. one per seed). Missing values (NaN) are left out;
    a group with one sample gets no interval (NaN bounds).

    Args:
        frame: one row per sample (typically one per run, from a per-run metric).
        values: column(s) to average.
        by: columns to group by (parameters, keys); none: one row for the whole frame.
        level: confidence level, in (0, 1).

    Returns:
        One row per group: the ``by`` columns, ``confidence_level``, then for each
        value ``v``: ``n_samples_v``, ``v_mean``, ``v_std``, ``v_ci_low``, ``v_ci_high``.

    References:
        Student, "The probable error of a mean", Biometrika 6, 1 (1908);
        quantiles from ``scipy.stats.t``.
    """
    values = [values] if isinstance(values, str) else list(values)
    by = list(by)
    _require(frame, [*values, *by], "confidence_interval")
    if not 0.0 < level < 1.0:
        raise AnalysisError(f"level: must be between 0 and 1; got {level!r}")
    grouped = frame.groupby(by, dropna=False, sort=True) if by else frame.groupby(lambda _: 0)
    pieces = []
    for value in values:
        column = grouped[value]
        n = column.count()
        mean = column.mean()
        std = column.std(ddof=1)
        quantile = stats.t.ppf((1.0 + level) / 2.0, (n - 1).where(n > 1))
        half_width = quantile * std / np.sqrt(n)
        pieces.append(
            pd.DataFrame(
                {
                    f"n_samples_{value}": n,
                    f"{value}_mean": mean,
                    f"{value}_std": std,
                    f"{value}_ci_low": mean - half_width,
                    f"{value}_ci_high": mean + half_width,
                }
            )
        )
    result = pd.concat(pieces, axis=1)
    result.insert(0, "confidence_level", level)
    return result.reset_index(drop=not by)


def key_rate_per_pair(requests: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Key served per source-destination pair and run, as a rate over the simulated time.

    Returns:
        Identifiers, ``src``, ``dst``, ``n_requests``, ``n_served``, ``served_fraction``,
        ``requested_bits``, ``served_bits``, ``key_rate_bps`` (served bits / simulated
        time), ``mean_latency_s`` (served requests), ``key_consumed_bits``.
    """
    _require(requests, ["bits", "served", "latency_s", "key_consumed_bits", "src", "dst"], "requests")
    frame = requests.assign(
        served_bits=requests["bits"].where(requests["served"], 0),
        served_latency_s=requests["latency_s"].where(requests["served"]),
    )
    result = _per_run(
        frame,
        runs,
        ["src", "dst"],
        n_requests=("bits", "size"),
        n_served=("served", "sum"),
        requested_bits=("bits", "sum"),
        served_bits=("served_bits", "sum"),
        mean_latency_s=("served_latency_s", "mean"),
        key_consumed_bits=("key_consumed_bits", "sum"),
    )
    result["served_fraction"] = result["n_served"] / result["n_requests"]
    result["key_rate_bps"] = result["served_bits"] / result["simulated_time_s"]
    return result


def link_key_rate(link_blocks: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Secret key each QKD link produced per run, as a rate over the simulated time.

    Returns:
        Identifiers, ``link``, ``n_blocks``, ``sifted_bits``, ``secret_bits``,
        ``mean_qber``, ``key_rate_bps`` (secret bits / simulated time).
    """
    _require(link_blocks, ["link", "sifted_bits", "secret_bits", "qber"], "link_blocks")
    result = _per_run(
        link_blocks,
        runs,
        ["link"],
        n_blocks=("secret_bits", "size"),
        sifted_bits=("sifted_bits", "sum"),
        secret_bits=("secret_bits", "sum"),
        mean_qber=("qber", "mean"),
    )
    result["key_rate_bps"] = result["secret_bits"] / result["simulated_time_s"]
    return result


def link_key_rate_until_full(link_blocks: pd.DataFrame, pools: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Key rate of each QKD link while the key stores at its ends had room: what the link can make.

    A link stops producing when a block no longer fits in its key stores, so over
    a whole run its rate falls to the rate key is consumed. This counts the secret
    bits delivered up to the last ``pools`` sample before any of the link's stores
    (both ends, both directions) had less room than one of its blocks, divided by
    that time; a link whose stores never filled is measured over the whole run.
    Link ends are read from the link's name (``a~b``).

    Returns:
        Identifiers, ``link``, ``window_s`` (the time measured from 0), ``n_blocks``,
        ``secret_bits`` and ``key_rate_bps`` within it. A link whose stores were
        already full at the first sample after the start gets no row.
    """
    _require(link_blocks, ["run_id", "t_s", "link", "secret_bits"], "link_blocks")
    _require(pools, ["run_id", "t_s", "node", "peer", "level_bits", "capacity_bits"], "pools")
    _require(runs, ["run_id", "simulated_time_s"], "runs")
    durations = dict(zip(runs["run_id"], runs["simulated_time_s"], strict=True))
    windows = {}
    for (run_id, link), blocks in link_blocks.groupby(["run_id", "link"], sort=False):
        stores = _link_stores(pools[pools["run_id"] == run_id], str(link))
        windows[(run_id, link)] = _room_window_s(stores, int(blocks["secret_bits"].max()), durations[run_id])
    window = pd.Series([windows[key] for key in zip(link_blocks["run_id"], link_blocks["link"], strict=True)])
    window.index = link_blocks.index
    inside = link_blocks.assign(window_s=window)
    inside = inside[(inside["window_s"] > 0) & (inside["t_s"] <= inside["window_s"])]
    result = _per_run(
        inside,
        runs,
        ["link"],
        window_s=("window_s", "first"),
        n_blocks=("secret_bits", "size"),
        secret_bits=("secret_bits", "sum"),
    )
    result["key_rate_bps"] = result["secret_bits"] / result["window_s"]
    return result.drop(columns="simulated_time_s")


def _link_stores(pools: pd.DataFrame, link: str) -> pd.DataFrame:
    ends = link.split("~")
    if len(ends) != 2:
        return pools.iloc[0:0]
    a, b = ends
    mine = ((pools["node"] == a) & (pools["peer"] == b)) | ((pools["node"] == b) & (pools["peer"] == a))
    return pools[mine]


def _room_window_s(stores: pd.DataFrame, block_bits: int, duration_s: float) -> float:
    """Last sample time before a store had less room than ``block_bits`` (``duration_s`` if none did)."""
    if not len(stores):
        return float(duration_s)
    full = (stores["capacity_bits"] - stores["level_bits"]) < block_bits
    if not full.any():
        return float(duration_s)
    first_full_s = stores.loc[full, "t_s"].min()
    earlier = stores.loc[stores["t_s"] < first_full_s, "t_s"]
    return float(earlier.max()) if len(earlier) else float("nan")


def pair_metrics(pairs: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Entangled pairs delivered per source-destination path and run: rate, fidelity, latency.

    Returns:
        Identifiers, ``src``, ``dst``, ``path``, ``n_hops``, ``n_pairs``, ``pair_rate_hz``
        (pairs / simulated time), ``mean_fidelity``, ``std_fidelity``, ``mean_latency_s``.
    """
    _require(pairs, ["src", "dst", "path", "n_hops", "fidelity", "latency_s"], "pairs")
    result = _per_run(
        pairs,
        runs,
        ["src", "dst", "path", "n_hops"],
        n_pairs=("fidelity", "size"),
        mean_fidelity=("fidelity", "mean"),
        std_fidelity=("fidelity", "std"),
        mean_latency_s=("latency_s", "mean"),
    )
    result["pair_rate_hz"] = result["n_pairs"] / result["simulated_time_s"]
    return result


def teleportation_by_scheme(teleportations: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Teleported qubits per scheme, route and run: completion, fidelity, latency, classical cost.

    Fidelity, latency and classical cost are averaged over completed qubits.

    Returns:
        Identifiers, ``scheme``, ``src``, ``dst``, ``n_hops``, ``n_qubits``, ``n_completed``,
        ``completed_fraction``, ``mean_fidelity``, ``mean_latency_s``,
        ``classical_messages_per_qubit``, ``classical_bits_per_qubit``.
    """
    columns = ["scheme", "src", "dst", "n_hops", "completed", "fidelity", "latency_s", "n_classical_messages"]
    _require(teleportations, [*columns, "classical_bits"], "teleportations")
    done = teleportations["completed"].astype(bool)
    frame = teleportations.assign(
        done_fidelity=teleportations["fidelity"].where(done),
        done_latency_s=teleportations["latency_s"].where(done),
        done_messages=teleportations["n_classical_messages"].where(done),
        done_bits=teleportations["classical_bits"].where(done),
    )
    result = _per_run(
        frame,
        runs,
        ["scheme", "src", "dst", "n_hops"],
        n_qubits=("completed", "size"),
        n_completed=("completed", "sum"),
        mean_fidelity=("done_fidelity", "mean"),
        mean_latency_s=("done_latency_s", "mean"),
        classical_messages_per_qubit=("done_messages", "mean"),
        classical_bits_per_qubit=("done_bits", "mean"),
    )
    result["completed_fraction"] = result["n_completed"] / result["n_qubits"]
    return result


def demand_met_per_period(service_periods: pd.DataFrame) -> pd.DataFrame:
    """``service_periods`` with ``demand_met_fraction`` = delivered / demand bits of each period."""
    _require(service_periods, ["demand_bits", "delivered_bits"], "service_periods")
    demand = service_periods["demand_bits"].astype(float)
    met = service_periods["delivered_bits"] / demand.where(demand > 0)
    return service_periods.assign(demand_met_fraction=met)


def service_demand_met(service_periods: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """How much of each key service's demand was delivered over a run.

    Returns:
        Identifiers, ``service_id``, ``src``, ``dst``, ``n_periods``, ``n_short_periods``
        (delivered < demand), ``demand_bits``, ``delivered_bits``, ``demand_met_fraction``.
    """
    _require(service_periods, ["service_id", "src", "dst", "demand_bits", "delivered_bits"], "service_periods")
    frame = service_periods.assign(short=service_periods["delivered_bits"] < service_periods["demand_bits"])
    result = _per_run(
        frame,
        runs,
        ["service_id", "src", "dst"],
        n_periods=("short", "size"),
        n_short_periods=("short", "sum"),
        demand_bits=("demand_bits", "sum"),
        delivered_bits=("delivered_bits", "sum"),
    )
    demand = result["demand_bits"].astype(float)
    result["demand_met_fraction"] = result["delivered_bits"] / demand.where(demand > 0)
    return result


def recovery_stats(recoveries: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Service disruptions by link failures per re-allocation method and run.

    Every run in ``runs`` gets a row for every method seen in any run (a run
    where a method was never used has zero disruptions by it, not a missing
    value), so averages over seeds count the runs without failures too. Pass
    only the runs that had key services.

    Returns:
        Identifiers, ``method``, ``n_disruptions`` (failure x affected service),
        ``n_recovered``, ``recovered_fraction``, ``mean_recovery_time_s`` and
        ``max_recovery_time_s`` (over recovered disruptions), ``key_lost_bits``.
    """
    _require(recoveries, ["method", "recovered", "recovery_time_s", "key_lost_bits"], "recoveries")
    recovered = recoveries["recovered"].astype(bool)
    frame = recoveries.assign(recovered_time_s=recoveries["recovery_time_s"].where(recovered))
    result = _per_run(
        frame,
        runs,
        ["method"],
        n_disruptions=("recovered", "size"),
        n_recovered=("recovered", "sum"),
        mean_recovery_time_s=("recovered_time_s", "mean"),
        max_recovery_time_s=("recovered_time_s", "max"),
        key_lost_bits=("key_lost_bits", "sum"),
    )
    counts = {"n_disruptions": 0, "n_recovered": 0, "key_lost_bits": 0}
    result = _every_run(result, runs, identifier_columns(recoveries, runs), "method", counts)
    result["recovered_fraction"] = result["n_recovered"] / result["n_disruptions"].where(result["n_disruptions"] > 0)
    return result


def _every_run(
    result: pd.DataFrame, runs: pd.DataFrame, identifiers: list[str], key: str, zeros: dict[str, int]
) -> pd.DataFrame:
    """``result`` with a row for every run of ``runs`` and every ``key`` value; missing counts are 0."""
    keys = pd.DataFrame({key: result[key].drop_duplicates().sort_values()})
    grid = runs[[*identifiers, "simulated_time_s"]].drop_duplicates("run_id").merge(keys, how="cross")
    measured = result.drop(columns="simulated_time_s")
    complete = grid.merge(measured, on=[*identifiers, key], how="left", validate="one_to_one")
    for column, zero in zeros.items():
        complete[column] = complete[column].fillna(zero).astype("int64")
    columns = [*identifiers, key, *[column for column in measured.columns if column not in (*identifiers, key)]]
    return complete[[*columns, "simulated_time_s"]]


def add_path_distance(frame: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``distance_km``: the summed length of the links along each row's ``path``.

    Paths are node names joined by ``-`` (``n0-n1-n2``); link lengths come from the
    ``links`` table of the same run. A path with a hop not in ``links`` (or no
    path) gets NaN.
    """
    _require(frame, ["run_id", "path"], "frame")
    _require(links, ["run_id", "a", "b", "length_km"], "links")
    lengths = {
        (run_id, frozenset((a, b))): float(length)
        for run_id, a, b, length in links[["run_id", "a", "b", "length_km"]].itertuples(index=False)
    }

    def distance(run_id: str, path: str) -> float:
        nodes = str(path).split("-") if isinstance(path, str) and path else []
        hops = [lengths.get((run_id, frozenset(hop)), np.nan) for hop in zip(nodes, nodes[1:], strict=False)]
        return float(np.sum(hops)) if hops else np.nan

    result = frame.copy()
    result["distance_km"] = [distance(run, path) for run, path in zip(frame["run_id"], frame["path"], strict=True)]
    return result


def identifier_columns(frame: pd.DataFrame, runs: pd.DataFrame) -> list[str]:
    """Columns of ``frame`` that identify its run: those it shares with ``runs`` (ids and parameters)."""
    shared = [column for column in frame.columns if column in runs.columns and column not in _RUN_DETAILS]
    return shared if "run_id" in shared else ["run_id", *shared]


def _per_run(frame: pd.DataFrame, runs: pd.DataFrame, keys: list[str], **aggregations) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Aggregate ``frame`` per run and ``keys``; add the run's ``simulated_time_s``."""
    _require(runs, ["run_id", "simulated_time_s"], "runs")
    identifiers = identifier_columns(frame, runs)
    _require(frame, identifiers, "table")
    grouped = frame.groupby([*identifiers, *keys], dropna=False, sort=True).agg(**aggregations).reset_index()
    durations = runs[["run_id", "simulated_time_s"]].drop_duplicates("run_id")
    return grouped.merge(durations, on="run_id", how="left", validate="many_to_one")


def _require(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise AnalysisError(f"{name}: missing columns {missing}; it has {list(frame.columns)}")
