"""The state the network-scale engine keeps: reserved memories, the pairs they share, pending swaps.

One :class:`Session` per approved request holds a :class:`Slot` per reserved
memory; a :class:`Hop` per link of its path holds the link's timing and
counters; a :class:`Pair` is a shared Bell-diagonal state between two slots; a
:class:`Swap` is a repeater's swap while its requests to the far ends are out.
The step modules (:mod:`~qtn.netscale.generation`, :mod:`~qtn.netscale.swaps`,
:mod:`~qtn.netscale.purification`, :mod:`~qtn.netscale.delivery`,
:mod:`~qtn.netscale.storage`) change this state; it holds no behaviour of its own.
"""

from qnetsim.core.requests import EntanglementRequest
from qnetsim.core.units import s_to_ps

# Memory states within a reservation.
FREE = 0  # requesting a partner (requester side) or waiting for a request (responder side)
GENERATING = 1
HOLDING = 2  # holds a pair (possibly inside a swap or purification handshake: ``busy``)


class Counters:
    __slots__ = ("n_attempts", "n_successes")

    def __init__(self) -> None:
        self.n_attempts = 0
        self.n_successes = 0


class Pair:
    """A shared Bell-diagonal pair between memory ``a`` (nearer the initiator) and ``b``."""

    __slots__ = (
        "a",
        "b",
        "state",
        "updated_ps",
        "expire_ps",
        "fidelity_a",
        "fidelity_b",
        "rounds",
        "alive",
    )

    def __init__(self, a: "Slot", b: "Slot", state: list[float], now_ps: int, expire_ps: int | None) -> None:
        self.a = a
        self.b = b
        self.state = state
        self.updated_ps = now_ps
        self.expire_ps = expire_ps
        # Fidelity as each end's memory records it (SeQUeNCe's ``memory.fidelity``): set
        # when that end learns the pair, so the two ends of a swapped pair may differ.
        self.fidelity_a = self.fidelity_b = state[0]
        self.rounds = 0
        self.alive = True

    def other(self, slot: "Slot") -> "Slot":
        return self.b if slot is self.a else self.a

    def recorded(self, slot: "Slot") -> float:
        """The fidelity ``slot``'s memory has recorded for this pair."""
        return self.fidelity_a if slot is self.a else self.fidelity_b

    def record(self, slot: "Slot", fidelity: float) -> None:
        if slot is self.a:
            self.fidelity_a = fidelity
        else:
            self.fidelity_b = fidelity


class Slot:
    """One reserved memory of one node for one request."""

    __slots__ = (
        "node",
        "index",
        "session",
        "hop",
        "requester",
        "state",
        "pair",
        "busy",
        "epoch",
        "t_send_ps",
        "neighbours",
        "free_since_ps",
        "swap",
        "awaiting_result",
        "group",
        "stale_expire_ps",
    )

    hop: "Hop"  # the link this memory generates on (set when the session is built)

    def __init__(self, node: str, index: int, session: "Session") -> None:
        self.node = node
        self.index = index
        self.session = session
        self.requester = False
        self.state = FREE
        self.pair: Pair | None = None
        self.busy = False
        self.epoch = 0  # bumped whenever the memory is freed: events of its past life are stale
        self.t_send_ps = 0
        self.neighbours: list[Slot] = []  # the request's other memories at the same node
        self.free_since_ps = session.start_ps  # for the pairs table's latency (initiator)
        self.swap: Swap | None = None  # the swap this (repeater) memory is in, while its requests are out
        self.awaiting_result = False  # accepted a swap request: waits for that swap's result (SeQUeNCe's running ESB)
        self.group: tuple[Slot, ...] = ()  # memories of one purification round: they expire together
        # Set when a swap result was dropped here: the memory holds the swapped pair without
        # knowing it (it waits for a swap of its old one) and expires at the old pair's time.
        self.stale_expire_ps: int | None = None


class Hop:
    """Generation on one link of a request's path: requester memories, responder memories, timing."""

    __slots__ = (
        "raw_fidelity",
        "tau_ps",
        "period_ps",
        "log_fail",
        "herald_ps",
        "raw_state",
        "expire_after_ps",
        "counters",
        "responders",
        "waiting",
    )

    raw_fidelity: float  # fidelity a fresh pair is recorded with (the raw one)
    tau_ps: int  # classical delay between the two ends
    period_ps: int  # attempt period
    log_fail: float  # ln(1 - p) of one attempt (-inf for p = 1, 0.0 for p = 0)
    herald_ps: int  # herald delay
    raw_state: list[float]  # Bell-diagonal state of a fresh pair, decohered during the herald
    expire_after_ps: int | None  # cut-off from the emission, None: no cut-off
    counters: Counters  # the link's attempts and successes

    def __init__(self) -> None:
        self.responders: list[Slot] = []
        self.waiting: list[Slot] = []


class Swap:
    """A repeater's swap while its REQUESTs to the two far ends are out (SeQUeNCe's pending ``ESA`` protocol).

    SeQUeNCe matches answers to protocols by name, and the name is made of the
    two memories' names (``ESA.<first>.<second>``): an answer meant for an
    abandoned swap counts for a newer one on the same two memories, in the same
    order. ``key`` is that name.
    """

    __slots__ = ("key", "slots", "pairs", "fars", "approved")

    def __init__(self, first: "Slot", second: "Slot") -> None:
        assert first.pair is not None and second.pair is not None
        self.key = (first.node, first.index, second.index)
        self.slots = (first, second)
        self.pairs: tuple[Pair, Pair] = (first.pair, second.pair)
        self.fars = (first.pair.other(first), second.pair.other(second))
        self.approved = [False, False]


class Session:
    """One approved request: its path, memories and progress."""

    def __init__(self, request: EntanglementRequest, purpose: str, setup_s: float) -> None:
        self.request = request
        self.purpose = purpose
        self.setup_s = setup_s
        self.path: tuple[str, ...] = ()
        self.partners: dict[str, tuple[str, str]] = {}
        self.slots: list[Slot] = []
        self.start_ps = s_to_ps(request.start_s + setup_s)
        self.end_ps = s_to_ps(request.end_s)
        self.hold_ps = s_to_ps(request.hold_s)
        #: How long the responder keeps a delivered half: after a swap or herald, after end-to-end purification.
        self.release_lags_ps = (0, 0)
        self.approved: bool | None = None
        self.outcome_time_s: float | None = None
        self.reason = ""
        self.n_pairs = 0
        self.swaps: dict[tuple[str, int, int], Swap] = {}  # pending swaps by SeQUeNCe protocol name
