"""Result folders written by hand (Parquet + manifest.json), so analysis tests need no simulation."""

import json
from pathlib import Path
from typing import Any

import pandas as pd


def write_run(
    folder: Path,
    tables: dict[str, pd.DataFrame],
    *,
    run_id: str,
    seed: int,
    scenario: dict[str, Any] | None = None,
    sweep: dict[str, Any] | None = None,
    simulated_time_s: float = 2.0,
) -> Path:
    """A result folder like ``Results.write`` makes: identifier columns lead every table."""
    scenario = scenario or {"name": "demo", "seed": seed, "network": {"generator": {"length_km": 10.0}}}
    folder.mkdir(parents=True)
    entries = {}
    for name, frame in tables.items():
        ids = pd.DataFrame({"run_id": run_id, "scenario": scenario["name"], "seed": seed}, index=frame.index)
        pd.concat([ids, frame], axis=1).astype({"seed": "int64"}).to_parquet(folder / f"{name}.parquet", index=False)
        entries[name] = {"file": f"{name}.parquet", "rows": len(frame)}
    manifest = {
        "run_id": run_id,
        "scenario_name": scenario["name"],
        "seed": seed,
        "wall_time_s": 0.5,
        "events_executed": 100,
        "simulated_time_s": simulated_time_s,
        "packages": {"qnetsim": "0.1.0"},
        "python": "3.12",
        "platform": "test",
        "scenario": scenario,
        "tables": entries,
    }
    if sweep is not None:
        manifest["sweep"] = sweep
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def blocks(secret_bits: list[int], t_s: list[float] | None = None, link: str = "a~b") -> pd.DataFrame:
    """A small ``link_blocks`` table (without identifier columns)."""
    n = len(secret_bits)
    return pd.DataFrame(
        {
            "t_s": t_s if t_s is not None else [0.1 * (i + 1) for i in range(n)],
            "link": [link] * n,
            "sifted_bits": [3 * bits for bits in secret_bits],
            "qber": [0.02] * n,
            "disclosed_bits": [bits for bits in secret_bits],
            "secret_bits": secret_bits,
            "source": ["model"] * n,
        }
    )
