"""Reading scenarios from files, text, mappings or the built-in library.

Parsing happens once, here at the boundary: YAML (:mod:`scenarios.yaml12`:
YAML 1.2 numbers, merge keys, duplicate keys refused, limits on size, nesting
and aliases checked before anything is built), then structure (:mod:`scenarios.validation`), then cross
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
from scenarios.schema import Scenario
from scenarios.validation import validate_structure
from scenarios.yaml12 import LimitError, load_yaml


def parse_yaml(text: str, source: str = "") -> Any:
    """Parse YAML ``text`` (YAML 1.2 numbers, merge keys; see :mod:`scenarios.yaml12`).

    Malformed YAML, or YAML beyond the loader's limits (nesting, size, aliases),
    raises :class:`ScenarioError` with the place (dotted path, line and column).
    """
    try:
        return load_yaml(text)
    except LimitError as error:
        raise ScenarioError([_describe_limit(error)], source) from None
    except yaml.YAMLError as error:
        raise ScenarioError([f"malformed YAML: {_describe_yaml_error(error)}"], source) from None


def _describe_limit(error: LimitError) -> str:
    """``network.generator: nested deeper than 50 levels (line 3, column 9)``."""
    mark = error.problem_mark
    at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return f"{error.where}: {error.problem}{at}" if error.where else f"{error.problem}{at}"


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
        problems = target_problems(scenario, topology)
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
