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
from scenarios.checks import ResolvedTopology, check_scenario
from scenarios.errors import ScenarioError
from scenarios.feasibility import target_problems
from scenarios.graphml import expand_graphml
from scenarios.hybrid_checks import hybrid_problems
from scenarios.routing_model import resolve_routing_model
from scenarios.schema import Scenario
from scenarios.validation import validate_structure
from scenarios.yaml12 import MAX_TEXT_CHARS, YamlInputError, load_yaml


def _read_text(path: Path, source: str) -> str:
    """The file's text; a file larger than the loader reads is refused before it is read."""
    try:
        n_bytes = path.stat().st_size
        if n_bytes > MAX_TEXT_CHARS * 4:  # UTF-8 takes at most 4 bytes a character
            raise ScenarioError(
                [f"the scenario file is {n_bytes:,} bytes long; at most {MAX_TEXT_CHARS:,} characters are read"],
                source,
            )
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError([f"cannot read scenario file: {error}"], source) from None


def parse_yaml(text: str, source: str = "") -> Any:
    """Parse YAML ``text`` (YAML 1.2 numbers, merge keys; see :mod:`scenarios.yaml12`).

    Malformed YAML, or YAML beyond the loader's limits (nesting, size, aliases),
    raises :class:`ScenarioError` with the place (dotted path, line and column).
    """
    try:
        return load_yaml(text)
    except YamlInputError as error:
        raise ScenarioError([_describe_limit(error)], source) from None
    except yaml.YAMLError as error:
        raise ScenarioError([f"malformed YAML: {_describe_yaml_error(error)}"], source) from None


def _describe_limit(error: YamlInputError) -> str:
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
    return checked_from_dict(data, source)[0]


def checked_from_dict(
    data: Any, source: str = "", base_folder: Path | None = None
) -> tuple[Scenario, ResolvedTopology]:
    """Validate a mapping into a :class:`Scenario`, with the topology the checks resolved (built once).

    ``network.graphml`` and ``qkd.routing_model`` are relative to ``base_folder`` (default: the working directory).
    """
    scenario = validate_structure(resolve_routing_model(expand_graphml(data, base_folder), base_folder), source)
    topology, problems = check_scenario(scenario)
    if not problems:
        problems = target_problems(scenario, topology) + hybrid_problems(scenario, topology)
    if problems:
        raise ScenarioError(problems, source)
    return scenario, topology


def loads(text: str, source: str = "") -> Scenario:
    """Validate YAML text into a :class:`Scenario`."""
    return from_dict(parse_yaml(text, source), source)


def load(path_or_name: str | Path) -> Scenario:
    """Load a scenario file, or a built-in scenario by name (see ``qnetsim list``).

    A path that exists is read as a file; otherwise a built-in scenario of that
    name is used; otherwise :class:`ScenarioError` says neither was found.
    """
    return load_checked(path_or_name)[0]


def load_checked(path_or_name: str | Path) -> tuple[Scenario, ResolvedTopology]:
    """:func:`load`, with the topology its checks resolved (so callers need not resolve it again)."""
    path = Path(path_or_name)
    if path.is_file():
        source = str(path)
        text = _read_text(path, source)
        return checked_from_dict(parse_yaml(text, source), source, path.parent)
    name = str(path_or_name)
    if name in library.names():
        text = library.path(name).read_text(encoding="utf-8")
        return checked_from_dict(parse_yaml(text, f"builtin:{name}"), f"builtin:{name}", library.path(name).parent)
    if path.exists():
        raise ScenarioError([f"not a file: {name}"], name)
    hint = library.suggest(name)
    raise ScenarioError([f"no scenario file or built-in scenario called {name!r}{hint}"], name)
