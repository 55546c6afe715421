"""``qnetsim serve`` on the command line: bad input exits 2 before serving; a served process stops cleanly."""

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

import httpx
import pandas as pd
import pytest
from typer.testing import CliRunner

from scenarios.cli import app


def qnetsim(*args):
    return CliRunner().invoke(app, [str(arg) for arg in args])


def test_a_scenario_without_kms_is_refused(tmp_path):
    result = qnetsim("serve", "qkd-trusted-relay-chain", "--tls-dir", tmp_path / "tls", "--port", 0)
    assert result.exit_code == 2
    assert "kms: the scenario has no kms section" in result.stderr


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [("--speed", "0", "--speed: must be > 0"), ("--port", "70000", "--port: must be 0 to 65535")],
)
def test_bad_options_are_refused(tmp_path, option, value, words):
    result = qnetsim("serve", "kms-demo", "--tls-dir", tmp_path, option, value)
    assert result.exit_code == 2 and words in result.stderr


def test_a_busy_port_is_refused(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = qnetsim("serve", "kms-demo", "--tls-dir", tmp_path, "--port", port)
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_a_foreign_kms_json_is_not_replaced(tmp_path):
    (tmp_path / "kms.json").write_text('{"mine": true}')
    result = qnetsim("serve", "kms-demo", "--tls-dir", tmp_path, "--port", 0)
    assert result.exit_code == 2 and "was not written by qnetsim serve" in result.stderr
    assert (tmp_path / "kms.json").read_text() == '{"mine": true}'


def test_a_foreign_output_folder_is_refused_before_serving(tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    result = qnetsim("serve", "kms-demo", "--tls-dir", tmp_path / "tls", "--port", 0, "--output", foreign)
    assert result.exit_code == 2 and str(foreign) in result.stderr
    assert not (tmp_path / "tls").exists()  # refused before any certificate was made
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_served_process_prints_one_ready_line_and_stops_cleanly(tmp_path, stop_signal):
    process = subprocess.Popen(
        [sys.executable, "-m", "scenarios", "serve", "kms-demo", "--tls-dir", str(tmp_path), "--port", "0"]
        + ["--output", str(tmp_path / "served")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = []
        reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()))
        reader.start()
        reader.join(180)
        assert lines and "kms-demo ready" in lines[0], lines
        manifest = json.loads((tmp_path / "kms.json").read_text())
        sae = manifest["saes"]["sae-alice"]
        context = ssl.create_default_context(cafile=manifest["ca"])
        context.load_cert_chain(sae["cert"], sae["key"])
        with httpx.Client(base_url=sae["url"], verify=context, timeout=30) as alice:
            deadline = time.monotonic() + 120
            while alice.get("/api/v1/keys/sae-bob/status").json()["stored_key_count"] < 1:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            assert alice.get("/api/v1/keys/sae-bob/enc_keys").status_code == 200
        process.send_signal(stop_signal)
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert out == ""  # the ready line was the only one
        assert "stopped at t =" in err and "1 keys to masters" in err
        calls = pd.read_parquet(tmp_path / "served" / "kms_requests.parquet")
        assert (calls["method"] == "enc_keys").sum() == 1 and (calls["method"] == "status").sum() >= 1
        assert set(calls["master_SAE_ID"]) == {"sae-alice"} and set(calls["status"]) == {200}
    finally:
        if process.poll() is None:
            process.kill()
