"""A served KMS for tests: a scenario with four KMEs, and a server running in a background thread."""

import asyncio
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenarios import from_dict, load
from scenarios.schema import Scenario


def kms_test_scenario(speed_links_km: float = 20.0) -> Scenario:
    """kms-demo plus sae-carol at bob's KME and a KME at dave, whose only relay is declared untrusted.

    So alice -> bob keys are relayed through ``relay``; alice -> dave keys never come (no path: 503).
    """
    data = load("kms-demo").model_dump(mode="json", exclude_unset=True)
    data["name"] = "kms-test"
    data["network"]["nodes"] += [{"name": "relay2", "role": "trusted_relay"}, {"name": "dave", "role": "end"}]
    data["network"]["links"] += [
        {"a": "bob", "b": "relay2", "length_km": speed_links_km},
        {"a": "relay2", "b": "dave", "length_km": speed_links_km},
    ]
    data["qkd"]["untrusted_nodes"] = ["relay2"]
    data["kms"]["kmes"][1]["sae_ids"] = ["sae-bob", "sae-carol"]
    data["kms"]["kmes"].append({"kme_id": "kme-dave", "node": "dave", "sae_ids": ["sae-dave"]})
    data["kms"]["relay_timeout_s"] = 1.0
    return from_dict(data)


@dataclass
class ServedKMS:
    """A scenario served on 127.0.0.1 (any free ports) from a background thread."""

    scenario: Scenario
    tls_dir: Path
    speed: float = 10.0
    serving: Any = None
    error: BaseException | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _stop: asyncio.Event | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self, timeout_s: float = 300.0) -> "ServedKMS":
        from scenarios.serve import serve_scenario

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()

            def ready(serving: Any) -> None:
                self.serving = serving
                self._ready.set()

            try:
                await serve_scenario(self.scenario, self.tls_dir, 0, self.speed, on_ready=ready, stop=self._stop)
            except BaseException as error:  # reported to the test thread
                self.error = error
                self._ready.set()

        self._thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout_s) or self.error is not None:
            raise RuntimeError(f"the KMS did not come up: {self.error!r}")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(60)

    def call(self, function: Any, *args: Any) -> Any:
        """Run ``function(*args)`` on the server's loop (between simulation steps) and return its result."""
        assert self._loop is not None

        async def run() -> Any:
            return function(*args)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(120)

    def url(self, kme_id: str) -> str:
        return next(e.url for e in self.serving.endpoints if e.kme_id == kme_id)
