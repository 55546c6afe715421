"""Start-up stays light: the command line and network-level runs import no package they do not use.

Importing SeQUeNCe (with QuTiP and matplotlib behind it), scipy and pandas takes
seconds, most of a short run. ``qnetsim --help`` needs none of them, and a
network-level run without key traffic needs neither SeQUeNCe nor scipy, nor pandas
until someone reads its tables as DataFrames. Each check
runs in a fresh interpreter and looks at ``sys.modules`` afterwards, so it does not
depend on timing. The lists name packages that must stay out, not those allowed in,
so new modules and optional dependencies elsewhere in the tree do not break them.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]

#: Packages the command line's help must not load (each costs a tenth of a second or more).
HEAVY = ("sequence", "qutip", "matplotlib", "scipy", "pandas", "pyarrow", "networkx", "pydantic", "numpy")
#: Optional packages that new modules (machine-learning routing and parameters, Dask, the HTTPS server) may
#: bring in: the help must not load them either, whatever module imports them.
OPTIONAL = ("sklearn", "gymnasium", "torch", "distributed", "dask", "uvicorn", "starlette", "cryptography", "plotly")
#: What a network-level run without key traffic leaves out: the simulator, its plotting, scipy, and
#: pandas (its tables are built and written with pyarrow; pandas is for reading them).
NOT_FOR_NETWORK_LEVEL = ("sequence", "qutip", "matplotlib", "scipy", "pandas", *OPTIONAL)

#: Key-layer modules a run without key traffic leaves out (BBM92 sessions, photon-level distillation, key
#: services and management, learned routing, the QKD network): tenths of a second of start-up together.
KEY_LAYER_MODULES = (
    "qkdn.bbm92",
    "qkdn.keyrate",
    "qkdn.photon.distillation",
    "qkdn.photon.cascade",
    "qkdn.services",
    "qkdn.kms",
    "qkdn.ml",
    "qkdn.network",
    "qkdn.controller",
)

CHAIN_YAML = """\
name: light-chain
seed: 3
duration_s: 0.01
fidelity_level: network
network:
  generator: {kind: chain, n_nodes: 3, length_km: 10}
traffic:
  - {kind: entanglement, src: n0, dst: n2, n_memories: 1, target_fidelity: 0.5}
"""


def _loaded_after(code: str, cwd: Path, *, modules: bool = False) -> list[str]:
    """Run ``code`` in a fresh interpreter; return the top-level packages (or all modules) left in ``sys.modules``."""
    names = "sys.modules" if modules else "{name.split('.')[0] for name in sys.modules}"
    report = f"\nimport json, sys\nprint(json.dumps(sorted({names})))\n"
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONSAFEPATH")}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code) + report],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def test_help_loads_no_heavy_package(tmp_path):
    loaded = _loaded_after(
        """
        import sys
        from scenarios.cli import main
        sys.argv = ["qnetsim", "--help"]
        try:
            main()
        except SystemExit as stop:
            assert stop.code in (0, None), stop.code
        """,
        tmp_path,
    )
    assert "typer" in loaded  # the check sees what the command line loaded
    assert sorted(set(loaded) & {*HEAVY, *OPTIONAL}) == []


def test_every_command_help_loads_no_heavy_package(tmp_path):
    """``qnetsim COMMAND --help`` for every command: the commands import what they use when they run.

    pydantic is left out of this check: Typer itself (0.29) converts a command's
    parameters with pydantic once it builds that command.
    """
    loaded = _loaded_after(
        """
        from typer.main import get_command
        from typer.testing import CliRunner
        from scenarios.cli import app
        runner = CliRunner()
        for name in sorted(get_command(app).commands):
            result = runner.invoke(app, [name, "--help"])
            assert result.exit_code == 0, (name, result.output)
            assert "Usage" in result.output, name
        """,
        tmp_path,
    )
    assert sorted(set(loaded) & ({*HEAVY, *OPTIONAL} - {"pydantic"})) == []


def test_network_level_run_loads_no_simulator_no_scipy_and_no_pandas(tmp_path):
    """``qnetsim run -q`` of a network-level chain (command line) writes its tables without SeQUeNCe or pandas."""
    (tmp_path / "chain.yaml").write_text(CHAIN_YAML, encoding="utf-8")
    loaded = _loaded_after(
        """
        import sys
        from scenarios.cli import main
        sys.argv = ["qnetsim", "run", "chain.yaml", "-o", "out", "-q"]
        try:
            main()
        except SystemExit as stop:
            assert stop.code in (0, None), stop.code
        """,
        tmp_path,
        modules=True,
    )
    assert "pyarrow" in loaded  # it did run and write its tables
    assert sorted(set(loaded) & set(NOT_FOR_NETWORK_LEVEL)) == []
    assert sorted(name for name in loaded if name.startswith(KEY_LAYER_MODULES)) == []
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["fidelity_level"] == "network"
    assert (tmp_path / "out" / "pairs.parquet").is_file()


def test_tables_become_dataframes_when_read(tmp_path):
    """A run written without reading its tables imports no pandas; reading ``results.tables`` gives DataFrames."""
    loaded = _loaded_after(
        f"""
        import sys
        from scenarios import from_dict, run
        import yaml
        results = run(from_dict(yaml.safe_load({CHAIN_YAML!r})))
        results.write("out")
        assert "pandas" not in sys.modules, "writing the tables imported pandas"
        frames = results.tables
        assert type(frames["pairs"]).__name__ == "DataFrame"
        assert list(frames["pairs"].columns[:3]) == ["run_id", "scenario", "seed"]
        assert len(frames["pairs"]) > 0
        """,
        tmp_path,
    )
    assert "pandas" in loaded  # reading the tables did load it
    assert (tmp_path / "out" / "pairs.parquet").is_file()


def test_only_runs_that_build_sequence_objects_set_sequence_up():
    """The hardware and fast levels, and key traffic at any level, run on SeQUeNCe: its protocols are selected."""
    import contextlib

    from scenarios import from_dict
    from scenarios.build import qtn_options
    from scenarios.runner import simulator_globals

    data = yaml.safe_load(CHAIN_YAML)
    for level, key_traffic, uses_sequence in (
        ("network", False, False),
        ("network", True, True),
        ("fast", False, True),
        ("hardware", False, True),
    ):
        changes: dict[str, object] = {"fidelity_level": level}
        if key_traffic:  # trusted relays: a QKD network on SeQUeNCe's timeline
            changes["network"] = {"generator": {**data["network"]["generator"], "interior_role": "trusted_relay"}}
            changes["traffic"] = [{"kind": "key", "src": "n0", "dst": "n2", "rate_hz": 1.0, "bits": 64}]
        scenario = from_dict({**data, **changes})
        chosen = simulator_globals(scenario, qtn_options(scenario))
        assert isinstance(chosen, contextlib.nullcontext) is not uses_sequence, (level, key_traffic)


def test_sweep_workers_import_sequence_only_for_points_that_run_on_it():
    """A sweep's workers import before their first point what its points need, and SeQUeNCe only if one runs on it."""
    from scenarios import from_dict
    from scenarios.executors import RUNNER_MODULES, SEQUENCE_MODULES
    from scenarios.sweep import plan_sweep
    from scenarios.sweep_run import worker_modules

    data = yaml.safe_load(CHAIN_YAML)
    network_level = plan_sweep(from_dict(data), ["links.length_km=10,20"], [1, 2])
    assert worker_modules(network_level, "chain") == RUNNER_MODULES
    swept_level = plan_sweep(from_dict(data), ["fidelity_level=network,fast"], None)
    assert worker_modules(swept_level, "chain") == (*RUNNER_MODULES, *SEQUENCE_MODULES)
