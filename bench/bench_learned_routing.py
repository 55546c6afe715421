"""Learned key routing against the heuristics on NSFNET and the metro mesh.

For each network the script

1. trains the linear path-scoring policy (:mod:`qkdn.ml.policy`) by the
   cross-entropy method through the Gymnasium environment
   (:mod:`scenarios.ml.train`) on training seeds 1000, 1001, ...;
2. writes the model file into ``scenarios/library/`` (JSON weights);
3. runs every evaluation seed (0 .. N-1, never used in training) with
   ``qkd.routing`` = ``shortest``, ``key_aware``, ``k_shortest`` and ``learned``
   through :func:`qnetsim.run`, on the same traffic per seed;
4. prints the blocked fraction and the delivered key, mean and 95 % Student-t
   interval over the seeds, and the paired difference learned - key_aware.

Every seed draws its own traffic matrix (:class:`scenarios.ml.traffic.RandomKeyTraffic`),
so the evaluation traffic is traffic the policy was not trained on. The loads
are chosen so that key-aware routing blocks at least 10 % of the requests.
All figures are simulated event by event (fast key-rate links, real key bits,
relays, controller reports). Run from the repository root::

    python bench/bench_learned_routing.py                 # about 15-30 minutes on 2 shared cores
    python bench/bench_learned_routing.py --seeds 10 --iterations 6 --population 8

It writes the table (markdown) and every per-seed row to
``bench/measured/learned-routing.json``; the README's table is that file's table.
"""

import argparse
import concurrent.futures
import json
import logging
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

import qnetsim  # noqa: E402
from qkdn.ml.policy import LinearPathPolicy, load_policy  # noqa: E402
from scenarios.ml.env import KeyRoutingEnv  # noqa: E402
from scenarios.ml.traffic import RandomKeyTraffic  # noqa: E402
from scenarios.ml.train import train_policy  # noqa: E402
from scenarios.schema import Scenario  # noqa: E402

#: Each bench network: the library scenario, what changes in it, and the traffic (see docs/machine-learning.md).
NETWORKS: dict[str, dict[str, Any]] = {
    "nsfnet": {
        "scenario": "nsfnet-trusted-relays",
        "light_source_frequency_hz": None,  # the library's 1 GHz sources
        "qkd": {"block_bits": 2**19, "pool_capacity_bits": 2**22},
        "traffic": RandomKeyTraffic(mean_rate_hz=3.0, bits=2**18, deadline_s=1.0),
    },
    "metro": {
        "scenario": "metro-mesh-trusted-relays",
        "light_source_frequency_hz": 1e8,  # 100 MHz sources: ten times less key than the library's
        "qkd": {"block_bits": 2**18, "pool_capacity_bits": 2**21},
        "traffic": RandomKeyTraffic(mean_rate_hz=5.0, bits=2**17, deadline_s=1.0),
    },
}
STRATEGIES = ("shortest", "key_aware", "k_shortest", "learned")
K_PATHS = 4
DURATION_S = 10.0
TRAIN_SEED_BASE = 1000
#: The features of the trained policy: key-aware routing's cost and what it ignores (hops, the key a relay
#: spends before it waits at a short link, how long that link needs to refill), and refusal on the chosen path's.
PATH_FEATURES = ("key_aware_cost", "is_key_aware", "hops", "short_links", "hops_before_short", "refill_over_deadline")
REFUSE_FEATURES = (
    "bias",
    "chosen_key_aware_cost",
    "chosen_hops",
    "chosen_hops_before_short",
    "chosen_refill_over_deadline",
)
#: The search starts at key-aware routing itself: weight -1 on its cost (a tiny tie-break towards its own
#: path), and a refusal score 1 below the chosen path's, so never refusing. It can only move away from it
#: where that earns more on the training traffic.
INITIAL_MEAN = (-1.0, 0.001, 0.0, 0.0, 0.0, 0.0, -1.0, -1.0, 0.0, 0.0, 0.0)
RESULTS = ROOT / "bench" / "measured" / "learned-routing.json"
WRITTEN_BY = "bench/bench_learned_routing.py"


def bench_scenario(network: str) -> Scenario:
    """The library scenario of ``network`` with the bench's key-pool settings, duration and k."""
    setup = NETWORKS[network]
    data = qnetsim.load(setup["scenario"]).model_dump(mode="json", exclude_none=True)
    if setup["light_source_frequency_hz"] is not None:
        for template in data["templates"]["nodes"].values():
            template["light_source"]["frequency_hz"] = setup["light_source_frequency_hz"]
    data["qkd"].update({**setup["qkd"], "k_paths": K_PATHS})
    data["duration_s"] = DURATION_S
    data["name"] = f"{setup['scenario']}-bench"
    return qnetsim.from_dict(data)


def model_path(network: str) -> Path:
    return ROOT / "scenarios" / "library" / f"{NETWORKS[network]['scenario']}-key-routing-policy.json"


def write_atomic(path: Path, text: str) -> None:
    """Write ``path`` through a temporary file; refuse to replace a file this script did not write."""
    if path.exists():
        try:
            previous = json.loads(path.read_text())
        except (OSError, ValueError):
            previous = None
        mine = isinstance(previous, dict) and (
            previous.get("written_by") == WRITTEN_BY or previous.get("metadata", {}).get("written_by") == WRITTEN_BY
        )
        if not mine:
            raise SystemExit(f"{path} exists and was not written by {WRITTEN_BY}; move it away")
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w") as stream:
        stream.write(text)
    os.replace(temporary, path)


def train(network: str, env: KeyRoutingEnv, args: argparse.Namespace) -> LinearPathPolicy:
    seeds = [TRAIN_SEED_BASE + i for i in range(args.iterations * args.seeds_per_iteration)]
    result = train_policy(
        env,
        seeds,
        n_iterations=args.iterations,
        population=args.population,
        seeds_per_iteration=args.seeds_per_iteration,
        initial_mean=INITIAL_MEAN,
        initial_std=args.initial_std,
        seed=args.search_seed,
        metadata={"written_by": WRITTEN_BY, "scenario": env.base_scenario.name, "network": network},
        path_features=PATH_FEATURES,
        refuse_features=REFUSE_FEATURES,
    )
    for row in result.history:
        print(
            f"  {network} iteration {row['iteration']}: mean return {row['mean_return']:.1f},"
            f" best {row['best_return']:.1f}",
            file=sys.stderr,
            flush=True,
        )
    return result.policy


def evaluate(env: KeyRoutingEnv, strategy: str, seed: int, model: Path) -> dict[str, Any]:
    scenario = env.scenario_for_seed(seed)
    update: dict[str, Any] = {"routing": strategy}
    if strategy == "learned":
        update["routing_model"] = str(model)
    scenario = scenario.model_copy(update={"qkd": scenario.qkd.model_copy(update=update)})
    requests = qnetsim.run(scenario).tables["requests"]
    # Requests arriving within one deadline of the end may still be waiting when the run stops (no row yet):
    # count only those that arrived earlier, which have all ended, so every strategy is judged on the same ones.
    deadline_s = max(item.deadline_s for item in scenario.traffic if item.kind == "key")
    requests = requests[requests["t_s"] < scenario.duration_s - deadline_s]
    return {
        "strategy": strategy,
        "seed": seed,
        "n_requests": len(requests),
        "blocked_fraction": float(1.0 - requests["served"].mean()) if len(requests) else float("nan"),
        "delivered_key_mbit": float(requests.loc[requests["served"], "bits"].sum()) / 1e6,
    }


_ENVS: dict[str, KeyRoutingEnv] = {}


def evaluate_job(job: tuple[str, str, int]) -> dict[str, Any]:
    """One evaluation run ``(network, strategy, seed)`` (in a worker process: its environment built once)."""
    network, strategy, seed = job
    logging.getLogger("sequence").setLevel(logging.WARNING)
    if network not in _ENVS:
        _ENVS[network] = KeyRoutingEnv(bench_scenario(network), k_paths=K_PATHS, traffic=NETWORKS[network]["traffic"])
    return {"network": network, **evaluate(_ENVS[network], strategy, seed, model_path(network))}


def interval(values: list[float]) -> tuple[float, float]:
    """Mean and half-width of the 95 % Student-t interval."""
    array = np.asarray(values, dtype=float)
    if len(array) < 2:
        return float(array.mean()), float("nan")
    half = stats.t.ppf(0.975, len(array) - 1) * array.std(ddof=1) / math.sqrt(len(array))
    return float(array.mean()), float(half)


def table(rows: list[dict[str, Any]]) -> str:
    """The markdown table of mean [95 % interval] per network and strategy, and the paired differences."""
    lines = [
        "| network | routing | blocked fraction | delivered key (Mbit) |",
        "|---|---|---|---|",
    ]
    for network in dict.fromkeys(row["network"] for row in rows):
        mine = [row for row in rows if row["network"] == network]
        by = {s: {r["seed"]: r for r in mine if r["strategy"] == s} for s in STRATEGIES}
        for strategy in STRATEGIES:
            blocked = interval([r["blocked_fraction"] for r in by[strategy].values()])
            key = interval([r["delivered_key_mbit"] for r in by[strategy].values()])
            lines.append(
                f"| {network} | {strategy} | {blocked[0]:.3f} ± {blocked[1]:.3f} | {key[0]:.1f} ± {key[1]:.1f} |"
            )
        seeds = sorted(set(by["learned"]) & set(by["key_aware"]))
        blocked = interval(
            [by["learned"][s]["blocked_fraction"] - by["key_aware"][s]["blocked_fraction"] for s in seeds]
        )
        key = interval(
            [by["learned"][s]["delivered_key_mbit"] - by["key_aware"][s]["delivered_key_mbit"] for s in seeds]
        )
        lines.append(
            f"| {network} | learned − key_aware (paired) | {blocked[0]:+.3f} ± {blocked[1]:.3f}"
            f" | {key[0]:+.1f} ± {key[1]:.1f} |"
        )
    return "\n".join(lines)


def readme_table(rows: list[dict[str, Any]]) -> str:
    """The compact table of the README: one row per strategy, blocked fraction and key (Mbit) per network."""
    networks = list(dict.fromkeys(row["network"] for row in rows))
    header = " | ".join(f"{network} blocked | {network} key (Mbit)" for network in networks)
    lines = [f"| routing | {header} |", "|---" * (1 + 2 * len(networks)) + "|"]
    for strategy in STRATEGIES:
        cells = []
        for network in networks:
            mine = [r for r in rows if r["network"] == network and r["strategy"] == strategy]
            blocked = interval([r["blocked_fraction"] for r in mine])
            key = interval([r["delivered_key_mbit"] for r in mine])
            cells.append(f"{blocked[0]:.3f} ± {blocked[1]:.3f} | {key[0]:.1f} ± {key[1]:.1f}")
        lines.append(f"| {strategy} | {' | '.join(cells)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="evaluation seeds 0 .. N-1 (at least 10 for the README)")
    parser.add_argument("--iterations", type=int, default=3, help="CEM iterations")
    parser.add_argument("--population", type=int, default=6, help="CEM candidates per iteration")
    parser.add_argument("--seeds-per-iteration", type=int, default=2, help="training seeds each candidate plays")
    parser.add_argument("--search-seed", type=int, default=0, help="seed of the CEM's own draws")
    parser.add_argument("--initial-std", type=float, default=0.15, help="CEM's initial standard deviation")
    parser.add_argument("--workers", type=int, default=2, help="processes running the evaluation runs")
    parser.add_argument("--train-only", action="store_true", help="train and write the model files, no evaluation")
    parser.add_argument(
        "--reuse-models",
        action="store_true",
        help="evaluate the model files already in scenarios/library/ (no training)",
    )
    parser.add_argument("--networks", default=",".join(NETWORKS), help="comma-separated: " + ", ".join(NETWORKS))
    args = parser.parse_args()
    if not 1 <= args.workers <= 64:
        parser.error("--workers 1..64")
    if not 2 <= args.seeds <= 1000 or not 1 <= args.iterations <= 100 or not 2 <= args.population <= 200:
        parser.error("--seeds 2..1000, --iterations 1..100, --population 2..200")
    logging.getLogger("sequence").setLevel(logging.WARNING)
    rows: list[dict[str, Any]] = []
    jobs: list[tuple[str, str, int]] = []
    started = time.perf_counter()
    for network in args.networks.split(","):
        if network not in NETWORKS:
            parser.error(f"--networks: unknown network {network!r}; choose from {', '.join(NETWORKS)}")
        scenario = bench_scenario(network)
        env = KeyRoutingEnv(scenario, k_paths=K_PATHS, traffic=NETWORKS[network]["traffic"])
        model = model_path(network)
        if args.reuse_models:
            load_policy(model)  # checked; the runs read it again through the scenario
        else:
            print(f"{network}: training ...", file=sys.stderr, flush=True)
            policy = train(network, env, args)
            write_atomic(model, json.dumps(policy.to_dict(), indent=2, sort_keys=True) + "\n")
        if args.train_only:
            continue
        jobs.extend((network, strategy, seed) for seed in range(args.seeds) for strategy in STRATEGIES)
    with concurrent.futures.ProcessPoolExecutor(max_workers=args.workers) as pool:
        for row in pool.map(evaluate_job, jobs):
            rows.append(row)
            print(
                f"  {row['network']} seed {row['seed']} {row['strategy']}: blocked {row['blocked_fraction']:.3f},"
                f" key {row['delivered_key_mbit']:.1f} Mbit",
                file=sys.stderr,
                flush=True,
            )
    if args.train_only:
        return
    text = table(rows)
    wall_s = time.perf_counter() - started
    print(text)
    print(
        f"\nSimulated (event by event, fast key-rate links); mean ± 95 % Student-t half-width over evaluation"
        f" seeds 0..{args.seeds - 1} (training seeds from {TRAIN_SEED_BASE}); {DURATION_S:g} s per run;"
        f" wall time {wall_s:.0f} s on a shared, loaded machine."
    )
    print("\nThe README's compact form:\n")
    print(readme_table(rows))
    document = {
        "written_by": WRITTEN_BY,
        "evaluation_seeds": list(range(args.seeds)),
        "settings": {k: v for k, v in vars(args).items()},
        "rows": rows,
        "table": text,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(RESULTS, json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
