"""What an entanglement network hands back: delivered pairs, held halves and reservation answers.

The engines produce these records and the layers above consume them (BBM92 key
sessions take :class:`PairDelivery`, the teleportation services take
:class:`HeldHalf`); they are plain frozen data, so consumers need no simulator.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class PairDelivery:
    """One end-to-end pair handed to the initiator's application.

    Attributes:
        request_id: identity of the request that produced it.
        time_ps: simulated delivery time.
        path: node names from initiator to responder.
        fidelity: fidelity of the shared Bell-diagonal state at ``time_ps``,
            after decoherence of both stored halves up to that moment.
        wait_ps: time the initiator's memory spent from being free (reservation
            start or release of its previous pair) until the pair was there.
        memory_index: index of the initiator memory holding the pair.
        stored_ps: how long the pair was stored before the application used it.
        state: Bell-diagonal coefficients [Phi+, Phi-, Psi+, Psi-] at ``time_ps``
            (``fidelity`` is the first).
    """

    request_id: int
    time_ps: int
    path: tuple[str, ...]
    fidelity: float
    wait_ps: int
    memory_index: int
    stored_ps: int = 0
    state: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class HeldHalf:
    """One end's half of a pair that the application keeps for a protocol of its own.

    Attributes:
        request_id: identity of the reservation that produced the pair.
        time_ps: when this end got the pair.
        node: this end.
        memory: name of the memory holding this half.
        remote_node: the other end.
        remote_memory: name of the memory holding the other half.
    """

    request_id: int
    time_ps: int
    node: str
    memory: str
    remote_node: str
    remote_memory: str


@dataclass(frozen=True)
class ReservationOutcome:
    """Answer of the network to a request, seen at the initiator."""

    request_id: int
    time_ps: int
    approved: bool
    path: tuple[str, ...]
