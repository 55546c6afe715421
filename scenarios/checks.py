"""Cross-reference checks of a structurally valid scenario, and topology resolution.

Structure (types, ranges, unknown keys) is checked by pydantic; what needs the
whole scenario is checked here: the network is either generated or listed,
links join existing distinct nodes once, templates exist, traffic names
existing, connected nodes within the run's duration, and requested tables
exist. Every problem is collected, each with its dotted path and bad value.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx

from scenarios.kms_checks import kms_problems
from scenarios.role_checks import role_problems
from scenarios.routing_model import routing_model_problems
from scenarios.schema import ChainGenerator, NetworkSection, Scenario, StarGenerator, traffic_end_s
from scenarios.tables import TABLES
from scenarios.topology import generate
from scenarios.validation import did_you_mean, show_value

#: Up to this many names are listed when a reference matches none of them.
_MAX_NAMES_LISTED = 10


@dataclass(frozen=True)
class ResolvedNode:
    """A node after generation and overrides, with where it was defined."""

    name: str
    role: str
    template: str
    where: str
    role_where: str = "network"


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
    listed = [repr(field) for field in ("nodes", "links") if getattr(network, field)]
    if network.generator is not None and listed:
        got = " and ".join(["'generator'", *listed])
        return ResolvedTopology((), ()), [
            f"network: give either 'generator' or 'nodes' and 'links', not both; got {got}"
        ]
    if network.generator is None and not network.nodes:
        got = "'links' without 'nodes'" if network.links else "neither"
        return ResolvedTopology((), ()), [f"network: needs a 'generator' or a list of 'nodes'; got {got}"]
    if network.generator is not None:
        return _resolve_generated(scenario)
    return _resolve_listed(scenario)


def _name_hint(name: str, names: Sequence[str]) -> str:
    """A "did you mean", or the names to choose from when there are few and none is close."""
    hint = did_you_mean(name, names)
    if not hint and 0 < len(names) <= _MAX_NAMES_LISTED:
        hint = f"; choose from {', '.join(names)}"
    return hint


def _resolve_generated(scenario: Scenario) -> tuple[ResolvedTopology, list[str]]:
    network = scenario.network
    assert network.generator is not None
    problems: list[str] = []
    topology = generate(network.generator, scenario.seed)
    names = [name for name, _ in topology.nodes]
    known = set(names)
    for field in ("node_roles", "node_templates"):
        for name in getattr(network, field):
            if name not in known:
                problems.append(
                    f"network.{field}.{name}: the generator makes no node of that name; got {name!r}"
                    f"{_name_hint(name, names)}"
                )
    nodes = tuple(
        ResolvedNode(
            name=name,
            role=network.node_roles.get(name, role),
            template=network.node_templates.get(name, network.node_template),
            where=f"network.node_templates.{name}" if name in network.node_templates else "network.node_template",
            role_where=f"network.node_roles.{name}" if name in network.node_roles else _role_field(network, name),
        )
        for name, role in topology.nodes
    )
    links = tuple(
        ResolvedLink(a, b, length, network.link_template, f"network.generator.edges[{i}]")
        for i, (a, b, length) in enumerate(topology.links)
    )
    problems += _link_problems(links)
    return ResolvedTopology(nodes, links), problems


def _role_field(network: NetworkSection, name: str) -> str:
    """The generator field that gave generated node ``name`` its role."""
    generator = network.generator
    if isinstance(generator, ChainGenerator):
        ends = ("n0", f"n{generator.n_nodes - 1}")  # always end nodes
        return "network.generator" if name in ends else "network.generator.interior_role"
    if isinstance(generator, StarGenerator):
        return "network.generator.hub_role" if name == "hub" else "network.generator.leaf_role"
    return "network.generator.role"


def _resolve_listed(scenario: Scenario) -> tuple[ResolvedTopology, list[str]]:
    network = scenario.network
    problems: list[str] = []
    for field, instead in (("node_roles", "role"), ("node_templates", "template")):
        if getattr(network, field):
            problems.append(
                f"network.{field}: applies to generated networks only; set {instead!r} on each listed node"
                f"; got {show_value(getattr(network, field))}"
            )
    seen: dict[str, int] = {}
    for i, node in enumerate(network.nodes):
        if node.name in seen:
            problems.append(
                f"network.nodes[{i}].name: duplicate node name, already used by network.nodes[{seen[node.name]}]"
                f"; got {node.name!r}"
            )
        else:
            seen[node.name] = i
    names = list(seen)
    nodes = tuple(
        ResolvedNode(node.name, node.role, node.template, f"network.nodes[{i}].template", f"network.nodes[{i}].role")
        for i, node in enumerate(network.nodes)
        if seen[node.name] == i
    )
    links = []
    for i, link in enumerate(network.links):
        for end in ("a", "b"):
            name = getattr(link, end)
            if name not in seen:
                hint = _name_hint(name, names)
                problems.append(f"network.links[{i}].{end}: must name a node in network.nodes; got {name!r}{hint}")
        links.append(ResolvedLink(link.a, link.b, link.length_km, link.template, f"network.links[{i}]"))
    problems += _link_problems(tuple(links))
    return ResolvedTopology(nodes, tuple(links)), problems


def _link_problems(links: tuple[ResolvedLink, ...]) -> list[str]:
    problems = []
    seen: dict[frozenset[str], str] = {}
    for link in links:
        ends = f"{link.a!r} - {link.b!r}"
        if link.a == link.b:
            problems.append(f"{link.where}: a link must join two different nodes; got {ends}")
            continue
        key = frozenset((link.a, link.b))
        if key in seen:
            problems.append(f"{link.where}: duplicate link, joins the same two nodes as {seen[key]}; got {ends}")
        else:
            seen[key] = link.where
    return problems


def _template_problems(scenario: Scenario, topology: ResolvedTopology) -> list[str]:
    problems: list[str] = []
    node_names = scenario.templates.node_template_names()
    link_names = scenario.templates.link_template_names()
    link_where = "network.link_template" if scenario.network.generator is not None else None
    references = [(node.where, "node", node.template, node_names) for node in topology.nodes]
    references += [
        (link_where or f"{link.where}.template", "link", link.template, link_names) for link in topology.links
    ]
    reported: set[tuple[str, str]] = set()  # a generated network names its templates once for all
    for where, what, template, names in references:
        if template not in names and (where, template) not in reported:
            reported.add((where, template))
            problems.append(
                f"{where}: must name a {what} template in templates.{what}s (available: {', '.join(names)})"
                f"; got {template!r}{did_you_mean(template, names)}"
            )
    return problems


def _components(topology: ResolvedTopology) -> dict[str, str]:
    """A representative node of each node's connected component (union-find over the links, near-linear)."""
    parent = {node.name: node.name for node in topology.nodes}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]  # path halving
            name = parent[name]
        return name

    for link in topology.links:
        parent[root(link.a)] = root(link.b)
    return {name: root(name) for name in parent}


def _traffic_problems(scenario: Scenario, topology: ResolvedTopology) -> list[str]:
    problems = []
    names = [node.name for node in topology.nodes]
    known_names = set(names)
    # A link to a missing node is reported already; whether pairs are connected is then unknown.
    links_known = all(link.a in known_names and link.b in known_names for link in topology.links)
    component = _components(topology) if links_known else {}
    n_parts = len(set(component.values()))
    hints: dict[str, str] = {}  # one "did you mean" search per unknown name, however often it is used
    for i, item in enumerate(scenario.traffic):
        where = f"traffic[{i}]"
        known = True
        for end in ("src", "dst"):
            name = getattr(item, end)
            if name not in known_names:
                if name not in hints:
                    hints[name] = _name_hint(name, names)
                problems.append(f"{where}.{end}: must name a node of the network; got {name!r}{hints[name]}")
                known = False
        if known and item.src == item.dst:
            problems.append(f"{where}.dst: must differ from src; got {item.dst!r}")
        elif known and links_known and component[item.src] != component[item.dst]:
            problems.append(
                f"{where}: src and dst must be connected, but the network falls into {n_parts} separate parts"
                f"; got {item.src!r} and {item.dst!r}"
            )
        if item.kind == "vkp":
            if item.at_s >= scenario.duration_s:
                problems.append(f"{where}.at_s: must be < duration_s ({scenario.duration_s:g}); got {item.at_s:g}")
            if scenario.kaas is None:
                problems.append(f"{where}: vkp traffic needs a 'kaas' section (key pools between node pairs)")
            continue
        problems += _window_problems(where, item.start_s, item.end_s, scenario.duration_s)
        if scenario.fidelity_level == "network" and item.kind == "teleportation":
            problems.append(
                f"{where}.kind: {item.kind!r} traffic needs fidelity_level 'hardware' or 'fast' (the 'network'"
                f" level runs entanglement and bbm92 requests only); got fidelity_level 'network'"
            )
        if item.kind == "teleportation" and item.interval_s is not None:
            end_s = traffic_end_s(item, scenario.duration_s)
            last_s = item.start_s + (item.n_teleportations - 1) * item.interval_s
            if last_s >= end_s:
                problems.append(
                    f"{where}.interval_s: the last of {item.n_teleportations} qubits would start at {last_s:g} s,"
                    f" not before end_s ({end_s:g}); got {item.interval_s:g}"
                )
    return problems


def _window_problems(where: str, start_s: float, end_s: float | None, duration_s: float) -> list[str]:
    if end_s is not None and end_s > duration_s:
        return [f"{where}.end_s: must be <= duration_s ({duration_s:g}); got {end_s:g}"]
    limit = f"end_s ({end_s:g})" if end_s is not None else f"duration_s ({duration_s:g}), as end_s is not given"
    if start_s >= (end_s if end_s is not None else duration_s):
        return [f"{where}.start_s: must be < {limit}; got {start_s:g}"]
    return []


def _output_problems(scenario: Scenario) -> list[str]:
    problems = []
    for i, name in enumerate(scenario.outputs.tables or []):
        if name not in TABLES:
            problems.append(
                f"outputs.tables[{i}]: must name a table (available: {', '.join(TABLES)})"
                f"; got {name!r}{did_you_mean(name, list(TABLES))}"
            )
    return problems


#: Fast models that can drive key links (they report a sifted rate), and the photon-level mode.
KEY_LINK_MODELS = ("decoy-bb84", "decoy-bb84-vacuum-weak", "bb84-gllp", "photon")


def _finite_key_protocols() -> tuple[str, ...]:
    """Link models with a finite-key model (imported here: a run without key links never loads the models)."""
    from qkdn.keyrate.finite_models import FINITE_KEY_PROTOCOLS

    return tuple(FINITE_KEY_PROTOCOLS)


def _qkd_problems(scenario: Scenario, topology: ResolvedTopology) -> list[str]:
    qkd = scenario.qkd
    problems = []
    if qkd.link_model not in KEY_LINK_MODELS:
        problems.append(
            f"qkd.link_model: must be one of {', '.join(KEY_LINK_MODELS)}; got {qkd.link_model!r}"
            f"{did_you_mean(qkd.link_model, KEY_LINK_MODELS)}"
        )
    if qkd.fast_link_block_bits is not None and qkd.link_model not in _finite_key_protocols():
        problems.append(
            f"qkd.fast_link_block_bits: link_model {qkd.link_model!r} has no finite-key model;"
            f" finite-key models: {', '.join(_finite_key_protocols())} (or leave fast_link_block_bits unset)"
        )
    if qkd.parameter_optimiser == "learned" and (qkd.fast_link_block_bits is None or qkd.link_model != "decoy-bb84"):
        problems.append(
            "qkd.parameter_optimiser: 'learned' predicts the settings of finite-key decoy BB84;"
            " it needs link_model 'decoy-bb84' and fast_link_block_bits set"
            f" (got link_model {qkd.link_model!r}, fast_link_block_bits {qkd.fast_link_block_bits!r})"
        )
    names = {node.name for node in topology.nodes}
    pairs = {frozenset((link.a, link.b)) for link in topology.links}
    for i, outage in enumerate(scenario.failures.scheduled):
        if frozenset(outage.link) not in pairs:
            problems.append(
                f"failures.scheduled[{i}].link: must be a link of the network; got {outage.link[0]}-{outage.link[1]}"
            )
    if scenario.kaas is not None:
        if scenario.kaas.slot_s >= scenario.kaas.period_s:
            problems.append(
                f"kaas.slot_s: must be < period_s ({scenario.kaas.period_s:g}); got {scenario.kaas.slot_s:g}"
            )
        for i, (a, b) in enumerate(scenario.kaas.pairs or []):
            for end in (a, b):
                if end not in names:
                    problems.append(f"kaas.pairs[{i}]: must name nodes of the network; got {end!r}")
    if qkd.controller_site is not None and qkd.controller_site not in names:
        problems.append(f"qkd.controller_site: must name a node of the network; got {qkd.controller_site!r}")
    for i, name in enumerate(qkd.untrusted_nodes):
        if name not in names:
            problems.append(f"qkd.untrusted_nodes[{i}]: must name a node of the network; got {name!r}")
    return problems


def check_scenario(scenario: Scenario) -> tuple[ResolvedTopology, list[str]]:
    """Resolve the topology and collect every cross-reference problem of ``scenario``."""
    topology, problems = resolve_topology(scenario)
    if topology.nodes:
        problems += _template_problems(scenario, topology)
        problems += _traffic_problems(scenario, topology)
        problems += _qkd_problems(scenario, topology)
        problems += routing_model_problems(scenario)
        problems += role_problems(scenario, topology)
        problems += kms_problems(scenario, {node.name: node.role for node in topology.nodes})
    problems += _output_problems(scenario)
    return topology, problems
