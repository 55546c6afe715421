"""Cross-reference checks of the ``kms`` section: KMEs at key-holding nodes, ids unique, relays that fit the pools."""

from collections.abc import Mapping

from scenarios.schema import Scenario
from scenarios.validation import did_you_mean

#: Most master-slave SAE pairs (each keeps its own keys ready): beyond this the KMEs' stores alone fill memory.
MAX_SAE_PAIRS = 10_000


def kms_problems(scenario: Scenario, roles: Mapping[str, str]) -> list[str]:
    """Problems of ``scenario.kms`` given the network's node ``roles`` (name -> role), each with its path."""
    section = scenario.kms
    if section is None:
        return []
    problems = []
    seen: dict[str, str] = {}  # id -> where it was first given
    nodes: dict[str, str] = {}
    for i, kme in enumerate(section.kmes):
        where = f"kms.kmes[{i}]"
        if kme.node not in roles:
            problems.append(
                f"{where}.node: must name a node of the network; got {kme.node!r}"
                f"{did_you_mean(kme.node, sorted(roles))}"
            )
        elif roles[kme.node] == "repeater":
            problems.append(
                f"{where}.node: a KME needs a node that holds keys (end or trusted_relay); {kme.node!r} is a repeater"
            )
        elif kme.node in nodes:
            problems.append(f"{where}.node: {nodes[kme.node]} sits at {kme.node!r} already; one KME per node")
        nodes.setdefault(kme.node, where)
        for name, path in [(kme.kme_id, f"{where}.kme_id")] + [
            (sae, f"{where}.sae_ids[{j}]") for j, sae in enumerate(kme.sae_ids)
        ]:
            if name in seen:
                problems.append(f"{path}: ids of KMEs and SAEs must be unique; {name!r} is {seen[name]} already")
            seen.setdefault(name, path)
    qkd = scenario.qkd
    store_bits = int(qkd.pool_capacity_bits * min(qkd.direction_share, 1 - qkd.direction_share))
    if section.relay_bits > store_bits:
        problems.append(
            f"kms.relay_bits: must fit a link's key store for one direction ({store_bits} bits:"
            f" qkd.pool_capacity_bits x the smaller direction share); got {section.relay_bits}"
        )
    n_saes = [len(kme.sae_ids) for kme in section.kmes]
    n_pairs = sum(n_saes) ** 2 - sum(n * n for n in n_saes)
    if n_pairs > MAX_SAE_PAIRS:
        problems.append(f"kms.kmes: {n_pairs} master-slave pairs of SAEs at different KMEs; at most {MAX_SAE_PAIRS}")
    return problems
