"""Memory time cards: which memories of a node are reserved when (the admission step of a request).

SeQUeNCe's reservation protocol (RSVP along the path) reserves ``n`` memories at
each end of the path and ``2 n`` at every node in between for the request's
window, using memories whose time cards have no overlapping reservation, and
rejects the request if any node lacks them. :class:`MemoryCards` keeps one
list of reserved windows per memory and does the same, all or nothing.
"""

from dataclasses import dataclass, field


@dataclass
class MemoryCards:
    """Reserved windows ``[start_ps, end_ps)`` of every memory of every node."""

    n_memories: dict[str, int]
    _cards: dict[str, list[list[tuple[int, int]]]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._cards = {node: [[] for _ in range(n)] for node, n in self.n_memories.items()}

    def free_memories(self, node: str, start_ps: int, end_ps: int) -> list[int]:
        """Indices of ``node``'s memories with no reservation overlapping the window."""
        return [
            index
            for index, windows in enumerate(self._cards[node])
            if all(end_ps <= start or start_ps >= end for start, end in windows)
        ]

    def reserve(self, need: dict[str, int], start_ps: int, end_ps: int) -> tuple[dict[str, list[int]], str | None]:
        """Reserve ``need[node]`` memories at every node for the window, or none at all.

        Returns:
            (memory indices per node, None) on success; ({}, first node short of memories) otherwise.
        """
        chosen = {}
        for node, count in need.items():
            free = self.free_memories(node, start_ps, end_ps)
            if len(free) < count:
                return {}, node
            chosen[node] = free[:count]
        for node, indices in chosen.items():
            for index in indices:
                self._cards[node][index].append((start_ps, end_ps))
        return chosen, None
