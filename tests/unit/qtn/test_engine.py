"""Both entanglement engines implement the one engine interface and admit requests the same way."""

import pytest

from qnetsim.core.errors import ConfigError
from qnetsim.core.hardware import LinkHardwareConfig, NodeHardwareConfig
from qnetsim.core.requests import EntanglementRequest, TeleportationTraffic
from qnetsim.core.spec import LinkSpec, NetworkSpec, NodeSpec, QTNOptions
from qtn.engine import EntanglementEngine, build_engine
from qtn.netscale import NetworkScaleNetwork
from qtn.sequence_backed.adapter import sequence_globals
from qtn.sequence_backed.network import EntanglementNetwork

LEVELS = {"hardware": EntanglementNetwork, "fast": EntanglementNetwork, "network": NetworkScaleNetwork}


def _spec() -> NetworkSpec:
    node = NodeHardwareConfig(n_memories=2)
    link = LinkHardwareConfig()
    nodes = (NodeSpec("a", "end", node), NodeSpec("r", "repeater", node), NodeSpec("b", "end", node))
    return NetworkSpec(nodes, (LinkSpec("a", "r", 5.0, link), LinkSpec("r", "b", 5.0, link)))


@pytest.mark.parametrize("level", sorted(LEVELS))
def test_build_engine_picks_the_engine_of_the_level_and_it_is_an_engine(level):
    with sequence_globals(link_mode="hardware" if level == "network" else level):
        engine = build_engine(_spec(), 1, 0.01, QTNOptions(link_mode=level))
        assert type(engine) is LEVELS[level]
        assert isinstance(engine, EntanglementEngine)
        assert (engine.shared_timeline is None) == (level == "network")
        request = EntanglementRequest(0, "a", "b", 0.0, 0.01, 1, 0.5)
        engine.add_request(request)
        with pytest.raises(ConfigError, match="request id 0 used twice"):
            engine.add_request(request)
        with pytest.raises(ConfigError, match="unknown node 'x'"):
            engine.add_request(EntanglementRequest(1, "a", "x", 0.0, 0.01, 1, 0.5))


def test_the_network_level_refuses_teleportation():
    engine = build_engine(_spec(), 1, 0.01, QTNOptions(link_mode="network"))
    traffic = TeleportationTraffic(5, "a", "b", "hop_by_hop", 0.0, 0.01, (0.001,), ((0.0, 0.0, 1.0),), 1, 0.5)
    with pytest.raises(ConfigError, match="teleportation 5: the network-scale level"):
        engine.add_teleportation(traffic)
