"""Secret-key re-allocation after a link failure (OPM, MPM, TWM) on the example of seed document 000, section 4.

The example: QKD nodes QN1..QN5 joined by QN1-QN5, QN1-QN4-QN5 and QN1-QN2-QN3-QN5.
When QN1-QN5 fails, OPM re-routes a QN1 -> QN5 service over QN1-QN4-QN5 when that
path alone holds the demand K_d; otherwise MPM lets QN1-QN4-QN5 and
QN1-QN2-QN3-QN5 jointly provide it; otherwise TWM retries while the window lasts.
"""

import networkx as nx
import pytest

from qkdn.controller import Controller, ControllerSettings
from qkdn.recovery import candidate_paths, multi_path, one_path, path_capability_bits, reallocate

SHORT = ["QN1", "QN4", "QN5"]
LONG = ["QN1", "QN2", "QN3", "QN5"]


def example_graph(failed: bool = True) -> nx.Graph:
    graph = nx.Graph()
    for u, v in [("QN1", "QN5"), ("QN1", "QN4"), ("QN4", "QN5"), ("QN1", "QN2"), ("QN2", "QN3"), ("QN3", "QN5")]:
        graph.add_edge(u, v, length_km=10.0, up=True)
    if failed:
        graph.edges["QN1", "QN5"]["up"] = False
    return graph


def levels_along(short_bits: int, long_bits: int, reverse_bits: int = 0) -> dict[tuple[str, str], int]:
    """Key held in the direction of use on every hop of the two paths (and ``reverse_bits`` the other way)."""
    levels = {}
    for path, bits in ((SHORT, short_bits), (LONG, long_bits)):
        for u, v in zip(path, path[1:], strict=False):
            levels[(u, v)] = bits
            levels[(v, u)] = reverse_bits
    return levels


def test_candidate_paths_avoid_the_failed_link():
    assert candidate_paths(example_graph(), "QN1", "QN5", k=5) == [SHORT, LONG]
    assert candidate_paths(example_graph(failed=False), "QN1", "QN5", k=1) == [["QN1", "QN5"]]
    assert candidate_paths(example_graph(), "QN1", "QN5", k=1) == [SHORT]


def test_path_capability_is_the_tightest_hop_in_the_direction_of_use():
    levels = levels_along(3000, 2000, reverse_bits=99_999)
    levels[("QN4", "QN5")] = 1200
    assert path_capability_bits(levels, SHORT) == 1200
    assert path_capability_bits(levels, LONG) == 2000
    assert path_capability_bits(levels, list(reversed(LONG))) == 99_999


def test_opm_recovers_over_qn1_qn4_qn5():
    """Figure 5(a): QN1-QN4-QN5 alone can supply K_d and has the largest K_low."""
    allocation = reallocate(example_graph(), levels_along(3000, 2000), "QN1", "QN5", demand_bits=1000)
    assert allocation is not None and allocation.method == "OPM"
    assert allocation.shares == ((tuple(SHORT), 1000),)


def test_opm_takes_the_qualified_path_with_the_largest_capability():
    allocation = one_path(levels_along(800, 2000), [SHORT, LONG], demand_bits=1000)
    assert allocation is not None and allocation.shares == ((tuple(LONG), 1000),)
    assert one_path(levels_along(800, 900), [SHORT, LONG], demand_bits=1000) is None


def test_opm_ignores_key_held_for_the_reverse_direction():
    assert one_path(levels_along(10, 10, reverse_bits=10**6), [SHORT, LONG], demand_bits=1000) is None


def test_mpm_lets_two_paths_jointly_provide_the_demand():
    """Figure 5(b): neither path alone holds K_d = 1000 bits, together they do (600 + 400)."""
    allocation = reallocate(example_graph(), levels_along(600, 500), "QN1", "QN5", demand_bits=1000)
    assert allocation is not None and allocation.method == "MPM"
    assert allocation.shares == ((tuple(SHORT), 600), (tuple(LONG), 400))


def test_mpm_does_not_count_a_shared_link_twice():
    """Two routes share s-m (700 bits): their K_low of 600 each do not add up to 1000."""
    graph = nx.Graph()
    for u, v in [("s", "m"), ("m", "a"), ("a", "d"), ("m", "b"), ("b", "d")]:
        graph.add_edge(u, v, up=True)
    levels = {("s", "m"): 700, ("m", "a"): 600, ("a", "d"): 600, ("m", "b"): 600, ("b", "d"): 600}
    paths = candidate_paths(graph, "s", "d", k=5)
    assert len(paths) == 2
    assert multi_path(levels, paths, demand_bits=1000) is None
    allocation = multi_path(levels, paths, demand_bits=650)
    assert allocation is not None and sorted(bits for _, bits in allocation.shares) == [50, 600]


def test_nothing_now_when_paths_together_fall_short():
    assert reallocate(example_graph(), levels_along(300, 200), "QN1", "QN5", demand_bits=1000) is None
    isolated = example_graph()
    for u, v in [("QN1", "QN4"), ("QN1", "QN2")]:
        isolated.edges[u, v]["up"] = False
    assert reallocate(isolated, levels_along(10**6, 10**6), "QN1", "QN5", demand_bits=1) is None


# --- the controller runs OPM, MPM and TWM --------------------------------------------


class Harness:
    """A controller whose mailbox, clock and scheduler are the test's."""

    def __init__(self, graph: nx.Graph, **settings) -> None:
        self.now = 0.0
        self.sent: list[tuple[str, dict]] = []
        self.pending: list[tuple[float, object]] = []
        self.controller = Controller(
            graph,
            ControllerSettings(site="QN1", **settings),
            send=lambda node, payload, n_bits: self.sent.append((node, payload)),
            now_s=lambda: self.now,
            schedule=lambda delay_s, call: self.pending.append((self.now + delay_s, call)),
        )

    def report(self, levels: dict[tuple[str, str], int]) -> None:
        by_node: dict[str, dict[str, int]] = {}
        for (u, v), bits in levels.items():
            by_node.setdefault(u, {})[v] = bits
        for node, node_levels in by_node.items():
            self.controller.on_mail(node, {"type": "pool_report", "levels": node_levels})

    def advance(self, until_s: float) -> None:
        while self.pending and min(t for t, _ in self.pending) <= until_s:
            self.pending.sort(key=lambda item: item[0])
            self.now, call = self.pending.pop(0)
            call()  # type: ignore[operator]
        self.now = until_s

    def paths_sent(self) -> list[list[tuple[tuple[str, ...], int]]]:
        return [
            [(tuple(p), b) for p, b in payload["shares"]]
            for _, payload in self.sent
            if payload["type"] == "service_paths"
        ]


def start_service(harness: Harness, demand_bits: int = 1000) -> None:
    harness.report({**levels_along(10**6, 10**6), ("QN1", "QN5"): 10**6, ("QN5", "QN1"): 10**6})
    harness.controller.on_mail(
        "QN1", {"type": "service_register", "service_id": 7, "src": "QN1", "dst": "QN5", "demand_bits": demand_bits}
    )
    assert harness.paths_sent() == [[(("QN1", "QN5"), demand_bits)]]


def fail_qn1_qn5(harness: Harness) -> None:
    for node in ("QN1", "QN5"):
        harness.controller.on_mail(
            node, {"type": "link_state", "link": ("QN1", "QN5"), "up": False, "t_s": harness.now}
        )


def test_controller_recovers_a_service_by_opm():
    harness = Harness(example_graph(failed=False))
    start_service(harness)
    harness.report(levels_along(3000, 2000))
    harness.now = 5.0
    fail_qn1_qn5(harness)
    assert harness.paths_sent()[-1] == [(tuple(SHORT), 1000)]
    (record,) = harness.controller.recoveries
    assert (record.method, record.recovered, record.attempts, record.decided_s) == ("OPM", True, 1, 5.0)


def test_controller_recovers_a_service_by_mpm():
    harness = Harness(example_graph(failed=False))
    start_service(harness)
    harness.report(levels_along(600, 500))
    fail_qn1_qn5(harness)
    assert harness.paths_sent()[-1] == [(tuple(SHORT), 600), (tuple(LONG), 400)]
    assert harness.controller.recoveries[0].method == "MPM"


def test_controller_retries_within_the_time_window_until_key_suffices():
    """TWM: too little key at the failure; 0.2 s later a report shows enough, and the next retry succeeds."""
    harness = Harness(example_graph(failed=False), twm_window_s=1.0, twm_retry_s=0.05)
    start_service(harness)
    harness.report(levels_along(300, 200))
    harness.now = 2.0
    fail_qn1_qn5(harness)
    assert len(harness.paths_sent()) == 1  # nothing installed yet
    harness.advance(2.22)  # retries at 2.05, 2.10, 2.15, 2.20 found too little key
    harness.report(levels_along(1500, 200))
    harness.advance(2.3)
    (record,) = harness.controller.recoveries
    assert record.recovered and record.method == "TWM(OPM)"
    assert record.attempts == 6 and record.decided_s == pytest.approx(2.25)
    assert harness.paths_sent()[-1] == [(tuple(SHORT), 1000)]
    assert harness.pending == []


def test_controller_gives_up_when_the_window_closes():
    harness = Harness(example_graph(failed=False), twm_window_s=0.45, twm_retry_s=0.1)
    start_service(harness)
    harness.report(levels_along(300, 200))
    fail_qn1_qn5(harness)
    harness.advance(10.0)
    (record,) = harness.controller.recoveries
    assert not record.recovered and record.method == "none" and record.attempts == 5  # at 0, 0.1, ..., 0.4 s
    assert harness.paths_sent()[-1] == []  # the source is told it has no path


def test_controller_recovery_never_relays_through_an_untrusted_node():
    """QN4 may not relay: OPM must take QN1-QN2-QN3-QN5 even though QN1-QN4-QN5 holds more key."""
    harness = Harness(example_graph(failed=False), untrusted=("QN4",))
    start_service(harness)
    harness.report(levels_along(3000, 2000))
    fail_qn1_qn5(harness)
    assert harness.paths_sent()[-1] == [(tuple(LONG), 1000)]


def test_service_reinstalled_after_repair_avoids_untrusted_nodes():
    graph = example_graph(failed=False)
    harness = Harness(graph, untrusted=("QN4",), twm_window_s=0.1, twm_retry_s=0.1)
    start_service(harness)
    for u, v in [("QN2", "QN3")]:
        harness.controller.on_mail(u, {"type": "link_state", "link": (u, v), "up": False, "t_s": 0.0})
    fail_qn1_qn5(harness)
    harness.advance(1.0)
    assert harness.paths_sent()[-1] == []  # only QN1-QN4-QN5 is left, and QN4 may not relay
    harness.controller.on_mail("QN2", {"type": "link_state", "link": ("QN2", "QN3"), "up": True, "t_s": 1.0})
    assert harness.paths_sent()[-1] == [(tuple(LONG), 1000)]
