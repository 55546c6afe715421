"""Frozen descriptions of the key management entities (KMEs), their SAEs and limits (ETSI GS QKD 014)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class KMSLimitsConfig:
    """What a KME offers its SAEs: the fields of the standard's Status data format.

    Attributes:
        key_size_bits: default key size (``key_size``).
        max_key_per_request: most keys in one request (``max_key_per_request``).
        min_key_size_bits: smallest key size (``min_key_size``).
        max_key_size_bits: largest key size (``max_key_size``).
        max_key_count: most keys of the default size held ready per master-slave pair (``max_key_count``).
    """

    key_size_bits: int = 256
    max_key_per_request: int = 128
    min_key_size_bits: int = 64
    max_key_size_bits: int = 4096
    max_key_count: int = 1000

    @property
    def store_bits(self) -> int:
        """Key a KME holds ready for one master-slave pair: ``max_key_count`` keys of the default size."""
        return self.max_key_count * self.key_size_bits


@dataclass(frozen=True)
class KMEConfig:
    """A KME at node ``node`` serving the SAEs ``sae_ids``."""

    kme_id: str
    node: str
    sae_ids: tuple[str, ...]
    limits: KMSLimitsConfig = KMSLimitsConfig()


@dataclass(frozen=True)
class KMSConfig:
    """Every KME of the network and how they refill their keys.

    Attributes:
        kmes: the KMEs.
        relay_bits: bits of one end-to-end relay refilling a master-slave pair's keys.
        relay_timeout_s: a relay still waiting for link key after this long is given up.
        max_relays_in_flight: relays one pair may have under way at once.
    """

    kmes: tuple[KMEConfig, ...]
    relay_bits: int = 4096
    relay_timeout_s: float = 10.0
    max_relays_in_flight: int = 16

    def kme_of_sae(self) -> dict[str, KMEConfig]:
        """Each SAE id's KME."""
        return {sae_id: kme for kme in self.kmes for sae_id in kme.sae_ids}
