"""From a checked scenario to what the simulator layers take: a network spec and requests."""

import dataclasses
import functools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from qnetsim.core.randomness import generator
from qnetsim.core.requests import EntanglementRequest, TeleportationTraffic
from qnetsim.core.roles import key_link_allowed
from qnetsim.core.spec import LinkSpec, NetworkSpec, QTNOptions
from qnetsim.core.units import fibre_delay_s
from qtn.engine import EntanglementEngine
from scenarios.hardware_spec import network_spec  # noqa: F401 (re-exported: scenarios.build.network_spec)
from scenarios.routing_model import learned_routing
from scenarios.schema import Scenario, traffic_end_s

if TYPE_CHECKING:  # the key layers: imported by the functions that build them, only when a run has key traffic
    from qkdn.bbm92 import BBM92Session
    from qkdn.demand import SaturatingDemand
    from qkdn.failures import LinkOutage
    from qkdn.kaas import KeyAsAService
    from qkdn.keyrate import KeyRateModel
    from qkdn.keyrate.hardware import KeyRateHardwareConfig
    from qkdn.kms.config import KMSConfig
    from qkdn.network import KeyRequest, QKDNetwork
    from qkdn.photon.config import PhotonLinkConfig, PhotonSourceConfig, PostProcessingConfig
    from qkdn.photon.distillation import DistillationSettings
    from qkdn.segments import HybridSplit
    from qkdn.services import ServiceSpec

#: Random streams of a BBM92 session: the users' bases, the measurement outcomes, post-processing.
RNG_ROLES = ("alice", "bob", "nature", "alice_pp", "bob_pp")


def entanglement_requests(scenario: Scenario) -> list[EntanglementRequest]:
    """The scenario's entanglement traffic as requests numbered in file order."""
    return [
        EntanglementRequest(
            request_id=i,
            src=item.src,
            dst=item.dst,
            start_s=item.start_s,
            end_s=traffic_end_s(item, scenario.duration_s),
            n_memories=item.n_memories,
            target_fidelity=item.target_fidelity,
            hold_s=getattr(item, "hold_s", 0.0),
        )
        for i, item in enumerate(scenario.traffic)
        if item.kind in ("entanglement", "bbm92")
    ]


def hybrid_split(scenario: Scenario, spec: NetworkSpec) -> "HybridSplit | None":
    """The QKD and entanglement views of a hybrid scenario (key traffic and repeaters); None otherwise.

    Raises:
        ConfigError: the repeaters' layout does not make proper segments (see
            :func:`qkdn.segments.split_network`).
    """
    if not has_key_traffic(scenario):
        return None
    from qkdn.segments import is_hybrid, split_network

    if not is_hybrid(spec):
        return None
    return split_network(spec, scenario.entanglement.routing)


def segment_requests(scenario: Scenario, split: "HybridSplit") -> list[EntanglementRequest]:
    """One entanglement request per repeater segment for the whole run, numbered after the traffic items."""
    settings = scenario.qkd.segments
    return [
        EntanglementRequest(
            request_id=len(scenario.traffic) + k,
            src=segment.a,
            dst=segment.b,
            start_s=0.0,
            end_s=scenario.duration_s,
            n_memories=settings.n_memories,
            target_fidelity=settings.target_fidelity,
        )
        for k, segment in enumerate(split.segments)
    ]


def segment_sessions(
    scenario: Scenario, split: "HybridSplit", entanglement: Any, qkd: "QKDNetwork", timeline: Any
) -> "list[BBM92Session]":
    """A BBM92 session per segment: its delivered pairs become key in the segment link's pools.

    Each session listens to its segment's request (ids from :func:`segment_requests`);
    frame rows go to the QKD network's ``link_blocks`` (kind ``bbm92-segment``)
    and accepted keys into the pools when their post-processing ends.
    """
    from qkdn.bbm92 import BBM92Session
    from qtn.sequence_backed import adapter

    sessions = []
    requests = segment_requests(scenario, split)
    for segment, request in zip(split.segments, requests, strict=True):
        deliver = qkd.add_segment_link(segment.a, segment.b)
        session = BBM92Session(
            name=segment.name,
            frame_bits=scenario.qkd.segments.frame_bits,
            settings=bbm92_distillation_settings(scenario),
            rngs={role: generator(scenario.seed, f"segment.{segment.name}.{role}") for role in RNG_ROLES},
            classical_delay_s=fibre_delay_s(segment.length_km),
            schedule=functools.partial(adapter.schedule_call, timeline),
            on_block=qkd.record_block,
            on_key=deliver,
            keep_keys=False,
        )
        entanglement.add_pair_listener(request.request_id, session.on_pair)
        entanglement.add_request(request, purpose=f"bbm92 segment {segment.name}")
        sessions.append(session)
    return sessions


def bbm92_sessions(
    scenario: Scenario, network: EntanglementEngine, schedule: Callable[..., None], on_block: Any
) -> "list[BBM92Session]":
    """A BBM92 session per ``bbm92`` traffic item, listening to its request's delivered pairs.

    ``schedule(time_s, function, *args)`` runs a call on the loop that delivers the
    pairs (SeQUeNCe's timeline, or the network-scale engine's own loop).
    """
    sessions = []
    graph = None
    for i, item in enumerate(scenario.traffic):
        if item.kind != "bbm92":
            continue
        name = f"{item.src}~{item.dst} bbm92"
        from qkdn.bbm92 import BBM92Session  # the key layers: only for bbm92 traffic

        graph = graph if graph is not None else network.spec.graph()  # once, and only with bbm92 traffic
        path = nx.shortest_path(graph, item.src, item.dst, weight="length_km")
        delay_s = sum(fibre_delay_s(graph.edges[u, v]["length_km"]) for u, v in zip(path, path[1:], strict=False))
        session = BBM92Session(
            name=name,
            frame_bits=item.frame_bits,
            settings=bbm92_distillation_settings(scenario),
            rngs={role: generator(scenario.seed, f"bbm92.{i}.{role}") for role in RNG_ROLES},
            classical_delay_s=delay_s,
            schedule=schedule,
            on_block=on_block,
        )
        network.add_pair_listener(i, session.on_pair)
        sessions.append(session)
    return sessions


#: Bloch vectors of the named input states.
NAMED_BLOCH_VECTORS: dict[str, tuple[float, float, float]] = {
    "zero": (0.0, 0.0, 1.0),
    "one": (0.0, 0.0, -1.0),
    "plus": (1.0, 0.0, 0.0),
    "minus": (-1.0, 0.0, 0.0),
    "plus_i": (0.0, 1.0, 0.0),
    "minus_i": (0.0, -1.0, 0.0),
}


def haar_random_bloch_vectors(rng: np.random.Generator, n: int) -> list[tuple[float, float, float]]:
    """``n`` Bloch vectors of Haar-random pure qubit states (uniform on the sphere)."""
    vectors = rng.normal(size=(n, 3))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [(float(x), float(y), float(z)) for x, y, z in vectors]


def _input_vectors(states: object, n: int, rng: np.random.Generator) -> tuple[tuple[float, float, float], ...]:
    if states == "random":
        return tuple(haar_random_bloch_vectors(rng, n))
    assert isinstance(states, list)
    cycle = [NAMED_BLOCH_VECTORS[s] if isinstance(s, str) else tuple(float(x) for x in s) for s in states]
    vectors = [cycle[k % len(cycle)] for k in range(n)]
    return tuple((x / math.hypot(x, y, z), y / math.hypot(x, y, z), z / math.hypot(x, y, z)) for x, y, z in vectors)


def teleportation_traffic(scenario: Scenario) -> list[TeleportationTraffic]:
    """The scenario's teleportation traffic, numbered by position in the traffic list."""
    traffic = []
    for i, item in enumerate(scenario.traffic):
        if item.kind != "teleportation":
            continue
        end_s = traffic_end_s(item, scenario.duration_s)
        interval_s = item.interval_s if item.interval_s is not None else (end_s - item.start_s) / item.n_teleportations
        start_times = tuple(item.start_s + k * interval_s for k in range(item.n_teleportations))
        rng = generator(scenario.seed, f"teleportation.{i}.inputs")
        traffic.append(
            TeleportationTraffic(
                request_id=i,
                src=item.src,
                dst=item.dst,
                scheme=item.scheme,
                start_s=item.start_s,
                end_s=end_s,
                start_times_s=start_times,
                inputs=_input_vectors(item.input_states, item.n_teleportations, rng),
                n_memories=item.n_memories,
                target_fidelity=item.target_fidelity,
            )
        )
    return traffic


def qtn_options(scenario: Scenario) -> QTNOptions:
    """The entanglement network's protocol options for ``scenario``."""
    settings = scenario.entanglement
    return QTNOptions(
        link_mode=scenario.fidelity_level,
        swapping_order=settings.swapping_order,
        purification=settings.purification,
        purification_rounds=settings.purification_rounds,
        cutoff_s=settings.cutoff_s,
        routing=settings.routing,
    )


def key_requests(scenario: Scenario) -> list["KeyRequest"]:
    """The scenario's key traffic as requests: Poisson arrivals (or evenly spaced), numbered in time order."""
    from qkdn.network import KeyRequest

    arrivals: list[tuple[float, int, object]] = []
    for i, item in enumerate(scenario.traffic):
        if item.kind != "key" or item.n_outstanding is not None:
            continue
        end_s = traffic_end_s(item, scenario.duration_s)
        window = end_s - item.start_s
        if item.n_requests is not None:
            times = [item.start_s + window * k / item.n_requests for k in range(item.n_requests)]
        else:
            rng = generator(scenario.seed, f"traffic.{i}.arrivals")
            gaps = rng.exponential(1.0 / item.rate_hz, size=int(item.rate_hz * window * 2 + 20))
            while gaps.sum() < window:
                gaps = np.concatenate([gaps, rng.exponential(1.0 / item.rate_hz, size=len(gaps))])
            times = [float(t) for t in item.start_s + np.cumsum(gaps) if t < end_s]
        arrivals += [(t, i, item) for t in times]
    arrivals.sort(key=lambda entry: (entry[0], entry[1]))
    return [
        KeyRequest(
            request_id=n,
            t_s=t,
            src=item.src,  # type: ignore[attr-defined]
            dst=item.dst,  # type: ignore[attr-defined]
            n_bits=item.bits,  # type: ignore[attr-defined]
            deadline_s=t + item.deadline_s,  # type: ignore[attr-defined]
            priority=item.priority,  # type: ignore[attr-defined]
        )
        for n, (t, _, item) in enumerate(arrivals)
    ]


def saturating_demands(scenario: Scenario, network: "QKDNetwork", first_request_id: int) -> list["SaturatingDemand"]:
    """The scenario's closed-loop key traffic (``n_outstanding``), numbering requests from ``first_request_id``."""
    from qkdn.demand import SaturatingDemand, request_id_source

    ids = request_id_source(first_request_id)
    return [
        SaturatingDemand(
            network=network,
            src=item.src,
            dst=item.dst,
            n_bits=item.bits,
            n_outstanding=item.n_outstanding,
            start_s=item.start_s,
            end_s=traffic_end_s(item, scenario.duration_s),
            deadline_s=item.deadline_s,
            request_ids=ids,
            priority=item.priority,
        )
        for item in scenario.traffic
        if item.kind == "key" and item.n_outstanding is not None
    ]


def has_key_traffic(scenario: Scenario) -> bool:
    """Whether the scenario runs a QKD network."""
    keys = scenario.kaas is not None or scenario.kms is not None
    return keys or any(item.kind in ("key", "service", "vkp") for item in scenario.traffic)


def key_as_a_service(scenario: Scenario, network: "QKDNetwork") -> "KeyAsAService | None":
    """Key pools between node pairs and the scenario's VKP requests, if ``kaas`` is set."""
    from qkdn.kaas import KaaSSettings, KeyAsAService

    if scenario.kaas is None:
        return None
    kaas = scenario.kaas
    service = KeyAsAService(
        network,
        KaaSSettings(
            period_s=kaas.period_s,
            slot_s=kaas.slot_s,
            n_bits_per_slot=kaas.n_bits_per_slot,
            kp_capacity_bits=kaas.kp_capacity_bits,
        ),
        pairs=[(pair[0], pair[1]) for pair in kaas.pairs] if kaas.pairs is not None else None,
    )
    service.start(0.0, scenario.duration_s)
    for item in scenario.traffic:
        if item.kind == "vkp":
            service.request_vkp(item.at_s, item.service, item.src, item.dst, item.bits)
    return service


def services(scenario: Scenario) -> "list[ServiceSpec]":
    """The scenario's key services, numbered by position in the traffic list."""
    from qkdn.services import ServiceSpec

    return [
        ServiceSpec(
            service_id=i,
            src=item.src,
            dst=item.dst,
            key_rate_bps=item.key_rate_bps,
            period_s=item.period_s,
            start_s=item.start_s,
            end_s=traffic_end_s(item, scenario.duration_s),
        )
        for i, item in enumerate(scenario.traffic)
        if item.kind == "service"
    ]


def outages(scenario: Scenario, spec: NetworkSpec, split: "HybridSplit | None" = None) -> "list[LinkOutage]":
    """Scheduled and random link outages of ``scenario`` (random ones per fibre, from the seed).

    In a hybrid network an outage of a segment's fibre is an outage of the
    segment's key link (of every segment over that fibre); a fibre on no
    segment's path carries no key, so its outage does not reach the QKD network.
    """
    from qkdn.failures import LinkOutage, random_outages

    failures = scenario.failures
    result = [
        LinkOutage(item.link[0], item.link[1], item.at_s, item.at_s + item.repair_after_s)
        for item in failures.scheduled
    ]
    if failures.random is not None:
        for link in spec.links:
            rng = generator(scenario.seed, f"failures.{link.name}")
            result += random_outages(
                link.a, link.b, failures.random.mtbf_s, failures.random.mttr_s, scenario.duration_s, rng
            )
    if split is None:
        return result
    key_links = {frozenset((link.a, link.b)) for link in split.qkd_spec.links}
    mapped = []
    for outage in result:
        if frozenset((outage.a, outage.b)) in key_links:
            mapped.append(outage)
        else:
            mapped += [
                LinkOutage(segment.a, segment.b, outage.down_s, outage.up_s)
                for segment in split.segments_of_fibre(outage.a, outage.b)
            ]
    return mapped


def key_links(spec: NetworkSpec) -> list[LinkSpec]:
    """The fibre links that run QKD: both ends hold keys, so neither is a repeater (see :mod:`qnetsim.core.roles`)."""
    return [link for link in spec.links if key_link_allowed(spec.node(link.a).role, spec.node(link.b).role)]


def has_entanglement_traffic(scenario: Scenario) -> bool:
    """Whether the scenario runs an entanglement network."""
    return any(item.kind in ("entanglement", "teleportation", "bbm92") for item in scenario.traffic)


def qkd_network(
    scenario: Scenario, spec: NetworkSpec, timeline: object, split: "HybridSplit | None" = None
) -> "QKDNetwork":
    """The QKD network of ``scenario`` on ``timeline``, with model-based links feeding its pools.

    With ``split`` (a hybrid network) the QKD network is built on its QKD view:
    BB84 runs on the direct links only; the segment links are fed by BBM92
    (:func:`segment_sessions`), and outages of segment fibres hit the segment links.
    """
    from qkdn.network import QKDNetwork, QKDSettings

    qkd = scenario.qkd
    whole = spec
    if split is not None:
        spec = split.qkd_spec
    segment_names = {segment.name for segment in split.segments} if split is not None else set()
    settings = QKDSettings(
        routing=qkd.routing,
        k_paths=qkd.k_paths,
        block_bits=qkd.block_bits,
        pool_capacity_bits=qkd.pool_capacity_bits,
        direction_share=qkd.direction_share,
        untrusted=tuple(qkd.untrusted_nodes),
        controller_site=qkd.controller_site,
        report_interval_s=qkd.report_interval_s,
        pool_low_bits=qkd.pool_low_bits,
        twm_window_s=qkd.recovery_window_s,
        twm_retry_s=qkd.recovery_retry_s,
        routing_policy=learned_routing(scenario),
    )
    network = QKDNetwork(spec, settings, scenario.seed, timeline)
    direct = [link for link in key_links(spec) if link.name not in segment_names]
    if qkd.link_model == "photon":
        for link in direct:
            network.add_photon_link(photon_link_config(scenario, spec, link), 0.0, scenario.duration_s)
    else:
        _add_fast_links(scenario, spec, network, direct)
    requests = key_requests(scenario)
    for request in requests:
        network.add_request(request)
    for demand in saturating_demands(scenario, network, first_request_id=len(requests)):
        demand.start()
    for service in services(scenario):
        network.add_service(service)
    for outage in outages(scenario, whole, split):
        network.add_outage(outage)
    network.start_reports(scenario.duration_s)
    return network


def photon_link_config(scenario: Scenario, spec: NetworkSpec, link: LinkSpec) -> "PhotonLinkConfig":
    """The photon-level BB84 link ``link.a -> link.b`` from the shared hardware description."""
    from qkdn.link_hardware import polarization_fidelity
    from qkdn.photon.config import PhotonLinkConfig

    return PhotonLinkConfig(
        name=link.name,
        alice=link.a,
        bob=link.b,
        length_km=link.length_km,
        fibre=link.hardware.fibre,
        light_source=spec.node(link.a).hardware.light_source,
        detector=spec.node(link.b).hardware.detector,
        polarization_fidelity=polarization_fidelity(scenario.qkd.misalignment_error),
        frame_bits=photon_block_bits(scenario),
        postprocessing=photon_postprocessing_config(scenario),
        source=photon_source_config(scenario),
    )


#: Sifted key bits per photon-level decoy block when its key length is finite (Lim et al. 2014).
FINITE_KEY_PHOTON_BLOCK_BITS = 2**20


def photon_block_bits(scenario: Scenario) -> int:
    """Sifted key bits per photon-level block: ``qkd.photon_link.block_bits`` or its default."""
    section = scenario.qkd.photon_link
    if section.block_bits is not None:
        return section.block_bits
    if section.source == "decoy" and scenario.qkd.postprocessing.key_length == "finite":
        return FINITE_KEY_PHOTON_BLOCK_BITS
    return scenario.qkd.block_bits


def photon_postprocessing_config(scenario: Scenario) -> "PostProcessingConfig":
    """Post-processing of photon-level BB84 blocks: ``qkd.postprocessing``, sized by its ``key_length``.

    With the decoy source, ``finite`` sizes each block by the finite-key length of Lim et
    al. (2014) on its tallies; both lengths are reported. Without decoys the weak pulses
    have no finite-key bound here (Tomamichel et al.'s assumes single photons), so
    ``key_length_formula`` (GLLP, asymptotic) sizes them.
    """
    config = postprocessing_config(scenario)
    if scenario.qkd.photon_link.source == "decoy" and scenario.qkd.postprocessing.key_length == "finite":
        return config.model_copy(update={"key_length_formula": "finite_key"})
    return config


def photon_source_config(scenario: Scenario) -> "PhotonSourceConfig":
    """The photon-level links' source from ``qkd.photon_link``."""
    from qkdn.photon.config import PhotonSourceConfig

    section = scenario.qkd.photon_link
    return PhotonSourceConfig(
        kind=section.source,
        intensities=section.intensities,
        intensity_probabilities=section.intensity_probabilities,
        z_basis_probability=section.z_basis_probability,
        pulses=section.pulses,
    )


def postprocessing_config(scenario: Scenario) -> "PostProcessingConfig":
    """How ``scenario`` distils frames (photon BB84 links, BBM92): ``qkd.postprocessing`` and ``qkd``'s ``f``."""
    from qkdn.photon.config import PostProcessingConfig

    return PostProcessingConfig(
        **scenario.qkd.postprocessing.model_dump(exclude={"key_length"}),
        error_correction_efficiency=scenario.qkd.error_correction_efficiency,
    )


def bbm92_distillation_settings(scenario: Scenario) -> "DistillationSettings":
    """How BBM92 blocks are distilled: ``qkd.postprocessing``, sized by its ``key_length``.

    ``finite`` uses Tomamichel et al.'s finite-key length (an entangled pair measured
    in two mutually unbiased bases has preparation quality 1, as their bound needs);
    ``asymptotic`` keeps ``key_length_formula``.
    """
    settings = postprocessing_config(scenario).distillation_settings()
    if scenario.qkd.postprocessing.key_length == "finite":
        return dataclasses.replace(settings, key_length_formula="finite_key")
    return settings


def link_keyrate_hardware(scenario: Scenario, spec: NetworkSpec, link: LinkSpec) -> "KeyRateHardwareConfig":
    """The key-rate models' view of ``link.a -> link.b``: its fibre, a's source, b's detector, the qkd settings."""
    from qkdn.link_hardware import keyrate_hardware

    return keyrate_hardware(
        link.hardware.fibre,
        spec.node(link.a).hardware.light_source,
        spec.node(link.b).hardware.detector,
        scenario.qkd.misalignment_error,
        scenario.qkd.error_correction_efficiency,
    )


def fast_link_model(scenario: Scenario) -> "KeyRateModel":
    """The model of the fast links: ``qkd.link_model``, finite-key if ``qkd.fast_link_block_bits`` is set.

    With ``qkd.parameter_optimiser: learned`` the finite-key decoy BB84 links take their
    source settings from the trained network (:mod:`qkdn.ml.parameters`).
    """
    from qkdn.keyrate import get_model
    from qkdn.keyrate.finite_models import finite_model

    qkd = scenario.qkd
    if qkd.fast_link_block_bits is None:
        return get_model(qkd.link_model)
    post = qkd.postprocessing
    if qkd.parameter_optimiser == "learned":
        from qkdn.ml.parameters import LearnedDecoyBB84FiniteModel

        return LearnedDecoyBB84FiniteModel(
            block_bits=qkd.fast_link_block_bits, eps_sec=post.epsilon_secrecy, eps_cor=post.epsilon_correctness
        )
    return finite_model(
        qkd.link_model, qkd.fast_link_block_bits, eps_sec=post.epsilon_secrecy, eps_cor=post.epsilon_correctness
    )


def _add_fast_links(scenario: Scenario, spec: NetworkSpec, network: "QKDNetwork", links: list[LinkSpec]) -> None:
    model = fast_link_model(scenario)
    for link in links:
        point = model.evaluate(link.length_km, link_keyrate_hardware(scenario, spec, link))
        network.add_fast_link(link.a, link.b, point, 0.0, scenario.duration_s)


def kms_config(scenario: Scenario) -> "KMSConfig | None":
    """The key management entities of ``scenario`` (its ``kms`` section), None if it has none."""
    section = scenario.kms
    if section is None:
        return None
    from qkdn.kms.config import KMEConfig, KMSConfig, KMSLimitsConfig

    kmes = []
    for entry in section.kmes:
        limits = entry.limits or section.limits
        kmes.append(KMEConfig(entry.kme_id, entry.node, tuple(entry.sae_ids), KMSLimitsConfig(**limits.model_dump())))
    return KMSConfig(tuple(kmes), relay_bits=section.relay_bits, relay_timeout_s=section.relay_timeout_s)
