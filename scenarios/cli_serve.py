"""``qnetsim serve``: serve a scenario's keys to applications over ETSI GS QKD 014 (HTTPS, mutual TLS)."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from scenarios.cli_types import integer, number


def serve(
    scenario: Annotated[str, typer.Argument(help="Scenario file or built-in name with a kms section (e.g. kms-demo).")],
    tls_dir: Annotated[
        Path,
        typer.Option(
            "--tls-dir",
            help="Folder of the CA, KME and SAE certificates (made there if absent) and of kms.json.",
        ),
    ],
    port: Annotated[
        int, typer.Option(parser=integer, help="Port of the first KME; the others follow (0: any free ports).")
    ] = 8443,
    speed: Annotated[
        float, typer.Option(parser=number, help="Simulated seconds per wall-clock second (1: real time).")
    ] = 1.0,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Also write a result folder when serving stops: the run's tables and kms_requests (one row per call).",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    """Run a scenario's QKD network paced against the wall clock and serve its keys (ETSI GS QKD 014)."""
    from scenarios.cli_app import configure_logging, reported_errors  # the command line's error handling
    from scenarios.loader import load

    configure_logging(debug)
    with reported_errors(debug):
        if not 0 <= port <= 65535:
            from qnetsim.core.errors import ConfigError

            raise ConfigError(f"--port: must be 0 to 65535; got {port}")
        loaded = load(scenario)
        if output is not None:
            from scenarios.results import check_output_folder

            check_output_folder(output)  # refuse a bad folder before serving, not when stopping
        try:
            from scenarios.serve import run_serve  # imports the simulator and the web stack: only when serving
        except ModuleNotFoundError as error:
            from qnetsim.core.errors import ConfigError

            raise ConfigError(
                f"qnetsim serve needs the kms extra ({error.name} is missing): pip install 'qnetsim[kms]'"
            ) from None

        def say(line: str) -> None:
            print(line, flush=True)

        serving = run_serve(loaded, tls_dir, port, speed, say)
        delivered = serving.kms.n_keys_delivered
        print(
            f"qnetsim serve: stopped at t = {serving.now_s():.3f} s simulated;"
            f" {delivered['master']} keys to masters, {delivered['slave']} to slaves",
            file=sys.stderr,
            flush=True,
        )
        if output is not None:
            written = serving.results().write(output)
            print(f"qnetsim serve: results in {written}", file=sys.stderr, flush=True)
