"""Classical-only nodes on SeQUeNCe: key-management nodes and controllers that exchange messages.

A QKD network's trusted relays and its controller only send classical messages
(key relay, notifications, configuration). They are SeQUeNCe ``Node`` objects
with ``ClassicalChannel`` s of the fibre's delay, on the same timeline as
everything else, so messages take real time and are counted as events. Every
node draws from its own seeded generator; every channel is owned by its sender.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from sequence.components.optical_channel import ClassicalChannel
from sequence.kernel.timeline import Timeline
from sequence.topology.node import Node

from qnetsim.core.randomness import derive_seed
from qnetsim.core.units import km_to_m, s_to_ps


@dataclass(frozen=True)
class ClassicalLink:
    """A one-way classical channel ``src -> dst`` with its delay and fibre length."""

    src: str
    dst: str
    delay_s: float
    length_km: float


class ClassicalNode(Node):
    """A node with classical channels only (SeQUeNCe's base ``Node``)."""


def build_classical_nodes(
    timeline: Timeline, names: Iterable[str], links: Iterable[ClassicalLink], seed: int
) -> dict[str, ClassicalNode]:
    """Create a node per name and a classical channel per link on ``timeline``."""
    nodes = {name: ClassicalNode(name, timeline, seed=derive_seed(seed, f"node.{name}")) for name in names}
    for link in links:
        channel = ClassicalChannel(
            f"cc.{link.src}.{link.dst}", timeline, km_to_m(link.length_km), max(1, s_to_ps(link.delay_s))
        )
        channel.set_ends(nodes[link.src], link.dst)
        channel.owner = nodes[link.src]
    return nodes
