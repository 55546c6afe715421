"""The pre-run cost estimate: oversized values are refused, naming the field; the library fits."""

import pytest

from qnetsim.core.errors import ConfigError
from scenarios import library, load
from scenarios.budget import Budget, budget_from_options, budget_problems, estimate, machine_memory_bytes
from scenarios.errors import ScenarioError
from scenarios.loader import from_dict

#: A budget well below any machine this runs on, so the checks do not depend on the machine.
SMALL = Budget(memory_bytes=4e9, events=1e9, source="test")

QKD_BASE = {
    "name": "qkd-small",
    "duration_s": 1.0,
    "qkd": {"block_bits": 2048},
    "network": {"generator": {"kind": "chain", "n_nodes": 3, "length_km": 20, "interior_role": "trusted_relay"}},
    "traffic": [{"kind": "key", "src": "n0", "dst": "n2", "bits": 256, "rate_hz": 2.0, "deadline_s": 5.0}],
}
ENTANGLEMENT_BASE = {
    "name": "ent-small",
    "duration_s": 1.0,
    "templates": {"nodes": {"router": {"n_memories": 4}}},
    "network": {"generator": {"kind": "chain", "n_nodes": 3, "length_km": 10}, "node_template": "router"},
    "traffic": [{"kind": "entanglement", "src": "n0", "dst": "n2", "target_fidelity": 0.8}],
}


def with_(base: dict, **changes: object) -> dict:
    """``base`` with dotted-path ``changes`` (``qkd__block_bits`` sets ``qkd.block_bits``)."""
    data = {key: (dict(value) if isinstance(value, dict) else value) for key, value in base.items()}
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        node = data
        for name in parents:
            node[name] = dict(node.get(name, {}))
            node = node[name]
        node[leaf] = value
    return data


#: The issue's oversized cases that pass the schema: (scenario data, field named, what is exceeded).
OVERSIZED = {
    "n_memories": (
        with_(ENTANGLEMENT_BASE, templates={"nodes": {"router": {"n_memories": 1_000_000_000}}}),
        "templates.nodes.router.n_memories",
        "memory",
    ),
    "memory_samples": (
        with_(ENTANGLEMENT_BASE, outputs={"memory_sample_interval_s": 1e-9}),
        "outputs.memory_sample_interval_s",
        "memory",
    ),
    "pool_samples": (with_(QKD_BASE, qkd__pool_sample_interval_s=1e-9), "qkd.pool_sample_interval_s", "memory"),
    "reports": (with_(QKD_BASE, qkd__report_interval_s=1e-9, duration_s=10.0), "qkd.report_interval_s", "events"),
    "key_rate": (
        with_(QKD_BASE, traffic=[{**QKD_BASE["traffic"][0], "rate_hz": 1e12}]),
        "traffic[0].rate_hz",
        "memory",
    ),
    "block_bits": (
        with_(
            QKD_BASE,
            qkd__block_bits=1,
            qkd__pool_capacity_bits=4 * 10**9,
            traffic=[{**QKD_BASE["traffic"][0], "bits": 10**9}],
        ),
        "qkd.block_bits",
        "memory",
    ),
}


@pytest.mark.parametrize("case", sorted(OVERSIZED))
def test_oversized_values_are_refused_naming_the_field(case):
    data, field, kind = OVERSIZED[case]
    problems = budget_problems(estimate(from_dict(data)), SMALL)
    assert problems, f"{case} was not refused"
    assert problems[0].startswith(f"{field}: "), problems
    assert (f"over the {kind} budget" if kind == "memory" else "over the budget of") in problems[0]
    assert "--allow-large" in problems[0]


@pytest.mark.parametrize("name", library.names())
def test_every_library_scenario_fits_a_small_budget(name):
    cost = estimate(load(name))
    assert budget_problems(cost, SMALL) == [], name
    assert cost.memory_bytes < 1e9 and cost.events < 1e7


def test_estimate_grows_with_the_driving_value():
    """Memory samples: rows = ceil(duration / interval) x nodes, so 10x shorter interval is ~10x the rows."""
    rows = []
    for interval_s in (1e-3, 1e-4):
        cost = estimate(from_dict(with_(ENTANGLEMENT_BASE, outputs={"memory_sample_interval_s": interval_s})))
        rows.append(next(part.count for part in cost.costs if part.field == "outputs.memory_sample_interval_s"))
    assert rows == [1000 * 3, 10_000 * 3]


def test_interval_below_a_nanosecond_is_a_schema_error():
    with pytest.raises(ScenarioError, match=r"qkd\.pool_sample_interval_s: .*1e-09"):
        from_dict(with_(QKD_BASE, qkd__pool_sample_interval_s=1e-12))
    with pytest.raises(ScenarioError, match=r"outputs\.memory_sample_interval_s"):
        from_dict(with_(ENTANGLEMENT_BASE, outputs={"memory_sample_interval_s": 1e-15}))


def test_options_give_the_budget():
    assert budget_from_options(True, None) is None
    assert budget_from_options(False, 2.0).memory_bytes == 2e9
    assert budget_from_options(False, 2.0, n_parallel=4).memory_bytes == 5e8
    assert budget_from_options(False, None).memory_bytes == pytest.approx(machine_memory_bytes() / 2)
    with pytest.raises(ConfigError, match="--memory-budget-gb: must be > 0"):
        budget_from_options(False, 0.0)
