"""Services and recovery of a QKD network: link failures, long-lived key services, recovery rows.

Part of :class:`qkdn.network.QKDNetwork`.

* Failures: a link outage (:class:`qkdn.failures.LinkOutage`) stops the link's
  key generation and relaying; both ends tell the controller, relays waiting
  on or crossing the link fail. Outages may overlap: the link is repaired when
  the last one ends.
* Services (:mod:`qkdn.services`): a service registers with the controller at
  its start, gets its paths (and, after a failure, re-allocated ones, see
  :mod:`qkdn.recovery`) and is supplied every period.
* Recovery rows: one per (failure, affected service), from the controller's
  record of what it tried and the service's installs and aborted relays.
"""

from collections.abc import Callable, Mapping
from typing import Any

from qkdn.controller import Controller
from qkdn.failures import LinkOutage
from qkdn.net_links import KeyLinks, link_name
from qkdn.net_messaging import CONTROLLER, Port
from qkdn.net_requests import KeyRequests
from qkdn.relay import RelayOutcome, RelaySession
from qkdn.services import RelayFunction, ServiceSource, ServiceSpec
from qtn.sequence_backed import adapter


class ServicesAndRecovery:
    """Link outages, key services and what recovery achieved for them.

    Attributes:
        outages: every outage added, in order.
        service_records: one ``service_periods`` row per service and supply period.
    """

    def __init__(
        self,
        timeline: Any,
        links: KeyLinks,
        ports: Mapping[str, Port],
        requests: KeyRequests,
        controller: Controller,
    ) -> None:
        self.timeline = timeline
        self.links = links
        self.ports = ports
        self.requests = requests
        self.controller = controller
        self.outages: list[LinkOutage] = []
        self.service_records: list[dict[str, Any]] = []
        self._n_outages: dict[frozenset[str], int] = {}  # outages in progress per link (they may overlap)
        self._repairs: dict[frozenset[str], list[float]] = {}  # times each link came back up
        self._services: dict[int, ServiceSource] = {}
        self._service_of_session: dict[int, int] = {}

    # --- failures -----------------------------------------------------------------------

    def add_outage(self, outage: LinkOutage) -> None:
        """Fail link ``outage.a``-``outage.b`` from ``down_s`` and repair it at ``up_s`` (the link must exist)."""
        self.outages.append(outage)
        adapter.schedule_call(self.timeline, outage.down_s, self._link_event, outage.a, outage.b, False)
        adapter.schedule_call(self.timeline, outage.up_s, self._link_event, outage.a, outage.b, True)

    def _link_event(self, a: str, b: str, up: bool) -> None:
        key = frozenset((a, b))
        n_before = self._n_outages.get(key, 0)
        self._n_outages[key] = n_before + (-1 if up else 1)
        if (up and n_before != 1) or (not up and n_before != 0):
            return  # overlapping outages: the link is repaired only when the last of them ends
        self.links.set_link_up(a, b, up)
        now = adapter.now_s(self.timeline)
        if up:
            self._repairs.setdefault(key, []).append(now)
        for node in (a, b):  # both ends notice and tell the controller
            self.ports[node].send(CONTROLLER, {"type": "link_state", "link": (a, b), "up": up, "t_s": now}, 128)
        if not up:
            for store in self.links.pools_of(a, b).stores.values():
                store.discard_waiters()
            self.requests.fail_link(a, b)

    # --- services -----------------------------------------------------------------------

    def add_service(self, spec: ServiceSpec) -> None:
        """Register a key service at its start and supply it every period until its end."""

        def relay(
            path: list[str], n_bits: int, deadline_s: float, on_done: Callable[[RelaySession, RelayOutcome], None]
        ) -> RelaySession:
            session = self.requests.relay_key(path, n_bits, deadline_s, on_done)
            self._service_of_session[session.session_id] = spec.service_id
            return session

        relay_function: RelayFunction = relay
        source = ServiceSource(spec, relay_function, self.service_records)
        self._services[spec.service_id] = source
        payload = {
            "type": "service_register",
            "service_id": spec.service_id,
            "src": spec.src,
            "dst": spec.dst,
            "demand_bits": spec.demand_bits,
        }
        adapter.schedule_call(self.timeline, spec.start_s, self.ports[spec.src].send, CONTROLLER, payload, 256)
        t = spec.start_s + spec.period_s
        while t <= spec.end_s + 1e-12:
            adapter.schedule_call(self.timeline, t, source.supply, t)
            t += spec.period_s

    def on_service_paths(self, payload: dict[str, Any]) -> None:
        """The controller assigned (or re-assigned) a service's paths: its source installs them now."""
        self._services[payload["service_id"]].install(adapter.now_s(self.timeline), payload["shares"])

    # --- recovery -----------------------------------------------------------------------

    def recovery_records(self) -> list[dict[str, Any]]:
        """One row per (failure, affected service): method, recovered, recovery time, key lost."""
        rows = []
        sessions = self.requests.sessions
        for record in self.controller.recoveries:
            source = self._services[record.service_id]
            installed = [t for t, shares in source.installs if t >= record.failure_s and shares]
            link = frozenset(record.link)
            repaired_s = min((t for t in self._repairs.get(link, []) if t > record.failure_s), default=float("inf"))
            lost = sum(  # this service's relays aborted by this outage
                s.key_consumed_bits
                for s in sessions.values()
                if s.failed_link == link
                and record.failure_s <= s.failed_at_s < repaired_s
                and self._service_of_session.get(s.session_id) == record.service_id
            )
            rows.append(
                {
                    "t_s": record.failure_s,
                    "link": link_name(*record.link),
                    "service_id": record.service_id,
                    "method": record.method,
                    "recovered": record.recovered and bool(installed),
                    "recovery_time_s": (installed[0] - record.failure_s)
                    if record.recovered and installed
                    else float("nan"),
                    "n_attempts": record.attempts,
                    "demand_bits": source.spec.demand_bits,
                    "key_lost_bits": lost,
                }
            )
        return rows
