"""From a checked scenario to what the simulator layers take: a network spec and requests."""

from qtn.network import EntanglementRequest
from qtn.spec import LinkSpec, NetworkSpec, NodeSpec, QTNOptions
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


def entanglement_requests(scenario: Scenario) -> list[EntanglementRequest]:
    """The scenario's entanglement traffic as requests numbered in file order."""
    return [
        EntanglementRequest(
            request_id=i,
            src=item.src,
            dst=item.dst,
            start_s=item.start_s,
            end_s=item.end_s if item.end_s is not None else scenario.duration_s,
            n_memories=item.n_memories,
            target_fidelity=item.target_fidelity,
        )
        for i, item in enumerate(scenario.traffic)
        if item.kind == "entanglement"
    ]


def qtn_options(scenario: Scenario) -> QTNOptions:
    """The entanglement network's protocol options for ``scenario``."""
    settings = scenario.entanglement
    return QTNOptions(
        link_mode=scenario.fidelity_level,
        swapping_order=settings.swapping_order,
        purification=settings.purification,
        purification_mode=settings.purification_mode,
        cutoff_s=settings.cutoff_s,
        routing=settings.routing,
    )
