"""The one interface of an entanglement engine, and the choice of engine by fidelity level.

Two engines implement :class:`EntanglementEngine`:

* :class:`qtn.sequence_backed.network.EntanglementNetwork` runs SeQUeNCe's own
  stack on its timeline (``hardware``: every generation attempt photon by
  photon; ``fast``: the number of failed attempts per success sampled);
* :class:`qtn.netscale.NetworkScaleNetwork` (``network``) follows SeQUeNCe's
  repeater protocol step by step on its own event loop, with no SeQUeNCe objects.

Both take the same requests (:mod:`qnetsim.core.requests`), hand the same
deliveries to listeners (:mod:`qnetsim.core.delivery`) and write the same table
rows (:mod:`qnetsim.core.bookkeeping`), so the scenario layer drives either
through this interface alone (as SimQN puts its entanglement models behind one
protocol). :func:`build_engine` picks the engine for a :class:`QTNOptions`'s
``link_mode``.
"""

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from qnetsim.core.delivery import PairDelivery
from qnetsim.core.requests import EntanglementRequest, TeleportationTraffic
from qnetsim.core.spec import NetworkSpec, QTNOptions


@runtime_checkable
class EntanglementEngine(Protocol):
    """An entanglement network built from a spec, driven by requests, observed as table rows.

    Rows are dictionaries with the columns of the ``pairs``, ``memories``,
    ``entanglement_requests``, ``links``, ``purifications`` and ``teleportations``
    tables (:mod:`scenarios.tables`), without the run's identifiers.
    """

    @property
    def spec(self) -> NetworkSpec:
        """The network it was built from."""
        ...

    @property
    def duration_s(self) -> float:
        """Simulated time the run lasts (s)."""
        ...

    @property
    def pair_records(self) -> list[dict[str, object]]:
        """One row per delivered end-to-end pair, in delivery order."""
        ...

    @property
    def memory_records(self) -> list[dict[str, object]]:
        """Memory occupancy samples per node (if sampling was asked for)."""
        ...

    @property
    def shared_timeline(self) -> Any:
        """SeQUeNCe's timeline the engine runs on, which other networks of the run may share.

        ``None`` for an engine that runs on its own loop (then :meth:`run` runs it,
        and whatever shares nothing with it runs after it).
        """
        ...

    def add_request(self, request: EntanglementRequest, purpose: str = "pairs") -> None:
        """Issue ``request`` at its start time (before :meth:`run`); ConfigError if it cannot be issued."""
        ...

    def add_teleportation(self, traffic: TeleportationTraffic) -> list[str]:
        """Reserve every link of the route and teleport ``traffic``'s qubits; returns the path."""
        ...

    def add_pair_listener(self, request_id: int, listener: Callable[[PairDelivery], None]) -> None:
        """Also hand every pair delivered for ``request_id`` to ``listener`` (e.g. a BBM92 session)."""
        ...

    def schedule_call_s(self, time_s: float, function: Callable[..., None], *args: object) -> None:
        """Run ``function(*args)`` at simulated ``time_s`` on the engine's event loop."""
        ...

    def run(self) -> None:
        """Run to the end of the duration."""
        ...

    def now_s(self) -> float:
        """Current simulated time (s)."""
        ...

    def events_executed(self) -> int:
        """Events executed so far."""
        ...

    def request_records(self) -> list[dict[str, object]]:
        """One row per request: its outcome, path and number of delivered pairs."""
        ...

    def link_records(self) -> list[dict[str, object]]:
        """One row per link: attempts and successes, with the model's success probability."""
        ...

    def purification_records(self) -> list[dict[str, object]]:
        """One row per node pair that purified: rounds attempted and succeeded."""
        ...

    def teleportation_records(self) -> list[dict[str, object]]:
        """One row per teleported (or still pending) qubit."""
        ...


def build_engine(
    spec: NetworkSpec,
    seed: int,
    duration_s: float,
    options: QTNOptions,
    memory_sample_interval_s: float | None = None,
) -> EntanglementEngine:
    """The engine for ``options.link_mode``: network-scale for ``network``, SeQUeNCe-backed otherwise.

    The SeQUeNCe-backed engine must be built and run inside
    :func:`qtn.sequence_backed.adapter.sequence_globals` (the runner does this).
    """
    # Imported here so that importing the interface costs neither engine.
    if options.link_mode == "network":
        from qtn.netscale import NetworkScaleNetwork

        return NetworkScaleNetwork(spec, seed, duration_s, options, memory_sample_interval_s=memory_sample_interval_s)
    from qtn.sequence_backed.network import EntanglementNetwork

    return EntanglementNetwork(spec, seed, duration_s, options, memory_sample_interval_s=memory_sample_interval_s)
