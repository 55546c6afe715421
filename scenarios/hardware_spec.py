"""From a resolved topology to a network spec: every node and link given its template's hardware.

Kept apart from :mod:`scenarios.build` so that checks can use it without
importing the simulator (SeQUeNCe takes seconds to import).
"""

from qnetsim.core.spec import LinkSpec, NetworkSpec, NodeSpec
from scenarios.checks import ResolvedTopology
from scenarios.schema import Scenario


def network_spec(scenario: Scenario, topology: ResolvedTopology) -> NetworkSpec:
    """Give every resolved node and link its template's hardware."""
    templates = scenario.templates
    nodes = tuple(
        NodeSpec(node.name, node.role, templates.node_template(node.template))  # type: ignore[arg-type]
        for node in topology.nodes
    )
    links = tuple(
        LinkSpec(link.a, link.b, link.length_km, templates.link_template(link.template)) for link in topology.links
    )
    return NetworkSpec(nodes, links)
