"""Start-up and the fixed cost of a run: ``qnetsim --help``, a short network-level ``qnetsim run``, a 2-node run.

Three measurements, each in a fresh process, as a user meets them:

* ``help``: ``python -m scenarios --help`` (what ``qnetsim --help`` runs).
* ``run``: ``python -m scenarios run chain.yaml -o DIR -q`` of the default 3-router chain at the
  network fidelity level with 0.01 s simulated (the whole command: start-up, checks, the run,
  writing the tables).
* ``fixed``: in one process that has imported everything, the milliseconds per run of a 2-node
  network-level chain with 1 ms simulated, run and written 40 times (checks, tables, manifest).

With ``--baseline DIR`` (a source tree of another version, e.g. from ``git archive``) every
measurement alternates between this tree and that one (put first on ``PYTHONPATH``), and the
report gives the median of the paired ratios, wall and CPU (user + system of the child process,
its own children included). Bytecode caches are written and a warm-up run of each variant comes
first, so the figures are those of an installed package. Wall times depend on the machine's other
load; the load average is printed before and after. Run from the repository root:

    python bench/bench_startup.py [--repeats 7] [--baseline /tmp/qnetsim-before]
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HELP_TARGET_S = 0.3
RUN_TARGET_S = 1.0

CHAIN_YAML = (ROOT / "scenarios" / "library" / "entanglement-chain.yaml").read_text(encoding="utf-8")

FIXED_COST = """
import sys, tempfile, time
from pathlib import Path
from scenarios import from_dict
from scenarios.runner import run
data = {"name": "two-nodes", "seed": 1, "duration_s": 0.001, "fidelity_level": "network",
        "network": {"generator": {"kind": "chain", "n_nodes": 2, "length_km": 10}},
        "traffic": [{"kind": "entanglement", "src": "n0", "dst": "n1", "n_memories": 1, "target_fidelity": 0.5}]}
folder = Path(tempfile.mkdtemp(dir=sys.argv[1]))
def once(seed):
    run(from_dict({**data, "seed": seed})).write(folder / str(seed))
for seed in range(5):
    once(seed)
started, cpu = time.perf_counter(), time.process_time()
for seed in range(100, 140):
    once(seed)
print((time.perf_counter() - started) / 40, (time.process_time() - cpu) / 40)
"""


def child_env(tree: Path | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    return env


def timed(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds of ``command`` (with its own children), and what it printed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    wall_s = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr}")
    return wall_s, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.stdout


def measure(kind: str, tree: Path | None, workspace: Path) -> tuple[float, float]:
    env, python = child_env(tree), sys.executable
    if kind == "help":
        return timed([python, "-m", "scenarios", "--help"], env, workspace)[:2]
    if kind == "run":
        out = Path(tempfile.mkdtemp(dir=workspace)) / "out"
        return timed([python, "-m", "scenarios", "run", "chain.yaml", "-o", str(out), "-q"], env, workspace)[:2]
    wall_s, cpu_s = timed([python, "-c", FIXED_COST, str(workspace)], env, workspace)[2].split()
    return float(wall_s), float(cpu_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="Runs of every measurement and variant.")
    parser.add_argument("--baseline", type=Path, help="Source tree of the version to compare with.")
    parser.add_argument("--only", default="help,run,fixed", help="Measurements to make, e.g. fixed.")
    args = parser.parse_args()
    kinds = args.only.split(",")
    variants: list[tuple[str, Path | None]] = [("this tree", None)]
    if args.baseline is not None:
        variants.append(("baseline", args.baseline.resolve()))
    load_before = os.getloadavg()
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as name:
        workspace = Path(name)
        text = CHAIN_YAML.replace("duration_s: 1.0", "duration_s: 0.01\nfidelity_level: network", 1)
        (workspace / "chain.yaml").write_text(text, encoding="utf-8")
        for kind in kinds:
            for _, tree in variants:
                measure(kind, tree, workspace)  # warm-up: bytecode caches, file-system caches
            for repeat in range(args.repeats):
                order = variants if repeat % 2 == 0 else variants[::-1]  # alternate which goes first
                for label, tree in order:
                    results.setdefault((kind, label), []).append(measure(kind, tree, workspace))
                print(f"{kind}: repeat {repeat + 1}/{args.repeats}", file=sys.stderr, flush=True)
    report(results, variants, args.repeats, load_before, os.getloadavg(), kinds)


def report(
    results: dict[tuple[str, str], list[tuple[float, float]]],
    variants: list[tuple[str, Path | None]],
    repeats: int,
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
    kinds: list[str],
) -> None:
    print(f"start-up and fixed cost per run: medians of {repeats} alternated runs; CPUs: {os.cpu_count()}")
    print(f"  load average (1, 5, 15 min) before {fmt(load_before)}, after {fmt(load_after)}")
    names = {"help": "qnetsim --help", "run": "qnetsim run (network level, 0.01 s)", "fixed": "2-node run + write"}
    for kind, title in names.items():
        if kind not in kinds:
            continue
        unit, scale = ("ms", 1e3) if kind == "fixed" else ("s", 1.0)
        for label, _ in variants:
            rows = results[(kind, label)]
            wall = statistics.median(r[0] for r in rows) * scale
            cpu = statistics.median(r[1] for r in rows) * scale
            print(f"  {title:<38} {label:<10} wall {wall:8.3f} {unit}   cpu {cpu:8.3f} {unit}")
        if len(variants) == 2:
            pairs = zip(results[(kind, "this tree")], results[(kind, "baseline")], strict=True)
            ratios = [(mine[0] / base[0], mine[1] / base[1]) for mine, base in pairs]
            print(
                f"  {'':<38} this/baseline: wall x{statistics.median(r[0] for r in ratios):.2f}, "
                f"cpu x{statistics.median(r[1] for r in ratios):.2f} (median of paired ratios)"
            )
    for kind, target_s in (("help", HELP_TARGET_S), ("run", RUN_TARGET_S)):
        if kind not in kinds:
            continue
        wall = statistics.median(r[0] for r in results[(kind, "this tree")])
        cpu = statistics.median(r[1] for r in results[(kind, "this tree")])
        verdict = "met" if wall < target_s else "not met"
        print(f"  target {names[kind]} under {target_s:g} s wall: {wall:.3f} s wall ({cpu:.3f} s cpu): {verdict}")


def fmt(load: tuple[float, float, float]) -> str:
    return ", ".join(f"{value:.1f}" for value in load)


if __name__ == "__main__":
    main()
