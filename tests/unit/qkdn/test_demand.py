"""Saturating (closed-loop) key demand: a fixed number of requests always outstanding."""

import pytest

from qkdn.demand import SaturatingDemand, request_id_source
from qnetsim.core.errors import ConfigError


class _Network:
    """Records requests; the test ends them by calling the listeners, as the QKD network does."""

    def __init__(self) -> None:
        self.request_listeners = []
        self.requests = []
        self.now = 0.0

    def add_request(self, request):
        self.requests.append(request)

    def now_s(self):
        return self.now

    def end(self, request_id, served=True):
        for listener in list(self.request_listeners):
            listener({"request_id": request_id, "served": served})


def _demand(network, **changes):
    values = dict(
        network=network,
        src="a",
        dst="b",
        n_bits=64,
        n_outstanding=3,
        start_s=0.5,
        end_s=2.0,
        deadline_s=1.0,
        request_ids=request_id_source(10),
    )
    return SaturatingDemand(**{**values, **changes})


def test_keeps_the_same_number_outstanding_and_replaces_each_ended_request_at_once():
    network = _Network()
    demand = _demand(network)
    demand.start()
    assert [(r.request_id, r.t_s, r.deadline_s) for r in network.requests] == [
        (10, 0.5, 1.5),
        (11, 0.5, 1.5),
        (12, 0.5, 1.5),
    ]
    network.now = 0.7
    network.end(11)
    network.end(999)  # another source's request: not replaced
    assert [(r.request_id, r.t_s) for r in network.requests[3:]] == [(13, 0.7)]
    network.now = 1.0
    network.end(13, served=False)  # a failed request is replaced too
    assert len(network.requests) == 5 and demand.n_issued == 5


def test_stops_issuing_at_the_end_and_shares_the_id_source():
    network = _Network()
    ids = request_id_source(0)
    first, second = _demand(network, request_ids=ids), _demand(network, request_ids=ids, src="b", dst="a")
    first.start()
    second.start()
    assert [r.request_id for r in network.requests] == [0, 1, 2, 3, 4, 5]
    network.now = 2.0
    network.end(0)
    assert len(network.requests) == 6


def test_bad_sizes_are_refused():
    with pytest.raises(ConfigError, match="n_outstanding and n_bits must be >= 1"):
        _demand(_Network(), n_outstanding=0)
