"""Reference documentation of the scenario file, generated from the schema itself.

``schema_markdown()`` walks the pydantic models from :class:`Scenario` down
(hardware templates, generators, every traffic kind) and writes one section per
model: its docstring, then a table of its keys with type, default, allowed range
and the description from the model's ``Attributes:`` docstring block. The
committed ``docs/scenario-schema.md`` is this output (a test keeps them equal), so
the documentation cannot drift from what the validator accepts.
"""

import inspect
import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from scenarios.schema import Scenario

_HEADER = """# Scenario file reference

Generated from the schema by `qnetsim schema` (do not edit by hand). A scenario is
a YAML (or JSON) file; `qnetsim validate FILE` checks one and names every problem
with its dotted path. Unknown keys are errors. Units are in the key names
(`_km`, `_s`, `_hz`, `_bits`, `_bps`).

"""


def schema_markdown() -> str:
    """The whole reference, as Markdown."""
    sections = _sections()
    paths = {model: path.split(" (kind")[0] for path, model in sections}
    parts = [_HEADER]
    for path, model in sections:
        parts.append(_section(path, model, paths))
    return "\n".join(parts).rstrip() + "\n"


def _sections() -> list[tuple[str, type[BaseModel]]]:
    """Every model reachable from Scenario, with the dotted path where it first appears, depth first."""
    found: list[tuple[str, type[BaseModel]]] = []
    seen: set[type[BaseModel]] = set()

    def visit(path: str, model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        found.append((path, model))
        for name, info in model.model_fields.items():
            child_path = f"{path}.{name}" if path else name
            for child in _models_in(info.annotation):
                visit(child_path + _item_suffix(info.annotation, child), child)

    visit("", Scenario)
    return found


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """Models named anywhere inside a type annotation."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in get_args(annotation):
        found.extend(model for model in _models_in(arg) if model not in found)
    return found


def _item_suffix(annotation: Any, model: type[BaseModel]) -> str:
    """``[]``/``{}`` for models inside lists/maps, plus ``kind: x`` for a discriminated variant."""
    suffix = ""
    origin = get_origin(_unwrap(annotation))
    if origin is list:
        suffix = "[]"
    elif origin is dict:
        suffix = ".<name>"
    kind = model.model_fields.get("kind")
    if kind is not None and get_origin(kind.annotation) is Literal:
        suffix += f" (kind: {get_args(kind.annotation)[0]})"
    return suffix


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated wrappers and a ``None`` alternative."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return annotation


def _section(path: str, model: type[BaseModel], paths: dict[type[BaseModel], str]) -> str:
    """One model's heading, description and key table."""
    summary, attributes = _docstring(model)
    title = f"`{path}`" if path else "Top level"
    lines = [f"## {title}", "", summary, ""] if summary else [f"## {title}", ""]
    lines += ["| key | type | default | allowed | description |", "|---|---|---|---|---|"]
    for name, info in model.model_fields.items():
        row = (
            f"`{name}`",
            _type_name(info.annotation, paths),
            _default(info),
            _constraints(info),
            _markdown(attributes.get(name, "")),
        )
        lines.append("| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in row) + " |")
    return "\n".join(lines) + "\n"


def _docstring(model: type[BaseModel]) -> tuple[str, dict[str, str]]:
    """The docstring's text before ``Attributes:`` and the per-key descriptions of that block."""
    doc = inspect.cleandoc(model.__doc__ or "")
    text, _, block = doc.partition("Attributes:")
    attributes: dict[str, str] = {}
    current = ""
    for line in block.splitlines():
        match = re.match(r"^\s{4}(\w+): (.*)$", line)
        if match:
            current = match.group(1)
            attributes[current] = match.group(2).strip()
        elif current and line.strip():
            attributes[current] += " " + line.strip()
    summary = "\n\n".join(paragraph.replace("\n", " ") for paragraph in text.strip().split("\n\n"))
    return _markdown(summary), attributes


def _markdown(text: str) -> str:
    """reStructuredText literals (double backticks) as Markdown code."""
    return text.replace("``", "`")


def _type_name(annotation: Any, paths: dict[type[BaseModel], str]) -> str:
    """A readable name for a type annotation; models are named by the section that documents them."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return " or ".join(f"`{value}`" for value in args)
    if origin in (Union, types.UnionType):
        models = _models_in(annotation)
        if len(models) > 1 and all("kind" in model.model_fields for model in models):
            return f"one of the `{paths[models[0]]}` kinds"
        names = [_type_name(arg, paths) for arg in args if arg is not type(None)]
        text = " or ".join(dict.fromkeys(names))
        return text + (" or null" if type(None) in args else "")
    if origin is list:
        return f"list of {_type_name(args[0], paths)}"
    if origin is dict:
        return f"map of {_type_name(args[0], paths)} to {_type_name(args[1], paths)}"
    if origin is tuple:
        return "[" + ", ".join(_type_name(arg, paths) for arg in args) + "]"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"`{paths[annotation]}`"
    return getattr(annotation, "__name__", str(annotation))


def _default(info: FieldInfo) -> str:
    """The default value as a user would write it, or *required*."""
    if info.default is PydanticUndefined and info.default_factory is None:
        return "**required**"
    value = info.default_factory() if info.default_factory is not None else info.default  # type: ignore[call-arg]
    if isinstance(value, BaseModel):
        return "see below"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if value in ([], {}):
        return "empty"
    if value == "":
        return '`""`'
    return f"`{value}`"


_BOUNDS = (
    (annotated_types.Gt, "gt", ">"),
    (annotated_types.Ge, "ge", ">="),
    (annotated_types.Lt, "lt", "<"),
    (annotated_types.Le, "le", "<="),
)


def _constraints(info: FieldInfo) -> str:
    """Range and length limits of a field, including those of its Annotated alias."""
    parts: list[str] = []
    for item in _metadata(info):
        for kind, attribute, symbol in _BOUNDS:
            if isinstance(item, kind):
                parts.append(f"{symbol} {_number(getattr(item, attribute))}")
        if isinstance(item, annotated_types.MinLen) and item.min_length:
            parts.append(f"at least {item.min_length} item(s)")
        if isinstance(item, annotated_types.MaxLen):
            parts.append(f"at most {item.max_length} characters")
        pattern = getattr(item, "pattern", None)
        if pattern:
            parts.append(f"matches `{pattern}`")
    return ", ".join(dict.fromkeys(parts))


def _number(value: float) -> str:
    """A bound as written in the schema: ``2^63`` rather than its 19 digits."""
    if isinstance(value, int) and value > 2**20 and value & (value - 1) == 0:
        return f"2^{value.bit_length() - 1}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _metadata(info: FieldInfo) -> list[Any]:
    """The field's own constraints plus those of Annotated aliases in its annotation."""
    items = list(info.metadata)
    annotation = info.annotation
    while get_origin(annotation) is Annotated:
        for extra in get_args(annotation)[1:]:
            items.extend(extra.metadata if isinstance(extra, FieldInfo) else [extra])
        annotation = get_args(annotation)[0]
    return items
