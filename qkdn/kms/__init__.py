"""Key management entities serving keys to applications (ETSI GS QKD 014 semantics, no HTTP).

:mod:`qkdn.kms.supply` keeps each master-slave pair's keys ready, relayed from the
links' key pools; :mod:`qkdn.kms.service` answers the standard's three calls
(status, get key, get key with key IDs) with its rules on who gets which key and
when a key is erased. The HTTPS front (:mod:`qkdn.kms.http`, :mod:`qkdn.kms.server`)
and the test certificates (:mod:`qkdn.kms.certs`) need the optional ``kms`` extra.
"""

from typing import TYPE_CHECKING, Any

from qkdn.kms.config import KMEConfig, KMSConfig, KMSLimitsConfig

if TYPE_CHECKING:
    from qkdn.kms.service import KeyManagementService, KMSRefusal


def __getattr__(name: str) -> Any:
    # The service runs on SeQUeNCe's timeline; reading a scenario's KMS settings must not import the simulator.
    if name in ("KeyManagementService", "KMSRefusal"):
        from qkdn.kms import service

        return getattr(service, name)
    raise AttributeError(f"module 'qkdn.kms' has no attribute {name!r}")


__all__ = ["KMEConfig", "KMSConfig", "KMSLimitsConfig", "KMSRefusal", "KeyManagementService"]
