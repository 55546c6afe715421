"""Trusted-relay OTP relay on the timeline: identical keys, n bits per hop at both ends, deadlines, failures."""

import itertools

import numpy as np
import pytest

from qkdn.failures import LinkOutage
from qkdn.network import QKDNetwork, QKDSettings
from qkdn.relay import RelayOutcome, RelaySession
from qtn.sequence_backed import adapter
from tests.qkdn_support import delay_s, network_spec, simulate

CHAIN = [("a", "b", 10.0), ("b", "c", 20.0), ("c", "d", 10.0)]
PATH = ["a", "b", "c", "d"]
SETTINGS = QKDSettings(block_bits=1000, pool_capacity_bits=100_000)


def relay_at(t_s: float, path, n_bits: int, deadline_s: float, done: dict, key: str = "x", priority: float = 0.0):
    """A ``setup`` that relays a key at ``t_s``; the session and outcome land in ``done[key]``."""

    def setup(network: QKDNetwork) -> None:
        def start() -> None:
            session = network.relay_key(path, n_bits, deadline_s, lambda s, o: done.__setitem__(key, (s, o)), priority)
            done.setdefault("sessions", {})[key] = session

        adapter.schedule_call(network.timeline, t_s, start)

    return setup


def taken(network: QKDNetwork, holder: str, initiator: str, other: str) -> int:
    return network.pools_of(holder, other).store(holder, initiator).n_taken_bits


def test_relayed_key_is_identical_at_source_and_destination():
    done: dict = {}
    simulate(network_spec(CHAIN), 0.3, SETTINGS, setup=relay_at(0.1, PATH, 300, 0.29, done))
    session, outcome = done["x"]
    assert isinstance(outcome, RelayOutcome) and outcome.served and outcome.reason == ""
    assert outcome.source_key is not None and outcome.destination_key is not None
    assert len(outcome.source_key) == 300 and outcome.source_key.dtype == np.uint8
    assert np.array_equal(outcome.source_key, outcome.destination_key)
    assert set(np.unique(outcome.source_key)) <= {0, 1} and 100 < outcome.source_key.sum() < 200
    assert "0 1" not in repr(outcome) and "array" not in repr(outcome)


def test_each_hop_consumes_n_bits_of_its_link_at_both_ends_and_nothing_else():
    done: dict = {}
    network = simulate(network_spec(CHAIN), 0.3, SETTINGS, setup=relay_at(0.1, PATH, 300, 0.29, done))
    _, outcome = done["x"]
    assert outcome.served and outcome.key_consumed_bits == 300 * 3
    for u, v in itertools.pairwise(PATH):
        assert taken(network, u, u, v) == taken(network, v, u, u) == 300  # u's direction, at u and at v
        assert taken(network, u, v, v) == taken(network, v, v, u) == 0  # the other direction untouched
        pools = network.pools_of(u, v)
        assert pools.store(u, u).level_bits == pools.store(v, u).level_bits


def test_hops_are_sent_one_fibre_delay_apart_when_key_is_there():
    done: dict = {}
    simulate(network_spec(CHAIN), 0.3, SETTINGS, setup=relay_at(0.1, PATH, 300, 0.29, done))
    session, outcome = done["x"]
    times = [hop.t_s for hop in session.hops]
    assert [(h.node, h.next_node, h.n_bits) for h in session.hops] == [
        ("a", "b", 300),
        ("b", "c", 300),
        ("c", "d", 300),
    ]
    assert times[0] == pytest.approx(0.1, abs=1e-12)
    assert times[1] - times[0] == pytest.approx(delay_s(10.0), abs=1e-11)
    assert times[2] - times[1] == pytest.approx(delay_s(20.0), abs=1e-11)
    assert outcome.end_s - times[2] == pytest.approx(delay_s(10.0), abs=1e-11)


def test_hop_waits_for_key_then_goes_on():
    """At 0.1 s each direction of a 1000-bit/10 ms link holds 5 blocks x 500 = 5000 bits; 7000 must wait."""
    done: dict = {}
    simulate(network_spec(CHAIN), 0.3, SETTINGS, setup=relay_at(0.1, ["a", "b"], 7000, 0.29, done))
    session, outcome = done["x"]
    assert outcome.served
    assert session.hops[0].t_s == pytest.approx(0.14, abs=1e-9)  # the 14th block, at 14 x 10 ms, brings 7000 bits


def test_deadline_expiry_fails_the_relay_and_keeps_both_ends_in_step():
    """Link c-d makes no key: the relay gets past a-b and b-c, then waits until its deadline."""
    done: dict = {}
    rates = {frozenset(("a", "b")): 100_000.0, frozenset(("b", "c")): 100_000.0, frozenset(("c", "d")): 0.0}
    network = simulate(
        network_spec(CHAIN), 0.3, SETTINGS, key_rate_bps=rates, setup=relay_at(0.1, PATH, 300, 0.2, done)
    )
    session, outcome = done["x"]
    assert not outcome.served and "deadline" in outcome.reason
    assert outcome.end_s == pytest.approx(0.2, abs=1e-12)
    assert outcome.source_key is None and outcome.destination_key is None
    assert outcome.key_consumed_bits == 600 and len(session.hops) == 2
    for u, v in (("a", "b"), ("b", "c")):
        assert taken(network, u, u, v) == taken(network, v, u, u) == 300
    assert network.pools_of("c", "d").store("c", "c").n_waiting == 0  # its wait was withdrawn


def test_expired_relay_does_not_block_a_later_one_on_the_same_link():
    """A big high-priority relay expires while waiting; the small one queued behind it goes at once."""
    done: dict = {}
    big = relay_at(0.05, ["a", "b"], 40_000, 0.06, done, key="big", priority=10.0)
    small = relay_at(0.055, ["a", "b"], 100, 0.29, done, key="small")
    simulate(network_spec(CHAIN), 0.3, SETTINGS, setup=lambda n: (big(n), small(n)))
    assert not done["big"][1].served
    session, outcome = done["small"]
    assert outcome.served
    assert session.hops[0].t_s == pytest.approx(0.06, abs=1e-9)  # when the big one gave up, not 0.8 s later


def test_link_failure_while_waiting_fails_the_relay():
    done: dict = {}
    rates = {frozenset(("a", "b")): 100_000.0, frozenset(("b", "c")): 100_000.0, frozenset(("c", "d")): 0.0}

    def setup(network: QKDNetwork) -> None:
        relay_at(0.1, PATH, 300, 0.29, done)(network)
        network.add_outage(LinkOutage("c", "d", 0.15, 0.25))

    network = simulate(network_spec(CHAIN), 0.3, SETTINGS, key_rate_bps=rates, setup=setup)
    session, outcome = done["x"]
    assert not outcome.served and outcome.reason == "link c-d failed"
    assert outcome.end_s == pytest.approx(0.15, abs=1e-12)
    assert session.failed_link == frozenset(("c", "d")) and outcome.key_consumed_bits == 600
    assert network.pools_of("c", "d").store("c", "c").n_waiting == 0


def test_link_failure_with_a_message_in_flight_fails_the_relay_but_settles_the_key():
    """b-c fails while the hop message b -> c (100 us on 20 km) is on its way: c still takes those bits."""
    done: dict = {}
    start_s = 0.1
    fail_s = start_s + delay_s(10.0) + delay_s(20.0) / 2

    def setup(network: QKDNetwork) -> None:
        relay_at(start_s, PATH, 300, 0.29, done)(network)
        network.add_outage(LinkOutage("b", "c", fail_s, 0.2))

    network = simulate(network_spec(CHAIN), 0.3, SETTINGS, setup=setup)
    session, outcome = done["x"]
    assert not outcome.served and outcome.reason == "link b-c failed"
    assert [hop.next_node for hop in session.hops] == ["b", "c"]
    assert taken(network, "b", "b", "c") == taken(network, "c", "b", "b") == 300
    assert taken(network, "c", "c", "d") == 0


def test_relay_over_a_failed_link_fails_at_once():
    done: dict = {}

    def setup(network: QKDNetwork) -> None:
        network.add_outage(LinkOutage("a", "b", 0.05, 0.2))
        relay_at(0.1, PATH, 300, 0.29, done)(network)

    simulate(network_spec(CHAIN), 0.3, SETTINGS, setup=setup)
    session, outcome = done["x"]
    assert not outcome.served and outcome.reason == "link a-b failed" and outcome.end_s == pytest.approx(0.1)
    assert session.hops == [] and outcome.key_consumed_bits == 0


def test_key_longer_than_the_store_is_refused():
    done: dict = {}
    simulate(network_spec(CHAIN), 0.2, SETTINGS, setup=relay_at(0.1, PATH, 60_000, 0.19, done))
    _, outcome = done["x"]
    assert not outcome.served and "holds at most 50000 bits" in outcome.reason
    assert outcome.key_consumed_bits == 0


def test_relay_session_works_on_plain_ports():
    """The session needs only its ports: a two-node relay by hand, messages delivered by the test."""

    class Port:
        def __init__(self, name, stores, outbox):
            self.name, self.stores, self.outbox = name, stores, outbox

        def now_s(self):
            return 1.0

        def store_towards(self, peer):
            return self.stores[(self.name, self.name)]

        def store_from(self, peer):
            return self.stores[(self.name, peer)]

        def send(self, dst, payload, n_bits):
            self.outbox.append((dst, payload, n_bits))

        def link_up(self, peer):
            return True

        def took(self, peer):
            pass

    from qkdn.pool import LinkPools

    pools = LinkPools("a", "b", capacity_bits=200)
    block = np.random.default_rng(3).integers(0, 2, 200, dtype=np.uint8)
    pools.deliver("blk", block, block.copy())
    outbox: list = []
    ports = {n: Port(n, {k: pools.store(*k) for k in pools.stores}, outbox) for n in ("a", "b")}
    outcomes = []
    session = RelaySession(0, ["a", "b"], 64, 2.0, ports, np.random.default_rng(4), lambda s, o: outcomes.append(o))
    session.start()
    ((dst, payload, n_bits),) = outbox
    assert dst == "b" and n_bits == 64 + 64 * len(payload["ids"]) and outcomes == []
    session.receive("b", payload)
    (outcome,) = outcomes
    assert outcome.served and np.array_equal(outcome.source_key, outcome.destination_key)
    # on the wire: the key XOR the pad (the first 64 bits of a's direction), never the key itself
    assert np.array_equal(payload["cipher"] ^ block[:64], outcome.source_key)
    assert not np.array_equal(payload["cipher"], outcome.source_key)
