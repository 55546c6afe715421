"""The scenario schema: typed, frozen models of a scenario file.

A scenario names a network (explicit nodes and links, or a topology
generator), hardware templates, traffic, a duration, a seed, a fidelity level
and the outputs to write. Files are parsed once, at the boundary, into these
models (:mod:`scenarios.loader`); structural problems are reported by
:mod:`scenarios.validation` and cross-references by :mod:`scenarios.checks`.

Units are in every physical name (``length_km``, ``duration_s``).
"""

import difflib
import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Strict, Tag, field_validator, model_validator
from pydantic_core import PydanticCustomError

from qkdn.photon.config import decoy_intensity_problem
from qnetsim.core.hardware import LinkHardwareConfig, NodeHardwareConfig
from qnetsim.core.roles import NodeRole
from qnetsim.core.units import MAX_LENGTH_KM, MAX_TIME_S

NODE_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"
SCENARIO_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
DEFAULT_TEMPLATE = "default"
#: Most bits a key store, pool or slot may be given: 10^12 (a terabit, more key than any QKD link makes in
#: years); counts of bits are 64-bit integers in the result tables.
MAX_BITS = 10**12
#: Shortest sampling or reporting interval: 1 ns, far below any network's timescale and 1000 of
#: SeQUeNCe's picosecond ticks (a shorter one would not advance its clock, or would flood memory).
MIN_INTERVAL_S = 1e-9

NodeName = Annotated[str, Field(pattern=NODE_NAME_PATTERN, max_length=64)]
#: Marks a fixed-length tuple field that a YAML list may fill (strict mode takes only Python tuples);
#: the items keep their strict types.
LaxTuple = Strict(False)
#: A node's role (``end``, ``repeater`` or ``trusted_relay``); :mod:`qnetsim.core.roles` says what each may do.
Role = NodeRole
PositiveKm = Annotated[float, Field(gt=0, le=MAX_LENGTH_KM)]


class StrictModel(BaseModel):
    """Base of every scenario model: immutable, unknown keys are errors, types strict.

    Strict types: ``true`` is no number, ``'0.01'`` (quoted) is text, ``1.0`` is no
    integer; an integer is still a number (``length_km: 20``). A YAML list is
    accepted where the schema has a fixed-length tuple (:data:`LaxTuple`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, strict=True)


# --- network -----------------------------------------------------------------------------


class NodeEntry(StrictModel):
    """An explicitly listed node.

    Attributes:
        name: the node's unique name.
        role: ``end`` (a user site), ``trusted_relay`` or ``repeater``; see the
            roles under ``network``.
        template: the node template giving its hardware.
    """

    name: NodeName
    role: Role = "end"
    template: str = DEFAULT_TEMPLATE


class LinkEntry(StrictModel):
    """An explicitly listed link between nodes ``a`` and ``b``.

    Attributes:
        a: the node at one end.
        b: the node at the other end.
        length_km: fibre length between the two nodes.
        template: the link template giving its fibre and midpoint station hardware.
    """

    a: NodeName
    b: NodeName
    length_km: PositiveKm
    template: str = DEFAULT_TEMPLATE


class ChainGenerator(StrictModel):
    """Linear chain ``n0 - n1 - ... - n{N-1}``; the two ends are end nodes.

    Attributes:
        kind: ``chain``.
        n_nodes: number of nodes, ends included.
        length_km: fibre length of every link.
        interior_role: role of ``n1 ... n{N-2}``: ``repeater`` for an
            entanglement chain, ``trusted_relay`` for a QKD chain (keys are never
            relayed through a repeater).
    """

    kind: Literal["chain"]
    n_nodes: int = Field(ge=2, le=1000)
    length_km: PositiveKm
    interior_role: Role = "repeater"


class RingGenerator(StrictModel):
    """Ring of ``n_nodes`` nodes with equal link lengths.

    Attributes:
        kind: ``ring``.
        n_nodes: number of nodes ``n0 ... n{N-1}``.
        length_km: fibre length of every link.
        role: role of every node (``network.node_roles`` overrides named ones).
    """

    kind: Literal["ring"]
    n_nodes: int = Field(ge=3, le=1000)
    length_km: PositiveKm
    role: Role = "end"


class StarGenerator(StrictModel):
    """Star: hub ``hub`` linked to leaves ``n1 ... n{n_leaves}``.

    Attributes:
        kind: ``star``.
        n_leaves: number of leaves.
        length_km: fibre length of every hub-leaf link.
        hub_role: role of the hub: ``repeater`` (entanglement) or ``trusted_relay`` (keys).
        leaf_role: role of every leaf.
    """

    kind: Literal["star"]
    n_leaves: int = Field(ge=1, le=1000)
    length_km: PositiveKm
    hub_role: Role = "repeater"
    leaf_role: Role = "end"


class GridGenerator(StrictModel):
    """Rectangular grid; node ``n{r}_{c}`` at row r, column c.

    Attributes:
        kind: ``grid``.
        rows: number of rows.
        cols: number of columns.
        length_km: fibre length of every link between neighbours in a row or column.
        role: role of every node (``network.node_roles`` overrides named ones).
    """

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

    Attributes:
        kind: ``waxman``.
        n_nodes: number of nodes.
        domain_km: side of the square the nodes are placed in, uniformly at random.
        alpha: Waxman's alpha: larger values make long links more likely.
        beta: Waxman's beta: the edge probability of two nodes at the same place.
        role: role of every node (``network.node_roles`` overrides named ones).
        topology_seed: seed of the node placement and edges (default: derived from
            the scenario's ``seed``, so a sweep over seeds also varies the topology).
    """

    kind: Literal["waxman"]
    n_nodes: int = Field(ge=2, le=2000)
    domain_km: float = Field(gt=0, le=MAX_LENGTH_KM / 2)  # so that the diagonal stays below MAX_LENGTH_KM
    alpha: float = Field(0.4, gt=0, le=1)
    beta: float = Field(0.4, gt=0, le=1)
    role: Role = "end"
    topology_seed: int | None = Field(None, ge=0)


class EdgesGenerator(StrictModel):
    """Explicit edge list ``[a, b, length_km]``; nodes are those named by the edges.

    Attributes:
        kind: ``edges``.
        edges: the links, each ``[a, b, length_km]``.
        role: role of every node (``network.node_roles`` overrides named ones).
    """

    kind: Literal["edges"]
    edges: list[Annotated[tuple[NodeName, NodeName, PositiveKm], LaxTuple]] = Field(min_length=1)
    role: Role = "end"


Generator = Annotated[
    ChainGenerator | RingGenerator | StarGenerator | GridGenerator | WaxmanGenerator | EdgesGenerator,
    Field(discriminator="kind"),
]


class NetworkSection(StrictModel):
    """Either a ``generator`` or explicit ``nodes`` and ``links``.

    With a generator, ``node_roles`` and ``node_templates`` override the role and
    template of named generated nodes; ``node_template`` and ``link_template``
    apply to all other generated nodes and links.

    Node roles decide what a node may do, in routing, relaying, swapping and
    validation alike. ``end``: a user site; it holds keys and ends key and
    entanglement requests, but never forwards keys or swaps. ``trusted_relay``:
    holds keys in the clear and relays them hop by hop by one-time pad; it may
    end QKD links, key requests and entanglement segments, but cannot swap.
    ``repeater``: quantum memories and entanglement swapping; it never holds a
    key in the clear, so no key is relayed through it and no QKD link ends at
    it, and it cannot end an entanglement request; it needs memories.

    So a key path is key holder - trusted relays - key holder, and an
    entanglement path is end - repeaters - end (either end may be a trusted
    relay). Traffic whose ``src`` or ``dst`` cannot take its part is an error;
    a request that the roles leave without any path gets a warning from
    ``qnetsim validate`` and is refused in the run, with the reason in its
    table row.

    Attributes:
        generator: a topology generator (or list ``nodes`` and ``links``).
        graphml: a GraphML file giving the nodes (``role``, ``template``) and links
            (``length_km``, ``template``); relative to the scenario file's folder.
            Loading lists them under ``nodes`` and ``links`` and keeps this name as
            their source (see docs/topology-interop.md).
        nodes: the nodes, when listed explicitly instead of generated.
        links: the links, when listed explicitly instead of generated.
        node_template: node template of generated nodes not named in ``node_templates``.
        link_template: link template of every generated link.
        node_roles: role of named generated nodes, overriding the generator's.
        node_templates: node template of named generated nodes.
    """

    generator: Generator | None = None
    graphml: str | None = None
    nodes: list[NodeEntry] = Field(default_factory=list)
    links: list[LinkEntry] = Field(default_factory=list)
    node_template: str = DEFAULT_TEMPLATE
    link_template: str = DEFAULT_TEMPLATE
    node_roles: dict[NodeName, Role] = Field(default_factory=dict)
    node_templates: dict[NodeName, str] = Field(default_factory=dict)


class Templates(StrictModel):
    """Named hardware templates. ``default`` exists in both maps unless overridden.

    Attributes:
        nodes: node hardware (memories, gates, measurements) by template name.
        links: link hardware (fibre, midpoint Bell-state measurement station) by template name.
    """

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
    until ``end_s`` (the scenario's end if omitted). Each delivered pair is kept
    ``hold_s`` in memory before the application uses it (its reported fidelity
    is the one at use).

    Attributes:
        kind: ``entanglement`` (the default when ``kind`` is left out).
        src: the node that initiates the request.
        dst: the other end.
        start_s: when the request is issued.
        end_s: when pair generation stops (default: the end of the run).
        n_memories: memories reserved at each end (twice this at every node in between).
        target_fidelity: pairs are purified until they reach it; none is delivered below it.
        hold_s: time a delivered pair is kept in memory before use.
    """

    kind: Literal["entanglement"] = "entanglement"
    src: NodeName
    dst: NodeName
    start_s: float = Field(0.0, ge=0, le=MAX_TIME_S)
    end_s: float | None = Field(None, gt=0, le=MAX_TIME_S)
    n_memories: int = Field(1, ge=1)
    target_fidelity: float = Field(0.5, gt=0, le=1)
    hold_s: float = Field(0.0, ge=0, le=MAX_TIME_S)


class KeyTraffic(StrictModel):
    """Key requests between ``src`` and ``dst``: Poisson arrivals, each for a key of ``bits``.

    Requests arrive at rate ``rate_hz`` between ``start_s`` and ``end_s`` (or
    exactly ``n_requests`` of them, evenly spaced, when given). Each must be
    delivered within ``deadline_s`` of its arrival; higher ``priority`` is served
    first when requests wait for key on a link.

    With ``n_outstanding`` the demand is saturating instead (closed loop):
    ``n_outstanding`` requests are issued at ``start_s`` and each one that ends
    (served or not) is replaced at once until ``end_s``, so requests are always
    waiting; ``rate_hz`` and ``n_requests`` are then not used.

    Attributes:
        kind: ``key``.
        src: the node that asks for the key.
        dst: the node that shares it.
        bits: key length of each request.
        start_s: first arrival.
        end_s: when arrivals stop (default: the end of the run).
        rate_hz: mean arrival rate of the Poisson arrivals.
        n_requests: exactly this many requests, evenly spaced, instead of Poisson arrivals.
        n_outstanding: keep this many requests waiting at all times (saturating demand).
        deadline_s: a request not served within this time of its arrival fails.
        priority: higher values are served first when requests wait on a link.
    """

    kind: Literal["key"]
    src: NodeName
    dst: NodeName
    bits: int = Field(256, ge=1, le=10**9)
    start_s: float = Field(0.0, ge=0, le=MAX_TIME_S)
    end_s: float | None = Field(None, gt=0, le=MAX_TIME_S)
    rate_hz: float = Field(1.0, gt=0)
    n_requests: int | None = Field(None, ge=1, le=10**7)
    n_outstanding: int | None = Field(None, ge=1, le=10**4)
    deadline_s: float = Field(1.0, gt=0, le=MAX_TIME_S)
    priority: float = 0.0


class ServiceTraffic(StrictModel):
    """A key service: ``key_rate_bps`` of end-to-end key between ``src`` and ``dst``.

    Registered with the QKD network's controller at ``start_s``; every
    ``period_s`` its source relays the period's demand over the paths the
    controller assigned (and re-assigns after link failures).

    Attributes:
        kind: ``service``.
        src: the node that relays the key.
        dst: the node that receives it.
        key_rate_bps: end-to-end key demand.
        period_s: supply period: the demand of one period is relayed at its start.
        start_s: when the service is registered.
        end_s: when it ends (default: the end of the run).
    """

    kind: Literal["service"]
    src: NodeName
    dst: NodeName
    key_rate_bps: float = Field(gt=0)
    period_s: float = Field(1.0, gt=0, le=MAX_TIME_S)
    start_s: float = Field(0.0, ge=0, le=MAX_TIME_S)
    end_s: float | None = Field(None, gt=0, le=MAX_TIME_S)


class BBM92Traffic(StrictModel):
    """End-to-end QKD with no trusted node: BBM92 on the pairs the entanglement network delivers.

    Like ``entanglement`` traffic between ``src`` and ``dst`` (same reservation,
    swapping and purification), but each delivered pair is measured by the two
    users; sifted bits are collected into blocks of ``frame_bits`` and each block is
    distilled into a secret key (finite-key length by default: ``qkd.postprocessing.key_length``).

    Attributes:
        kind: ``bbm92``.
        src: the user that initiates the entanglement request.
        dst: the other user.
        start_s: when the request is issued.
        end_s: when pair generation stops (default: the end of the run).
        n_memories: memories reserved at each end (twice this at every node in between).
        target_fidelity: pairs are purified until they reach it.
        frame_bits: sifted bits per distilled block (short blocks leave no key: the
            finite-key terms grow as the block shrinks).
    """

    kind: Literal["bbm92"]
    src: NodeName
    dst: NodeName
    start_s: float = Field(0.0, ge=0, le=MAX_TIME_S)
    end_s: float | None = Field(None, gt=0, le=MAX_TIME_S)
    n_memories: int = Field(1, ge=1)
    target_fidelity: float = Field(0.5, gt=0, le=1)
    frame_bits: int = Field(65536, ge=64, le=10**7)


class VKPTraffic(StrictModel):
    """A service asks, at ``at_s``, for a virtual key pool of ``bits`` carved from KP(src, dst).

    Needs the scenario's ``kaas`` section (key pools between node pairs).

    Attributes:
        kind: ``vkp``.
        service: name of the service the virtual key pool is for.
        src: one end of the key pool.
        dst: the other end.
        bits: size of the virtual key pool.
        at_s: when the service asks for it.
    """

    kind: Literal["vkp"]
    service: str = Field(min_length=1, max_length=64)
    src: NodeName
    dst: NodeName
    bits: int = Field(ge=1, le=10**9)
    at_s: float = Field(0.0, ge=0, le=MAX_TIME_S)


NAMED_STATES = ("zero", "one", "plus", "minus", "plus_i", "minus_i")
BlochVector = Annotated[tuple[float, float, float], LaxTuple]


class TeleportationTraffic(StrictModel):
    """Teleport ``n_teleportations`` qubits from ``src`` to ``dst``.

    Every link of the route generates pairs from ``start_s`` to ``end_s`` (each
    link reserves ``n_memories`` memories at both ends, purified up to
    ``target_fidelity``); qubit k is ready at the source at ``start_s + k *
    interval_s`` and is teleported with ``scheme``:

    * ``hop_by_hop``: teleported link by link, corrected at every node;
    * ``end_to_end``: intermediate nodes swap, every Bell-measurement result goes
      to the destination, which corrects once (multi-hop teleportation after
      K. Wang, X.-T. Yu, S.-L. Lu, Y.-X. Gong, Phys. Rev. A 89, 022329 (2014)).

    ``input_states`` is ``random`` (Haar-random pure states from the run's seed)
    or a list cycled over the qubits, each a name (``zero``, ``one``, ``plus``,
    ``minus``, ``plus_i``, ``minus_i``) or a unit Bloch vector ``[x, y, z]``.

    Attributes:
        kind: ``teleportation``.
        src: the node holding the qubits to teleport.
        dst: the node that receives them.
        scheme: ``hop_by_hop`` or ``end_to_end`` (above).
        start_s: when the links start generating pairs; qubit 0 is ready then.
        end_s: when pair generation stops (default: the end of the run).
        n_teleportations: number of qubits to teleport.
        interval_s: time between two qubits becoming ready (default: ``n_teleportations``
            spread evenly from ``start_s`` to ``end_s``).
        n_memories: memories each link reserves at both of its ends.
        target_fidelity: link pairs are purified until they reach it.
        input_states: ``random`` or a list of states (above).
    """

    kind: Literal["teleportation"]
    src: NodeName
    dst: NodeName
    scheme: Literal["hop_by_hop", "end_to_end"] = "hop_by_hop"
    start_s: float = Field(0.0, ge=0, le=MAX_TIME_S)
    end_s: float | None = Field(None, gt=0, le=MAX_TIME_S)
    n_teleportations: int = Field(10, ge=1, le=1_000_000)
    interval_s: float | None = Field(None, gt=0, le=MAX_TIME_S)
    n_memories: int = Field(1, ge=1)
    target_fidelity: float = Field(0.5, gt=0, le=1)
    input_states: str | list[str | BlochVector] = "random"

    @field_validator("input_states", mode="before")
    @classmethod
    def _check_input_states(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value != "random":
                raise PydanticCustomError("input_states", "must be 'random' or a list of states")
            return value
        if not isinstance(value, list) or not value:
            raise PydanticCustomError("input_states", "must be 'random' or a non-empty list of states")
        # Every bad item is named, not only the first.
        problems = [f"item {index}: {problem}" for index, item in enumerate(value) if (problem := _state_problem(item))]
        if problems:
            raise PydanticCustomError("input_states", "{problems}", {"problems": "; ".join(problems)})
        return value


def _state_problem(item: Any) -> str:
    """What is wrong with one input state ('' if nothing)."""
    if isinstance(item, str):
        if item in NAMED_STATES:
            return ""
        close = difflib.get_close_matches(item, NAMED_STATES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f" (states: {', '.join(NAMED_STATES)})"
        return f"unknown state {item!r}{hint}"
    if isinstance(item, (list, tuple)) and len(item) == 3 and all(isinstance(x, (int, float)) for x in item):
        norm = math.sqrt(sum(float(x) ** 2 for x in item))
        return (
            ""
            if abs(norm - 1.0) <= 1e-6
            else f"a Bloch vector of a pure state must have length 1 (this one: {norm:.6g})"
        )
    return f"must be a state name or a Bloch vector [x, y, z]; got {item!r}"


def _traffic_kind(value: Any) -> str:
    # A traffic item without 'kind' is an entanglement request (the common case).
    if isinstance(value, dict):
        return str(value.get("kind", "entanglement"))
    return str(getattr(value, "kind", "entanglement"))


TrafficItem = Annotated[
    Annotated[EntanglementTraffic, Tag("entanglement")]
    | Annotated[TeleportationTraffic, Tag("teleportation")]
    | Annotated[KeyTraffic, Tag("key")]
    | Annotated[ServiceTraffic, Tag("service")]
    | Annotated[VKPTraffic, Tag("vkp")]
    | Annotated[BBM92Traffic, Tag("bbm92")],
    Discriminator(_traffic_kind),
]


# --- entanglement protocols ---------------------------------------------------------------


class EntanglementSettings(StrictModel):
    """Network-wide choices of the entanglement (QTN) protocols.

    Attributes:
        swapping_order: ``nested`` (join neighbouring segments level by level,
            SeQUeNCe's schedule) or ``sequential`` (left to right from the initiator).
        purification: ``bbpssw`` or ``dejmps``; pairs below a request's target
            fidelity are purified.
        purification_rounds: at most this many purification rounds per pair (at
            each level: links, then swapped pairs); default: as many as needed
            to reach the request's target fidelity.
        cutoff_s: discard stored pairs older than this (default: the memories'
            coherence time).
        routing: path metric: ``shortest`` (fibre length), ``fewest_hops``, or
            ``highest_rate`` (expected pair generation time per link).
    """

    swapping_order: Literal["nested", "sequential"] = "nested"
    purification: Literal["bbpssw", "dejmps"] = "bbpssw"
    purification_rounds: int | None = Field(None, ge=1, le=1000)
    cutoff_s: float | None = Field(None, gt=0, le=MAX_TIME_S)
    routing: Literal["shortest", "fewest_hops", "highest_rate"] = "shortest"


class PostProcessingSection(StrictModel):
    """Post-processing of distilled key frames: photon-level BB84 links and BBM92 on delivered pairs.

    Attributes:
        sample_fraction: fraction of each sifted frame disclosed to estimate the QBER.
        key_length: how BBM92 frames (``bbm92`` traffic and repeater segments) are
            sized: ``finite`` (default; the composable finite-key length of Tomamichel,
            Lim, Gisin, Renner, Nat. Commun. 3, 634 (2012), eps_sec-secret and
            eps_cor-correct, with the frame as the block) or ``asymptotic`` (as
            ``key_length_formula`` says). Both lengths are reported per frame
            (``link_blocks``: ``finite_secret_bits``, ``asymptotic_secret_bits``,
            ``key_length``). A frame must be large (tens of thousands of sifted bits
            at a few per cent QBER) to leave finite-key bits; see docs/finite-key.md.
        key_length_formula: the asymptotic length: ``asymptotic`` (Shor-Preskill with
            the Clopper-Pearson QBER bound and the bits Cascade actually disclosed) or
            ``infinite_key`` (the fast key-rate models' accounting: the sample QBER as
            exact, error correction charged ``f n h(Q)`` with ``f =
            qkd.error_correction_efficiency``), which makes distilled frames comparable
            with fast model links. ``finite_key`` sizes photon-level BB84 frames with
            the finite-key formula too (it assumes a single-photon source).
        epsilon_estimation: failure probability of the QBER bound.
        epsilon_correctness: eps_cor, probability bound that accepted keys differ.
        epsilon_secrecy: eps_sec, secrecy parameter of the finite-key length.
        qber_tolerance: frames whose sample QBER exceeds it are dropped (``Q_tol`` of
            the finite-key length, which falls fast as it grows: set it a little above
            the QBER you expect).
        n_cascade_passes: passes of Cascade error correction.
    """

    sample_fraction: float = Field(0.1, gt=0, lt=1)
    key_length: Literal["finite", "asymptotic"] = "finite"
    key_length_formula: Literal["asymptotic", "finite_key", "infinite_key"] = "asymptotic"
    epsilon_estimation: float = Field(1e-9, gt=0, lt=1)
    epsilon_correctness: float = Field(1e-12, gt=0, lt=1)
    epsilon_secrecy: float = Field(1e-9, gt=0, lt=1)
    qber_tolerance: float = Field(0.11, ge=0, le=0.5)
    n_cascade_passes: int = Field(4, ge=1, le=16)

    @field_validator("key_length_formula")
    @classmethod
    def _formula_agrees(cls, formula: str, info: Any) -> str:
        if formula == "finite_key" and info.data.get("key_length") == "asymptotic":
            raise PydanticCustomError(
                "key_length",
                "key_length_formula 'finite_key' contradicts key_length 'asymptotic'; drop one of them",
            )
        return formula


class PhotonLinkSection(StrictModel):
    """Source of photon-level BB84 links (``link_model: photon``): decoy states or not.

    Attributes:
        source: ``decoy`` (each pulse at signal, weak decoy or vacuum intensity; privacy
            amplification sized from the per-block bounds on single-photon events, Ma,
            Qi, Zhao, Lo, PRA 72, 012326 (2005)) or ``no_decoy`` (every pulse at the
            node's ``light_source.mean_photon_number``; multi-photon pulses counted as
            insecure, GLLP 2004).
        intensities: signal, weak decoy and vacuum mean photon numbers (``decoy``);
            mu1 > mu2 + mu3 (Lim et al., PRA 89, 022307 (2014)) and mu3 = 0.
        intensity_probabilities: probability of each intensity.
        z_basis_probability: probability of the Z basis at each end; with ``decoy`` the
            key comes from Z and the X basis is the test basis.
        pulses: ``arrays`` (each train's photons and clicks drawn with NumPy, same model)
            or ``photons`` (every photon a SeQUeNCe event: the slow reference).
        block_bits: sifted key bits per post-processing block. Default: 1,048,576 with
            the decoy source and ``postprocessing.key_length: finite`` (the finite-key
            length of Lim et al. 2014 leaves nothing from blocks much smaller than
            ~10^5-10^6 bits), otherwise ``qkd.block_bits``.
    """

    source: Literal["decoy", "no_decoy"] = "decoy"
    intensities: Annotated[tuple[float, float, float], LaxTuple] = (0.5, 0.1, 0.0)
    intensity_probabilities: Annotated[tuple[float, float, float], LaxTuple] = (0.7, 0.2, 0.1)
    z_basis_probability: float = Field(0.5, gt=0, lt=1)
    pulses: Literal["arrays", "photons"] = "arrays"
    block_bits: int | None = Field(None, ge=64, le=10**8)

    @model_validator(mode="after")
    def _decoy_intensities(self) -> "PhotonLinkSection":
        problem = decoy_intensity_problem(self.intensities, self.intensity_probabilities)
        if problem:
            raise PydanticCustomError("decoy_intensities", problem)
        return self


class SegmentSettings(StrictModel):
    """Repeater segments of a hybrid network (key traffic on a network with repeaters).

    Each segment between two key-holding nodes is an entanglement request made
    automatically for the whole run; BBM92 on its delivered pairs fills the
    segment's key pools (see docs/hybrid-networks.md).

    Attributes:
        n_memories: memories each segment reserves at every node of its path per
            direction (a repeater in the middle uses twice this).
        target_fidelity: segment links are purified until they reach it.
        frame_bits: sifted bits collected into one BBM92 block before it is distilled
            (the finite-key block; short blocks leave no key: the finite-sample terms
            grow as the block shrinks).
    """

    n_memories: int = Field(4, ge=1, le=10**4)
    target_fidelity: float = Field(0.5, gt=0, le=1)
    frame_bits: int = Field(65536, ge=64, le=10**7)


class QKDSection(StrictModel):
    """Network-wide choices of the QKD network (trusted relays).

    Attributes:
        link_model: how links make key: a fast model name (``decoy-bb84``,
            ``decoy-bb84-vacuum-weak``, ``bb84-gllp``), or ``photon`` for BB84 on
            SeQUeNCe photons with full post-processing.
        misalignment_error: optical error e_det of every link.
        error_correction_efficiency: f >= 1 (fast models, and distilled frames with
            ``postprocessing.key_length_formula: infinite_key``).
        postprocessing: how photon-level BB84 frames and BBM92 frames are distilled.
        photon_link: source of photon-level BB84 links (decoy states or not).
        block_bits: secret bits per key block of a fast link.
        fast_link_block_bits: if set, fast links of ``decoy-bb84`` use its finite-key
            model (Lim et al., Phys. Rev. A 89, 022307 (2014)) with post-processing
            blocks of this many sifted key bits and ``postprocessing``'s
            ``epsilon_secrecy`` and ``epsilon_correctness``; unset: the asymptotic model.
        parameter_optimiser: how those finite-key links choose their source settings
            (intensities, their probabilities, key-basis probability): ``numerical``
            (the optimiser's search, about a second per link) or ``learned`` (a neural
            network trained on that optimiser, after Wang and Lo, Phys. Rev. A 100,
            062334 (2019); outside its training domain the optimiser runs instead, and a
            warning says so). See docs/machine-learning.md.
        pool_capacity_bits: key storage at each end of a link (both directions).
        direction_share: fraction of a link's key for use by its first node.
        routing: ``shortest``, ``key_aware``, ``k_shortest``, ``multipath``, or ``learned``
            (a trained policy picks one of its candidate paths or refuses; see ``routing_model``).
        routing_model: the model file of ``routing: learned`` (JSON, written by
            ``bench/bench_learned_routing.py`` or :func:`scenarios.ml.train.train_policy`); a
            relative path is relative to the scenario file's folder. The model fixes its own
            number of candidate paths.
        k_paths: how many shortest paths ``k_shortest`` considers.
        untrusted_nodes: trusted relays that may not relay keys after all (ends and
            repeaters never do).
        pool_sample_interval_s: interval of the ``pools`` samples (default: a
            hundredth of the duration).
        controller_site: node hosting the controller (default: the network's
            centre by fibre delay).
        report_interval_s: nodes report their key levels to the controller this often.
        pool_low_bits: a store falling below this is reported at once.
        recovery_window_s: after a failure, the controller retries re-allocation
            this long (Time-Window Method).
        recovery_retry_s: interval of those retries.
        segments: repeater segments of a hybrid network (used when some node is a
            repeater): memories, target fidelity and BBM92 frame length.
    """

    link_model: str = "decoy-bb84"
    misalignment_error: float = Field(0.015, ge=0, lt=0.5)
    error_correction_efficiency: float = Field(1.16, ge=1)
    postprocessing: PostProcessingSection = PostProcessingSection()
    photon_link: PhotonLinkSection = PhotonLinkSection()
    block_bits: int = Field(4096, ge=1, le=10**8)
    fast_link_block_bits: float | None = Field(None, ge=100, le=1e15)
    parameter_optimiser: Literal["numerical", "learned"] = "numerical"
    pool_capacity_bits: int = Field(2_000_000, ge=2, le=MAX_BITS)
    direction_share: float = Field(0.5, gt=0, lt=1)
    routing: Literal["shortest", "key_aware", "k_shortest", "multipath", "learned"] = "shortest"
    routing_model: str | None = Field(None, min_length=1, max_length=4096)
    k_paths: int = Field(3, ge=1, le=100)
    untrusted_nodes: list[NodeName] = Field(default_factory=list)
    pool_sample_interval_s: float | None = Field(None, ge=MIN_INTERVAL_S, le=MAX_TIME_S)
    controller_site: NodeName | None = None
    report_interval_s: float = Field(0.1, ge=MIN_INTERVAL_S, le=MAX_TIME_S)
    pool_low_bits: int = Field(4096, ge=0, le=MAX_BITS)
    recovery_window_s: float = Field(1.0, gt=0, le=MAX_TIME_S)
    recovery_retry_s: float = Field(0.05, ge=MIN_INTERVAL_S, le=MAX_TIME_S)
    segments: SegmentSettings = Field(default_factory=SegmentSettings)


class ScheduledOutage(StrictModel):
    """Link ``link[0]``-``link[1]`` fails at ``at_s`` and is repaired ``repair_after_s`` later.

    Attributes:
        link: the two nodes at the ends of the link that fails.
        at_s: time of the failure.
        repair_after_s: down time until the repair.
    """

    link: Annotated[tuple[NodeName, NodeName], LaxTuple]
    at_s: float = Field(ge=0, le=MAX_TIME_S)
    repair_after_s: float = Field(gt=0, le=MAX_TIME_S)


class RandomFailures(StrictModel):
    """Every link fails after Exp(``mtbf_s``) up time and is repaired after Exp(``mttr_s``).

    Attributes:
        mtbf_s: mean time between failures of each link (mean up time).
        mttr_s: mean time to repair (mean down time).
    """

    mtbf_s: float = Field(gt=0, le=MAX_TIME_S)
    mttr_s: float = Field(gt=0, le=MAX_TIME_S)


class FailuresSection(StrictModel):
    """Link failures of the QKD network: scheduled ones and/or random ones.

    Attributes:
        scheduled: outages at given times.
        random: random failures of every link.
    """

    scheduled: list[ScheduledOutage] = Field(default_factory=list)
    random: RandomFailures | None = None


class KaaSSection(StrictModel):
    """Key as a service: key pools between node pairs, assembled in time slots.

    After Y. Cao, Y. Zhao, J. Wang, X. Yu, Z. Ma, J. Zhang, "KaaS: Key as a Service
    over Quantum Key Distribution Integrated Optical Networks", IEEE Commun. Mag.
    57(5), 152 (2019).

    Every ``period_s`` (T) each key pool KP(s, d) gets ``n_bits_per_slot`` (N)
    bits relayed along its Dijkstra path in a time slot of ``slot_s`` (t < T)
    chosen first-fit, the same slot on every link of the path; a pool that finds
    no free slot waits for the next period. Services carve virtual key pools out
    of a KP (``vkp`` traffic).

    Attributes:
        period_s: assembly period T.
        slot_s: length t of a time slot (t < T).
        n_bits_per_slot: bits N relayed into a key pool in one slot.
        kp_capacity_bits: most bits a key pool holds.
        pairs: the node pairs that get a KP (default: all n(n-1)/2 pairs).
    """

    period_s: float = Field(gt=0, le=MAX_TIME_S)
    slot_s: float = Field(gt=0, le=MAX_TIME_S)
    n_bits_per_slot: int = Field(ge=1, le=MAX_BITS)
    kp_capacity_bits: int = Field(1_000_000, ge=1, le=MAX_BITS)
    pairs: list[Annotated[tuple[NodeName, NodeName], LaxTuple]] | None = None


# --- outputs and the scenario ----------------------------------------------------------


class Outputs(StrictModel):
    """Which tables to write (all by default), CSV copies, and the memory sampling interval.

    Attributes:
        tables: names of the tables to write (default: all).
        csv: also write each table as CSV.
        memory_sample_interval_s: interval of the ``memories`` occupancy samples
            (default: a hundredth of the duration).
    """

    tables: list[str] | None = None
    csv: bool = False
    memory_sample_interval_s: float | None = Field(None, ge=MIN_INTERVAL_S, le=MAX_TIME_S)


FidelityLevel = Literal["hardware", "fast", "network"]

from scenarios.schema_kms import KMSSection  # noqa: E402  (it builds on StrictModel and NodeName above)


class Scenario(StrictModel):
    """A whole scenario file.

    Attributes:
        name: identifier used in result tables and default output folders.
        description: free text.
        seed: the run's one seed; every random stream is derived from it.
        duration_s: simulated time to run.
        fidelity_level: ``hardware`` simulates every generation attempt on
            SeQUeNCe's hardware models; ``fast`` samples the number of attempts
            per heralded pair from the same hardware, with SeQUeNCe's protocol
            stack above; ``network`` also samples link pairs and runs the
            repeater protocol per protocol step on qnetsim's own event loop
            (network-scale runs; entanglement traffic only).
        entanglement: protocol choices of the entanglement network.
        qkd: choices of the QKD network (used by ``key`` and ``service`` traffic).
        failures: link failures of the QKD network.
        kaas: key pools between node pairs and virtual key pools (key as a service).
        kms: key management entities serving applications over ETSI GS QKD 014.
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
    qkd: QKDSection = QKDSection()
    failures: FailuresSection = FailuresSection()
    kaas: KaaSSection | None = None
    kms: KMSSection | None = None
    network: NetworkSection
    traffic: list[TrafficItem] = Field(default_factory=list)
    outputs: Outputs = Outputs()


def traffic_end_s(item: Any, duration_s: float) -> float:
    """When a traffic item stops: its ``end_s``, or the end of the run when it has none."""
    return item.end_s if item.end_s is not None else duration_s
