"""``qnetsim serve``: a scenario's QKD network on its timeline, paced against the wall clock, serving keys.

The scenario is built as for a run (:func:`scenarios.runner.build_run`), with
its ``kms`` section's KMEs keeping keys ready (:mod:`qkdn.kms`). One asyncio
event loop then does everything: a pacing task advances the SeQUeNCe timeline
to ``speed x`` the wall time elapsed, every few milliseconds, and one HTTPS
server per KME answers ETSI GS QKD 014 calls (:mod:`qkdn.kms.http`,
:mod:`qkdn.kms.server`). Because the simulation and the handlers take turns on
one thread, a call's checks and its take from the key stores cannot interleave
with anything else: no lock is needed and no bit leaves a store twice.

When the simulated time reaches the scenario's ``duration_s`` the links stop
making key and the KMEs go on serving what they hold.
"""

import asyncio
import json
import logging
import os
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qkdn.kms import KeyManagementService
from qkdn.kms.certs import ensure_certificates, files_of
from qkdn.kms.http import kme_app
from qkdn.kms.server import Endpoint, listen, serve
from qnetsim.core.errors import ConfigError
from qnetsim.core.randomness import controlled_global_random_state
from qnetsim.core.spec import NetworkSpec
from qtn.sequence_backed import adapter as sequence_adapter
from scenarios.build import network_spec, qtn_options
from scenarios.checks import check_scenario
from scenarios.errors import ScenarioError
from scenarios.feasibility import target_problems
from scenarios.hybrid_checks import hybrid_problems
from scenarios.results import Results
from scenarios.runner import BuiltRun, build_run, results_of
from scenarios.schema import Scenario

logger = logging.getLogger(__name__)

#: Wall time between two steps of the simulation (its clock is at most this far behind the paced time).
STEP_WALL_S = 0.005
#: Most paced (wall) time one step simulates, so that a step never holds the event loop for long.
MAX_STEP_WALL_S = 0.05
#: Marks the ``kms.json`` files this command writes (it replaces only those).
WRITTEN_BY = "qnetsim serve"


@dataclass
class Serving:
    """A scenario being served: its built networks, key management service and endpoints."""

    scenario: Scenario
    built: BuiltRun
    kms: KeyManagementService
    endpoints: list[Endpoint]
    tls_dir: Path
    speed: float
    spec: NetworkSpec
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    started_utc: datetime = field(default_factory=lambda: datetime.now(UTC))
    wall_start_s: float = field(default_factory=time.perf_counter)

    def now_s(self) -> float:
        """Simulated time now."""
        return sequence_adapter.now_s(self.built.timeline)

    def results(self) -> Results:
        """Tables and manifest of the network as served so far, with the ``kms_requests`` table of the calls.

        The manifest's ``simulated_time_s`` is how far the served timeline got, and ``served`` says how.
        """
        results = results_of(
            self.scenario, self.spec, self.built, self.started_utc, time.perf_counter() - self.wall_start_s
        )
        results.manifest["simulated_time_s"] = self.now_s()
        results.manifest["served"] = {
            "command": "qnetsim serve",
            "speed": self.speed,
            "kmes": [endpoint.kme_id for endpoint in self.endpoints],
            "keys_delivered": dict(self.kms.n_keys_delivered),
        }
        return results

    def ready_line(self) -> str:
        """The one line printed once every KME listens."""
        kmes = ", ".join(f"{e.kme_id} at {e.url} ({', '.join(self.kms.kme(e.kme_id).sae_ids)})" for e in self.endpoints)
        return (
            f"qnetsim serve: {self.scenario.name} ready at {self.speed:g}x real time: {kmes};"
            f" certificates and kms.json in {self.tls_dir}; Ctrl-C stops"
        )


def check(scenario: Scenario) -> None:
    """Refuse a scenario that cannot be served (every problem at once)."""
    topology, problems = check_scenario(scenario)
    if not problems:
        problems = target_problems(scenario, topology) + hybrid_problems(scenario, topology)
    if scenario.kms is None:
        problems.append("kms: the scenario has no kms section (key management entities to serve)")
    if problems:
        raise ScenarioError(problems, scenario.name)


def kms_manifest(serving: Serving) -> dict[str, Any]:
    """What ``DIR/kms.json`` says: each KME's URL and SAEs, each SAE's certificate, key and KME."""
    directory = serving.tls_dir.resolve()
    kmes, saes = {}, {}
    for endpoint in serving.endpoints:
        kme = serving.kms.kme(endpoint.kme_id)
        kmes[kme.kme_id] = {"url": endpoint.url, "node": kme.node, "sae_ids": list(kme.sae_ids)}
        for sae_id in kme.sae_ids:
            files = files_of(directory, sae_id)
            saes[sae_id] = {"cert": str(files.cert), "key": str(files.key), "kme_id": kme.kme_id, "url": endpoint.url}
    return {
        "written_by": WRITTEN_BY,
        "scenario": serving.scenario.name,
        "ca": str(directory / "ca.crt"),
        "kmes": kmes,
        "saes": saes,
    }


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Write ``kms.json`` atomically, replacing only a file this command wrote."""
    if path.exists():
        try:
            previous = json.loads(path.read_text())
        except (OSError, ValueError):
            previous = None
        if not isinstance(previous, dict) or previous.get("written_by") != WRITTEN_BY:
            raise ConfigError(f"--tls-dir: {path} exists and was not written by {WRITTEN_BY}; move it away")
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".kms.json.")
    with os.fdopen(handle, "w") as file:
        json.dump(manifest, file, indent=2)
        file.write("\n")
    os.replace(temporary, path)


async def pace(serving: Serving) -> None:
    """Advance the simulation to ``speed`` x the wall time elapsed, until stopped."""
    timeline = serving.built.timeline
    duration_s = serving.scenario.duration_s
    sequence_adapter.init_timeline(timeline)
    start = time.monotonic()
    told = False
    simulated_to_s = 0.0
    while not serving.stop.is_set():
        # A step simulates at most MAX_STEP_WALL_S of paced time: a simulation slower than the pace lags
        # behind the wall clock instead of holding the loop (and the HTTPS clients) for a long stretch.
        paced_s = (time.monotonic() - start) * serving.speed
        target_s = min(duration_s, paced_s, simulated_to_s + MAX_STEP_WALL_S * serving.speed)
        sequence_adapter.run_timeline_until(timeline, target_s)
        simulated_to_s = target_s
        if target_s >= duration_s and not told:
            told = True
            logger.warning("simulated duration %g s reached: the links make no more key", duration_s)
        await asyncio.sleep(STEP_WALL_S)


async def serve_scenario(
    scenario: Scenario,
    tls_dir: Path,
    port: int = 8443,
    speed: float = 1.0,
    host: str = "127.0.0.1",
    on_ready: Callable[[Serving], None] | None = None,
    stop: asyncio.Event | None = None,
) -> Serving:
    """Serve ``scenario`` until ``stop`` is set; ``on_ready`` gets the :class:`Serving` once all KMEs listen.

    KME number i listens on ``port + i`` (``port`` 0: any free ports).
    """
    if not speed > 0:
        raise ConfigError(f"--speed: must be > 0; got {speed:g}")
    check(scenario)
    assert scenario.kms is not None
    kmes = scenario.kms.kmes
    ensure_certificates(tls_dir, [k.kme_id for k in kmes], [s for k in kmes for s in k.sae_ids])
    sockets = []
    try:
        for i, kme in enumerate(kmes):
            sockets.append(listen(host, port + i if port else 0, f"--port (KME {kme.kme_id})"))
        spec = network_spec(scenario, check_scenario(scenario)[0])
        options = qtn_options(scenario)
        with (
            sequence_adapter.sequence_globals(
                link_mode="hardware" if options.link_mode == "network" else options.link_mode,
                purification=options.purification,
            ),
            controlled_global_random_state(scenario.seed),
        ):
            built = build_run(scenario, spec, options)
            assert built.kms is not None
            endpoints = []
            for kme, sock in zip(kmes, sockets, strict=True):
                files = files_of(tls_dir, kme.kme_id)
                endpoints.append(Endpoint(kme.kme_id, kme_app(built.kms, kme.kme_id), sock, files.cert, files.key))
            serving = Serving(scenario, built, built.kms, endpoints, tls_dir, speed, spec)
            if stop is not None:
                serving.stop = stop
            write_manifest(tls_dir / "kms.json", kms_manifest(serving))
            pacing = asyncio.create_task(pace(serving))
            servers = asyncio.create_task(serve(endpoints, tls_dir / "ca.crt", serving.stop, serving.started))
            listening = asyncio.create_task(serving.started.wait())
            await asyncio.wait([listening, servers, pacing], return_when=asyncio.FIRST_COMPLETED)
            if serving.started.is_set() and not servers.done() and not pacing.done() and on_ready is not None:
                on_ready(serving)
            await asyncio.wait([pacing, servers], return_when=asyncio.FIRST_COMPLETED)
            serving.stop.set()
            listening.cancel()
            await asyncio.gather(pacing, servers)
            if built.qkd is not None:
                built.qkd.close()
            return serving
    finally:
        for sock in sockets:
            sock.close()


def run_serve(scenario: Scenario, tls_dir: Path, port: int, speed: float, print_line: Callable[[str], None]) -> Serving:
    """Serve until Ctrl-C or SIGTERM (the command line's entry point)."""

    async def main() -> Serving:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        return await serve_scenario(
            scenario, tls_dir, port, speed, on_ready=lambda serving: print_line(serving.ready_line()), stop=stop
        )

    return asyncio.run(main())
