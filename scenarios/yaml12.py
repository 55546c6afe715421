"""Reading scenario YAML: YAML 1.2 numbers, merge keys, and limits, in one pass over the parser's events.

PyYAML follows YAML 1.1, where ``2.0e6`` and ``1e9`` (no sign in the exponent)
are strings, ``yes``/``no``/``on``/``off`` are booleans, ``017`` is octal and
``1:20`` is a sexagesimal number. Scenario files are written by people who mean
YAML 1.2, so plain scalars are resolved here by the YAML 1.2 core schema (YAML
1.2.2, section 10.3.2: null, bool, int, float) and ``2.0e6`` is the number 2e6;
a quoted scalar is always text. Merge keys (``<<: *base``, from the YAML 1.1
type repository, https://yaml.org/type/merge.html) are kept: they are common in
hand-written configurations.

Why PyYAML's parser with this module's core-schema resolution rather than
ruamel.yaml (which implements YAML 1.2 and merge keys): the core schema is a
table of four regular expressions from the specification, not a parser; PyYAML
is already a dependency; its libyaml parser is several times faster than
ruamel.yaml's pure-Python one (16,000 traffic items: 1.1 s against 7.9 s on the
project's machine); and the limits below need the parser's event stream, which
PyYAML gives for its C and its Python parser alike.

The parser (libyaml when PyYAML has it) turns the text into a flat stream of
events; one loop over them, with an explicit stack and no recursion, builds the
Python values and enforces, before anything large exists:

* nesting at most :data:`MAX_DEPTH` levels, also through aliases (deeper input
  would exhaust Python's recursion limit in the validator);
* at most :data:`MAX_VALUES` values once every alias is expanded, counted
  without expanding anything, so an alias bomb ("billion laughs") is refused at
  once instead of filling memory;
* mapping keys that are names (scalars), given once per mapping (keys brought
  in by ``<<`` may be overridden, as the merge-key type says);
* only the core tags (``!!str``, ``!!int``, ``!!float``, ``!!bool``, ``!!null``,
  ``!!map``, ``!!seq``): no Python objects, sets or timestamps.

The size of the text itself is capped by :data:`MAX_TEXT_CHARS`. Every refusal
names the dotted path where it happened, with the line and column.
"""

import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
)

if yaml.__with_libyaml__:
    from yaml.cyaml import CParser as _Parser
else:  # pragma: no cover - PyYAML built without libyaml: the same events from its Python parser

    class _Parser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):  # type: ignore[no-redef]
        """PyYAML's Python parser, for the event stream."""

        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)


#: Longest scenario text accepted (characters, 16 Mi). The largest library scenario is under 4 KiB;
#: a 100,000-item traffic list is about 5 MB.
MAX_TEXT_CHARS = 16 * 2**20
#: Deepest nesting of lists and mappings. A scenario needs 6 (templates.nodes.NAME.memory.FIELD).
MAX_DEPTH = 50
#: Most values (scalars, lists and mappings) once every alias is expanded.
MAX_VALUES = 2_000_000

_TAG = "tag:yaml.org,2002:"
_MERGE_KEY = "<<"


class YamlInputError(yaml.YAMLError):
    """Well-formed YAML that a scenario may not contain (too deep, too large, a bad key or tag).

    Attributes:
        where: dotted path of the place (``network.links[3]``; '' for the whole text).
        problem: what is wrong there.
        problem_mark: line and column (PyYAML's mark), or None.
    """

    def __init__(self, where: str, problem: str, mark: Any = None) -> None:
        self.where = where
        self.problem = problem
        self.problem_mark = mark
        super().__init__(f"{where}: {problem}" if where else problem)


# --- YAML 1.2 core schema (YAML 1.2.2, section 10.3.2) ------------------------------------------------

_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")


def _to_int(text: str) -> int | None:
    """``-12``, ``0o17`` (octal), ``0x1F`` (hex); ``017`` is decimal 17 in YAML 1.2."""
    if not _INT.fullmatch(text):
        return None
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _to_float(text: str) -> float | None:
    """``2.0e6``, ``1e9``, ``.5``, ``-.inf``, ``.nan`` (refused later by validation as not finite)."""
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INF.fullmatch(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.fullmatch(text):
        return math.nan
    return None


_WORDS: dict[str, Any] = {**_BOOL, "": None, "~": None, "null": None, "Null": None, "NULL": None}
_NUMBER_START = frozenset("-+.0123456789")


def resolve_plain(text: str) -> Any:
    """The value of a plain (unquoted) scalar under the YAML 1.2 core schema."""
    if text in _WORDS:
        return _WORDS[text]
    if text[0] not in _NUMBER_START:
        return text
    number = _to_int(text)
    if number is not None:
        return number
    real = _to_float(text)
    return text if real is None else real


def _tagged_scalar(tag: str, text: str) -> tuple[bool, Any]:
    """``(True, value)`` for a scalar with an explicit core tag (``!!float 3``), ``(False, None)`` if unknown."""
    if tag == _TAG + "str":
        return True, text
    if tag == _TAG + "null" and _NULL.fullmatch(text):
        return True, None
    if tag == _TAG + "bool" and text in _BOOL:
        return True, _BOOL[text]
    if tag == _TAG + "int" and (number := _to_int(text)) is not None:
        return True, number
    if tag == _TAG + "float" and (real := _to_float(text)) is not None:
        return True, real
    return False, None


# --- building values from events ----------------------------------------------------------------------


@dataclass
class _Frame:
    """One open list or mapping (or the document) while the events are read."""

    value: list[Any] | dict[Any, Any]
    anchor: str | None
    label: str  # its step in the dotted path: ".key", "[3]", or "" for the document
    mark: Any
    n_values: int = 1  # itself, then what it holds (aliases expanded)
    height: int = 1  # levels of nesting it holds, itself included
    key: Any = None  # the key whose value comes next (mappings)
    expecting_key: bool = True
    merged: list[dict[Any, Any]] = field(default_factory=list)  # mappings brought in by '<<', in order
    key_lines: dict[Any, int] = field(default_factory=dict)  # own keys -> line

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.value, dict)

    def child_label(self) -> str:
        """The path step of the child that starts now."""
        if self.is_mapping:
            return "" if self.expecting_key else f".{_shorten(str(self.key))}"
        return f"[{len(self.value)}]"


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Builder:
    """Builds the document's value from parser events, with the checks of the module docstring."""

    def __init__(self) -> None:
        self.document = _Frame(value=[], anchor=None, label="", mark=None, n_values=0, height=0)
        self.stack = [self.document]
        self.anchors: dict[str, tuple[Any, int, int]] = {}  # anchor -> (value, values, height)
        self.open_anchors: set[str] = set()
        self.total = 0

    def where(self, child: bool = True) -> str:
        """Dotted path of the open value (``child``: of the child that starts now), e.g. ``network.links[3]``."""
        labels = [frame.label for frame in self.stack[1:]]
        if child and len(self.stack) > 1:
            labels.append(self.stack[-1].child_label())
        return _shorten("".join(labels).lstrip("."), 80)

    def refuse(self, problem: str, mark: Any, child: bool = True) -> YamlInputError:
        return YamlInputError(self.where(child), problem, mark)

    def start(self, event: CollectionStartEvent) -> None:
        parent = self.stack[-1]
        is_mapping = isinstance(event, MappingStartEvent)
        kind = "mapping" if is_mapping else "list"
        if parent.is_mapping and parent.expecting_key:
            raise self.refuse(f"a key must be a name, not a {kind}", event.start_mark, child=False)
        if len(self.stack) > MAX_DEPTH:
            raise self.refuse(f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
        if event.tag not in (None, "!", _TAG + ("map" if is_mapping else "seq")):
            raise self.refuse(f"unsupported tag {event.tag}", event.start_mark)
        self._count(1, event.start_mark)
        label = parent.child_label() if len(self.stack) > 1 else ""
        frame = _Frame(value={} if is_mapping else [], anchor=event.anchor, label=label, mark=event.start_mark)
        self.stack.append(frame)
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)

    def end(self) -> None:
        frame = self.stack.pop()
        value = frame.value
        if isinstance(value, dict) and frame.merged:
            combined: dict[Any, Any] = {}
            for source in reversed(frame.merged):  # earlier mappings in a '<<' list win, own keys win over all
                combined.update(source)
            combined.update(value)
            value = combined
        if frame.anchor is not None:
            self.open_anchors.discard(frame.anchor)
        self._add(value, frame.n_values, frame.height, frame.anchor, frame.mark)

    def scalar(self, event: ScalarEvent) -> None:
        if event.tag is None:
            value = resolve_plain(event.value) if event.implicit[0] else event.value
        elif event.tag == "!":  # the non-specific tag: text
            value = event.value
        else:
            known, value = _tagged_scalar(event.tag, event.value)
            if not known:
                core = event.tag.startswith(_TAG) and event.tag[len(_TAG) :] in ("str", "null", "bool", "int", "float")
                problem = f"does not fit tag {event.tag}" if core else f"unsupported tag {event.tag}"
                raise self.refuse(f"{problem}; got {_shorten(event.value)!r}", event.start_mark)
        parent = self.stack[-1]
        if parent.is_mapping and parent.expecting_key and event.value == _MERGE_KEY and event.implicit[0]:
            value = _MERGE_KEY_MARKER
        self._count(1, event.start_mark)
        self._add(value, 1, 0, event.anchor, event.start_mark)

    def alias(self, event: AliasEvent) -> None:
        if event.anchor in self.open_anchors:
            raise self.refuse(f"alias *{event.anchor} refers to a value that contains it", event.start_mark)
        if event.anchor not in self.anchors:
            raise self.refuse(f"alias *{event.anchor} names no anchor defined before it", event.start_mark)
        value, n_values, height = self.anchors[event.anchor]
        parent = self.stack[-1]
        if parent.is_mapping and parent.expecting_key and height:
            raise self.refuse(f"a key must be a name, not alias *{event.anchor}", event.start_mark, child=False)
        if len(self.stack) - 1 + height > MAX_DEPTH:
            raise self.refuse(f"alias *{event.anchor} nests deeper than {MAX_DEPTH} levels", event.start_mark)
        self._count(n_values, event.start_mark, f"alias *{event.anchor} expands the scenario past")
        self._add(value, n_values, height, None, event.start_mark)

    def _count(self, n_values: int, mark: Any, what: str = "the scenario holds more than") -> None:
        self.total += n_values
        if self.total > MAX_VALUES:
            raise self.refuse(f"{what} {MAX_VALUES:,} values", mark)

    def _add(self, value: Any, n_values: int, height: int, anchor: str | None, mark: Any) -> None:
        """Put a finished value into the open list or mapping."""
        if anchor is not None:
            self.anchors[anchor] = (value, n_values, height)
        parent = self.stack[-1]
        parent.n_values += n_values
        parent.height = max(parent.height, height + 1)
        if not isinstance(parent.value, dict):
            parent.value.append(value)
            return
        if parent.expecting_key:
            self._key(parent, value, mark)
            return
        parent.expecting_key = True
        if parent.key is _MERGE_KEY_MARKER:
            parent.merged += self._merge_sources(value, mark)
        else:
            parent.value[parent.key] = value

    def _key(self, mapping: _Frame, key: Any, mark: Any) -> None:
        mapping.key, mapping.expecting_key = key, False
        if key is _MERGE_KEY_MARKER:
            return
        try:
            first = mapping.key_lines.get(key)
        except TypeError:  # an unhashable key from an explicit tag; refused like a list
            raise self.refuse("a key must be a name", mark, child=False) from None
        if first is not None:
            raise self.refuse(f"duplicate key (first given on line {first})", mark)
        mapping.key_lines[key] = mark.line + 1

    def _merge_sources(self, value: Any, mark: Any) -> list[dict[Any, Any]]:
        sources = value if isinstance(value, list) else [value]
        if not sources or not all(isinstance(source, dict) for source in sources):
            raise YamlInputError(
                f"{self.where(child=False)}.<<".lstrip("."),
                f"a merge key takes a mapping or a list of mappings; got {_shorten(repr(value))}",
                mark,
            )
        return sources


class _MergeKey:
    """The ``<<`` key of a mapping (a marker that cannot clash with any real key)."""

    def __repr__(self) -> str:
        return "'<<'"

    def __str__(self) -> str:
        return _MERGE_KEY


_MERGE_KEY_MARKER = _MergeKey()


def load_yaml(text: str) -> Any:
    """The value of the single YAML document in ``text`` (None if there is none).

    Raises:
        YamlInputError: too long, too deep, too large once aliases are
            expanded, a bad key or tag, or more than one document.
        yaml.YAMLError: malformed YAML (the parser's error, with its marks).
    """
    if len(text) > MAX_TEXT_CHARS:
        raise YamlInputError("", f"the scenario is {len(text):,} characters long; at most {MAX_TEXT_CHARS:,} are read")
    parser = _Parser(text)
    builder = _Builder()
    n_documents = 0
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, ScalarEvent):
                builder.scalar(event)
            elif isinstance(event, CollectionStartEvent):
                builder.start(event)
            elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
                builder.end()
            elif isinstance(event, AliasEvent):
                builder.alias(event)
            elif isinstance(event, DocumentStartEvent):
                n_documents += 1
                if n_documents > 1:
                    problem = "a scenario file holds one YAML document; found a second"
                    raise YamlInputError("", problem, event.start_mark)
    except yaml.YAMLError as error:
        if "maximum nesting depth" in str(getattr(error, "problem", "")):  # libyaml's own limit (1000 levels)
            raise builder.refuse(f"nested deeper than {MAX_DEPTH} levels", error.problem_mark) from None  # type: ignore[attr-defined]
        raise
    finally:
        parser.dispose()
    values = builder.document.value
    return values[0] if values else None
