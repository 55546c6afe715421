"""Key management entities serving keys to applications (ETSI GS QKD 014 semantics, no HTTP).

:mod:`qkdn.kms.supply` keeps each master-slave pair's keys ready, relayed from the
links' key pools; :mod:`qkdn.kms.service` answers the standard's three calls
(status, get key, get key with key IDs) with its rules on who gets which key and
when a key is erased. The HTTPS front (:mod:`qkdn.kms.http`, :mod:`qkdn.kms.server`)
and the test certificates (:mod:`qkdn.kms.certs`) need the optional ``kms`` extra.
"""

from qkdn.kms.config import KMEConfig, KMSConfig, KMSLimitsConfig
from qkdn.kms.service import KeyManagementService, KMSRefusal

__all__ = ["KMEConfig", "KMSConfig", "KMSLimitsConfig", "KMSRefusal", "KeyManagementService"]
