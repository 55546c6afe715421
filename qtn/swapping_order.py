"""Which pairs each repeater joins: the nested (doubling) and sequential swapping orders.

Shared by both engines: the SeQUeNCe-backed one installs its sequential swapping
rules with :func:`sequential_partners` (:mod:`qtn.sequence_backed.protocols`; the
nested rules are SeQUeNCe's own), and the network-scale engine follows both
orders from here, so it swaps the same pairs in the same order as the hardware
and fast modes:

* nested (SeQUeNCe's ``_get_swapping_neighbors``): reduce the path by keeping
  every even-indexed node and the last one until the repeater sits at an odd
  index; its neighbours in that reduced path are the two nodes whose pairs it
  joins. Repeaters at odd indices of the full path swap first, then those of the
  reduced path, and so on (2^n segments: n levels).
* sequential: repeater i joins its pair with the initiator ``path[0]`` to its pair with ``path[i + 1]``.
"""

from collections.abc import Callable, Sequence


def nested_partners(node: str, path: Sequence[str]) -> tuple[str, str]:
    """The two nodes whose pairs interior ``node`` joins in the nested order."""
    reduced = list(path)
    while reduced.index(node) % 2 == 0:
        reduced = [name for i, name in enumerate(reduced) if i % 2 == 0 or i == len(reduced) - 1]
    index = reduced.index(node)
    return reduced[index - 1], reduced[index + 1]


def sequential_partners(node: str, path: Sequence[str]) -> tuple[str, str]:
    """The two nodes whose pairs interior ``node`` joins in the sequential (left-to-right) order."""
    return path[0], path[list(path).index(node) + 1]


def swap_partners(path: Sequence[str], order: str) -> dict[str, tuple[str, str]]:
    """Swapping partners (left, right) of every interior node of ``path`` for ``order``."""
    partners = {"nested": nested_partners, "sequential": sequential_partners}
    if order not in partners:
        raise ValueError(f"unknown swapping order {order!r}; expected one of {sorted(partners)}")
    return {node: partners[order](node, path) for node in path[1:-1]}


def final_swapper(path: Sequence[str], order: str) -> str | None:
    """The repeater whose swap joins ``path[0]`` to ``path[-1]`` (None on a single link).

    Its result messages are the last step of every end-to-end pair that was not
    purified end to end, so the two ends learn of the pair at their delays from it.
    """
    ends = (path[0], path[-1])
    for node, partners in swap_partners(path, order).items():
        if partners == ends:
            return node
    return None


def responder_release_lags_ps(path: Sequence[str], order: str, delay_ps: Callable[[str, str], int]) -> tuple[int, int]:
    """How long after it learns of an end-to-end pair the responder keeps its half: until the initiator knows it too.

    The ends learn of a pair from the same message source at fixed classical
    delays, so each end can tell when the other learns (Dahlberg et al.,
    "A link layer protocol for quantum networks", SIGCOMM 2019: each end's OK
    is its own; here the responder frees its half once both have had theirs).
    After a swap, the initiator learns ``delay(s, initiator) - delay(s, responder)``
    after the responder (``s`` the final swapper; 0 on a single link, whose
    midpoint station heralds both ends at once); after an end-to-end
    purification round the responder (the requesting end) learns one delay
    ``delay(initiator, responder)`` before the initiator. Never negative: an end
    that learns last frees at once.

    Args:
        path: the request's path, initiator first.
        order: swapping order, ``nested`` or ``sequential``.
        delay_ps: classical delay between two routers (ps).

    Returns:
        (lag after a swap or herald, lag after an end-to-end purification round), in ps.
    """
    initiator, responder = path[0], path[-1]
    swapper = final_swapper(path, order)
    after_swap = 0 if swapper is None else max(0, delay_ps(swapper, initiator) - delay_ps(swapper, responder))
    return after_swap, delay_ps(initiator, responder) if len(path) > 1 else 0
