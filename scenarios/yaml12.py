"""Reading scenario YAML safely: YAML 1.2 numbers, merge keys, and limits checked before building anything.

PyYAML follows YAML 1.1, where ``2.0e6`` and ``1e9`` (no sign in the exponent)
are strings, ``yes``/``no``/``on``/``off`` are booleans, ``017`` is octal and
``1:20`` is a sexagesimal number. Scenario files are written by people who mean
YAML 1.2, so plain scalars are resolved here by the YAML 1.2 core schema (YAML
1.2.2, section 10.3.2: null, bool, int, float) and ``2.0e6`` is the number 2e6.
Merge keys (``<<: *base``, from the YAML 1.1 type repository) are kept: they
are common in hand-written configurations.

Why PyYAML with a core-schema resolver rather than ruamel.yaml (which implements
YAML 1.2 and merge keys): the core schema is a table of four regular
expressions from the specification, not a parser; PyYAML is already a
dependency, and its libyaml parser reads a 100,000-item traffic list several
times faster than ruamel.yaml's pure-Python one (1.1 s against 7.9 s for
16,000 items on the project's machine); and the limits below need the parser's
event stream, which PyYAML gives for its C and its Python parser alike.

Before any node or Python object is built, one pass over the parser's events
(a flat stream, no recursion) enforces:

* nesting at most :data:`MAX_DEPTH` levels (also through aliases): deeper
  input would exhaust Python's recursion limit in the composer or validator;
* at most :data:`MAX_VALUES` values once every alias is expanded, counted
  without expanding anything, so an alias bomb ("billion laughs") is refused in
  microseconds instead of filling memory;
* mapping keys that are names (scalars), never lists or mappings.

The size of the text itself is capped by :data:`MAX_TEXT_CHARS`. Every refusal
names the dotted path where it happened, with the line and column.
"""

import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
)
from yaml.nodes import MappingNode, ScalarNode
from yaml.resolver import BaseResolver

#: Longest scenario text accepted (characters; 16 Mi). The largest library scenario is under 4 KiB;
#: a 100,000-item traffic list is about 5 MB.
MAX_TEXT_CHARS = 16 * 2**20
#: Deepest nesting of lists and mappings. A scenario needs 6 levels (templates.nodes.NAME.memory.FIELD).
MAX_DEPTH = 50
#: Most values (scalars, lists and mappings) once every alias is expanded.
MAX_VALUES = 2_000_000

_TAG = "tag:yaml.org,2002:"


class LimitError(yaml.YAMLError):
    """The YAML text is well formed but exceeds one of the loader's limits."""

    def __init__(self, where: str, problem: str, mark: yaml.Mark | None) -> None:
        self.where = where
        self.problem = problem
        self.problem_mark = mark
        super().__init__(f"{where}: {problem}" if where else problem)


# --- YAML 1.2 core schema ------------------------------------------------------------------


class Yaml12Resolver(BaseResolver):
    """Plain scalars resolved by the YAML 1.2 core schema, plus merge keys (``<<``)."""


_CORE_SCHEMA = (
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),
    ("merge", r"^<<$", ["<"]),
)
for _name, _pattern, _first in _CORE_SCHEMA:
    Yaml12Resolver.add_implicit_resolver(_TAG + _name, re.compile(_pattern), _first)


class Yaml12Constructor(SafeConstructor):
    """SafeConstructor with YAML 1.2 integers and floats, merge keys, and duplicate keys refused."""

    def construct_yaml12_int(self, node: ScalarNode) -> int:
        """``-12``, ``0o17`` (octal), ``0x1F`` (hex); ``017`` is decimal 17 in YAML 1.2."""
        text = str(self.construct_scalar(node))
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        try:
            return int(text, 10)
        except ValueError:  # an explicit !!int tag on text that is no integer
            raise ConstructorError(None, None, f"not an integer: {text!r}", node.start_mark) from None

    def construct_yaml12_float(self, node: ScalarNode) -> float:
        """``2.0e6``, ``1e9``, ``.5``, ``.inf``, ``-.inf``, ``.nan`` (refused later as not finite)."""
        text = str(self.construct_scalar(node))
        lowered = text.lower()
        if lowered.lstrip("+-") == ".inf":
            return -math.inf if lowered.startswith("-") else math.inf
        if lowered == ".nan":
            return math.nan
        try:
            return float(text)
        except ValueError:
            raise ConstructorError(None, None, f"not a number: {text!r}", node.start_mark) from None

    def construct_strict_mapping(self, node: MappingNode) -> dict[Any, Any]:
        """A mapping whose own keys are distinct; keys brought in by ``<<`` may be overridden."""
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            if key_node.tag == _TAG + "merge":
                continue
            key = self.construct_object(key_node, deep=False)
            if key in seen:
                raise ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first defined on line {seen[key].line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        mapping: dict[Any, Any] = {}
        yield mapping  # type: ignore[misc]  # PyYAML's two-step construction, for recursive data
        mapping.update(self.construct_mapping(node))  # flattens merge keys first


Yaml12Constructor.add_constructor(_TAG + "int", Yaml12Constructor.construct_yaml12_int)
Yaml12Constructor.add_constructor(_TAG + "float", Yaml12Constructor.construct_yaml12_float)
Yaml12Constructor.add_constructor(_TAG + "map", Yaml12Constructor.construct_strict_mapping)


if yaml.__with_libyaml__:
    from yaml.cyaml import CParser as _Parser

    class Yaml12Loader(_Parser, Yaml12Constructor, Yaml12Resolver):
        """libyaml's parser with the YAML 1.2 core schema and merge keys."""

        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)
            Yaml12Constructor.__init__(self)
            Yaml12Resolver.__init__(self)

else:  # pragma: no cover - PyYAML built without libyaml: the same, on PyYAML's Python parser

    class _Parser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):  # type: ignore[no-redef]
        """PyYAML's Python parser, for the event stream."""

        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)

    class Yaml12Loader(_Parser, yaml.composer.Composer, Yaml12Constructor, Yaml12Resolver):  # type: ignore[no-redef]
        """PyYAML's Python parser with the YAML 1.2 core schema and merge keys."""

        def __init__(self, stream: str) -> None:
            _Parser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            Yaml12Constructor.__init__(self)
            Yaml12Resolver.__init__(self)


# --- limits, checked on the event stream ------------------------------------------------------


@dataclass
class _Frame:
    """One open list or mapping (or the stream itself) while the events are walked."""

    is_mapping: bool
    anchor: str | None
    label: str  # its step in the dotted path: ".key", "[3]", or "" for the document
    n_values: int = 1  # itself, then what it holds (aliases expanded)
    height: int = 1  # levels of nesting it holds, itself included
    n_children: int = 0  # events of direct children seen so far (keys and values of a mapping)
    key: str = ""  # the key whose value comes next (mappings)
    key_lines: dict[str, int] = field(default_factory=dict)  # own plain keys -> line (mappings)

    def at_key(self) -> bool:
        """True if the next child of this mapping is a key."""
        return self.is_mapping and self.n_children % 2 == 0

    def child_label(self) -> str:
        """The path step of the child that starts now."""
        if self.is_mapping:
            return "[key]" if self.at_key() else f".{self.key}"
        return f"[{self.n_children}]"


def _where(stack: list[_Frame], child: bool = True) -> str:
    """Dotted path of the open value (``child``: of the child that starts now), e.g. ``network.links[3]``."""
    labels = [frame.label for frame in stack[2:]]
    if child and len(stack) >= 2:
        labels.append(stack[-1].child_label())
    return _shorten("".join(labels).lstrip("."), 80)


def _note_key(stack: list[_Frame], event: ScalarEvent) -> None:
    """Remember a mapping's key; a key given twice is refused (keys brought in by ``<<`` may repeat)."""
    mapping = stack[-1]
    mapping.key = _shorten(str(event.value))
    if event.value == "<<" and event.implicit[0]:
        return
    if event.value in mapping.key_lines:
        first = mapping.key_lines[event.value]
        where = f"{_where(stack, child=False)}.{mapping.key}".lstrip(".")
        raise LimitError(where, f"duplicate key (first given on line {first})", event.start_mark)
    mapping.key_lines[event.value] = event.start_mark.line + 1


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_limits(text: str) -> None:
    """Raise :class:`LimitError` if ``text`` nests too deep, expands too far, or has a non-name key.

    Malformed YAML raises PyYAML's own error from the parser, as loading would.
    """
    if len(text) > MAX_TEXT_CHARS:
        raise LimitError(
            "", f"the scenario is {len(text):,} characters long; at most {MAX_TEXT_CHARS:,} are read", None
        )
    parser = _Parser(text)
    try:
        _walk(parser)
    finally:
        parser.dispose()


def _walk(parser: Any) -> None:
    anchors: dict[str, tuple[int, int]] = {}  # anchor -> (values, height) of the node it names
    stack = [_Frame(is_mapping=False, anchor=None, label="", n_values=0, height=0)]
    total = 0
    while parser.check_event():
        event = parser.get_event()
        parent = stack[-1]
        if isinstance(event, CollectionStartEvent):
            kind = "mapping" if isinstance(event, MappingStartEvent) else "list"
            if parent.at_key():
                raise LimitError(_where(stack, child=False), f"a key must be a name, not a {kind}", event.start_mark)
            if len(stack) > MAX_DEPTH:
                raise LimitError(_where(stack), f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
            total += 1
            stack.append(_Frame(kind == "mapping", event.anchor, parent.child_label() if len(stack) > 1 else ""))
            parent.n_children += 1
        elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
            frame = stack.pop()
            _count(stack[-1], frame.n_values, frame.height, frame.anchor, anchors)
        elif isinstance(event, ScalarEvent):
            if parent.at_key():
                _note_key(stack, event)
            total += 1
            parent.n_children += 1
            _count(parent, 1, 0, event.anchor, anchors)
        elif isinstance(event, AliasEvent):
            n_values, height = anchors.get(event.anchor, (1, 0))
            if height and parent.at_key():
                raise LimitError(
                    _where(stack, child=False), f"a key must be a name, not alias *{event.anchor}", event.start_mark
                )
            if len(stack) - 1 + height > MAX_DEPTH:
                raise LimitError(
                    _where(stack), f"alias *{event.anchor} nests deeper than {MAX_DEPTH} levels", event.start_mark
                )
            total += n_values
            if total > MAX_VALUES:
                raise LimitError(
                    _where(stack),
                    f"alias *{event.anchor} expands the scenario past {MAX_VALUES:,} values",
                    event.start_mark,
                )
            parent.n_children += 1
            _count(parent, n_values, height, None, anchors)
        if total > MAX_VALUES:
            raise LimitError(_where(stack, child=False), f"the scenario holds more than {MAX_VALUES:,} values", None)


def _count(parent: _Frame, n_values: int, height: int, anchor: str | None, anchors: dict[str, tuple[int, int]]) -> None:
    """Count a finished value (``n_values`` values, ``height`` levels) into its parent."""
    if anchor is not None:
        anchors[anchor] = (n_values, height)
    parent.n_values += n_values
    parent.height = max(parent.height, height + 1)


def load_yaml(text: str) -> Any:
    """Check ``text`` against the limits, then build it with the YAML 1.2 loader.

    Raises:
        yaml.YAMLError: malformed YAML (PyYAML's error, with its marks) or a
            :class:`LimitError`.
    """
    check_limits(text)
    loader = Yaml12Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
