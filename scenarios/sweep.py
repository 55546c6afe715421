"""Parameter sweeps: parameter values, parameter paths and the grid of points.

A sweep runs one base scenario at every point of a grid. Each parameter is a
dotted path into the scenario (``duration_s``, ``network.links[*].length_km``,
``templates.nodes.router.memory.coherence_time_s``, ``traffic[0].target_fidelity``;
``[*]`` is every item of a list) with a range ``start:stop:step`` (stop included),
a list ``0.1,0.2,0.5`` or one value; several parameters form a cartesian grid, and
every point runs for every seed. ``links.length_km`` is short for every link's
length, whether the links are listed or generated.

The points run into a sweep folder (:mod:`scenarios.sweep_folder`), which makes
them resumable, and are gathered into tidy tables with the parameters as columns.
"""

import copy
import hashlib
import itertools
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qnetsim.core.errors import ConfigError
from scenarios.errors import ScenarioError
from scenarios.loader import from_dict
from scenarios.schema import Scenario
from scenarios.tables import ID_COLUMNS, TABLES
from scenarios.validation import did_you_mean, show_value

MAX_POINTS = 100_000
WILDCARD = "*"
LINK_LENGTH_ALIAS = "links.length_km"

Scalar = int | float | bool | str
Token = str | int  # a field name, a list index, or WILDCARD
_SEGMENT = re.compile(r"([^.\[\]\s]+)((?:\[(?:\d+|\*)\])*)")


# --- values and seeds ---------------------------------------------------------------------


def _scalar(text: str) -> Scalar:
    """``"3"`` -> 3, ``"0.5"`` -> 0.5, ``"true"`` -> True, anything else stays text."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def parse_values(name: str, text: str) -> list[Scalar]:
    """Values of one parameter: ``start:stop:step`` (stop included), ``a,b,c`` or one value.

    A range of integers gives integers; mixed integers and decimals give decimals.

    Raises:
        ConfigError: empty items, a malformed or empty range, duplicates, numbers mixed with text.
    """
    text = text.strip()
    if ":" in text:
        values: list[Scalar] = _range(name, text)
    else:
        items = [item.strip() for item in text.split(",")]
        if any(not item for item in items):
            raise ConfigError(f"--param {name}: empty value in {text!r}")
        values = [_scalar(item) for item in items]
    kinds = {type(value) for value in values}
    if kinds == {int, float}:
        values = [float(value) for value in values]
    elif len(kinds) > 1:
        raise ConfigError(f"--param {name}: values must all be numbers, all true/false or all text; got {text!r}")
    repeated = sorted({show_value(v) for v in values if values.count(v) > 1})
    if repeated:
        raise ConfigError(f"--param {name}: value listed twice: {', '.join(repeated)}")
    return values


def _range(name: str, text: str) -> list[Scalar]:
    parts = [_scalar(part.strip()) for part in text.split(":")]
    numeric = all(isinstance(p, int | float) and not isinstance(p, bool) and math.isfinite(p) for p in parts)
    if len(parts) != 3 or not numeric:
        raise ConfigError(f"--param {name}: expected 'start:stop:step' with numbers; got {text!r}")
    start, stop, step = parts
    if not step > 0:  # type: ignore[operator]
        raise ConfigError(f"--param {name}: step must be > 0; got {text!r}")
    if stop < start:  # type: ignore[operator]
        raise ConfigError(f"--param {name}: stop must be >= start; got {text!r}")
    n_steps = int(math.floor((stop - start) / step + 1e-9))  # type: ignore[operator]
    if n_steps >= MAX_POINTS:
        raise ConfigError(f"--param {name}: {text!r} gives more than {MAX_POINTS} values")
    if all(isinstance(p, int) for p in parts):
        return [start + index * step for index in range(n_steps + 1)]  # type: ignore[operator]
    # Rounding drops float noise such as 0.30000000000000004 from 0.1:0.5:0.1.
    return [round(float(start) + index * float(step), 12) for index in range(n_steps + 1)]  # type: ignore[arg-type]


def parse_seeds(text: str) -> list[int]:
    """``"5"`` -> seeds 0..4; ``"3,7,11"`` (or ``"7,"`` for one seed) -> those seeds.

    Raises:
        ConfigError: not integers, negative, repeated, or a count below 1.
    """
    items = [item.strip() for item in text.split(",")]
    try:
        numbers = [int(item) for item in items if item]
    except ValueError:
        raise ConfigError(f"--seeds: expected a count N or a list of seeds like 3,7,11; got {text!r}") from None
    if "," not in text:
        if not numbers or numbers[0] < 1 or numbers[0] > MAX_POINTS:
            raise ConfigError(f"--seeds: a count must be between 1 and {MAX_POINTS}; got {text!r}")
        return list(range(numbers[0]))
    if not numbers or min(numbers) < 0 or len(set(numbers)) != len(numbers):
        raise ConfigError(f"--seeds: seeds must be distinct integers >= 0; got {text!r}")
    return numbers


def parse_assignment(text: str) -> tuple[str, list[Scalar]]:
    """``"PATH=VALUES"`` -> (path as written, values)."""
    name, separator, values = text.partition("=")
    name = name.strip()
    if not separator or not name or not values.strip():
        raise ConfigError(f"--param: expected PATH=VALUES (e.g. links.length_km=10:150:10); got {text!r}")
    if name == "seed":
        raise ConfigError("--param seed: use --seeds N or --seeds 3,7,11 to sweep seeds")
    return name, parse_values(name, values)


# --- parameter paths ----------------------------------------------------------------------


def parse_path(text: str) -> tuple[Token, ...]:
    """``"network.links[*].length_km"`` -> ``("network", "links", "*", "length_km")``."""
    tokens: list[Token] = []
    for part in text.split("."):
        match = _SEGMENT.fullmatch(part)
        if match is None:
            raise ConfigError(
                f"--param {text}: not a parameter path (expected e.g. duration_s or network.links[*].length_km)"
            )
        tokens.append(match.group(1))
        tokens += [WILDCARD if index == WILDCARD else int(index) for index in re.findall(r"\[(\d+|\*)\]", part)]
    return tuple(tokens)


def format_path(tokens: Sequence[Token]) -> str:
    """Inverse of :func:`parse_path`."""
    text = ""
    for token in tokens:
        is_index = isinstance(token, int) or token == WILDCARD
        text += f"[{token}]" if is_index else (f".{token}" if text else str(token))
    return text


def _alias(name: str, full: Mapping[str, Any]) -> str:
    """The path ``name`` stands for in this scenario (``name`` itself if it is no alias)."""
    if name != LINK_LENGTH_ALIAS:
        return name
    network = full.get("network") or {}
    generator = network.get("generator")
    if generator is not None:
        if "length_km" in generator:
            return "network.generator.length_km"
        if generator.get("kind") == "edges":
            return "network.generator.edges[*][2]"
        raise ConfigError(
            f"--param {name}: the {generator.get('kind')} generator sets no common link length "
            f"(sweep network.generator.domain_km or list the links)"
        )
    if network.get("links"):
        return "network.links[*].length_km"
    raise ConfigError(f"--param {name}: the scenario has no links")


def resolve(name: str, full: Mapping[str, Any]) -> list[tuple[Token, ...]]:
    """Every value ``name`` sets in a scenario, as concrete paths (no wildcards).

    Args:
        name: a parameter path or alias as given on the command line.
        full: the base scenario dumped with its defaults, so that fields left at
            their default can be swept too.

    Raises:
        ConfigError: the path leads nowhere in this scenario (naming where it stopped).
    """
    tokens = parse_path(_alias(name, full))
    found: list[tuple[Token, ...]] = []

    def walk(node: Any, done: tuple[Token, ...], rest: tuple[Token, ...]) -> None:
        where = format_path(done) or "the scenario"
        if not rest:
            if isinstance(node, dict | list):
                raise ConfigError(f"--param {name}: {where} is a section, not a value")
            found.append(done)
            return
        token, rest = rest[0], rest[1:]
        if isinstance(token, str) and token != WILDCARD:
            if not isinstance(node, dict):
                raise ConfigError(f"--param {name}: {where} {_kind(node)}; cannot take field {token!r}")
            if token not in node:
                choices = list(node) if done else [*node, LINK_LENGTH_ALIAS]
                hint = did_you_mean(token if done else name, choices) or f" (it has: {', '.join(map(str, node))})"
                raise ConfigError(f"--param {name}: {where} has no field {token!r}{hint}")
            walk(node[token], (*done, token), rest)
        elif not isinstance(node, list):
            raise ConfigError(f"--param {name}: {where} {_kind(node)}; cannot take [{token}]")
        elif token == WILDCARD:
            if not node:
                raise ConfigError(f"--param {name}: {where} is an empty list")
            for index, item in enumerate(node):
                walk(item, (*done, index), rest)
        else:
            index = int(token)
            if index >= len(node):
                raise ConfigError(f"--param {name}: {where} has {len(node)} item(s); got index {index}")
            walk(node[index], (*done, index), rest)

    walk(full, (), tokens)
    return found


def _kind(node: Any) -> str:
    if node is None:
        return "is not set"
    return "is a list" if isinstance(node, list) else ("is a section" if isinstance(node, dict) else "is a value")


def assign(data: dict[str, Any], path: Sequence[Token], value: Any, full: Mapping[str, Any]) -> None:
    """Set ``value`` at a concrete ``path`` of ``data`` in place.

    ``data`` holds only what the scenario set, so a section missing there is made
    on the way (a section from ``full``, which has every default).
    """
    node: Any = data
    reference: Any = full
    for token in path[:-1]:
        reference = reference[token]
        if isinstance(node, dict) and token not in node:
            node[token] = {} if isinstance(reference, dict) else copy.deepcopy(reference)
        node = node[token]
    node[path[-1]] = value


# --- the grid -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    """One swept parameter: its name as given, the concrete paths it sets, its values and column dtype."""

    name: str
    paths: tuple[str, ...]
    values: tuple[Scalar, ...]
    dtype: str


@dataclass(frozen=True)
class Point:
    """One point of a sweep: its id, parameter values (with ``seed``) and scenario data."""

    point_id: str
    params: dict[str, Scalar]
    data: dict[str, Any]

    def label(self) -> str:
        """``links.length_km=70, seed=3``."""
        return ", ".join(f"{name}={value}" for name, value in self.params.items())


@dataclass(frozen=True)
class SweepPlan:
    """Every point of a sweep, each checked to be a valid scenario."""

    sweep_id: str
    base: dict[str, Any]
    parameters: tuple[Parameter, ...]
    seeds: tuple[int, ...]
    points: tuple[Point, ...]


def _dtype(values: Sequence[Scalar]) -> str:
    kind = type(values[0])
    return {bool: "bool", int: "int64", float: "float64"}.get(kind, "str")


def plan_sweep(base: Scenario, assignments: Sequence[str], seeds: Sequence[int] | None) -> SweepPlan:
    """The grid of ``assignments`` (``PATH=VALUES``) times ``seeds``, every point validated.

    Args:
        base: the scenario every point starts from.
        assignments: ``--param`` texts; several form a cartesian grid (first varies slowest).
        seeds: seeds run at every point (``None``: the scenario's own seed).

    Raises:
        ConfigError: a bad path or value, or too many points.
        ScenarioError: points that are not valid scenarios (every problem listed).
    """
    data = base.model_dump(mode="json", exclude_unset=True)
    full = base.model_dump(mode="json")
    parameters, leaves = _parameters(assignments, full)
    seed_list = tuple(seeds) if seeds is not None else (base.seed,)
    n_points = math.prod(len(p.values) for p in parameters) * len(seed_list)
    if n_points > MAX_POINTS:
        raise ConfigError(f"--param: the grid has {n_points} points; at most {MAX_POINTS} are allowed")
    width = max(4, len(str(n_points - 1)))
    points = []
    for index, (*combination, seed) in enumerate(itertools.product(*(p.values for p in parameters), seed_list)):
        point_data = copy.deepcopy(data)
        for parameter, value in zip(parameters, combination, strict=True):
            for path in leaves[parameter.name]:
                assign(point_data, path, value, full)
        point_data["seed"] = seed
        params = {**{p.name: value for p, value in zip(parameters, combination, strict=True)}, "seed": seed}
        points.append(Point(f"{index:0{width}d}", params, point_data))
    _validate(points, base.name)
    sweep_id = _digest({"base": data, "params": [[p.name, list(p.values)] for p in parameters], "seeds": seed_list})
    return SweepPlan(sweep_id, data, parameters, seed_list, tuple(points))


def _parameters(
    assignments: Sequence[str], full: Mapping[str, Any]
) -> tuple[tuple[Parameter, ...], dict[str, list[tuple[Token, ...]]]]:
    """The swept parameters and the concrete paths each one sets."""
    parsed = [parse_assignment(text) for text in assignments]
    names = [name for name, _ in parsed]
    if len(set(names)) != len(names):
        raise ConfigError(f"--param: a parameter is given twice: {', '.join(sorted(set(names)))}")
    leaves = {name: resolve(name, full) for name in names}
    reserved = set(ID_COLUMNS) | {column for spec in TABLES.values() for column in spec.columns}
    taken = [name for name in names if name in reserved]
    if taken:
        raise ConfigError(f"--param {taken[0]}: the name of a table column; write its full path")
    seen: dict[tuple[Token, ...], str] = {}
    for name, paths in leaves.items():
        for path in paths:
            if path in seen:
                raise ConfigError(f"--param {name}: sets {format_path(path)}, which --param {seen[path]} sets too")
            seen[path] = name
    parameters = []
    for name, values in parsed:
        values = _as_field(values, _value_at(full, leaves[name][0]))
        parameters.append(Parameter(name, tuple(map(format_path, leaves[name])), tuple(values), _dtype(values)))
    return tuple(parameters), leaves


def _value_at(full: Mapping[str, Any], path: Sequence[Token]) -> Any:
    node: Any = full
    for token in path:
        node = node[token]
    return node


def _as_field(values: list[Scalar], current: Any) -> list[Scalar]:
    """Whole numbers for a decimal field become decimals, so ``10:150:10`` km gives a float64 column."""
    if isinstance(current, float) and all(type(value) is int for value in values):
        return [float(value) for value in values]
    return values


def _validate(points: Iterable[Point], source: str) -> None:
    problems: dict[str, None] = {}  # ordered and free of repeats (seeds rarely change a problem)
    for point in points:
        try:
            from_dict(point.data)
        except ScenarioError as error:
            where = ", ".join(f"{k}={v}" for k, v in point.params.items() if k != "seed") or "base scenario"
            problems.update({f"{where}: {problem}": None for problem in error.problems})
    if problems:
        raise ScenarioError(list(problems), source)


def _digest(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=list)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]
