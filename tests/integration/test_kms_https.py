"""The ETSI GS QKD 014 service over real HTTPS with mutual TLS on 127.0.0.1 (no mock of the server)."""

import base64
import json
import logging
import re
import ssl
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.kms_support import ServedKMS, kms_test_scenario


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    collect = _Collect()
    root = logging.getLogger()
    root.addHandler(collect)
    ours = [logging.getLogger(name) for name in ("qkdn", "qtn", "scenarios", "uvicorn", "starlette")]
    old_levels = [logger.level for logger in ours]
    for logger in ours:  # everything our layers and the server say (SeQUeNCe's per-event lines left out)
        logger.setLevel(logging.DEBUG)
    kms = ServedKMS(kms_test_scenario(), tmp_path_factory.mktemp("tls")).start()
    kms.log_lines = collect.lines
    yield kms
    kms.stop()
    root.removeHandler(collect)
    for logger, level in zip(ours, old_levels, strict=True):
        logger.setLevel(level)


def client(served, sae_id, kme_id=None):
    manifest = json.loads((served.tls_dir / "kms.json").read_text())
    sae = manifest["saes"][sae_id]
    context = ssl.create_default_context(cafile=manifest["ca"])
    context.load_cert_chain(sae["cert"], sae["key"])
    return httpx.Client(base_url=served.url(kme_id) if kme_id else sae["url"], verify=context, timeout=120)


def wait_for_keys(served, master, slave, n_keys, timeout_s=120.0):
    """Wait (on a condition, not a clock) until the master's KME holds ``n_keys`` keys for ``slave``."""
    import time

    deadline = time.monotonic() + timeout_s
    with client(served, master) as master_client:
        while time.monotonic() < deadline:
            count = master_client.get(f"/api/v1/keys/{slave}/status").json()["stored_key_count"]
            if count >= n_keys:
                return count
            time.sleep(0.05)
    raise AssertionError(f"{master}'s KME never held {n_keys} keys for {slave}")


def test_status_has_the_standards_fields_as_integers(served):
    wait_for_keys(served, "sae-alice", "sae-bob", 1)
    with client(served, "sae-alice") as alice:
        status = alice.get("/api/v1/keys/sae-bob/status").json()
    assert status["source_KME_ID"] == "kme-alice" and status["target_KME_ID"] == "kme-bob"
    assert status["master_SAE_ID"] == "sae-alice" and status["slave_SAE_ID"] == "sae-bob"
    for name in (
        "key_size",
        "stored_key_count",
        "max_key_count",
        "max_key_per_request",
        "max_key_size",
        "min_key_size",
        "max_SAE_ID_count",
    ):
        assert type(status[name]) is int, name


def test_master_and_slave_get_identical_bytes(served):
    wait_for_keys(served, "sae-alice", "sae-bob", 8)
    with client(served, "sae-alice") as alice, client(served, "sae-bob") as bob:
        made = alice.post("/api/v1/keys/sae-bob/enc_keys", json={"number": 3, "size": 256}).json()["keys"]
        made += alice.get("/api/v1/keys/sae-bob/enc_keys", params={"number": 1, "size": 512}).json()["keys"]
        ids = [key["key_ID"] for key in made]
        assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", i) for i in ids)
        got = bob.post("/api/v1/keys/sae-alice/dec_keys", json={"key_IDs": [{"key_ID": i} for i in ids[:3]]})
        got_get = bob.get("/api/v1/keys/sae-alice/dec_keys", params={"key_ID": ids[3]})
        assert got.status_code == 200 and got_get.status_code == 200
        assert got.json()["keys"] + got_get.json()["keys"] == made
        assert [len(base64.b64decode(k["key"])) for k in made] == [32, 32, 32, 64]
        again = bob.get("/api/v1/keys/sae-alice/dec_keys", params={"key_ID": ids[0]})
        assert again.status_code == 400  # handed to the slave once, then erased


def test_every_refusal_has_its_status(served):
    wait_for_keys(served, "sae-alice", "sae-bob", 2)
    with (
        client(served, "sae-alice") as alice,
        client(served, "sae-bob") as bob,
        client(served, "sae-carol") as carol,
        client(served, "sae-alice", "kme-bob") as alice_at_bobs_kme,
    ):
        (key,) = alice.get("/api/v1/keys/sae-bob/enc_keys").json()["keys"]
        ids = {"key_IDs": [{"key_ID": key["key_ID"]}]}
        cases = [
            (alice.get("/api/v1/keys/sae-bob/enc_keys", params={"size": 12}), 400),  # not a multiple of 8
            (alice.post("/api/v1/keys/sae-bob/enc_keys", json={"number": 1000}), 400),  # too many keys
            (alice.get("/api/v1/keys/sae-nobody/status"), 400),  # unknown SAE
            (alice.post("/api/v1/keys/sae-nobody/enc_keys", json={}), 400),
            (alice.post("/api/v1/keys/sae-bob/enc_keys", content=b"{not json"), 400),  # malformed JSON
            (alice.post("/api/v1/keys/sae-bob/enc_keys", json={"number": "2"}), 400),
            (alice.post("/api/v1/keys/sae-bob/enc_keys", json={"additional_slave_SAE_IDs": ["sae-carol"]}), 400),
            (carol.post("/api/v1/keys/sae-alice/dec_keys", json=ids), 400),  # not the key's slave
            (bob.post("/api/v1/keys/sae-carol/dec_keys", json=ids), 400),  # wrong master in the path
            (alice_at_bobs_kme.post("/api/v1/keys/sae-alice/dec_keys", json=ids), 401),  # not this KME's SAE
            (alice.get("/api/v1/keys/sae-dave/enc_keys"), 503),  # no key: dave's only relay is untrusted
        ]
        for response, status in cases:
            assert response.status_code == status, (response.request.url, response.text)
            assert isinstance(response.json()["message"], str) and response.json()["message"]
        assert bob.post("/api/v1/keys/sae-alice/dec_keys", json=ids).json()["keys"] == [key]
    manifest = json.loads((served.tls_dir / "kms.json").read_text())
    verify = ssl.create_default_context(cafile=manifest["ca"])
    no_cert = httpx.get(served.url("kme-alice") + "/api/v1/keys/sae-bob/status", verify=verify)
    assert no_cert.status_code == 401


def test_a_certificate_of_another_ca_fails_the_handshake(served, tmp_path):
    from qkdn.kms.certs import ensure_certificates

    ensure_certificates(tmp_path, [], ["sae-alice"])  # same name, another CA
    context = ssl.create_default_context(cafile=str(served.tls_dir / "ca.crt"))
    context.load_cert_chain(tmp_path / "sae-alice.crt", tmp_path / "sae-alice.key")
    with pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)):
        httpx.get(served.url("kme-alice") + "/api/v1/keys/sae-bob/status", verify=context)


def test_concurrent_clients_never_get_a_key_twice(served):
    wait_for_keys(served, "sae-alice", "sae-bob", 40)

    def fetch(_):
        with client(served, "sae-alice") as alice:
            response = alice.post("/api/v1/keys/sae-bob/enc_keys", json={"number": 2, "size": 256})
            return response.json()["keys"] if response.status_code == 200 else []

    with ThreadPoolExecutor(10) as pool:
        made = [key for keys in pool.map(fetch, range(10)) for key in keys]
    ids = [key["key_ID"] for key in made]
    assert len(ids) == len(set(ids)) and len({key["key"] for key in made}) == len(made)
    assert len(made) > 0

    def claim(key_id):
        with client(served, "sae-bob") as bob:
            return key_id, bob.get("/api/v1/keys/sae-alice/dec_keys", params={"key_ID": key_id})

    with ThreadPoolExecutor(10) as pool:  # every id asked twice at once: served once
        answers = list(pool.map(claim, ids * 2))
    served_keys = {}
    for key_id, response in answers:
        if response.status_code == 200:
            assert key_id not in served_keys
            served_keys[key_id] = response.json()["keys"][0]
        else:
            assert response.status_code == 400
    assert served_keys == {key["key_ID"]: key for key in made}

    def levels():
        stores = [s for p in served.serving.built.qkd.pools.values() for s in p.stores.values()]
        stores += [c for s in served.serving.kms.supplies.values() for c in s.store.copies.values()]
        return [(s.level_bits, s.n_put_bits - s.n_taken_bits) for s in stores]

    assert all(level >= 0 and level == balance for level, balance in served.call(levels))


def test_third_party_client_works_unchanged(served):
    from etsi_qkd_014_client import QKD014Client

    wait_for_keys(served, "sae-bob", "sae-alice", 2)
    manifest = json.loads((served.tls_dir / "kms.json").read_text())

    def make(sae_id):
        sae = manifest["saes"][sae_id]
        return QKD014Client(sae["url"].removeprefix("https://"), sae["cert"], sae["key"], manifest["ca"])

    bob, alice = make("sae-bob"), make("sae-alice")
    code, status = bob.get_status("sae-alice")
    assert code == 200 and status.stored_key_count >= 2 and status.key_size == 256
    code, container = bob.get_key("sae-alice", number=2, size=256)
    assert code == 200
    ids = [key.key_id for key in container.keys]
    code, fetched = alice.get_key_with_key_IDs("sae-bob", ids)
    assert code == 200 and [key.key for key in fetched.keys] == [key.key for key in container.keys]
    code, error = alice.get_key_with_key_IDs("sae-bob", ids)
    assert code == 400 and error.message


def test_no_key_material_in_logs(served):
    wait_for_keys(served, "sae-alice", "sae-bob", 1)
    with client(served, "sae-alice") as alice:
        (key,) = alice.get("/api/v1/keys/sae-bob/enc_keys").json()["keys"]
    with client(served, "sae-bob") as bob:
        bob.get("/api/v1/keys/sae-alice/dec_keys", params={"key_ID": key["key_ID"]})
    text = "\n".join(served.log_lines)
    assert "relay failed" in text  # the capture works (dave's relays fail at debug level)
    raw = base64.b64decode(key["key"])
    assert key["key"] not in text and raw.hex() not in text
    assert "".join(format(b, "08b") for b in raw) not in text.replace(" ", "").replace(",", "")


def test_docs_example_agrees_on_a_key_and_decrypts(served):
    """The example application of docs/kms.md, run unchanged but for its folder."""
    import contextlib
    import io
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "kms.md"
    code = re.search(r"## Example.*?```python\n(.*?)```", doc.read_text(), re.S).group(1)
    assert 'tls_dir = Path("kms-tls")' in code
    wait_for_keys(served, "sae-alice", "sae-bob", 1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code.replace('Path("kms-tls")', f"Path({str(served.tls_dir)!r})"), {})
    assert out.getvalue() == "meet at noon\n"


def test_second_third_party_client_and_its_conformance_probes(served):
    """qkdsec's ETSI 014 client round-trips a key; its conformance probes pass where the standard is clear.

    Two of its probes assume what the standard does not say: that the master may
    fetch its own key with dec_keys (the standard gives dec_keys to the slave; we
    refuse it), and that an unknown key_ID is a 404 (V1.1.1 defines 400, 401 and 503).
    """
    from qkdsec.client.etsi014 import ETSI014Client
    from qkdsec.doctor.probes import run_all

    wait_for_keys(served, "sae-alice", "sae-bob", 8)
    manifest = json.loads((served.tls_dir / "kms.json").read_text())

    def make(sae_id):
        sae = manifest["saes"][sae_id]
        return ETSI014Client(sae["url"], client_cert=(sae["cert"], sae["key"]), verify=manifest["ca"])

    with make("sae-alice") as alice, make("sae-bob") as bob:
        keys = alice.get_enc_keys("sae-bob", number=2, size=256)
        fetched = bob.get_dec_keys("sae-alice", key_ids=[key.key_id for key in keys])
        assert [key.key for key in fetched] == [key.key for key in keys] and len(keys[0].key) == 32
        report = run_all(alice, "sae-bob", latency_samples=1)
    outcomes = {result.name: result.status.name for result in report.results}
    for name in (
        "reachability",
        "status_fields",
        "enc_keys_get",
        "enc_keys_post",
        "enc_keys_caps",
        "extensions_accepted",
        "error_contract_400",
    ):
        assert outcomes[name] == "PASS", (name, outcomes)
    assert outcomes["dec_keys_roundtrip"] == "FAIL" and outcomes["error_contract_404"] == "WARN"


def test_calls_are_a_kms_requests_table_in_the_standards_terms(served, tmp_path):
    """Every call leaves a ``kms_requests`` row with SAE, KME and key ids (never key bits) in the result folder."""
    import pandas as pd

    wait_for_keys(served, "sae-alice", "sae-bob", 2)
    with client(served, "sae-alice") as alice, client(served, "sae-bob") as bob:
        made = alice.post("/api/v1/keys/sae-bob/enc_keys", json={"number": 2, "size": 256}).json()["keys"]
        ids = [key["key_ID"] for key in made]
        assert bob.post("/api/v1/keys/sae-alice/dec_keys", json={"key_IDs": [{"key_ID": i} for i in ids]}).is_success
        assert alice.get("/api/v1/keys/sae-bob/enc_keys", params={"size": 12}).status_code == 400
    folder = served.call(lambda: served.serving.results().write(tmp_path / "served"))
    frame = pd.read_parquet(folder / "kms_requests.parquet")
    enc = frame[(frame["method"] == "enc_keys") & frame["key_IDs"].str.contains(ids[0])]
    assert len(enc) == 1
    row = enc.iloc[0]
    assert (row["kme_id"], row["master_SAE_ID"], row["slave_SAE_ID"]) == ("kme-alice", "sae-alice", "sae-bob")
    assert (row["source_KME_ID"], row["target_KME_ID"], row["number"], row["size"]) == ("kme-alice", "kme-bob", 2, 256)
    assert row["key_IDs"].split(",") == ids and row["status"] == 200
    dec = frame[(frame["method"] == "dec_keys") & frame["key_IDs"].str.contains(ids[0])].iloc[0]
    assert (dec["kme_id"], dec["master_SAE_ID"], dec["slave_SAE_ID"], dec["status"]) == (
        "kme-bob",
        "sae-alice",
        "sae-bob",
        200,
    )
    refused = frame[(frame["method"] == "enc_keys") & (frame["size"] == 12)].iloc[-1]
    assert refused["status"] == 400 and "multiple of 8" in refused["message"] and refused["key_IDs"] == ""
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["served"]["command"] == "qnetsim serve" and manifest["tables"]["kms_requests"]["rows"] == len(frame)
    assert 0 < manifest["simulated_time_s"] <= manifest["scenario"]["duration_s"]
    written = "".join(pd.read_parquet(path).to_csv() for path in folder.glob("*.parquet"))
    written += (folder / "manifest.json").read_text()
    for key in made:
        raw = base64.b64decode(key["key"])
        assert key["key"] not in written and raw.hex() not in written
