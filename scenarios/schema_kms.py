"""The scenario's ``kms`` section: key management entities (KMEs) and their secure application entities (SAEs).

The words are those of ETSI GS QKD 014 V1.1.1 (2019), "Protocol and data format
of REST-based key delivery API": a KME sits at a key-holding node of the QKD
network and hands keys to the SAEs attached to it; the SAE that asks for new keys
is the master, the one that later asks for the same keys by key id is the slave.
The limits are those the standard's Status data format reports.
"""

from typing import Annotated

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from scenarios.schema import NodeName, StrictModel  # schema.py imports this module after defining them

#: KME and SAE ids: what the standard puts in URLs and certificates (letters, digits, ``-``, ``_``, ``.``).
ENTITY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
EntityId = Annotated[str, Field(pattern=ENTITY_ID_PATTERN, max_length=64)]
#: Largest key one SAE may ask for: 64 kbit (ETSI GS QKD 014 leaves it to the KME; vendors offer 256 to 8192).
MAX_KEY_SIZE_BITS = 65_536
#: Most keys held for one master-slave pair (memory stays below a few tens of MB per pair at the largest size).
MAX_KEY_COUNT = 100_000


class KMSLimits(StrictModel):
    """What a KME offers its SAEs (the standard's Status data format).

    Attributes:
        key_size_bits: default key size (``key_size``), when a request names none.
        max_key_per_request: most keys in one request (``max_key_per_request``).
        min_key_size_bits: smallest key size (``min_key_size``).
        max_key_size_bits: largest key size (``max_key_size``).
        max_key_count: most keys of the default size held ready for one master-slave
            pair (``max_key_count``); the KME keeps relaying key until it holds them.
    """

    key_size_bits: int = Field(256, ge=8, le=MAX_KEY_SIZE_BITS, multiple_of=8)
    max_key_per_request: int = Field(128, ge=1, le=10_000)
    min_key_size_bits: int = Field(64, ge=8, le=MAX_KEY_SIZE_BITS, multiple_of=8)
    max_key_size_bits: int = Field(4096, ge=8, le=MAX_KEY_SIZE_BITS, multiple_of=8)
    max_key_count: int = Field(1000, ge=1, le=MAX_KEY_COUNT)

    @model_validator(mode="after")
    def _sizes_in_order(self) -> "KMSLimits":
        if not self.min_key_size_bits <= self.key_size_bits <= self.max_key_size_bits:
            raise PydanticCustomError(
                "key_sizes",
                "key_size_bits must lie between min_key_size_bits and max_key_size_bits;"
                f" got {self.min_key_size_bits} <= {self.key_size_bits} <= {self.max_key_size_bits}",
            )
        return self


class KMEEntry(StrictModel):
    """A key management entity at a key-holding node, and the SAEs it serves.

    Attributes:
        kme_id: the KME's id (``source_KME_ID`` / ``target_KME_ID`` in the standard).
        node: the node of the network it sits at (an ``end`` or ``trusted_relay`` node).
        sae_ids: ids of the SAEs attached to it (each SAE's certificate names it).
        limits: this KME's limits (default: the section's).
    """

    kme_id: EntityId
    node: NodeName
    sae_ids: list[EntityId] = Field(min_length=1, max_length=100)
    limits: KMSLimits | None = None


class KMSSection(StrictModel):
    """Key management: KMEs serving SAEs over ETSI GS QKD 014 (``qnetsim serve``).

    For every ordered pair of SAEs at two different KMEs the master's KME keeps
    up to ``max_key_count`` keys ready, relayed from the links' key pools hop by
    hop under one-time pad through trusted relays, ``relay_bits`` at a time.

    Attributes:
        kmes: the key management entities.
        limits: limits of every KME that names none.
        relay_bits: bits of one end-to-end relay that refills a pair's keys.
        relay_timeout_s: a relay still waiting for link key after this long is
            given up (and retried).
    """

    kmes: list[KMEEntry] = Field(min_length=1, max_length=1000)
    limits: KMSLimits = KMSLimits()
    relay_bits: int = Field(4096, ge=8, le=10**7, multiple_of=8)
    relay_timeout_s: float = Field(10.0, gt=0, le=86_400)
