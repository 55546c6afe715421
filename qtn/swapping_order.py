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

from collections.abc import Sequence


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
