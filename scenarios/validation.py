"""Structural validation of scenario data, reported as plain problems with dotted paths.

Pydantic finds every structural problem at once; this module turns each into
one line that names where it is and what was wrong with the value, in the form
``network.links[3].length_km: must be > 0; got -5.0``. Unknown keys get a
"did you mean" from the fields that are allowed at that place.
"""

import difflib
import types
import typing
from collections.abc import Sequence
from typing import Any, Union

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from scenarios.errors import ScenarioError
from scenarios.schema import GENERATOR_KINDS, NODE_NAME_PATTERN, SCENARIO_NAME_PATTERN, Scenario

_MAX_VALUE_CHARS = 60
_PATTERN_HINTS = {
    NODE_NAME_PATTERN: "must start with a letter and use only letters, digits and '_'",
    SCENARIO_NAME_PATTERN: "must start with a letter or digit and use only letters, digits, '_', '.' and '-'",
}


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices``, or ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def show_value(value: Any) -> str:
    """A short repr of a bad value for an error message."""
    text = repr(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 3] + "..."


def format_location(location: Sequence[Any]) -> str:
    """``("network", "links", 3, "length_km")`` -> ``"network.links[3].length_km"``.

    Union tags that pydantic inserts (``network.generator.chain.n_nodes``) are dropped.
    """
    parts: list[str] = []
    previous: Any = None
    for item in location:
        if previous == "generator" and item in GENERATOR_KINDS:
            previous = item
            continue
        if isinstance(item, int):
            if parts:
                parts[-1] += f"[{item}]"
            else:
                parts.append(f"[{item}]")
        else:
            parts.append(str(item))
        previous = item
    return ".".join(parts)


def _strip(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (Union, types.UnionType)


def _kind_of(model: type[BaseModel]) -> Any:
    field = model.model_fields.get("kind")
    if field is None:
        return None
    args = typing.get_args(field.annotation)
    return args[0] if args else None


def model_at(root: type[BaseModel], location: Sequence[Any]) -> type[BaseModel] | None:
    """The model class found by following ``location`` from ``root`` (None if not a model)."""
    current: Any = root
    for item in location:
        current = _strip(current)
        if _is_union(current):
            variants = [_strip(arg) for arg in typing.get_args(current) if arg is not type(None)]
            tagged = [v for v in variants if isinstance(v, type) and _kind_of(v) == item]
            if tagged:
                current = tagged[0]
                continue
            models = [v for v in variants if isinstance(v, type) and issubclass(v, BaseModel)]
            current = models[0] if len(models) == 1 else (variants[0] if len(variants) == 1 else None)
            if current is None:
                return None
            current = _strip(current)
        origin = typing.get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(item))
            if field is None:
                return None
            current = field.annotation
        elif origin is list:
            current = typing.get_args(current)[0]
        elif origin is dict:
            current = typing.get_args(current)[1]
        elif origin is tuple:
            args = typing.get_args(current)
            current = args[item] if isinstance(item, int) and item < len(args) else None
        else:
            return None
    current = _strip(current)
    if _is_union(current):
        models = [a for a in typing.get_args(current) if isinstance(a, type) and issubclass(a, BaseModel)]
        current = models[0] if len(models) == 1 else None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def describe_error(error: ErrorDetails, root: type[BaseModel] = Scenario) -> str:
    """One line for one pydantic error: ``path: what is wrong; got value``."""
    location = error["loc"]
    kind = error["type"]
    ctx = error.get("ctx", {}) or {}
    value = error.get("input")
    got = f"; got {show_value(value)}"
    if kind == "extra_forbidden":
        key = str(location[-1])
        model = model_at(root, location[:-1])
        hint = did_you_mean(key, list(model.model_fields)) if model else ""
        where = format_location(location[:-1])
        prefix = f"{where}: " if where else ""
        return f"{prefix}unknown field {key!r}{hint}"
    messages = {
        "missing": "required field is missing",
        "greater_than": f"must be > {ctx.get('gt')}{got}",
        "greater_than_equal": f"must be >= {ctx.get('ge')}{got}",
        "less_than": f"must be < {ctx.get('lt')}{got}",
        "less_than_equal": f"must be <= {ctx.get('le')}{got}",
        "literal_error": f"must be {ctx.get('expected')}{got}",
        "union_tag_invalid": (
            f"unknown kind {show_value(ctx.get('tag'))}; expected one of {ctx.get('expected_tags')}"
        ),
        "union_tag_not_found": f"'kind' is missing; it must be one of {', '.join(GENERATOR_KINDS)}",
        "string_pattern_mismatch": f"{_PATTERN_HINTS.get(str(ctx.get('pattern')), 'has a bad format')}{got}",
        "string_too_long": f"must be at most {ctx.get('max_length')} characters{got}",
        "int_parsing": f"must be an integer{got}",
        "int_type": f"must be an integer{got}",
        "int_from_float": f"must be an integer{got}",
        "float_parsing": f"must be a number{got}",
        "float_type": f"must be a number{got}",
        "bool_parsing": f"must be true or false{got}",
        "bool_type": f"must be true or false{got}",
        "string_type": f"must be a string{got}",
        "list_type": f"must be a list{got}",
        "tuple_type": f"must be a list{got}",
        "dict_type": f"must be a mapping{got}",
        "model_type": f"must be a mapping{got}",
        "model_attributes_type": f"must be a mapping{got}",
        "too_short": f"must have at least {ctx.get('min_length')} item(s){got}",
        "too_long": f"must have at most {ctx.get('max_length')} item(s){got}",
    }
    message = messages.get(kind, f"{error['msg']}{got}")
    where = format_location(location)
    return f"{where}: {message}" if where else message


def structural_problems(error: ValidationError, root: type[BaseModel] = Scenario) -> list[str]:
    """Every problem in ``error`` as one line each, in document order, without duplicates."""
    problems: list[str] = []
    for detail in error.errors():
        line = describe_error(detail, root)
        if line not in problems:
            problems.append(line)
    return problems


def validate_structure(data: Any, source: str = "") -> Scenario:
    """Parse raw scenario data into a :class:`Scenario`, or raise :class:`ScenarioError`.

    Only the structure is checked here (types, ranges, unknown keys); cross
    references are checked by :func:`scenarios.checks.check_scenario`.
    """
    if not isinstance(data, dict):
        raise ScenarioError([f"a scenario must be a mapping of fields; got {show_value(data)}"], source)
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(structural_problems(error), source) from None
