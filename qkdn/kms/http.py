"""The ETSI GS QKD 014 V1.1.1 REST API of one KME, as a Starlette (ASGI) application.

Routes (section 5 of the standard), all JSON:

* ``GET /api/v1/keys/{slave_SAE_ID}/status``
* ``GET|POST /api/v1/keys/{slave_SAE_ID}/enc_keys`` (GET: ``number``, ``size`` query parameters;
  POST: a Key request object)
* ``GET|POST /api/v1/keys/{master_SAE_ID}/dec_keys`` (GET: ``key_ID`` query parameter(s);
  POST: a Key IDs object)

The caller's SAE id is the common name of its client certificate, read from the
ASGI TLS extension (``scope["extensions"]["tls"]["client_cert_chain"]``, as the
ASGI specification defines it); never from the URL. A connection without a
verified client certificate gets 401. Errors are the standard's Error object,
``{"message": ..., "details": [...]}``. Handlers run on the server's event loop
and call the service synchronously, so one call's check and take cannot
interleave with another's or with the simulation (which runs on the same loop).
"""

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from qkdn.kms.service import KeyManagementService, KMSRefusal

logger = logging.getLogger(__name__)

#: Largest request body read (a Key IDs object for 10,000 keys is about 600 kB).
MAX_BODY_BYTES = 1_000_000


def caller_sae_id(scope: Mapping[str, Any]) -> str | None:
    """The common name of the verified client certificate of this connection (None if there is none)."""
    tls = scope.get("extensions", {}).get("tls") or {}
    chain = tls.get("client_cert_chain") or []
    if not chain:
        return None
    certificate = x509.load_pem_x509_certificate(chain[0].encode("ascii"))
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else None


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message, "details": []}, status_code=status)


def _bad(message: str) -> KMSRefusal:
    return KMSRefusal(400, message)


def _integer(value: Any, name: str, query: bool = False) -> int | None:
    """A JSON integer (or, from the query string, digits), None if absent."""
    if value is None:
        return None
    if query and isinstance(value, str):
        if not value.isdigit():
            raise _bad(f"{name}: must be a positive integer; got {value!r}")
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"{name}: must be a positive integer; got {value!r}")
    return value


async def _json_object(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise _bad(f"request body: at most {MAX_BODY_BYTES} bytes; got {len(body)}")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _bad(f"request body: malformed JSON ({error})") from None
    if not isinstance(data, dict):
        raise _bad(f"request body: must be a JSON object; got {type(data).__name__}")
    return data


def _string_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _bad(f"{name}: must be an array of strings")
    return value


def kme_app(service: KeyManagementService, kme_id: str) -> Starlette:
    """The ASGI application of KME ``kme_id``."""

    def endpoint(handle: Callable[[Request, str | None], Any]) -> Callable[[Request], Any]:
        async def run(request: Request) -> JSONResponse:
            try:
                caller = caller_sae_id(request.scope)
                if caller is None:  # refuse the unauthenticated before reading what they sent
                    raise KMSRefusal(401, "unauthorized: no client certificate naming an SAE")
                return JSONResponse(await handle(request, caller))
            except KMSRefusal as refusal:
                return _error(refusal.status, refusal.message)

        return run

    async def status(request: Request, caller: str | None) -> dict[str, Any]:
        return service.status(kme_id, caller, request.path_params["sae_id"])

    async def enc_keys(request: Request, caller: str | None) -> dict[str, Any]:
        slave = request.path_params["sae_id"]
        if request.method == "GET":
            query = request.query_params
            number, size = _integer(query.get("number"), "number", True), _integer(query.get("size"), "size", True)
            return service.enc_keys(kme_id, caller, slave, number, size)
        data = await _json_object(request)
        unknown = sorted(set(data) - _KEY_REQUEST_FIELDS)
        if unknown:
            raise _bad(f"request body: unknown field(s) {', '.join(unknown)}")
        mandatory = data.get("extension_mandatory")
        if mandatory is not None and not isinstance(mandatory, list):
            raise _bad("extension_mandatory: must be an array")
        return service.enc_keys(
            kme_id,
            caller,
            slave,
            _integer(data.get("number"), "number"),
            _integer(data.get("size"), "size"),
            _string_list(data.get("additional_slave_SAE_IDs"), "additional_slave_SAE_IDs"),
            mandatory or [],
        )

    async def dec_keys(request: Request, caller: str | None) -> dict[str, Any]:
        master = request.path_params["sae_id"]
        if request.method == "GET":
            return service.dec_keys(kme_id, caller, master, request.query_params.getlist("key_ID"))
        data = await _json_object(request)
        unknown = sorted(set(data) - _KEY_IDS_FIELDS)
        if unknown:
            raise _bad(f"request body: unknown field(s) {', '.join(unknown)}")
        items = data.get("key_IDs")
        if not isinstance(items, list) or not all(
            isinstance(item, dict) and isinstance(item.get("key_ID"), str) for item in items
        ):
            raise _bad('key_IDs: must be an array of objects {"key_ID": "<UUID>"}')
        return service.dec_keys(kme_id, caller, master, [item["key_ID"] for item in items])

    prefix = "/api/v1/keys/{sae_id}"
    return Starlette(
        routes=[
            Route(f"{prefix}/status", endpoint(status), methods=["GET"]),
            Route(f"{prefix}/enc_keys", endpoint(enc_keys), methods=["GET", "POST"]),
            Route(f"{prefix}/dec_keys", endpoint(dec_keys), methods=["GET", "POST"]),
        ],
        exception_handlers={404: _not_found, 405: _not_allowed},
    )


_KEY_REQUEST_FIELDS = {"number", "size", "additional_slave_SAE_IDs", "extension_mandatory", "extension_optional"}
_KEY_IDS_FIELDS = {"key_IDs", "key_IDs_extension"}


async def _not_found(request: Request, error: Exception) -> JSONResponse:
    return _error(404, f"no such resource: {request.url.path}")


async def _not_allowed(request: Request, error: Exception) -> JSONResponse:
    return _error(405, f"method {request.method} not allowed on {request.url.path}")
