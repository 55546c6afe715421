"""Node roles: what a node declared ``end``, ``trusted_relay`` or ``repeater`` may do, in every layer.

One table, used by key routing (:mod:`qkdn.routing` via :mod:`qkdn.network`),
entanglement routing (:mod:`qtn.routing`), the two entanglement engines and
scenario validation, so that a role means the same everywhere:

============== ================= ================= ================== ===================
role           holds keys in     relays keys       swaps              ends an
               the clear         (one-time pad)    entanglement       entanglement segment
============== ================= ================= ================== ===================
end            yes               no                no                 yes
trusted_relay  yes               yes               no                 yes
repeater       never             never             yes                no
============== ================= ================= ================== ===================

* ``end``: a user site (it hosts the key-management entity and the
  applications). It holds keys and is the end of key requests and of
  entanglement requests, but never forwards keys or swaps for others.
* ``trusted_relay``: a trusted node of a QKD network (as in the
  Beijing-Shanghai backbone; Chen et al., Nature 589, 214 (2021)). It holds
  keys in the clear and relays them hop by hop by one-time pad; it may end
  QKD links and entanglement segments, but it cannot swap, so an entanglement
  path never passes through it.
* ``repeater``: a quantum repeater (Briegel et al., PRL 81, 5932 (1998)):
  memories and entanglement swapping. It never holds a relayed key in the
  clear, so key routing never passes through it, and no key link ends at it.

Consequences: a key path is ``key holder - trusted relays - key holder``; an
entanglement path is ``segment end - repeaters - segment end``.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

NodeRole = Literal["end", "repeater", "trusted_relay"]
NODE_ROLES: tuple[str, ...] = ("end", "repeater", "trusted_relay")


@dataclass(frozen=True)
class RoleCapabilities:
    """What a node of one role may do.

    Attributes:
        holds_keys: holds keys in the clear (may end key links and key requests).
        relays_keys: forwards keys of others by one-time pad (may be inside a key path).
        swaps: swaps entanglement (may be inside an entanglement path).
        ends_segment: may end an entanglement segment (the ends of entanglement,
            teleportation and BBM92 requests).
        summary: one line for messages and documentation.
    """

    holds_keys: bool
    relays_keys: bool
    swaps: bool
    ends_segment: bool
    summary: str


CAPABILITIES: Mapping[str, RoleCapabilities] = {
    "end": RoleCapabilities(
        holds_keys=True,
        relays_keys=False,
        swaps=False,
        ends_segment=True,
        summary="a user site: holds keys, never forwards keys or swaps",
    ),
    "trusted_relay": RoleCapabilities(
        holds_keys=True,
        relays_keys=True,
        swaps=False,
        ends_segment=True,
        summary="holds keys in the clear and relays them by one-time pad; ends QKD links and entanglement segments",
    ),
    "repeater": RoleCapabilities(
        holds_keys=False,
        relays_keys=False,
        swaps=True,
        ends_segment=False,
        summary="memories and entanglement swapping; never holds a key in the clear",
    ),
}


def capabilities(role: str) -> RoleCapabilities:
    """The capabilities of ``role`` (KeyError naming the roles if unknown)."""
    try:
        return CAPABILITIES[role]
    except KeyError:
        raise KeyError(f"unknown node role {role!r}; roles: {', '.join(NODE_ROLES)}") from None


def holds_keys(role: str) -> bool:
    """True if a node of ``role`` may hold keys in the clear (end key links and key requests)."""
    return capabilities(role).holds_keys


def relays_keys(role: str) -> bool:
    """True if a node of ``role`` may forward others' keys (be inside a key path)."""
    return capabilities(role).relays_keys


def swaps(role: str) -> bool:
    """True if a node of ``role`` may swap entanglement (be inside an entanglement path)."""
    return capabilities(role).swaps


def ends_segment(role: str) -> bool:
    """True if a node of ``role`` may end an entanglement segment (and an entanglement request)."""
    return capabilities(role).ends_segment


def roles_needed(capability: str) -> tuple[str, ...]:
    """The roles that have ``capability`` (a field of :class:`RoleCapabilities`), for messages."""
    return tuple(role for role in NODE_ROLES if getattr(CAPABILITIES[role], capability))


class _HasRoles(Protocol):
    @property
    def nodes(self) -> Iterable[object]: ...


def role_map(spec: _HasRoles) -> dict[str, str]:
    """``name -> role`` of every node of a network spec."""
    return {node.name: node.role for node in spec.nodes}  # type: ignore[attr-defined]


def non_relays(roles: Mapping[str, str]) -> frozenset[str]:
    """Nodes that may never be inside a key path (ends and repeaters)."""
    return frozenset(name for name, role in roles.items() if not relays_keys(role))


def non_swappers(roles: Mapping[str, str]) -> frozenset[str]:
    """Nodes that may never be inside an entanglement path (ends and trusted relays)."""
    return frozenset(name for name, role in roles.items() if not swaps(role))


def key_link_allowed(role_a: str, role_b: str) -> bool:
    """True if a key link (QKD on a fibre, or an entanglement segment feeding key pools) may join the two roles.

    Both ends keep the link's key in the clear, so both must hold keys.
    """
    return holds_keys(role_a) and holds_keys(role_b)


def path_role_problem(path: Iterable[str], roles: Mapping[str, str], layer: Literal["key", "entanglement"]) -> str:
    """Why ``path`` breaks the roles in ``layer`` ('' if it does not): its ends and its inner nodes are checked."""
    nodes = list(path)
    end_check, inner_check = ("holds_keys", "relays_keys") if layer == "key" else ("ends_segment", "swaps")
    for position, name in enumerate(nodes):
        inner = 0 < position < len(nodes) - 1
        check = inner_check if inner else end_check
        if not getattr(capabilities(roles[name]), check):
            what = "inside" if inner else "at an end of"
            article = "an" if layer == "entanglement" else "a"
            return f"{roles[name]} {name!r} {what} {article} {layer} path ({capabilities(roles[name]).summary})"
    return ""
