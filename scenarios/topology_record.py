"""The resolved topology of a run, as plain data for its manifest (what reports draw).

A scenario may describe its network with a generator (chain, ring, Waxman, ...),
so the manifest's copy of the scenario does not list the nodes and links; reports
read no simulator package, so the runner writes them out: every node's name and
role, every link's ends, length and kind.

Link kinds: ``qkd`` -- a direct QKD link between two key-holding nodes (its key
comes from BB84 on that fibre); ``entanglement`` -- a fibre that carries heralded
entanglement (an entanglement network's link, or a repeater segment's fibre in a
hybrid network).
"""

from typing import Any

from qnetsim.core.spec import NetworkSpec

#: Roles whose nodes hold keys in the clear (and so may end a QKD link).
KEY_HOLDING_ROLES = frozenset({"end", "trusted_relay"})


def link_kind(role_a: str, role_b: str, *, qkd: bool) -> str:
    """``qkd`` when the run has a QKD network and both ends hold keys; otherwise ``entanglement``."""
    return "qkd" if qkd and role_a in KEY_HOLDING_ROLES and role_b in KEY_HOLDING_ROLES else "entanglement"


def topology_record(spec: NetworkSpec, *, qkd: bool) -> dict[str, Any]:
    """``{"nodes": [{name, role}], "links": [{link, a, b, length_km, kind}]}`` of ``spec``."""
    roles = {node.name: str(node.role) for node in spec.nodes}
    return {
        "nodes": [{"name": node.name, "role": str(node.role)} for node in spec.nodes],
        "links": [
            {
                "link": link.name,
                "a": link.a,
                "b": link.b,
                "length_km": float(link.length_km),
                "kind": link_kind(roles[link.a], roles[link.b], qkd=qkd),
            }
            for link in spec.links
        ],
    }
