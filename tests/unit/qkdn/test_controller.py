"""The SDN controller on the timeline: requests routed through it, its view built from reports, services."""

import numpy as np
import pytest

from qkdn.failures import LinkOutage
from qkdn.network import KeyRequest, QKDNetwork, QKDSettings
from qkdn.relay import RelayOutcome
from qkdn.services import ServiceSource, ServiceSpec
from qtn.sequence_backed import adapter
from tests.qkdn_support import delay_s, network_spec, simulate

CHAIN = [("a", "b", 10.0), ("b", "c", 20.0), ("c", "d", 10.0)]


def settings(**changes) -> QKDSettings:
    values = {"block_bits": 1000, "pool_capacity_bits": 100_000, "report_interval_s": 0.1, **changes}
    return QKDSettings(**values)


def requests(*items: tuple[float, str, str, int]):
    """A ``setup`` adding key requests ``(t_s, src, dst, n_bits)`` with a 0.1 s deadline."""

    def setup(network: QKDNetwork) -> None:
        for request_id, (t_s, src, dst, n_bits) in enumerate(items):
            network.add_request(KeyRequest(request_id, t_s, src, dst, n_bits, t_s + 0.1))

    return setup


def records(network: QKDNetwork) -> dict[int, dict]:
    return {row["request_id"]: row for row in network.request_records}


@pytest.mark.parametrize(("site", "round_trip_s"), [("a", 2e-12), ("d", 2 * delay_s(40.0))])
def test_request_latency_includes_the_controller_round_trip(site, round_trip_s):
    """Key is there at once: latency = source <-> controller round trip + the relay's fibre delays."""
    network = simulate(network_spec(CHAIN), 0.2, settings(controller_site=site), setup=requests((0.1, "a", "c", 256)))
    row = records(network)[0]
    assert row["served"] and row["path"] == "a-b-c" and row["n_hops"] == 2
    assert row["latency_s"] == pytest.approx(round_trip_s + delay_s(10.0) + delay_s(20.0), abs=3e-12)
    assert network.controller_site == site
    assert network.controller.n_messages_in["key_request"] == 1


def test_controller_site_defaults_to_the_centre_by_fibre_delay():
    network = simulate(network_spec(CHAIN), 0.01, settings())
    assert network.controller_site == "b"  # eccentricity b: 30 km, c: 30 km -> first by name


def test_key_aware_routing_does_not_refuse_a_request_while_the_reports_show_empty_pools():
    """Reports at 0, 0.1, 0.2 s: at 0.05 s the controller still believes every store is empty.

    Key-aware routing then still gives the only path (links short of key are penalised,
    not removed), and the relay finds the key the links made since 0.005 s.
    """
    network = simulate(
        network_spec(CHAIN),
        0.3,
        settings(routing="key_aware"),
        setup=requests((0.05, "a", "d", 256), (0.15, "a", "d", 256)),
        links_start_s=0.005,
    )
    rows = records(network)
    assert [(row["served"], row["path"]) for row in rows.values()] == [(True, "a-b-c-d"), (True, "a-b-c-d")]


def test_controller_view_is_the_last_report_not_the_pools():
    snapshot: dict[str, int] = {}

    def setup(network: QKDNetwork) -> None:
        store = network.pools_of("a", "b").store("a", "a")
        adapter.schedule_call(network.timeline, 0.2 + 1e-6, lambda: snapshot.update(level=store.level_bits))

    network = simulate(network_spec(CHAIN), 0.25, settings(), setup=setup, links_start_s=0.005)
    store_now = network.pools_of("a", "b").store("a", "a").level_bits
    assert network.controller.levels[("a", "b")] == snapshot["level"] < store_now
    view = network.controller.view()
    assert view.edges["a", "b"]["residual_bits"] == min(
        network.controller.levels[("a", "b")], network.controller.levels[("b", "a")]
    )
    assert network.controller.n_messages_in["pool_report"] == 4 * 3  # four nodes at 0, 0.1, 0.2 s


def test_pool_low_is_reported_at_once():
    """Every hop's take leaves its store below pool_low_bits; the run stops before the next block (0.105 s)."""
    network = simulate(
        network_spec(CHAIN),
        0.1004,
        settings(pool_low_bits=10**6, controller_site="a", report_interval_s=10.0),
        setup=requests((0.1, "a", "d", 256)),
        links_start_s=0.005,
    )
    assert records(network)[0]["served"]
    assert network.controller.n_messages_in["pool_low"] == 3  # one per hop that took key
    for u, v in (("a", "b"), ("b", "c"), ("c", "d")):
        assert network.controller.levels[(u, v)] == network.pools_of(u, v).store(u, u).level_bits


def test_controller_learns_of_a_failure_one_notification_delay_later():
    """c-d fails at 0.1 s; the controller (at a, 40 km from d and 30 km from c) hears from c 150 us later.

    A request reaching it in between is still routed over c-d and fails at that hop.
    """
    network = simulate(
        network_spec(CHAIN),
        0.2,
        settings(controller_site="a"),
        setup=lambda n: (
            n.add_outage(LinkOutage("c", "d", 0.1, 0.15)),
            requests((0.1 + 1e-6, "a", "d", 128), (0.1 + 2 * delay_s(30.0), "a", "d", 128))(n),
        ),
    )
    rows = records(network)
    assert not rows[0]["served"] and rows[0]["reason"] == "link c-d failed" and rows[0]["path"] == "a-b-c-d"
    assert rows[0]["key_consumed_bits"] == 2 * 128
    assert not rows[1]["served"] and rows[1]["reason"] == "no path of working links through trusted nodes"
    assert network.controller.n_messages_in["link_state"] == 4  # both ends, at failure and at repair


def test_service_registers_with_the_controller_and_is_supplied_every_period():
    def setup(network: QKDNetwork) -> None:
        network.add_service(ServiceSpec(0, "a", "d", key_rate_bps=1000.0, period_s=0.05, start_s=0.05, end_s=0.25))

    network = simulate(network_spec(CHAIN), 0.3, settings(controller_site="b"), setup=setup, links_start_s=0.005)
    assert network.controller.n_messages_in["service_register"] == 1
    rows = network.service_records
    assert [row["t_s"] for row in rows] == pytest.approx([0.1, 0.15, 0.2, 0.25])
    for row in rows:
        assert row["delivered_bits"] == row["demand_bits"] == 50 and row["reason"] == ""
        assert row["path"] == "a-b-c-d" and row["key_consumed_bits"] == 3 * 50


# --- the service's source, with a relay the test controls -------------------------------


def test_service_period_counts_the_bits_of_the_shares_that_arrived():
    """Two shares (600 + 400 bits); the 400-bit one arrives first, the 600-bit one fails."""
    started = []
    records_: list[dict] = []

    def relay(path, n_bits, deadline_s, on_done):
        started.append((n_bits, on_done))

    source = ServiceSource(ServiceSpec(3, "s", "d", 1000.0, 1.0, 0.0, 10.0), relay, records_)
    source.install(0.5, [(["s", "x", "d"], 600), (["s", "y", "d"], 400)])
    source.supply(1.0)
    (bits_600, done_600), (bits_400, done_400) = started
    key = np.zeros(400, dtype=np.uint8)
    done_400(None, RelayOutcome(True, "", 1.1, 800, key, key))
    done_600(None, RelayOutcome(False, "link x-d failed", 1.2, 600))
    (row,) = records_
    assert row["delivered_bits"] == 400 and row["demand_bits"] == 1000 and row["n_paths"] == 2
    assert row["key_consumed_bits"] == 1400 and row["reason"] == "link x-d failed"


def test_service_period_without_paths_is_recorded_as_such():
    records_: list[dict] = []
    source = ServiceSource(ServiceSpec(1, "s", "d", 100.0, 1.0, 0.0, 10.0), lambda *args: None, records_)
    source.supply(1.0)
    (row,) = records_
    assert row["delivered_bits"] == 0 and row["reason"] == "no path assigned by the controller"


def test_multipath_requests_are_split_by_the_links_key_rates():
    """Square a-b-d / a-c-d; the a-b-d route makes key three times faster: a 1000-bit key splits 750 / 250."""
    square = [("a", "b", 10.0), ("b", "d", 10.0), ("a", "c", 10.0), ("c", "d", 10.0)]
    rates = {
        frozenset(("a", "b")): 300_000.0,
        frozenset(("b", "d")): 300_000.0,
        frozenset(("a", "c")): 100_000.0,
        frozenset(("c", "d")): 100_000.0,
    }
    network = simulate(
        network_spec(square),
        0.2,
        settings(routing="multipath"),
        key_rate_bps=rates,
        setup=requests((0.1, "a", "d", 1000)),
    )
    row = records(network)[0]
    assert row["served"] and row["n_paths"] == 2
    shares = {tuple(session.path): session.n_bits for session in network.request_sessions(0)}
    assert shares == {("a", "b", "d"): 750, ("a", "c", "d"): 250}
    assert row["key_consumed_bits"] == 2 * 750 + 2 * 250
    source, destination = network.delivered_keys[0]
    assert len(source) == 1000 and np.array_equal(source, destination)


def test_key_lost_in_a_recovery_row_is_that_service_s_for_that_outage():
    """c-d makes no key, so relays wait at c; c-d fails at 0.2 s with three relays waiting there.

    Service 0 (a -> d, 100 bits a period) had used a-b and b-c: 200 bits lost; service 1
    (b -> d, 50 bits) had used b-c: 50 bits; a key request's 2 x 30 bits belong to neither.
    A second outage of c-d (the services, re-routed after the repair, have ended by then) loses
    nothing of theirs, and adds nothing to the first outage's rows.
    """
    rates = {frozenset(("a", "b")): 100_000.0, frozenset(("b", "c")): 100_000.0, frozenset(("c", "d")): 0.0}

    def setup(network: QKDNetwork) -> None:
        network.add_service(ServiceSpec(0, "a", "d", key_rate_bps=1000.0, period_s=0.1, start_s=0.05, end_s=0.15))
        network.add_service(ServiceSpec(1, "b", "d", key_rate_bps=500.0, period_s=0.1, start_s=0.05, end_s=0.15))
        network.add_request(KeyRequest(0, 0.16, "a", "d", 30, 0.5))
        network.add_outage(LinkOutage("c", "d", 0.2, 0.3))
        network.add_request(KeyRequest(1, 0.35, "a", "d", 40, 0.6))
        network.add_outage(LinkOutage("c", "d", 0.45, 0.5))

    network = simulate(
        network_spec(CHAIN), 0.6, settings(twm_window_s=0.01), key_rate_bps=rates, setup=setup, links_start_s=0.005
    )
    rows = {(row["service_id"], row["t_s"]): row for row in network.recovery_records()}
    assert set(rows) == {(0, 0.2), (1, 0.2), (0, 0.45), (1, 0.45)}
    assert rows[(0, 0.2)]["key_lost_bits"] == 200 and rows[(1, 0.2)]["key_lost_bits"] == 50
    assert rows[(0, 0.45)]["key_lost_bits"] == rows[(1, 0.45)]["key_lost_bits"] == 0
    assert not rows[(0, 0.2)]["recovered"] and rows[(0, 0.2)]["method"] == "none"
    assert [row["reason"] for row in sorted(network.request_records, key=lambda r: r["request_id"])] == [
        "link c-d failed",
        "link c-d failed",
    ]
