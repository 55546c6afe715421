"""Shared helpers: small scenarios that run in a fraction of a second."""

from scenarios import from_dict
from scenarios.schema import Scenario


def chain_scenario(
    n_nodes: int = 3,
    duration_s: float = 0.05,
    seed: int = 1,
    length_km: float = 10.0,
    coherence_time_s: float | None = 1.0,
    raw_fidelity: float = 0.95,
    n_memories: int = 2,
    target_fidelity: float = 0.5,
    name: str = "test-chain",
) -> Scenario:
    """A chain n0 ... n{N-1} with one entanglement request between its ends."""
    return from_dict(
        {
            "name": name,
            "seed": seed,
            "duration_s": duration_s,
            "templates": {
                "nodes": {
                    "router": {
                        "n_memories": 2 * n_memories,
                        "memory": {"coherence_time_s": coherence_time_s, "raw_fidelity": raw_fidelity},
                    }
                }
            },
            "network": {
                "generator": {"kind": "chain", "n_nodes": n_nodes, "length_km": length_km},
                "node_template": "router",
            },
            "traffic": [
                {
                    "src": "n0",
                    "dst": f"n{n_nodes - 1}",
                    "n_memories": n_memories,
                    "target_fidelity": target_fidelity,
                }
            ],
        }
    )
