"""Invariants of a trusted-relay QKD network, checked on random networks, traffic and failures (hypothesis).

The trusted-relay scheme (seed document 000, section 3.2; Dianati, Alleaume, Gagnaire,
Shen, Security and Communication Networks 1, 57 (2008), section 3): a key K of |K|
bits goes hop by hop as ``K XOR k_i`` where k_i are |K| fresh bits of link i's key,
shared by the link's two ends. Hence:

* the destination recovers exactly K (one-time pad: (K XOR k) XOR k = K);
* each link key bit is used for one message only and is used identically at both
  ends (it is taken once at the sending end and once, by id, at the receiving end);
* a relay over h hops consumes |K| x h bits of link key: C = sum_i |K_i| x h_i over
  the shares i of a multipath key;
* key stores hold between 0 and their capacity;
* a key can only have crossed links that were up while its hop message travelled.
"""

import itertools
from collections import defaultdict
from unittest import mock

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qkdn.failures import LinkOutage
from qkdn.network import KeyRequest, QKDNetwork, QKDSettings
from qkdn.pool import KeyStore, LinkPools
from qkdn.routing import STRATEGIES
from tests.qkdn_support import delay_s, network_spec, simulate

DURATION_S = 0.5
FAST = settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def networks(draw):
    """A connected graph of 3-6 nodes (random tree plus extra edges), lengths 1-40 km."""
    n_nodes = draw(st.integers(3, 6))
    names = [f"q{i}" for i in range(n_nodes)]
    edges = {frozenset((names[i], names[draw(st.integers(0, i - 1))])) for i in range(1, n_nodes)}
    for a, b in draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names)), max_size=4)):
        if a != b:
            edges.add(frozenset((a, b)))
    lengths = st.floats(1.0, 40.0, allow_nan=False)
    return [(*sorted(edge), draw(lengths)) for edge in sorted(edges, key=sorted)]


@st.composite
def cases(draw):
    edges = draw(networks())
    names = sorted({n for a, b, _ in edges for n in (a, b)})
    links = [(a, b) for a, b, _ in edges]
    requests = []
    for request_id in range(draw(st.integers(1, 12))):
        src, dst = draw(st.lists(st.sampled_from(names), min_size=2, max_size=2, unique=True))
        t_s = draw(st.floats(0.0, 0.4))
        requests.append(
            KeyRequest(
                request_id=request_id,
                t_s=t_s,
                src=src,
                dst=dst,
                n_bits=draw(st.integers(1, 3000)),
                deadline_s=t_s + draw(st.floats(0.01, 0.3)),
                priority=float(draw(st.integers(0, 3))),
            )
        )
    outages = []
    for _ in range(draw(st.integers(0, 5))):
        a, b = draw(st.sampled_from(links))
        near = draw(st.sampled_from(requests)).t_s  # failures soon after a request: relays are under way
        down_s = draw(st.one_of(st.floats(0.0, 0.45), st.floats(near, near + 0.05)))
        outages.append(LinkOutage(a, b, down_s, down_s + draw(st.floats(0.005, 0.3))))
    qkd = QKDSettings(
        routing=draw(st.sampled_from(STRATEGIES)),
        block_bits=draw(st.sampled_from([256, 500, 1000, 2000])),
        pool_capacity_bits=draw(st.sampled_from([4000, 20_000, 200_000])),
        direction_share=draw(st.sampled_from([0.3, 0.5, 0.7])),
        untrusted=tuple(draw(st.lists(st.sampled_from(names), max_size=1))),
        report_interval_s=0.02,
        pool_low_bits=draw(st.sampled_from([0, 2000])),
    )
    rate_bps = float(draw(st.sampled_from([20_000, 80_000, 300_000])))
    return edges, requests, outages, qkd, rate_bps, draw(st.integers(0, 2**16))


class TakeLog:
    """Records every take at both copies of every store: (key ids, bits)."""

    def __init__(self) -> None:
        self.sent: dict[tuple[str, str, str], list] = defaultdict(list)
        self.received: dict[tuple[str, str, str], list] = defaultdict(list)

    def patches(self):
        original_take, original_take_ids = KeyStore.take, KeyStore.take_ids
        log = self

        def take(store, n_bits):
            bits, ids = original_take(store, n_bits)
            log.sent[(store.node, store.peer, store.initiator)].append((list(ids), bits.copy()))
            return bits, ids

        def take_ids(store, ids):
            bits = original_take_ids(store, ids)
            log.received[(store.node, store.peer, store.initiator)].append((list(ids), bits.copy()))
            return bits

        return mock.patch.object(KeyStore, "take", take), mock.patch.object(KeyStore, "take_ids", take_ids)


def run_case(case) -> tuple[QKDNetwork, TakeLog]:
    edges, requests, outages, qkd, rate_bps, seed = case
    log = TakeLog()

    def setup(network: QKDNetwork) -> None:
        for request in requests:
            network.add_request(request)
        for outage in outages:
            network.add_outage(outage)
        network.start_pool_sampling(0.05, DURATION_S)

    take_patch, take_ids_patch = log.patches()
    with take_patch, take_ids_patch:
        network = simulate(network_spec(edges), DURATION_S, qkd, key_rate_bps=rate_bps, setup=setup, seed=seed)
    return network, log


def served_requests(network: QKDNetwork) -> list[dict]:
    return [row for row in network.request_records if row["served"]]


@FAST
@given(cases())
def test_end_users_keys_are_identical(case):
    network, _ = run_case(case)
    _, requests, *_ = case
    served = {row["request_id"] for row in served_requests(network)}
    assert set(network.delivered_keys) == served
    for request in requests:
        if request.request_id in served:
            source, destination = network.delivered_keys[request.request_id]
            assert len(source) == request.n_bits and source.dtype == np.uint8
            assert np.array_equal(source, destination)


@FAST
@given(cases())
def test_no_link_key_bit_is_consumed_twice_and_both_ends_use_the_same_bits(case):
    network, log = run_case(case)
    for (node, peer, initiator), takes in log.sent.items():
        assert node == initiator  # only the sending end takes fresh key
        segments = [(key_id.block, key_id.start, key_id.length) for ids, _ in takes for key_id in ids]
        by_block = defaultdict(list)
        for block, start, length in segments:
            by_block[block].append((start, start + length))
        for intervals in by_block.values():
            intervals.sort()
            assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(intervals))
        received = log.received.get((peer, node, initiator), [])
        assert len(received) <= len(takes)  # the receiving end lags only by messages still in flight
        for (sent_ids, sent_bits), (got_ids, got_bits) in zip(takes, received, strict=False):
            assert sent_ids == got_ids and np.array_equal(sent_bits, got_bits)
    assert all((peer, node, initiator) in log.sent for (node, peer, initiator) in log.received)


@FAST
@given(cases())
def test_pool_levels_stay_between_zero_and_capacity(case):
    network, _ = run_case(case)
    assert network.pool_records
    for row in network.pool_records:
        assert 0 <= row["level_bits"] <= row["capacity_bits"]
    for pools in network.pools.values():
        assert isinstance(pools, LinkPools)
        for store in pools.stores.values():
            assert 0 <= store.level_bits <= store.capacity_bits
            assert store.level_bits == store.n_put_bits - store.n_taken_bits


@FAST
@given(cases())
def test_key_consumed_is_relayed_length_times_hops(case):
    network, log = run_case(case)
    for row in served_requests(network):
        sessions = network.request_sessions(row["request_id"])
        expected = sum(session.n_bits * (len(session.path) - 1) for session in sessions)
        assert row["key_consumed_bits"] == expected
        assert sum(session.n_bits for session in sessions) == row["bits"]
    for session in network.sessions.values():
        assert session.key_consumed_bits == session.n_bits * len(session.hops)
        assert [hop.hop for hop in session.hops] == list(range(len(session.hops)))
    total_sent = sum(len(bits) for takes in log.sent.values() for _, bits in takes)
    assert total_sent == sum(session.key_consumed_bits for session in network.sessions.values())


@FAST
@given(cases())
def test_no_served_request_used_a_failed_link(case):
    """Every hop of a served key left and arrived while its link was up; untrusted nodes never relayed."""
    network, _ = run_case(case)
    edges, _, outages, qkd, *_ = case
    lengths = {frozenset((a, b)): length for a, b, length in edges}
    for row in served_requests(network):
        for session in network.request_sessions(row["request_id"]):
            assert len(session.hops) == len(session.path) - 1
            assert not set(session.path[1:-1]) & set(qkd.untrusted)
            for hop in session.hops:
                link = frozenset((hop.node, hop.next_node))
                arrival_s = hop.t_s + delay_s(lengths[link])
                for outage in outages:
                    if frozenset((outage.a, outage.b)) == link:
                        assert not (outage.down_s <= arrival_s + 1e-12 and hop.t_s < outage.up_s), (hop, outage)
