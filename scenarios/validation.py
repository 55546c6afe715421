"""Structural validation of scenario data, reported as plain problems with dotted paths.

Pydantic finds every structural problem at once; this module turns each into
one line that names where it is and what was wrong with the value, in the form
``network.links[3].length_km: must be > 0; got -5.0``. Unknown keys get a
"did you mean" from the fields that are allowed at that place.
"""

import difflib
import functools
import math
import re
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any, Union

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from qnetsim.core.units import (
    MAX_LENGTH_KM,
    MAX_RATE_HZ,
    MAX_TIME_S,
    MIN_RATE_HZ,
    MIN_SPEED_KM_PER_S,
    SPEED_OF_LIGHT_KM_PER_S,
)
from scenarios.errors import ScenarioError
from scenarios.schema import MAX_BITS, NODE_NAME_PATTERN, SCENARIO_NAME_PATTERN, Scenario

_MAX_VALUE_CHARS = 60
_PATTERN_HINTS = {
    NODE_NAME_PATTERN: "must start with a letter and use only letters, digits and '_'",
    SCENARIO_NAME_PATTERN: "must start with a letter or digit and use only letters, digits, '_', '.' and '-'",
}
_KEY_MARKER = "[key]"  # pydantic's location item for a problem with a mapping key
_MISSING_LINE = ": required field is missing"
_RANGE_OPERATORS = {
    "greater_than": (">", "gt"),
    "greater_than_equal": (">=", "ge"),
    "less_than": ("<", "lt"),
    "less_than_equal": ("<=", "le"),
}


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices``, or ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def show_value(value: Any) -> str:
    """A short repr of a bad value for an error message."""
    text = repr(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 3] + "..."


def show_bound(bound: Any) -> str:
    """A range limit as a reader writes it: ``0`` rather than ``0.0``, ``0.5`` as is."""
    if isinstance(bound, float) and bound.is_integer() and abs(bound) < 1e15:
        return str(int(bound))
    return str(bound)


# --- following an error location through the schema ------------------------------------


def _strip(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (Union, types.UnionType)


def _by_identity[T](function: Callable[[Any], T]) -> Callable[[Any], T]:
    """Memoise a function of one schema annotation by the annotation's identity.

    A list of 100,000 bad items asks the same few questions of the schema for
    every item; hashing a typing annotation is slow (it hashes its parts), its
    ``id`` is not. The annotation is kept in the cache, so its id stays its own.
    """
    cache: dict[int, tuple[Any, T]] = {}

    @functools.wraps(function)
    def memoised(annotation: Any) -> T:
        entry = cache.get(id(annotation))
        if entry is None:
            entry = cache[id(annotation)] = (annotation, function(annotation))
        return entry[1]

    return memoised


@_by_identity
def _variants(annotation: Any) -> tuple[Any, ...]:
    """The members of a (possibly nested, possibly optional) union, ``None`` left out."""
    annotation = _strip(annotation)
    if not _is_union(annotation):
        return (annotation,)
    return tuple(v for arg in typing.get_args(annotation) if arg is not type(None) for v in _variants(arg))


def _single_model(variants: Sequence[Any]) -> type[BaseModel] | None:
    models = [v for v in variants if isinstance(v, type) and issubclass(v, BaseModel)]
    return models[0] if len(models) == 1 else None


@_by_identity
def _kind_of(model: Any) -> Any:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    field = model.model_fields.get("kind")
    args = typing.get_args(field.annotation) if field is not None else ()
    return args[0] if args else None


def _tagged(annotation: Any, item: Any) -> type[BaseModel] | None:
    """The variant of a discriminated union whose ``kind`` is ``item`` (None if not such a union)."""
    if not isinstance(item, str):  # tags are text; list positions are not
        return None
    variants = _variants(annotation)
    if len(variants) < 2:
        return None
    return next((v for v in variants if _kind_of(v) == item), None)


def _step(annotation: Any, item: Any) -> Any:
    """The annotation one location item below ``annotation`` (None if unknown)."""
    tagged = _tagged(annotation, item)
    if tagged is not None:
        return tagged
    variants = _variants(annotation)
    current = variants[0] if len(variants) == 1 else _single_model(variants)
    origin = typing.get_origin(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        field = current.model_fields.get(str(item))
        return field.annotation if field is not None else None
    if origin is list:
        return typing.get_args(current)[0]
    if origin is dict:
        return typing.get_args(current)[1]
    if origin is tuple:
        args = typing.get_args(current)
        return args[item] if isinstance(item, int) and item < len(args) else None
    return None


def model_at(root: type[BaseModel], location: Sequence[Any]) -> type[BaseModel] | None:
    """The model class found by following ``location`` from ``root`` (None if not a model).

    ``location`` is a pydantic error location, so it may hold the tag of a
    discriminated union (``("network", "generator", "chain")``).
    """
    current: Any = root
    for item in location:
        current = _step(current, item)
        if current is None:
            return None
    return _single_model(_variants(current))


def _kinds_at(root: type[BaseModel], location: Sequence[Any]) -> list[str]:
    """The ``kind`` tags of the discriminated union at ``location``."""
    current: Any = root
    for item in location:
        current = _step(current, item)
    return [kind for kind in map(_kind_of, _variants(current)) if kind is not None]


def format_location(location: Sequence[Any], root: type[BaseModel] = Scenario) -> str:
    """``("network", "links", 3, "length_km")`` -> ``"network.links[3].length_km"``.

    Union tags that pydantic inserts (``network.generator.chain.n_nodes``) are
    dropped; list positions are written ``[3]`` and mapping keys (even numeric ones) ``.key``.
    """
    text = ""
    current: Any = root
    for item in location:
        if item == _KEY_MARKER:
            continue
        if current is not None and _tagged(current, item) is not None:
            current = _step(current, item)
            continue
        in_sequence = current is None or typing.get_origin(_variants(current)[0]) in (list, tuple)
        if isinstance(item, int) and in_sequence:
            text += f"[{item}]"
        else:
            text += f".{item}" if text else str(item)
        current = _step(current, item) if current is not None else None
    return text


# --- one line per problem ----------------------------------------------------------------


def _quoted_choices(expected: str) -> list[str]:
    """``"'a', 'b' or 'c'"`` -> ``["a", "b", "c"]``."""
    return re.findall(r"'([^']*)'", expected)


def _hint(value: Any, choices: Sequence[str]) -> str:
    return did_you_mean(value, choices) if isinstance(value, str) else ""


def _unknown_field(location: Sequence[Any], root: type[BaseModel]) -> str:
    key = str(location[-1])
    model = model_at(root, location[:-1])
    allowed = [name for name in model.model_fields if name != "kind"] if model else []
    hint = did_you_mean(key, allowed)
    if not hint and allowed:
        hint = f"; allowed here: {', '.join(allowed)}"
    return f"{format_location(location, root)}: unknown field{hint}"


#: Why a bound exists, by the unit suffix of the field's name and the bound (see :mod:`qnetsim.core.units`).
_BOUND_REASONS = {
    ("_s", MAX_TIME_S): "10^6 s, longer than any run",
    ("_hz", MAX_RATE_HZ): "one per picosecond, the simulator's clock tick",
    ("_hz", MIN_RATE_HZ): "one per 10^6 s, slower than any run",
    ("_km", MAX_LENGTH_KM): "the Earth's circumference; no fibre link is longer",
    ("_km", MAX_LENGTH_KM / 2): "so that the square's diagonal stays below the Earth's circumference",
    ("_km_per_s", SPEED_OF_LIGHT_KM_PER_S): "the speed of light in vacuum",
    ("_km_per_s", MIN_SPEED_KM_PER_S): "so that a delay over the longest link stays finite",
    ("_bits", MAX_BITS): "a terabit",
}


def _bound_reason(field: str, bound: Any) -> str:
    for (suffix, limit), reason in _BOUND_REASONS.items():
        if field.endswith(suffix) and bound == limit:
            return f" ({reason})"
    return ""


def _range_message(kind: str, ctx: dict[str, Any], value: Any, field: str = "") -> str:
    if isinstance(value, float) and math.isnan(value):
        return "must be a number, not NaN; got nan"
    operator, key = _RANGE_OPERATORS[kind]
    bound = ctx.get(key)
    return f"must be {operator} {show_bound(bound)}{_bound_reason(field, bound)}; got {show_value(value)}"


_EXPECTED = {"float_type": "a number", "int_type": "an integer", "bool_type": "true or false"}


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _type_hint(kind: str, value: Any) -> str:
    """What was expected, and why the value is not it, for values a lax parser would have converted."""
    expected = _EXPECTED[kind]
    if isinstance(value, bool) and kind != "bool_type":
        return f"must be {expected}, not true or false"
    if isinstance(value, str) and (_looks_numeric(value) or value.lower() in ("true", "false")):
        return f"must be {expected}, not text in quotes (write it without quotes)"
    if kind == "int_type" and isinstance(value, float) and value.is_integer():
        return "must be an integer, written without a decimal point or exponent"
    return ""


def _message(kind: str, ctx: dict[str, Any], value: Any, field: str = "") -> str | None:
    """What is wrong, for one pydantic error type (None if the type is not one we word)."""
    got = f"; got {show_value(value)}"
    if kind in _RANGE_OPERATORS:
        return _range_message(kind, ctx, value, field)
    if kind == "literal_error":
        expected = str(ctx.get("expected"))
        return f"must be {expected}{got}{_hint(value, _quoted_choices(expected))}"
    if kind == "union_tag_invalid":
        expected, tag = str(ctx.get("expected_tags")), ctx.get("tag")
        return f"must be one of {expected}; got {show_value(tag)}{_hint(tag, _quoted_choices(expected))}"
    if kind == "string_pattern_mismatch":
        return f"{_PATTERN_HINTS.get(str(ctx.get('pattern')), 'has a bad format')}{got}"
    if kind == "missing":
        return "required field is missing"
    if kind == "finite_number":
        return f"must be a finite number{got}"
    if kind in ("float_type", "int_type", "bool_type") and (hint := _type_hint(kind, value)):
        return f"{hint}{got}"
    messages = {
        "invalid_key": "field names must be text",
        "string_too_long": f"must be at most {ctx.get('max_length')} characters",
        "int_parsing": "must be an integer",
        "int_type": "must be an integer",
        "int_from_float": "must be an integer",
        "float_parsing": "must be a number",
        "float_type": "must be a number",
        "bool_parsing": "must be true or false",
        "bool_type": "must be true or false",
        "string_type": "must be text",
        "list_type": "must be a list",
        "tuple_type": "must be a list",
        "dict_type": "must be a mapping",
        "model_type": "must be a mapping",
        "model_attributes_type": "must be a mapping",
        "too_short": f"must have at least {ctx.get('min_length')} item(s)",
        "too_long": f"must have at most {ctx.get('max_length')} item(s)",
    }
    return f"{messages[kind]}{got}" if kind in messages else None


def describe_error(error: ErrorDetails, root: type[BaseModel] = Scenario) -> str:
    """One line for one pydantic error: ``path: what is wrong; got value``."""
    location = list(error["loc"])
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        return _unknown_field(location, root)
    if kind == "union_tag_not_found":
        kinds = ", ".join(repr(k) for k in _kinds_at(root, location))
        return f"{format_location([*location, 'kind'], root)}: required field is missing; must be one of {kinds}"
    if kind == "union_tag_invalid":
        location.append("kind")  # the problem is the 'kind' field of the union's mapping
    if kind == "missing" and location and isinstance(location[-1], int):
        # A too-short tuple, e.g. an edge written [a, b] instead of [a, b, length_km].
        where = format_location(location[:-1], root)
        return f"{where}: item {location[-1]} is missing; got {show_value(value)}"
    field = next((str(item) for item in reversed(location) if isinstance(item, str)), "")
    message = _message(kind, error.get("ctx", {}) or {}, value, field) or f"{error['msg']}; got {show_value(value)}"
    where = format_location(location, root)
    return f"{where}: {message}" if where else message


def _typo_suggestion(line: str) -> tuple[str, str] | None:
    """``("x", "length_km")`` for ``x.lenght_km: unknown field; did you mean 'length_km'?``."""
    where, _, message = line.partition(": ")
    match = re.fullmatch(r"unknown field; did you mean '(.*)'\?", message)
    return (where.rpartition(".")[0], match.group(1)) if match else None


def _explained_by_typo(line: str, suggestions: set[tuple[str, str]]) -> bool:
    """True for ``x.length_km: required field is missing`` when ``x.lenght_km`` was suggested as it."""
    if not line.endswith(_MISSING_LINE):
        return False
    parent, _, name = line[: -len(_MISSING_LINE)].rpartition(".")
    return (parent, name) in suggestions


def structural_problems(error: ValidationError, root: type[BaseModel] = Scenario) -> list[str]:
    """Every problem in ``error`` as one line each, in schema order, without duplicates.

    A missing field whose misspelling is reported as an unknown field (with a
    "did you mean" naming it) is left out: the typo line already says it.
    Linear in the number of problems (a list of 100,000 bad items is reported at once).
    """
    lines = list(dict.fromkeys(describe_error(detail, root) for detail in error.errors()))
    suggestions = {suggestion for line in lines if (suggestion := _typo_suggestion(line)) is not None}
    return [line for line in lines if not _explained_by_typo(line, suggestions)]


def validate_structure(data: Any, source: str = "") -> Scenario:
    """Parse raw scenario data into a :class:`Scenario`, or raise :class:`ScenarioError`.

    Only the structure is checked here (types, ranges, unknown keys); cross
    references are checked by :func:`scenarios.checks.check_scenario`.
    """
    if data is None:
        raise ScenarioError(["the scenario is empty; it needs at least 'name', 'duration_s' and 'network'"], source)
    if not isinstance(data, dict):
        raise ScenarioError([f"a scenario must be a mapping of fields; got {show_value(data)}"], source)
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(structural_problems(error), source) from None
