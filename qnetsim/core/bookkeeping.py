"""What both entanglement engines share: a request's set-up time and the rows of their tables.

:class:`qtn.sequence_backed.network.EntanglementNetwork` (SeQUeNCe, hardware and fast levels) and
:class:`qtn.netscale.NetworkScaleNetwork` (network level) write the same
``pairs``, ``entanglement_requests``, ``links`` and ``purifications`` rows and wait
the same reservation set-up time; one definition here keeps them equal.
"""

from collections.abc import Sequence

import networkx as nx

from qnetsim.core.requests import EntanglementRequest
from qnetsim.core.spec import LinkSpec, NetworkSpec
from qnetsim.core.units import fibre_delay_s, ps_to_s

#: Extra time allowed beyond the reservation round trip before resources are used.
SETUP_GUARD_S = 1e-6


def delay_graph(spec: NetworkSpec) -> nx.Graph:
    """The spec's graph with each link's fibre delay as edge attribute ``delay_s``."""
    graph = spec.graph()
    for link in spec.links:
        graph.edges[link.a, link.b]["delay_s"] = fibre_delay_s(link.length_km, link.hardware.fibre.speed_km_per_s)
    return graph


def setup_time_s(graph: nx.Graph, path: Sequence[str]) -> float:
    """Reservation set-up along ``path``: RSVP travels hop by hop to the responder and back, plus a guard.

    Rules may only start once every node on the path has them.
    """
    delay_s = sum(graph.edges[u, v]["delay_s"] for u, v in zip(path, path[1:], strict=False))
    return 2.0 * delay_s + SETUP_GUARD_S


def pair_record(
    request: EntanglementRequest,
    time_ps: int,
    path: Sequence[str],
    fidelity: float,
    wait_ps: int,
    stored_ps: int,
    memory_index: int,
) -> dict[str, object]:
    """One row of the ``pairs`` table."""
    return {
        "request_id": request.request_id,
        "t_s": ps_to_s(time_ps),
        "src": request.src,
        "dst": request.dst,
        "path": "-".join(path),
        "n_hops": len(path) - 1,
        "fidelity": fidelity,
        "latency_s": ps_to_s(wait_ps),
        "stored_s": ps_to_s(stored_ps),
        "memory_index": memory_index,
    }


def request_record(
    request: EntanglementRequest,
    purpose: str,
    approved: bool | None,
    outcome_time_s: float | None,
    path: Sequence[str],
    n_pairs: int,
    reason: str,
) -> dict[str, object]:
    """One row of the ``entanglement_requests`` table (before the runner adds rates and fidelities)."""
    return {
        "request_id": request.request_id,
        "purpose": purpose,
        "src": request.src,
        "dst": request.dst,
        "start_s": request.start_s,
        "end_s": request.end_s,
        "n_memories": request.n_memories,
        "target_fidelity": request.target_fidelity,
        "approved": bool(approved),
        "setup_s": (outcome_time_s - request.start_s) if outcome_time_s is not None else None,
        "path": "-".join(path),
        "n_hops": max(len(path) - 1, 0),
        "n_pairs": n_pairs,
        "reason": reason if approved is not None else "no answer before the run ended",
    }


def link_record(
    link: LinkSpec,
    link_mode: str,
    n_attempts: int,
    n_successes: int,
    attempt_period_s: float,
    model_success_probability: float,
) -> dict[str, object]:
    """One row of the ``links`` table: attempts and successes, with the model's success probability.

    ``model_success_probability`` is the per-attempt probability the link's hardware predicts
    (:func:`qtn.routing.link_success_probability`, a formula).
    """
    return {
        "link": link.name,
        "a": link.a,
        "b": link.b,
        "length_km": link.length_km,
        "link_mode": link_mode,
        "n_attempts": n_attempts,
        "n_successes": n_successes,
        "success_probability": n_successes / n_attempts if n_attempts else float("nan"),
        "model_success_probability": model_success_probability,
        "attempt_period_s": attempt_period_s,
    }


def purification_record(a: str, b: str, protocol: str, n_attempts: int, n_successes: int) -> dict[str, object]:
    """One row of the ``purifications`` table: rounds attempted and succeeded between ``a`` and ``b``."""
    return {
        "a": a,
        "b": b,
        "protocol": protocol,
        "n_attempts": n_attempts,
        "n_successes": n_successes,
        "success_probability": n_successes / n_attempts,
    }
