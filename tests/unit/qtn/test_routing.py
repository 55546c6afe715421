"""Path metrics: fibre length, hop count and expected generation time give different routes.

Triangle a-b (18 km direct) and a-c-b (10 + 10 km). Shortest fibre: a-b (18 < 20 km).
Fewest hops: a-b. Highest rate: the expected time per pair on a link is period/p
(qtn.analytic.heralded_generation); 18 km costs more than two 10 km links, so a-c-b.
a and b are user sites (``end``), c a repeater; with c an end or a trusted relay, which
cannot swap, the only allowed path is a-b.
"""

import pytest

from qnetsim.core.hardware import LinkHardwareConfig, NodeHardwareConfig
from qnetsim.core.spec import LinkSpec, NetworkSpec, NodeSpec
from qtn.routing import link_expected_time_s, next_hops, route
from scenarios import from_dict, run


def triangle(role_of_c: str = "repeater") -> NetworkSpec:
    """The triangle with users a and b and node c of ``role_of_c``."""
    roles = {"a": "end", "b": "end", "c": role_of_c}
    return NetworkSpec(
        nodes=tuple(NodeSpec(name, roles[name], NodeHardwareConfig()) for name in ("a", "b", "c")),  # type: ignore[arg-type]
        links=(
            LinkSpec("a", "b", 18.0, LinkHardwareConfig()),
            LinkSpec("a", "c", 10.0, LinkHardwareConfig()),
            LinkSpec("c", "b", 10.0, LinkHardwareConfig()),
        ),
    )


SPEC = triangle()


@pytest.mark.parametrize(
    ("metric", "path"), [("shortest", ["a", "b"]), ("fewest_hops", ["a", "b"]), ("highest_rate", ["a", "c", "b"])]
)
def test_metric_chooses_the_route(metric, path):
    assert route(SPEC, "a", "b", metric) == path


def test_expected_time_grows_faster_than_length():
    direct, half = link_expected_time_s(SPEC, SPEC.links[0]), link_expected_time_s(SPEC, SPEC.links[1])
    assert direct > 2 * half


def test_forwarding_tables_cover_every_pair():
    tables = next_hops(SPEC, "highest_rate")
    assert {src: set(table) for src, table in tables.items()} == {
        "a": {"b", "c"},
        "b": {"a", "c"},
        "c": {"a", "b"},
    }


def test_the_simulated_reservation_follows_the_metric():
    scenario = from_dict(
        {
            "name": "routing",
            "duration_s": 0.05,
            "entanglement": {"routing": "highest_rate"},
            "network": {
                "generator": {"kind": "edges", "edges": [["a", "b", 18], ["a", "c", 10], ["c", "b", 10]]},
                "node_roles": {"c": "repeater"},
            },
            "traffic": [{"src": "a", "dst": "b"}],
        }
    )
    requests = run(scenario).tables["entanglement_requests"]
    assert requests.iloc[0]["path"] == "a-c-b"
