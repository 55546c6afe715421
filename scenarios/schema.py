"""The scenario schema: typed, frozen models of a scenario file.

A scenario names a network (explicit nodes and links, or a topology
generator), hardware templates, traffic, a duration, a seed, a fidelity level
and the outputs to write. Files are parsed once, at the boundary, into these
models (:mod:`scenarios.loader`); structural problems are reported by
:mod:`scenarios.validation` and cross-references by :mod:`scenarios.checks`.

Units are in every physical name (``length_km``, ``duration_s``).
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from qtn.hardware import LinkHardwareConfig, NodeHardwareConfig

NODE_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"
SCENARIO_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
DEFAULT_TEMPLATE = "default"

NodeName = Annotated[str, Field(pattern=NODE_NAME_PATTERN, max_length=64)]
Role = Literal["end", "repeater", "trusted_relay"]
PositiveKm = Annotated[float, Field(gt=0)]


class StrictModel(BaseModel):
    """Base of every scenario model: immutable, unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


# --- network -----------------------------------------------------------------------------


class NodeEntry(StrictModel):
    """An explicitly listed node."""

    name: NodeName
    role: Role = "end"
    template: str = DEFAULT_TEMPLATE


class LinkEntry(StrictModel):
    """An explicitly listed link between nodes ``a`` and ``b``."""

    a: NodeName
    b: NodeName
    length_km: PositiveKm
    template: str = DEFAULT_TEMPLATE


class ChainGenerator(StrictModel):
    """Linear chain ``n0 - n1 - ... - n{N-1}``; the two ends are end nodes."""

    kind: Literal["chain"]
    n_nodes: int = Field(ge=2, le=1000)
    length_km: PositiveKm
    interior_role: Role = "repeater"


class RingGenerator(StrictModel):
    """Ring of ``n_nodes`` nodes with equal link lengths."""

    kind: Literal["ring"]
    n_nodes: int = Field(ge=3, le=1000)
    length_km: PositiveKm
    role: Role = "end"


class StarGenerator(StrictModel):
    """Star: hub ``hub`` linked to leaves ``n1 ... n{n_leaves}``."""

    kind: Literal["star"]
    n_leaves: int = Field(ge=1, le=1000)
    length_km: PositiveKm
    hub_role: Role = "repeater"
    leaf_role: Role = "end"


class GridGenerator(StrictModel):
    """Rectangular grid; node ``n{r}_{c}`` at row r, column c."""

    kind: Literal["grid"]
    rows: int = Field(ge=1, le=100)
    cols: int = Field(ge=1, le=100)
    length_km: PositiveKm
    role: Role = "end"


class WaxmanGenerator(StrictModel):
    """Waxman random graph in a square of side ``domain_km``; link lengths are Euclidean.

    Edge probability ``beta * exp(-d / (alpha * L))`` (Waxman 1988, networkx's
    convention). Disconnected components are joined by their closest node pair,
    so the network is always connected. ``topology_seed`` defaults to one derived
    from the scenario seed.
    """

    kind: Literal["waxman"]
    n_nodes: int = Field(ge=2, le=2000)
    domain_km: PositiveKm
    alpha: float = Field(0.4, gt=0, le=1)
    beta: float = Field(0.4, gt=0, le=1)
    role: Role = "end"
    topology_seed: int | None = Field(None, ge=0)


class EdgesGenerator(StrictModel):
    """Explicit edge list ``[a, b, length_km]``; nodes are those named by the edges."""

    kind: Literal["edges"]
    edges: list[tuple[NodeName, NodeName, PositiveKm]] = Field(min_length=1)
    role: Role = "end"


Generator = Annotated[
    ChainGenerator | RingGenerator | StarGenerator | GridGenerator | WaxmanGenerator | EdgesGenerator,
    Field(discriminator="kind"),
]
GENERATOR_KINDS = ("chain", "ring", "star", "grid", "waxman", "edges")


class NetworkSection(StrictModel):
    """Either a ``generator`` or explicit ``nodes`` and ``links``.

    With a generator, ``node_roles`` and ``node_templates`` override the role and
    template of named generated nodes; ``node_template`` and ``link_template``
    apply to all other generated nodes and links.
    """

    generator: Generator | None = None
    nodes: list[NodeEntry] = Field(default_factory=list)
    links: list[LinkEntry] = Field(default_factory=list)
    node_template: str = DEFAULT_TEMPLATE
    link_template: str = DEFAULT_TEMPLATE
    node_roles: dict[NodeName, Role] = Field(default_factory=dict)
    node_templates: dict[NodeName, str] = Field(default_factory=dict)


class Templates(StrictModel):
    """Named hardware templates. ``default`` exists in both maps unless overridden."""

    nodes: dict[str, NodeHardwareConfig] = Field(default_factory=dict)
    links: dict[str, LinkHardwareConfig] = Field(default_factory=dict)

    def node_template(self, name: str) -> NodeHardwareConfig:
        """Node template ``name`` (built-in default if not overridden)."""
        if name == DEFAULT_TEMPLATE and name not in self.nodes:
            return NodeHardwareConfig()
        return self.nodes[name]

    def link_template(self, name: str) -> LinkHardwareConfig:
        """Link template ``name`` (built-in default if not overridden)."""
        if name == DEFAULT_TEMPLATE and name not in self.links:
            return LinkHardwareConfig()
        return self.links[name]

    def node_template_names(self) -> list[str]:
        """Every usable node template name."""
        return sorted({DEFAULT_TEMPLATE, *self.nodes})

    def link_template_names(self) -> list[str]:
        """Every usable link template name."""
        return sorted({DEFAULT_TEMPLATE, *self.links})


# --- traffic -----------------------------------------------------------------------------


class EntanglementTraffic(StrictModel):
    """Requests for end-to-end entangled pairs between ``src`` and ``dst``.

    The request is issued at ``start_s``; once the reservation is set up along
    the path, pairs are generated, purified to ``target_fidelity`` and swapped
    until ``end_s`` (the scenario's end if omitted).
    """

    kind: Literal["entanglement"] = "entanglement"
    src: NodeName
    dst: NodeName
    start_s: float = Field(0.0, ge=0)
    end_s: float | None = Field(None, gt=0)
    n_memories: int = Field(1, ge=1)
    target_fidelity: float = Field(0.5, gt=0, le=1)


# One kind of traffic so far; later kinds join a union discriminated by ``kind``.
TrafficItem = EntanglementTraffic
TRAFFIC_KINDS = ("entanglement",)


# --- entanglement protocols ---------------------------------------------------------------


class EntanglementSettings(StrictModel):
    """Network-wide choices of the entanglement (QTN) protocols.

    Attributes:
        swapping_order: ``nested`` (join neighbouring segments level by level,
            SeQUeNCe's schedule) or ``sequential`` (left to right from the initiator).
        purification: ``bbpssw`` or ``dejmps``; pairs below a request's target
            fidelity are purified.
        purification_mode: ``until_target`` (as many rounds as needed) or ``once``.
        cutoff_s: discard stored pairs older than this (default: the memories'
            coherence time).
        routing: path metric: ``shortest`` (fibre length), ``fewest_hops``, or
            ``highest_rate`` (expected pair generation time per link).
    """

    swapping_order: Literal["nested", "sequential"] = "nested"
    purification: Literal["bbpssw", "dejmps"] = "bbpssw"
    purification_mode: Literal["until_target", "once"] = "until_target"
    cutoff_s: float | None = Field(None, gt=0)
    routing: Literal["shortest", "fewest_hops", "highest_rate"] = "shortest"


# --- outputs and the scenario ----------------------------------------------------------


class Outputs(StrictModel):
    """Which tables to write (all by default) and whether to add CSV copies."""

    tables: list[str] | None = None
    csv: bool = False


FidelityLevel = Literal["hardware", "fast"]


class Scenario(StrictModel):
    """A whole scenario file.

    Attributes:
        name: identifier used in result tables and default output folders.
        description: free text.
        seed: the run's one seed; every random stream is derived from it.
        duration_s: simulated time to run.
        fidelity_level: ``hardware`` simulates every generation attempt on
            SeQUeNCe's hardware models; ``fast`` samples the number of attempts
            per heralded pair from the same hardware (network-scale runs).
        entanglement: protocol choices of the entanglement network.
        templates: named node and link hardware.
        network: topology.
        traffic: requests.
        outputs: tables to write.
    """

    name: str = Field(pattern=SCENARIO_NAME_PATTERN, max_length=80)
    description: str = ""
    seed: int = Field(0, ge=0, lt=2**63)
    duration_s: float = Field(gt=0, le=10 * 24 * 3600)
    fidelity_level: FidelityLevel = "hardware"
    templates: Templates = Templates()
    entanglement: EntanglementSettings = EntanglementSettings()
    network: NetworkSection
    traffic: list[TrafficItem] = Field(default_factory=list)
    outputs: Outputs = Outputs()
