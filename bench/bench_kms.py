"""Key delivery benchmark: keys/s and latency of ETSI GS QKD 014 enc_keys calls over HTTPS with mutual TLS.

Serves ``kms-demo`` on 127.0.0.1 (simulation running, paced at ``--speed``) and
runs 1, 10 and 50 concurrent clients for ``--seconds`` each. A client is a pair
of threads' worth of work in one thread: ``sae-alice`` asks her KME for one
256-bit key for ``sae-bob`` (enc_keys), then ``sae-bob`` fetches it from his KME
(dec_keys), each over its own keep-alive HTTPS connection with mutual TLS. Prints
keys/s (keys both ends got), p50/p99 latency of the master's call and of the
slave's, refused calls (503: no key ready) and the key supply (bits relayed into
the pair's store per second), and says which bounds the rate: key supply (calls
refused for want of key) or serving (every call served).

    python bench/bench_kms.py [--seconds 10] [--speed 1]
"""

import argparse
import json
import ssl
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scenarios import load  # noqa: E402
from tests.kms_support import ServedKMS  # noqa: E402


def run_level(served: ServedKMS, n_clients: int, seconds: float) -> dict:
    manifest = json.loads((served.tls_dir / "kms.json").read_text())
    latencies: list[float] = []
    slave_latencies: list[float] = []
    refused = [0]
    lock = threading.Lock()
    supply = served.serving.kms.supplies[("sae-alice", "sae-bob")]
    put_before = served.call(lambda: supply.store.n_put_bits)
    stop_at = time.monotonic() + seconds

    def client(sae_id: str) -> httpx.Client:
        sae = manifest["saes"][sae_id]
        context = ssl.create_default_context(cafile=manifest["ca"])
        context.load_cert_chain(sae["cert"], sae["key"])
        return httpx.Client(base_url=sae["url"], verify=context, timeout=60)

    def worker() -> None:
        with client("sae-alice") as alice, client("sae-bob") as bob:
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                response = alice.get("/api/v1/keys/sae-bob/enc_keys", params={"size": 256})
                elapsed = time.perf_counter() - started
                if response.status_code != 200:
                    with lock:
                        refused[0] += 1
                    continue
                (key,) = response.json()["keys"]
                started = time.perf_counter()
                fetched = bob.get("/api/v1/keys/sae-alice/dec_keys", params={"key_ID": key["key_ID"]})
                slave_elapsed = time.perf_counter() - started
                assert fetched.json()["keys"] == [key]
                with lock:
                    latencies.append(elapsed)
                    slave_latencies.append(slave_elapsed)

    threads = [threading.Thread(target=worker) for _ in range(n_clients)]
    wall = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - wall
    supplied_bps = (served.call(lambda: supply.store.n_put_bits) - put_before) / wall
    latencies.sort()
    slave_latencies.sort()
    return {
        "clients": n_clients,
        "keys_per_s": len(latencies) / wall,
        "p50_ms": 1e3 * statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": 1e3 * latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan"),
        "slave_p50_ms": 1e3 * statistics.median(slave_latencies) if slave_latencies else float("nan"),
        "slave_p99_ms": 1e3 * slave_latencies[int(0.99 * (len(slave_latencies) - 1))] if latencies else float("nan"),
        "refused_503": refused[0],
        "supply_keys_per_s": supplied_bps / 256,
        "bound": "key supply" if refused[0] else "serving",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--speed", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tls_dir:
        served = ServedKMS(load("kms-demo"), Path(tls_dir), speed=args.speed).start()
        try:
            time.sleep(2.0)  # let the store fill before the first level (not a measurement)
            print(f"kms-demo at {args.speed:g}x real time, {args.seconds:g} s per level, 256-bit keys, one per call")
            print(
                f"{'clients':>7} {'keys/s':>8} {'enc p50/p99 ms':>15} {'dec p50/p99 ms':>15} {'503s':>6}"
                f" {'supply keys/s':>13}  bound"
            )
            for n_clients in (1, 10, 50):
                row = run_level(served, n_clients, args.seconds)
                print(
                    f"{row['clients']:>7} {row['keys_per_s']:>8.1f} {row['p50_ms']:>7.1f}/{row['p99_ms']:<7.1f}"
                    f" {row['slave_p50_ms']:>7.1f}/{row['slave_p99_ms']:<7.1f}"
                    f" {row['refused_503']:>6} {row['supply_keys_per_s']:>13.1f}  {row['bound']}"
                )
        finally:
            served.stop()


if __name__ == "__main__":
    main()
