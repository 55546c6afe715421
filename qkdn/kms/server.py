"""HTTPS with mutual TLS for the KMEs: uvicorn servers, one per KME, on one event loop.

uvicorn does not (yet) fill the ASGI TLS extension, which is how an ASGI
application learns the client certificate of a mutual-TLS connection. Its
documented ``http`` setting takes a protocol class, so
:class:`TLSExtensionH11Protocol` (uvicorn's own h11 protocol) adds the extension
to every request of a connection from the connection's ``ssl_object``. This
relies on two attributes of uvicorn's protocol (``app``, and the transport
handed to ``connection_made``) and the servers' ``capture_signals`` hook is
switched off so that one handler stops every KME at once; the version range
is pinned in ``pyproject.toml`` and ``tests/integration/test_kms_https.py``
checks both.

TLS: each KME presents its own server certificate; clients must present a
certificate of the test CA to be served (``CERT_OPTIONAL``: a connection without
one is answered 401 by the application, one with a certificate of another CA
fails its handshake).
"""

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from qnetsim.core.errors import ConfigError, SimulationError

_TLS_VERSIONS = {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304}


def tls_extension(transport: Any) -> dict[str, Any]:
    """The ASGI TLS extension of a connection (client certificate as PEM, if it sent a verified one)."""
    ssl_object = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return {}
    der = ssl_object.getpeercert(binary_form=True)
    return {
        "server_cert": None,
        "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
        "client_cert_name": None,
        "client_cert_error": None,
        "tls_version": _TLS_VERSIONS.get(ssl_object.version() or ""),
        "cipher_suite": None,
    }


class TLSExtensionH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, adding the ASGI TLS extension to the scope of every request."""

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        extension = tls_extension(transport)
        app = self.app

        async def app_with_tls(scope: Any, receive: Any, send: Any) -> None:
            scope["extensions"] = {**(scope.get("extensions") or {}), "tls": extension}
            await app(scope, receive, send)

        self.app = app_with_tls


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to its owner (several servers share one loop)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class Endpoint:
    """One KME's listening socket, application and server certificate."""

    kme_id: str
    app: Any
    sock: socket.socket
    certfile: Path
    keyfile: Path

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"https://{host}:{port}"


def listen(host: str, port: int, what: str) -> socket.socket:
    """A TCP socket bound to ``host:port`` (port 0: any free port); ConfigError naming ``what`` if it cannot."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise ConfigError(f"{what}: cannot listen on {host}:{port}: {error.strerror}") from None
    sock.set_inheritable(True)
    return sock


async def serve(endpoints: Sequence[Endpoint], ca_file: Path, stop: asyncio.Event, started: asyncio.Event) -> None:
    """Serve every endpoint until ``stop`` is set; ``started`` is set once all listen."""
    servers = []
    for endpoint in endpoints:
        config = uvicorn.Config(
            endpoint.app,
            http=TLSExtensionH11Protocol,
            ws="none",
            lifespan="off",
            log_level="warning",
            access_log=False,
            ssl_certfile=str(endpoint.certfile),
            ssl_keyfile=str(endpoint.keyfile),
            ssl_ca_certs=str(ca_file),
            ssl_cert_reqs=ssl.CERT_OPTIONAL,
            timeout_graceful_shutdown=1,
        )
        servers.append(_Server(config))
    tasks = [
        asyncio.create_task(server.serve(sockets=[endpoint.sock]))
        for server, endpoint in zip(servers, endpoints, strict=True)
    ]
    try:
        while not all(server.started for server in servers):
            failed = [endpoint.kme_id for task, endpoint in zip(tasks, endpoints, strict=True) if task.done()]
            if failed:
                raise SimulationError(f"the HTTPS server of KME {', '.join(failed)} stopped while starting")
            await asyncio.sleep(0.01)
        started.set()
        await stop.wait()
    finally:
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
