"""Parameters of a set of runs: which scenario fields differ, and which of them is a distance."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: Scenario fields that never count as parameters (``seed`` is an identifier column already).
NOT_PARAMETERS = frozenset({"name", "description", "seed"})
#: Name endings of parameters that are a fibre length or distance in kilometres.
DISTANCE_SUFFIXES = ("length_km", "distance_km")


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dictionaries as ``{"a.b.c": value}``; lists are kept whole as one value."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def varied_scenario_fields(scenarios: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """Scalar scenario fields whose value differs between runs, each with its value per run.

    Args:
        scenarios: the ``scenario`` entry of each run's manifest.

    Returns:
        ``{dotted field name: [value of run 0, value of run 1, ...]}`` in the
        scenario's field order; fields that are lists (nodes, traffic) or are
        the name, description or seed are left out.
    """
    flats = [flatten(scenario) for scenario in scenarios]
    names: list[str] = []
    for flat in flats:
        names.extend(name for name in flat if name not in names)
    varied = {}
    for name in names:
        if name in NOT_PARAMETERS:
            continue
        values = [flat.get(name) for flat in flats]
        if any(isinstance(value, list | dict) for value in values):
            continue
        if len({repr(value) for value in values}) > 1:
            varied[name] = values
    return varied


def distance_parameter(parameters: Iterable[str]) -> str | None:
    """The first parameter named like a length or distance in km (``links.length_km``), if any."""
    return next((name for name in parameters if name.endswith(DISTANCE_SUFFIXES)), None)
