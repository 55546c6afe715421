"""Result tables: every table's columns and dtypes, declared once.

Tables are tidy: one row per observation, identifiers first (``run_id``,
``scenario``, ``seed``, then any swept parameters), then keys, then values with
units in the column names, so ``pd.concat`` over runs just works and a
``groupby`` gives a curve. :func:`scenarios.table_arrow.to_table` is the only way
tables are made (:func:`to_frame` gives the same table as a DataFrame), so every
table written has exactly its declared columns and dtypes.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: Identifier columns that lead every table.
ID_COLUMNS: dict[str, str] = {"run_id": "str", "scenario": "str", "seed": "int64"}


@dataclass(frozen=True)
class TableSpec:
    """Name, description and ``column -> dtype`` of one table (identifiers excluded)."""

    name: str
    description: str
    columns: dict[str, str]

    def all_columns(self) -> dict[str, str]:
        """Identifier columns followed by this table's own columns."""
        return {**ID_COLUMNS, **self.columns}


PAIRS = TableSpec(
    name="pairs",
    description="One row per end-to-end entangled pair delivered to a requesting application.",
    columns={
        "request_id": "int64",
        "t_s": "float64",
        "src": "str",
        "dst": "str",
        "path": "str",
        "n_hops": "int64",
        "fidelity": "float64",
        "latency_s": "float64",
        "stored_s": "float64",
        "memory_index": "int64",
    },
)

ENTANGLEMENT_REQUESTS = TableSpec(
    name="entanglement_requests",
    description="One row per entanglement request: the network's answer and what it delivered.",
    columns={
        "request_id": "int64",
        "purpose": "str",
        "src": "str",
        "dst": "str",
        "start_s": "float64",
        "end_s": "float64",
        "n_memories": "int64",
        "target_fidelity": "float64",
        "approved": "bool",
        "setup_s": "float64",
        "path": "str",
        "n_hops": "int64",
        "n_pairs": "int64",
        "pair_rate_hz": "float64",
        "mean_fidelity": "float64",
        "reason": "str",
    },
)

LINKS = TableSpec(
    name="links",
    description=(
        "One row per link: heralded-generation attempts and successes counted in the run, "
        "with the hardware model's success probability and attempt period; in a hybrid network, "
        "the repeater segment(s) the fibre belongs to (key links a~b, ' | '-separated; empty otherwise)."
    ),
    columns={
        "link": "str",
        "a": "str",
        "b": "str",
        "length_km": "float64",
        "link_mode": "str",
        "n_attempts": "int64",
        "n_successes": "int64",
        "success_probability": "float64",
        "model_success_probability": "float64",
        "attempt_period_s": "float64",
        "segment": "str",
    },
)

MEMORIES = TableSpec(
    name="memories",
    description="Memory occupancy of every node, sampled at a fixed interval (outputs.memory_sample_interval_s).",
    columns={
        "t_s": "float64",
        "node": "str",
        "n_memories": "int64",
        "n_raw": "int64",
        "n_occupied": "int64",
        "n_entangled": "int64",
    },
)

TELEPORTATIONS = TableSpec(
    name="teleportations",
    description=(
        "One row per teleported qubit: scheme, route, input state (Bloch vector), output fidelity, "
        "latency from the qubit being ready to its correction at the destination, classical cost."
    ),
    columns={
        "request_id": "int64",
        "job": "int64",
        "scheme": "str",
        "src": "str",
        "dst": "str",
        "path": "str",
        "n_hops": "int64",
        "start_s": "float64",
        "t_s": "float64",
        "latency_s": "float64",
        "input_x": "float64",
        "input_y": "float64",
        "input_z": "float64",
        "completed": "bool",
        "fidelity": "float64",
        "n_classical_messages": "int64",
        "classical_bits": "int64",
        "n_corrections": "int64",
    },
)

PURIFICATIONS = TableSpec(
    name="purifications",
    description="One row per pair of nodes that purified pairs together: rounds attempted and succeeded.",
    columns={
        "a": "str",
        "b": "str",
        "protocol": "str",
        "n_attempts": "int64",
        "n_successes": "int64",
        "success_probability": "float64",
    },
)

REQUESTS = TableSpec(
    name="requests",
    description=(
        "One row per key request of the QKD network: served or not (with the reason), latency, "
        "the relay path(s) and the link key the relay consumed (relayed length x hops when served)."
    ),
    columns={
        "request_id": "int64",
        "t_s": "float64",
        "src": "str",
        "dst": "str",
        "bits": "int64",
        "priority": "float64",
        "served": "bool",
        "latency_s": "float64",
        "path": "str",
        "n_hops": "int64",
        "n_paths": "int64",
        "key_consumed_bits": "int64",
        "reason": "str",
    },
)

LINK_BLOCKS = TableSpec(
    name="link_blocks",
    description=(
        "One row per key block a QKD link delivered to the pools at both of its ends (a BBM92 frame: "
        "one per frame, accepted or not); link_kind: bb84-fast, bb84-photon, bbm92-segment (a repeater "
        "segment's key link) or bbm92-end-to-end (bbm92 traffic between users); source: simulated (photon "
        "or entanglement blocks) or model (fast links); asymptotic_secret_bits and finite_secret_bits: the "
        "block's asymptotic and finite-key lengths (NaN where not computed: a fast link has only its model's), "
        "key_length: which of them sized secret_bits."
    ),
    columns={
        "t_s": "float64",
        "link": "str",
        "link_kind": "str",
        "sifted_bits": "int64",
        "qber": "float64",
        "disclosed_bits": "int64",
        "secret_bits": "int64",
        "source": "str",
        "asymptotic_secret_bits": "float64",
        "finite_secret_bits": "float64",
        "key_length": "str",
    },
)

POOLS = TableSpec(
    name="pools",
    description=(
        "Key store levels sampled at a fixed interval: one row per node, peer and direction "
        "(out: keys this node sends with; in: keys the peer sends with); link_kind as in link_blocks."
    ),
    columns={
        "t_s": "float64",
        "node": "str",
        "peer": "str",
        "direction": "str",
        "level_bits": "int64",
        "capacity_bits": "int64",
        "link_kind": "str",
    },
)

SERVICE_PERIODS = TableSpec(
    name="service_periods",
    description="One row per supply period of a key service: demand, key delivered, paths used, why short.",
    columns={
        "t_s": "float64",
        "service_id": "int64",
        "src": "str",
        "dst": "str",
        "demand_bits": "int64",
        "delivered_bits": "int64",
        "path": "str",
        "n_paths": "int64",
        "key_consumed_bits": "int64",
        "reason": "str",
    },
)

RECOVERIES = TableSpec(
    name="recoveries",
    description=(
        "One row per link failure and service it affected: re-allocation method (OPM, MPM, TWM(...), none), "
        "whether it recovered, the time until the source had new paths, and link key lost in aborted relays."
    ),
    columns={
        "t_s": "float64",
        "link": "str",
        "service_id": "int64",
        "method": "str",
        "recovered": "bool",
        "recovery_time_s": "float64",
        "n_attempts": "int64",
        "demand_bits": "int64",
        "key_lost_bits": "int64",
    },
)

OUTAGES = TableSpec(
    name="outages",
    description="One row per link outage: when the link failed and when it was repaired.",
    columns={"link": "str", "down_s": "float64", "up_s": "float64"},
)

KP_ASSEMBLY = TableSpec(
    name="kp_assembly",
    description=(
        "One row per key pool (node pair) per assembly period: path, first-fit slot (-1: blocked), "
        "whether N bits were relayed into the pool, the link key it took and the pool's level after."
    ),
    columns={
        "t_s": "float64",
        "period": "int64",
        "src": "str",
        "dst": "str",
        "path": "str",
        "n_hops": "int64",
        "slot": "int64",
        "slot_start_s": "float64",
        "end_s": "float64",
        "assembled": "bool",
        "bits": "int64",
        "key_consumed_bits": "int64",
        "kp_level_bits": "int64",
        "reason": "str",
    },
)

VKP = TableSpec(
    name="vkp",
    description=(
        "One row per virtual key pool request or refresh: bits asked and allocated first-fit from the "
        "node pair's key pool, unused bits destroyed at a refresh."
    ),
    columns={
        "t_s": "float64",
        "event": "str",
        "service": "str",
        "src": "str",
        "dst": "str",
        "bits_requested": "int64",
        "bits_allocated": "int64",
        "bits_destroyed": "int64",
        "served": "bool",
        "reason": "str",
    },
)

KMS_REQUESTS = TableSpec(
    name="kms_requests",
    description=(
        "One row per ETSI GS QKD 014 call a key management entity answered (qnetsim serve --out), in the "
        "standard's vocabulary: method (status, enc_keys, dec_keys), master and slave SAE ids, source and "
        "target KME ids, number and size (bits) of keys asked for (empty where the call has none), the key "
        "ids handed out (UUIDs, comma-separated; never key bits), the HTTP status and the refusal message."
    ),
    columns={
        "t_s": "float64",
        "kme_id": "str",
        "method": "str",
        "master_SAE_ID": "str",
        "slave_SAE_ID": "str",
        "source_KME_ID": "str",
        "target_KME_ID": "str",
        "number": "Int64",
        "size": "Int64",
        "key_IDs": "str",
        "status": "int64",
        "message": "str",
    },
)

ENTANGLEMENT_TABLES = (PAIRS, ENTANGLEMENT_REQUESTS, TELEPORTATIONS, LINKS, PURIFICATIONS, MEMORIES)
QKD_TABLES = (REQUESTS, LINK_BLOCKS, POOLS, SERVICE_PERIODS, RECOVERIES, OUTAGES, KP_ASSEMBLY, VKP)
KMS_TABLES = (KMS_REQUESTS,)
TABLES: dict[str, TableSpec] = {spec.name: spec for spec in (*ENTANGLEMENT_TABLES, *QKD_TABLES, *KMS_TABLES)}


def to_frame(spec: TableSpec, records: Iterable[Mapping[str, Any]], ids: Mapping[str, Any]) -> "pd.DataFrame":
    """A DataFrame with exactly ``spec``'s columns and dtypes (see :func:`scenarios.table_arrow.to_table`).

    Runs build Arrow tables and write them without pandas; this is the same table as a
    DataFrame, for code that analyses tables (pandas is imported here, on first use).

    Raises:
        ValueError: a record lacks a declared column or has an undeclared one.
    """
    from scenarios.table_arrow import to_table

    return to_table(spec, records, ids).to_pandas()
