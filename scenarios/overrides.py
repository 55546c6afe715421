"""A scenario with its seed and simulated duration overridden, validated again.

Shared by the command line (``--seed``, ``--duration-s``) and the Python API
(``seed=``, ``duration_s=``); a bad value is reported under the name the caller used.
"""

from collections.abc import Callable, Mapping

from scenarios.errors import ScenarioError
from scenarios.loader import from_dict
from scenarios.schema import Scenario


def option_name(field: str) -> str:
    """``duration_s`` -> ``--duration-s``: how the command line names an override."""
    return f"--{field.replace('_', '-')}"


def keyword_name(field: str) -> str:
    """``duration_s`` -> ``duration_s=``: how the Python API names an override."""
    return f"{field}="


def with_overrides(
    scenario: Scenario,
    seed: int | None,
    duration_s: float | None,
    source: str,
    named: Callable[[str], str] = option_name,
) -> Scenario:
    """``scenario`` with ``seed`` and ``duration_s`` (those not ``None``), validated again.

    Raises:
        ScenarioError: an override is not valid; its problem says where the value came
            from, e.g. ``seed (from --seed): must be >= 0; got -1``.
    """
    overrides = {field: value for field, value in (("seed", seed), ("duration_s", duration_s)) if value is not None}
    if not overrides:
        return scenario
    data = scenario.model_dump(mode="json", exclude_unset=True) | overrides
    try:
        return from_dict(data, source)
    except ScenarioError as error:
        problems = [_name_override(problem, overrides, named) for problem in error.problems]
        raise ScenarioError(problems, source) from None


def _name_override(problem: str, overrides: Mapping[str, object], named: Callable[[str], str]) -> str:
    """``seed: must be >= 0; got -1`` -> ``seed (from --seed): ...`` when the seed was overridden."""
    field, separator, rest = problem.partition(": ")
    if separator and field in overrides:
        return f"{field} (from {named(field)}): {rest}"
    return problem
