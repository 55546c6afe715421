"""The key management service: ETSI GS QKD 014 V1.1.1 semantics over the simulated QKD network.

Every KME sits at a key-holding node and serves the SAEs attached to it. The
three calls of the standard (section 5) are methods here, free of HTTP:

* :meth:`KeyManagementService.status` (Get status): what the master's KME holds
  for a slave SAE, as the standard's Status fields (JSON integers).
* :meth:`KeyManagementService.enc_keys` (Get key): the master SAE asks its KME
  for ``number`` keys of ``size`` bits to share with a slave SAE; each key gets a
  fresh UUID key id. The bits come from the pair's store (:mod:`qkdn.kms.supply`);
  the master's KME takes them and the slave's KME takes the very same bits of its
  own copy by their ids at once (the KME-to-KME key-id notice is not simulated
  as a message) and keeps them for the slave under the key ids.
* :meth:`KeyManagementService.dec_keys` (Get key with key IDs): the slave SAE
  asks its KME for those keys by id, naming the master. Each key is handed to the
  slave once and then erased.

So a key goes to its master once (the bits left the store when it was made) and
to the named slave once. A call that cannot be served raises :class:`KMSRefusal`
with the standard's status code (400 bad request, 401 unauthorized, 503 not
enough key) before anything is taken: a refused call consumes nothing. A key id
that is unknown, or whose key is not for this slave from this master, is refused
with one and the same message, so no SAE learns about keys that are not its own.

Every call leaves a row (ETSI vocabulary, no key bits): ``t_s`` (simulated),
``kme_id``, ``method``, ``master_SAE_ID``, ``slave_SAE_ID``, ``source_KME_ID``,
``target_KME_ID``, ``number``, ``size``, ``key_IDs`` (comma-separated),
``status`` (HTTP code), ``message``.
"""

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qkdn.kms.config import KMEConfig, KMSConfig
from qkdn.kms.supply import PairSupply
from qkdn.network import QKDNetwork
from qnetsim.core.errors import ConfigError, QNetSimError
from qnetsim.core.randomness import generator


class KMSRefusal(QNetSimError):
    """A key delivery call refused, with the HTTP status code the standard gives it (400, 401 or 503)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class _HeldKey:
    """A key made for a master, kept at the slave's KME until the slave fetches it (bits packed, 8 a byte)."""

    master_sae_id: str
    slave_sae_id: str
    packed: bytearray

    def erase(self) -> None:
        self.packed[:] = bytes(len(self.packed))


class KeyManagementService:
    """Every KME of a QKD network, their SAEs, and the keys made for master-slave pairs."""

    def __init__(self, network: QKDNetwork, config: KMSConfig) -> None:
        self.network = network
        self.config = config
        self.kmes: dict[str, KMEConfig] = {kme.kme_id: kme for kme in config.kmes}
        self.kme_of: dict[str, KMEConfig] = config.kme_of_sae()
        for kme in config.kmes:
            if kme.node not in network.graph:
                raise ConfigError(f"kms: KME {kme.kme_id!r} sits at {kme.node!r}, which is not a QKD node")
        self.supplies: dict[tuple[str, str], PairSupply] = {}
        for master, master_kme in self.kme_of.items():
            for slave, slave_kme in self.kme_of.items():
                if master_kme.node != slave_kme.node:
                    self.supplies[(master, slave)] = PairSupply(
                        network,
                        master_kme.node,
                        slave_kme.node,
                        master_kme.limits.store_bits,
                        config.relay_bits,
                        config.relay_timeout_s,
                        config.max_relays_in_flight,
                    )
        self._held: dict[str, dict[str, _HeldKey]] = {kme_id: {} for kme_id in self.kmes}  # per slave's KME
        self._n_held: dict[tuple[str, str], int] = {pair: 0 for pair in self.supplies}
        self._key_id_rng = generator(network.seed, "kms.key_ids")
        self.records: list[dict[str, Any]] = []
        self.n_keys_delivered = {"master": 0, "slave": 0}

    def start(self) -> None:
        """Start keeping every pair's keys ready (call once the timeline is set up)."""
        for supply in self.supplies.values():
            supply.start()

    # --- the standard's three calls --------------------------------------------------------------

    def status(self, kme_id: str, caller: str | None, slave: str) -> dict[str, Any]:
        """Get status: ``caller`` (master, attached to ``kme_id``) asks about its keys for ``slave``."""
        with self._recorded(kme_id, "status", caller, slave) as row:
            kme = self._authenticated(kme_id, caller)
            assert caller is not None
            supply = self._supply(kme, caller, slave, "slave")
            limits = kme.limits
            row.update(target_KME_ID=self.kme_of[slave].kme_id)
            return {
                "source_KME_ID": kme.kme_id,
                "target_KME_ID": self.kme_of[slave].kme_id,
                "master_SAE_ID": caller,
                "slave_SAE_ID": slave,
                "key_size": limits.key_size_bits,
                "stored_key_count": min(supply.level_bits // limits.key_size_bits, limits.max_key_count),
                "max_key_count": limits.max_key_count,
                "max_key_per_request": limits.max_key_per_request,
                "max_key_size": limits.max_key_size_bits,
                "min_key_size": limits.min_key_size_bits,
                "max_SAE_ID_count": 0,
            }
        raise AssertionError("unreachable")  # pragma: no cover

    def enc_keys(
        self,
        kme_id: str,
        caller: str | None,
        slave: str,
        number: int | None = None,
        size: int | None = None,
        additional_slave_sae_ids: Sequence[str] = (),
        extension_mandatory: Sequence[Any] = (),
    ) -> dict[str, Any]:
        """Get key: ``number`` new keys of ``size`` bits for the master ``caller`` to share with ``slave``."""
        with self._recorded(kme_id, "enc_keys", caller, slave, number=number, size=size) as row:
            kme = self._authenticated(kme_id, caller)
            assert caller is not None
            supply = self._supply(kme, caller, slave, "slave")
            row.update(target_KME_ID=self.kme_of[slave].kme_id)
            limits = kme.limits
            if additional_slave_sae_ids:
                raise KMSRefusal(400, "additional_slave_SAE_IDs: not supported (max_SAE_ID_count is 0)")
            if extension_mandatory:
                raise KMSRefusal(400, "extension_mandatory: no extension is supported")
            number = 1 if number is None else number
            size = limits.key_size_bits if size is None else size
            row.update(number=number, size=size)
            if not 1 <= number <= limits.max_key_per_request:
                raise KMSRefusal(400, f"number: must be 1 to {limits.max_key_per_request}; got {number}")
            if size % 8:
                raise KMSRefusal(400, f"size: must be a multiple of 8; got {size}")
            if not limits.min_key_size_bits <= size <= limits.max_key_size_bits:
                raise KMSRefusal(
                    400, f"size: must be {limits.min_key_size_bits} to {limits.max_key_size_bits}; got {size}"
                )
            n_bits = number * size
            if n_bits > supply.store.capacity_bits:
                raise KMSRefusal(
                    400, f"number x size: {n_bits} bits; this KME holds at most {supply.store.capacity_bits}"
                )
            if n_bits > supply.level_bits:
                why = f" (last relay: {supply.last_failure})" if supply.last_failure else ""
                raise KMSRefusal(
                    503, f"not enough key: {n_bits} bits asked, {supply.level_bits} ready for {slave}{why}"
                )
            if self._n_held[(caller, slave)] + number > limits.max_key_count:
                raise KMSRefusal(
                    503, f"{slave} has {self._n_held[(caller, slave)]} keys not fetched yet (max_key_count)"
                )
            bits_at, _ = supply.store.take(n_bits)
            key_ids = [str(uuid.UUID(bytes=self._key_id_rng.bytes(16), version=4)) for _ in range(number)]
            master_bytes = np.packbits(bits_at[supply.a]).tobytes()
            slave_bytes = np.packbits(bits_at[supply.b]).tobytes()
            held = self._held[self.kme_of[slave].kme_id]
            step = size // 8
            keys = []
            for i, key_id in enumerate(key_ids):
                part = slice(i * step, (i + 1) * step)
                held[key_id] = _HeldKey(caller, slave, bytearray(slave_bytes[part]))
                keys.append({"key_ID": key_id, "key": base64.b64encode(master_bytes[part]).decode("ascii")})
            self._n_held[(caller, slave)] += number
            self.n_keys_delivered["master"] += number
            row.update(key_IDs=",".join(key_ids))
            supply.refill()
            return {"keys": keys}
        raise AssertionError("unreachable")  # pragma: no cover

    def dec_keys(self, kme_id: str, caller: str | None, master: str, key_ids: Sequence[str]) -> dict[str, Any]:
        """Get key with key IDs: the slave ``caller`` fetches the keys ``key_ids`` its ``master`` got."""
        with self._recorded(kme_id, "dec_keys", caller, master, slave_call=True) as row:
            kme = self._authenticated(kme_id, caller)
            assert caller is not None
            if master not in self.kme_of:
                raise KMSRefusal(400, f"master_SAE_ID: unknown SAE {master!r}")
            row.update(source_KME_ID=self.kme_of[master].kme_id, key_IDs=",".join(map(str, key_ids)))
            if not key_ids:
                raise KMSRefusal(400, "key_IDs: must name at least one key")
            if len(key_ids) > kme.limits.max_key_per_request:
                raise KMSRefusal(
                    400, f"key_IDs: at most {kme.limits.max_key_per_request} per request; got {len(key_ids)}"
                )
            if len(set(key_ids)) != len(key_ids):
                raise KMSRefusal(400, "key_IDs: a key_ID is named twice")
            held = self._held[kme_id]
            for key_id in key_ids:
                key = held.get(key_id)
                if key is None or key.slave_sae_id != caller or key.master_sae_id != master:
                    raise KMSRefusal(400, f"key_ID {key_id}: no such key for slave {caller} from master {master}")
            keys = []
            for key_id in key_ids:
                key = held.pop(key_id)
                keys.append({"key_ID": key_id, "key": base64.b64encode(bytes(key.packed)).decode("ascii")})
                key.erase()
            self._n_held[(master, caller)] -= len(key_ids)
            self.n_keys_delivered["slave"] += len(key_ids)
            row.update(number=len(key_ids))
            return {"keys": keys}
        raise AssertionError("unreachable")  # pragma: no cover

    # --- helpers ----------------------------------------------------------------------------------

    def kme(self, kme_id: str) -> KMEConfig:
        """The KME ``kme_id``."""
        return self.kmes[kme_id]

    def n_keys_waiting(self, master: str, slave: str) -> int:
        """Keys made for ``master`` that ``slave`` has not fetched yet."""
        return self._n_held[(master, slave)]

    def _authenticated(self, kme_id: str, caller: str | None) -> KMEConfig:
        kme = self.kmes[kme_id]
        if caller is None:
            raise KMSRefusal(401, "unauthorized: no client certificate naming an SAE")
        if caller not in kme.sae_ids:
            raise KMSRefusal(401, f"unauthorized: SAE {caller!r} is not served by KME {kme_id}")
        return kme

    def _supply(self, kme: KMEConfig, master: str, other: str, role: str) -> PairSupply:
        if other not in self.kme_of:
            raise KMSRefusal(400, f"{role}_SAE_ID: unknown SAE {other!r}")
        supply = self.supplies.get((master, other))
        if supply is None:
            raise KMSRefusal(400, f"{role}_SAE_ID: {other} is served by KME {kme.kme_id} too; keys here join two KMEs")
        return supply

    def _recorded(self, kme_id: str, method: str, caller: str | None, other: str, **fields: Any) -> "_Recorder":
        slave_call = bool(fields.pop("slave_call", False))
        row: dict[str, Any] = {
            "t_s": self.network.now_s(),
            "kme_id": kme_id,
            "method": method,
            "master_SAE_ID": other if slave_call else (caller or ""),
            "slave_SAE_ID": (caller or "") if slave_call else other,
            "source_KME_ID": "" if slave_call else kme_id,
            "target_KME_ID": kme_id if slave_call else "",
            "number": fields.get("number"),
            "size": fields.get("size"),
            "key_IDs": "",
            "status": 200,
            "message": "",
        }
        return _Recorder(row, self.records)


class _Recorder:
    """Appends a call's row when it ends, with the refusal's status and message if it was refused."""

    def __init__(self, row: dict[str, Any], records: list[dict[str, Any]]) -> None:
        self.row = row
        self.records = records

    def __enter__(self) -> dict[str, Any]:
        return self.row

    def __exit__(self, kind: Any, error: BaseException | None, traceback: Any) -> None:
        if isinstance(error, KMSRefusal):
            self.row.update(status=error.status, message=error.message)
        self.records.append(self.row)
