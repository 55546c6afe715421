"""The controller's view of key levels: each node reports its key stores' levels to the controller.

Part of :class:`qkdn.network.QKDNetwork`. Every report interval each node sends
the controller the levels of its outgoing key stores that changed since it last
told it, and a store falling below ``pool_low_bits`` after a relay took key is
reported at once ("pool low"). Key-aware routing and the recovery of key
services (:mod:`qkdn.controller`) work on these reported levels, which lag the
true ones by the report interval and the message delay, as in a real
software-defined QKD network.
"""

from collections.abc import Mapping
from typing import Any

import networkx as nx

from qkdn.net_links import KeyLinks
from qkdn.net_messaging import CONTROLLER, Port
from qtn.sequence_backed import adapter


class LevelReports:
    """What each node last told the controller about its key levels, and the reports that keep it current."""

    def __init__(
        self, timeline: Any, graph: nx.Graph, links: KeyLinks, ports: Mapping[str, Port], pool_low_bits: int
    ) -> None:
        self.timeline = timeline
        self.graph = graph
        self.links = links
        self.ports = ports
        self.pool_low_bits = pool_low_bits
        self._reported: dict[str, dict[str, int]] = {name: {} for name in ports}  # levels last sent
        self._changed_nodes: set[str] = set(ports)  # a store of theirs changed since

    def store_changed(self, a: str, b: str) -> None:
        """A key level of link ``a``-``b`` changed: both ends have something new to report."""
        self._changed_nodes.update((a, b))

    def after_take(self, node: str, peer: str) -> None:
        """A relay took key from ``node``'s store towards ``peer``: report it if it ran low."""
        level = self.links.pools_of(node, peer).store(node, node).level_bits
        if level < self.pool_low_bits:
            self.ports[node].send(CONTROLLER, {"type": "pool_low", "levels": {peer: level}}, 64)
            self._reported[node][peer] = level

    def start_reports(self, interval_s: float, duration_s: float) -> None:
        """Every node reports its outgoing key levels to the controller every ``interval_s``.

        A report carries only the levels that changed since the node last told
        the controller (by report or "pool low"); a node with nothing new sends
        nothing. The controller keeps the last level it heard per store, so its
        view is the same as with full reports, at a fraction of the messages
        (in steady state most pools are full and unchanged).
        """
        outgoing = {  # each node's stores towards its neighbours, looked up once
            node: [(peer, self.links.pools_of(node, peer).store(node, node)) for peer in self.graph[node]]
            for node in self.ports
        }

        order = {node: index for index, node in enumerate(self.ports)}

        def report() -> None:
            changed = self._changed_nodes
            # Only nodes a store of which changed have something new to tell; they report in the ports' order.
            for node in sorted(changed & order.keys(), key=order.__getitem__) if len(changed) < len(order) else order:
                if node not in changed:
                    continue
                port = self.ports[node]
                told = self._reported[node]
                levels = {
                    peer: store.level_bits for peer, store in outgoing[node] if told.get(peer) != store.level_bits
                }
                if levels:
                    told.update(levels)
                    port.send(CONTROLLER, {"type": "pool_report", "levels": levels}, 64 * (1 + len(levels)))
            changed.clear()
            following = adapter.now_s(self.timeline) + interval_s
            if following < duration_s:
                adapter.schedule_call(self.timeline, following, report)

        adapter.schedule_call(self.timeline, 0.0, report)
