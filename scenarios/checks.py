"""Cross-reference checks of a structurally valid scenario, and topology resolution.

Structure (types, ranges, unknown keys) is checked by pydantic; what needs the
whole scenario is checked here: the network is either generated or listed,
links join existing distinct nodes once, templates exist, traffic names
existing, connected nodes within the run's duration, and requested tables
exist. Every problem is collected, each with its dotted path and bad value.
"""

from dataclasses import dataclass

import networkx as nx

from scenarios.schema import Scenario
from scenarios.tables import TABLES
from scenarios.topology import generate
from scenarios.validation import did_you_mean


@dataclass(frozen=True)
class ResolvedNode:
    """A node after generation and overrides, with where it was defined."""

    name: str
    role: str
    template: str
    where: str


@dataclass(frozen=True)
class ResolvedLink:
    """A link after generation, with where it was defined."""

    a: str
    b: str
    length_km: float
    template: str
    where: str


@dataclass(frozen=True)
class ResolvedTopology:
    """Nodes and links of a scenario, ready to be given hardware."""

    nodes: tuple[ResolvedNode, ...]
    links: tuple[ResolvedLink, ...]

    def graph(self) -> nx.Graph:
        """Undirected graph of the topology with ``length_km`` weights."""
        graph = nx.Graph()
        graph.add_nodes_from(node.name for node in self.nodes)
        for link in self.links:
            graph.add_edge(link.a, link.b, length_km=link.length_km)
        return graph


def resolve_topology(scenario: Scenario) -> tuple[ResolvedTopology, list[str]]:
    """The scenario's nodes and links, and every problem found building them."""
    network = scenario.network
    if network.generator is not None and (network.nodes or network.links):
        return ResolvedTopology((), ()), ["network: give either 'generator' or 'nodes' and 'links', not both"]
    if network.generator is None and not network.nodes:
        return ResolvedTopology((), ()), ["network: needs a 'generator' or a list of 'nodes'"]
    if network.generator is not None:
        return _resolve_generated(scenario)
    return _resolve_listed(scenario)


def _resolve_generated(scenario: Scenario) -> tuple[ResolvedTopology, list[str]]:
    network = scenario.network
    assert network.generator is not None
    problems: list[str] = []
    topology = generate(network.generator, scenario.seed)
    names = [name for name, _ in topology.nodes]
    for field in ("node_roles", "node_templates"):
        for name in getattr(network, field):
            if name not in names:
                problems.append(
                    f"network.{field}.{name}: no generated node is called {name!r}{did_you_mean(name, names)}"
                )
    nodes = tuple(
        ResolvedNode(
            name=name,
            role=network.node_roles.get(name, role),
            template=network.node_templates.get(name, network.node_template),
            where=f"network.node_templates.{name}"
            if name in network.node_templates
            else "network.node_template",
        )
        for name, role in topology.nodes
    )
    links = tuple(
        ResolvedLink(a, b, length, network.link_template, f"network.generator.edges[{i}]")
        for i, (a, b, length) in enumerate(topology.links)
    )
    problems += _link_problems(links)
    return ResolvedTopology(nodes, links), problems


def _resolve_listed(scenario: Scenario) -> tuple[ResolvedTopology, list[str]]:
    network = scenario.network
    problems: list[str] = []
    if network.node_roles or network.node_templates:
        problems.append("network: 'node_roles' and 'node_templates' apply to generated networks only")
    seen: dict[str, int] = {}
    for i, node in enumerate(network.nodes):
        if node.name in seen:
            problems.append(
                f"network.nodes[{i}].name: duplicate node name {node.name!r} (also network.nodes[{seen[node.name]}])"
            )
        else:
            seen[node.name] = i
    names = list(seen)
    nodes = tuple(
        ResolvedNode(node.name, node.role, node.template, f"network.nodes[{i}].template")
        for i, node in enumerate(network.nodes)
        if seen[node.name] == i
    )
    links = []
    for i, link in enumerate(network.links):
        for end in ("a", "b"):
            name = getattr(link, end)
            if name not in seen:
                problems.append(f"network.links[{i}].{end}: unknown node {name!r}{did_you_mean(name, names)}")
        links.append(ResolvedLink(link.a, link.b, link.length_km, link.template, f"network.links[{i}]"))
    problems += _link_problems(tuple(links))
    return ResolvedTopology(nodes, tuple(links)), problems


def _link_problems(links: tuple[ResolvedLink, ...]) -> list[str]:
    problems = []
    seen: dict[frozenset[str], str] = {}
    for link in links:
        if link.a == link.b:
            problems.append(f"{link.where}: a link must join two different nodes; got {link.a!r} twice")
            continue
        key = frozenset((link.a, link.b))
        if key in seen:
            problems.append(f"{link.where}: duplicate link {link.a}-{link.b} (also {seen[key]})")
        else:
            seen[key] = link.where
    return problems


def _template_problems(scenario: Scenario, topology: ResolvedTopology) -> list[str]:
    problems = []
    node_names = scenario.templates.node_template_names()
    link_names = scenario.templates.link_template_names()
    for node in topology.nodes:
        if node.template not in node_names:
            problems.append(
                f"{node.where}: unknown node template {node.template!r}{did_you_mean(node.template, node_names)}"
                f" (available: {', '.join(node_names)})"
            )
    link_where = "network.link_template" if scenario.network.generator is not None else None
    for link in topology.links:
        if link.template not in link_names:
            where = link_where or f"{link.where}.template"
            message = (
                f"{where}: unknown link template {link.template!r}{did_you_mean(link.template, link_names)}"
                f" (available: {', '.join(link_names)})"
            )
            if message not in problems:
                problems.append(message)
    return problems


def _traffic_problems(scenario: Scenario, topology: ResolvedTopology) -> list[str]:
    problems = []
    graph = topology.graph()
    names = [node.name for node in topology.nodes]
    for i, item in enumerate(scenario.traffic):
        where = f"traffic[{i}]"
        known = True
        for end in ("src", "dst"):
            name = getattr(item, end)
            if name not in graph:
                problems.append(f"{where}.{end}: unknown node {name!r}{did_you_mean(name, names)}")
                known = False
        if known and item.src == item.dst:
            problems.append(f"{where}: src and dst must differ; got {item.src!r} twice")
        elif known and not nx.has_path(graph, item.src, item.dst):
            problems.append(
                f"{where}: no path between {item.src!r} and {item.dst!r}: the network is disconnected"
            )
        end_s = item.end_s if item.end_s is not None else scenario.duration_s
        if end_s > scenario.duration_s:
            problems.append(f"{where}.end_s: must be <= duration_s ({scenario.duration_s}); got {end_s}")
        if item.start_s >= end_s:
            problems.append(f"{where}.start_s: must be < end_s ({end_s}); got {item.start_s}")
    return problems


def _output_problems(scenario: Scenario) -> list[str]:
    problems = []
    for i, name in enumerate(scenario.outputs.tables or []):
        if name not in TABLES:
            problems.append(
                f"outputs.tables[{i}]: unknown table {name!r}{did_you_mean(name, list(TABLES))}"
                f" (available: {', '.join(TABLES)})"
            )
    return problems


def check_scenario(scenario: Scenario) -> tuple[ResolvedTopology, list[str]]:
    """Resolve the topology and collect every cross-reference problem of ``scenario``."""
    topology, problems = resolve_topology(scenario)
    if topology.nodes:
        problems += _template_problems(scenario, topology)
        problems += _traffic_problems(scenario, topology)
    problems += _output_problems(scenario)
    return topology, problems
