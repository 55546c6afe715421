"""Reading scenarios from files, text, mappings or the built-in library.

Parsing happens once, here at the boundary: YAML (duplicate keys are errors,
not silently merged), then structure (:mod:`scenarios.validation`), then cross
references (:mod:`scenarios.checks`). Any problem raises one
:class:`~scenarios.errors.ScenarioError` that lists them all.
"""

from pathlib import Path
from typing import Any

import yaml

from scenarios import library
from scenarios.checks import check_scenario
from scenarios.errors import ScenarioError
from scenarios.feasibility import target_problems
from scenarios.hybrid_checks import hybrid_problems
from scenarios.schema import Scenario
from scenarios.validation import validate_structure


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys in a mapping."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, yaml.Mark] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first defined on line {seen[key].line + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, source: str = "") -> Any:
    """Parse YAML ``text``; malformed YAML raises :class:`ScenarioError` with line and column."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        raise ScenarioError([f"malformed YAML: {_describe_yaml_error(error)}"], source) from None


def _describe_yaml_error(error: yaml.YAMLError) -> str:
    """``line 5, column 3: <problem> (while parsing ... started at line 4, column 10)``."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
    if context and context_mark is not None and context_mark.line != getattr(mark, "line", None):
        # An unclosed bracket or quote is found only later; say where it was opened.
        problem += f" ({context} started at line {context_mark.line + 1}, column {context_mark.column + 1})"
    return f"{where}{problem}"


def from_dict(data: Any, source: str = "") -> Scenario:
    """Validate a mapping (e.g. parsed YAML) into a :class:`Scenario`."""
    scenario = validate_structure(data, source)
    topology, problems = check_scenario(scenario)
    if not problems:
        problems = target_problems(scenario, topology) + hybrid_problems(scenario, topology)
    if problems:
        raise ScenarioError(problems, source)
    return scenario


def loads(text: str, source: str = "") -> Scenario:
    """Validate YAML text into a :class:`Scenario`."""
    return from_dict(parse_yaml(text, source), source)


def load(path_or_name: str | Path) -> Scenario:
    """Load a scenario file, or a built-in scenario by name (see ``qnetsim list``).

    A path that exists is read as a file; otherwise a built-in scenario of that
    name is used; otherwise :class:`ScenarioError` says neither was found.
    """
    path = Path(path_or_name)
    if path.is_file():
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ScenarioError([f"cannot read scenario file: {error}"], source) from None
        return loads(text, source)
    name = str(path_or_name)
    if name in library.names():
        return loads(library.path(name).read_text(encoding="utf-8"), f"builtin:{name}")
    if path.exists():
        raise ScenarioError([f"not a file: {name}"], name)
    hint = library.suggest(name)
    raise ScenarioError([f"no scenario file or built-in scenario called {name!r}{hint}"], name)
