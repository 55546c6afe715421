"""The node roles table and entanglement routing under it (qnetsim.core.roles, qtn.routing)."""

import networkx as nx
import pytest

from qnetsim.core.hardware import LinkHardwareConfig, NodeHardwareConfig
from qnetsim.core.roles import (
    CAPABILITIES,
    NODE_ROLES,
    capabilities,
    key_link_allowed,
    non_relays,
    non_swappers,
    path_role_problem,
    roles_needed,
)
from qnetsim.core.spec import LinkSpec, NetworkSpec, NodeSpec
from qtn.routing import next_hops, no_route_reason, route

#: The project's roles table: holds keys, relays keys, swaps, ends a segment.
DESIGN = {
    "end": (True, False, False, True),
    "trusted_relay": (True, True, False, True),
    "repeater": (False, False, True, False),
}


def test_capabilities_are_the_design_table():
    assert set(CAPABILITIES) == set(NODE_ROLES) == set(DESIGN)
    for role, (holds, relays, swaps, ends) in DESIGN.items():
        caps = capabilities(role)
        assert (caps.holds_keys, caps.relays_keys, caps.swaps, caps.ends_segment) == (holds, relays, swaps, ends)


def test_unknown_role_is_named():
    with pytest.raises(KeyError, match="unknown node role 'router'; roles: end, repeater, trusted_relay"):
        capabilities("router")


def test_roles_needed_and_key_links():
    assert roles_needed("holds_keys") == ("end", "trusted_relay")
    assert roles_needed("swaps") == ("repeater",)
    assert key_link_allowed("end", "trusted_relay")
    assert not key_link_allowed("trusted_relay", "repeater")


def test_who_may_be_inside_a_path():
    roles = {"a": "end", "t": "trusted_relay", "r": "repeater"}
    assert non_relays(roles) == {"a", "r"}
    assert non_swappers(roles) == {"a", "t"}


@pytest.mark.parametrize(
    ("path", "layer", "problem"),
    [
        (["a", "t", "b"], "key", ""),
        (["a", "r", "b"], "key", "repeater 'r' inside a key path"),
        (["r", "t", "b"], "key", "repeater 'r' at an end of a key path"),
        (["a", "r", "b"], "entanglement", ""),
        (["a", "t", "b"], "entanglement", "trusted_relay 't' inside an entanglement path"),
        (["a", "x", "b"], "entanglement", "end 'x' inside an entanglement path"),
    ],
)
def test_path_role_problem(path, layer, problem):
    roles = {"a": "end", "b": "end", "x": "end", "t": "trusted_relay", "r": "repeater"}
    assert (
        path_role_problem(path, roles, layer).startswith(problem)
        if problem
        else not path_role_problem(path, roles, layer)
    )


def spec(roles: dict[str, str], edges: list[tuple[str, str, float]]) -> NetworkSpec:
    return NetworkSpec(
        tuple(NodeSpec(name, role, NodeHardwareConfig()) for name, role in roles.items()),  # type: ignore[arg-type]
        tuple(LinkSpec(a, b, km, LinkHardwareConfig()) for a, b, km in edges),
    )


#: Square a-x-b (short) and a-r1-r2-b (long).
EDGES = [("a", "x", 10.0), ("x", "b", 10.0), ("a", "r1", 10.0), ("r1", "r2", 10.0), ("r2", "b", 10.0)]


@pytest.mark.parametrize("metric", ["shortest", "fewest_hops", "highest_rate"])
@pytest.mark.parametrize("role_of_x", ["end", "trusted_relay"])
def test_entanglement_routes_only_through_repeaters(role_of_x, metric):
    network = spec({"a": "end", "b": "end", "x": role_of_x, "r1": "repeater", "r2": "repeater"}, EDGES)
    assert route(network, "a", "b", metric) == ["a", "r1", "r2", "b"]
    assert route(network, "b", "a", metric) == ["b", "r2", "r1", "a"]
    assert route(network, "a", "x", metric) == ["a", "x"]  # x may end a path
    assert route(network, "x", "r2", metric) is None  # every way from x to r2 passes the end a or b


def test_with_a_repeater_in_the_middle_the_short_path_is_taken():
    network = spec({"a": "end", "b": "end", "x": "repeater", "r1": "repeater", "r2": "repeater"}, EDGES)
    assert route(network, "a", "b") == ["a", "x", "b"]


def test_every_table_path_passes_repeaters_only():
    """A 4 x 4 grid with ends on a diagonal: the tables route a pair iff a path through repeaters joins it."""
    names = [f"n{r}{c}" for r in range(4) for c in range(4)]
    roles = {name: ("end" if name[1] == name[2] else "repeater") for name in names}
    edges = [(f"n{r}{c}", f"n{r}{c + 1}", 5.0) for r in range(4) for c in range(3)]
    edges += [(f"n{r}{c}", f"n{r + 1}{c}", 7.0) for r in range(3) for c in range(4)]
    network = spec(roles, edges)
    graph = network.graph()
    tables = next_hops(network)
    routed = 0
    for src in names:
        for dst in names:
            if src == dst:
                continue
            path = route(network, src, dst, tables=tables)
            allowed = graph.subgraph([n for n in names if roles[n] == "repeater" or n in (src, dst)])
            assert (path is not None) == nx.has_path(allowed, src, dst), (src, dst)
            if path is not None:
                routed += 1
                assert all(roles[node] == "repeater" for node in path[1:-1]), path
                km = sum(graph.edges[u, v]["length_km"] for u, v in zip(path, path[1:], strict=False))
                assert km == pytest.approx(nx.shortest_path_length(allowed, src, dst, weight="length_km"))
    assert 0 < routed < len(names) * (len(names) - 1)


def test_no_route_when_only_a_trusted_relay_joins_and_the_reason_says_why():
    network = spec({"a": "end", "t": "trusted_relay", "b": "end"}, [("a", "t", 10.0), ("t", "b", 10.0)])
    assert route(network, "a", "b") is None
    assert no_route_reason(network, "a", "b") == (
        "no path from a to b through repeaters only (only repeaters swap; ends and trusted relays may only"
        " end a path): the shortest path a-t-b passes trusted_relay t"
    )
