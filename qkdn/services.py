"""Key services: long-lived key demands supplied period by period over controller-assigned paths.

A service needs ``key_rate_bps`` of end-to-end key between ``src`` and
``dst``. Its source registers it with the controller, which answers with the
path(s) to use (and later, after a failure, with re-allocated ones). Every
supply period T the source relays the period's demand K_d = rate x T over
those paths (OTP relay, deadline the end of the period) into the service.
Each period is one row of the ``service_periods`` table.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qkdn.relay import RelayOutcome, RelaySession


@dataclass(frozen=True)
class ServiceSpec:
    """A key demand of ``key_rate_bps`` from ``start_s`` to ``end_s``, supplied every ``period_s``."""

    service_id: int
    src: str
    dst: str
    key_rate_bps: float
    period_s: float
    start_s: float
    end_s: float

    @property
    def demand_bits(self) -> int:
        """K_d: bits to supply per period."""
        return max(1, int(round(self.key_rate_bps * self.period_s)))


@dataclass
class _Period:
    t_s: float
    shares: list[tuple[list[str], int]]
    outcomes: list[tuple[int, RelayOutcome]] = field(default_factory=list)  # (share's bits, outcome) as they end


RelayFunction = Callable[[list[str], int, float, Callable[[RelaySession, RelayOutcome], None]], RelaySession]


@dataclass
class ServiceSource:
    """The service's agent at its source node: installs paths, supplies each period, records."""

    spec: ServiceSpec
    relay: RelayFunction
    records: list[dict[str, Any]]
    shares: list[tuple[list[str], int]] = field(default_factory=list)
    installs: list[tuple[float, list[tuple[list[str], int]]]] = field(default_factory=list)

    def install(self, t_s: float, shares: list[tuple[list[str], int]]) -> None:
        """New paths from the controller (empty: no way to supply now)."""
        self.shares = [(list(path), int(bits)) for path, bits in shares]
        self.installs.append((t_s, self.shares))

    def supply(self, t_s: float) -> None:
        """Relay this period's demand over the installed paths."""
        spec = self.spec
        period = _Period(t_s, list(self.shares))
        if not period.shares:
            self._record(period, "no path assigned by the controller")
            return
        for path, bits in period.shares:
            self.relay(path, bits, t_s + spec.period_s, self._on_share_done(period, bits))

    def _on_share_done(self, period: _Period, bits: int) -> Callable[[RelaySession, RelayOutcome], None]:
        """What a share's relay calls when it ends: note its outcome in ``period``."""
        return lambda _session, outcome: self._share_done(period, bits, outcome)

    def _share_done(self, period: _Period, bits: int, outcome: RelayOutcome) -> None:
        period.outcomes.append((bits, outcome))
        if len(period.outcomes) == len(period.shares):
            reasons = sorted({o.reason for _, o in period.outcomes if not o.served})
            self._record(period, "; ".join(reasons))

    def _record(self, period: _Period, reason: str) -> None:
        spec = self.spec
        delivered = sum(bits for bits, o in period.outcomes if o.served)
        self.records.append(
            {
                "t_s": period.t_s,
                "service_id": spec.service_id,
                "src": spec.src,
                "dst": spec.dst,
                "demand_bits": spec.demand_bits,
                "delivered_bits": delivered,
                "path": " | ".join("-".join(path) for path, _ in period.shares),
                "n_paths": len(period.shares),
                "key_consumed_bits": sum(o.key_consumed_bits for _, o in period.outcomes),
                "reason": reason,
            }
        )
