"""What a user asks of an entanglement network: pairs between two nodes, or qubits teleported.

Both engines behind :class:`qtn.engine.EntanglementEngine` (the SeQUeNCe-backed
:class:`qtn.sequence_backed.network.EntanglementNetwork` and the network-scale
:class:`qtn.netscale.NetworkScaleNetwork`) take these requests, and the scenario
layer builds them from a scenario's traffic; they are plain frozen data.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class EntanglementRequest:
    """A request for end-to-end pairs between ``src`` and ``dst``.

    Attributes:
        request_id: unique id within the run.
        src: initiating node.
        dst: responding node.
        start_s: time the request is issued.
        end_s: time the reservation ends and its memories are released.
        n_memories: memories reserved at each node of the path per direction.
        target_fidelity: links are purified until they reach it; delivered
            end-to-end pairs must reach it.
        hold_s: each pair is stored this long before the application uses it
            (its fidelity is reported at use).
    """

    request_id: int
    src: str
    dst: str
    start_s: float
    end_s: float
    n_memories: int
    target_fidelity: float
    hold_s: float = 0.0


@dataclass(frozen=True)
class TeleportationTraffic:
    """Teleport qubits from ``src`` to ``dst`` over pairs generated on every link of the route.

    Attributes:
        request_id: unique id within the run (shared id space with entanglement requests).
        src: source node.
        dst: destination node.
        scheme: ``hop_by_hop`` or ``end_to_end`` (see :mod:`qtn.teleportation`).
        start_s: when the links start generating pairs.
        end_s: when the link reservations end.
        start_times_s: when each qubit is ready at the source.
        inputs: unit Bloch vector of each qubit.
        n_memories: memories per link reserved at each end.
        target_fidelity: links are purified until they reach it.
    """

    request_id: int
    src: str
    dst: str
    scheme: str
    start_s: float
    end_s: float
    start_times_s: tuple[float, ...]
    inputs: tuple[tuple[float, float, float], ...]
    n_memories: int
    target_fidelity: float
