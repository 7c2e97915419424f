"""YAML for the whole tool: one configured ruamel instance, and the bounded reader of config files.

Reading: the config loader needs line and column for every key and value, refusal of hostile
input in bounded time and memory, and speed (10,000 documents in well under three seconds).
ruamel's round-trip loader gives positions but runs a pure-Python scanner at about 200 KB/s,
so ``read_documents`` instead pulls the *event stream* from the same ``YAML`` instance (the
libyaml-based C parser when ``ruamel.yaml.clib`` is installed, every event carries its mark)
and builds plain Python values itself, recording positions as it goes. Building values from
events is also where the limits live: no anchors or aliases (so no alias bombs), no explicit
tags, bounded nesting depth and node count, duplicate keys reported at the duplicate.

Writing: ``dump_yaml`` is the round-trip instance other modules use to emit YAML (import).

Must not: validate documents (``config.loader``) or touch the file system.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)

#: Deepest nesting accepted; real documents nest about six levels (Helm values a few more).
MAX_DEPTH = 64
#: Nodes (scalars, mappings, sequences) accepted per file: a workspace is about 30.
MAX_NODES = 100_000

#: Path of keys inside a document: mapping keys as written, list indexes.
KeyPath = tuple[str | int, ...]

#: The reader: the C event parser when available (pure Python otherwise).
_reader = YAML(typ="safe", pure=False)


def _make_writer() -> YAML:
    writer = YAML(typ="rt")
    writer.indent(mapping=2, sequence=4, offset=2)
    writer.width = 100
    writer.preserve_quotes = True
    writer.default_flow_style = False
    return writer


#: The one round-trip instance used to write YAML (comments and order preserved).
yaml_writer = _make_writer()


def dump_yaml(data: Any) -> str:
    buffer = io.StringIO()
    yaml_writer.dump(data, buffer)
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class Span:
    """0-based key and value position of one path; for containers value == key position."""

    key_line: int
    key_column: int
    line: int
    column: int


@dataclass
class RawDocument:
    """One YAML document as plain values, with a position for every path inside it."""

    data: Any
    line: int
    column: int
    spans: dict[KeyPath, Span] = field(default_factory=dict)
    #: Non-fatal problems inside this document: (line, column, message), 0-based.
    problems: list[tuple[int, int, str]] = field(default_factory=list)


class YamlProblem(Exception):
    """The file cannot be read any further; 0-based position of the problem."""

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message


# --------------------------------------------------------------------------- scalars

# YAML 1.2 core schema (what ruamel uses by default): no timestamps, no yes/no booleans.
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_INT_RE = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT_RE = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_SPECIAL_FLOATS = {
    ".inf": float("inf"),
    ".Inf": float("inf"),
    ".INF": float("inf"),
    "+.inf": float("inf"),
    "+.Inf": float("inf"),
    "+.INF": float("inf"),
    "-.inf": float("-inf"),
    "-.Inf": float("-inf"),
    "-.INF": float("-inf"),
    ".nan": float("nan"),
    ".NaN": float("nan"),
    ".NAN": float("nan"),
}
_MAYBE_TYPED = frozenset("-+.0123456789~nNtTfF")


def resolve_plain(value: str) -> Any:
    """Type of an unquoted scalar under the YAML 1.2 core schema."""
    if value and value[0] not in _MAYBE_TYPED:
        return value
    if value in _NULLS:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if _INT_RE.fullmatch(value):
        if value.startswith("0o"):
            return int(value[2:], 8)
        if value.startswith("0x"):
            return int(value[2:], 16)
        return int(value)
    if _FLOAT_RE.fullmatch(value):
        return float(value)
    return _SPECIAL_FLOATS.get(value, value)


# --------------------------------------------------------------------------- events -> values


def _refuse_node_extras(event: Event) -> None:
    anchor = getattr(event, "anchor", None)
    if anchor is not None:
        raise YamlProblem(
            event.start_mark.line,
            event.start_mark.column,
            f"YAML anchors and aliases are not allowed (found anchor '&{anchor}'); "
            "write each value out",
        )
    tag = getattr(event, "tag", None)
    if tag is not None and tag != "!":
        raise YamlProblem(
            event.start_mark.line,
            event.start_mark.column,
            f"YAML tags are not allowed (found '{tag}'); quote the value instead",
        )


class _Frame:
    """One open mapping or sequence while its events are read."""

    __slots__ = ("container", "first_keys", "key", "key_line", "key_column", "path")

    def __init__(self, container: dict[str, Any] | list[Any], path: KeyPath) -> None:
        self.container = container
        self.path = path
        self.key: str | None = None
        self.key_line = 0
        self.key_column = 0
        self.first_keys: dict[str, int] = {}


def _compose_document(events: Iterator[Event], budget: list[int]) -> RawDocument:
    """Read one document's events (after DocumentStart) into values; consumes DocumentEnd."""
    doc = RawDocument(data=None, line=0, column=0)
    stack: list[_Frame] = []
    root_set = False

    def place(value: Any, event: Event, container: bool) -> KeyPath | None:
        nonlocal root_set
        line, column = event.start_mark.line, event.start_mark.column
        if not stack:
            doc.data = value
            doc.line, doc.column = line, column
            root_set = True
            return ()
        top = stack[-1]
        if isinstance(top.container, list):
            path = (*top.path, len(top.container))
            top.container.append(value)
            doc.spans[path] = Span(line, column, line, column)
            return path
        key = top.key
        assert key is not None
        top.key = None
        path = (*top.path, key)
        if key in top.first_keys:
            doc.problems.append(
                (
                    top.key_line,
                    top.key_column,
                    f"duplicate key '{key}' (first at line {top.first_keys[key] + 1})",
                )
            )
            return None
        top.first_keys[key] = top.key_line
        top.container[key] = value
        if container:
            doc.spans[path] = Span(top.key_line, top.key_column, top.key_line, top.key_column)
        else:
            doc.spans[path] = Span(top.key_line, top.key_column, line, column)
        return path

    for event in events:
        if isinstance(event, DocumentEndEvent):
            return doc
        if isinstance(event, MappingEndEvent | SequenceEndEvent):
            stack.pop()
            continue
        if isinstance(event, AliasEvent):
            raise YamlProblem(
                event.start_mark.line,
                event.start_mark.column,
                f"YAML anchors and aliases are not allowed (found alias '*{event.anchor}'); "
                "write each value out",
            )
        budget[0] -= 1
        if budget[0] < 0:
            raise YamlProblem(
                event.start_mark.line,
                event.start_mark.column,
                f"file has more than {MAX_NODES} YAML nodes; split it into smaller files",
            )
        _refuse_node_extras(event)
        if isinstance(event, ScalarEvent):
            plain = event.style is None or event.style == ""
            if stack and isinstance(stack[-1].container, dict) and stack[-1].key is None:
                top = stack[-1]
                top.key = event.value
                top.key_line, top.key_column = event.start_mark.line, event.start_mark.column
                continue
            place(resolve_plain(event.value) if plain else event.value, event, container=False)
            continue
        if isinstance(event, MappingStartEvent | SequenceStartEvent):
            if stack and isinstance(stack[-1].container, dict) and stack[-1].key is None:
                raise YamlProblem(
                    event.start_mark.line,
                    event.start_mark.column,
                    "mapping keys must be plain strings, not mappings or lists",
                )
            if len(stack) >= MAX_DEPTH:
                raise YamlProblem(
                    event.start_mark.line,
                    event.start_mark.column,
                    f"YAML nested deeper than {MAX_DEPTH} levels",
                )
            new: dict[str, Any] | list[Any] = (
                {} if isinstance(event, MappingStartEvent) else []
            )
            path = place(new, event, container=True)
            # A duplicate key's value is still read (to stay in step) but kept nowhere.
            stack.append(_Frame(new, path if path is not None else ("<duplicate>",)))
            continue
        raise YamlProblem(event.start_mark.line, event.start_mark.column, "unexpected YAML event")
    raise YamlProblem(doc.line, doc.column, "unexpected end of YAML stream")


def _marked_problem(exc: YAMLError, text: str) -> YamlProblem:
    """A parser error as a position and message; never the snippet (it may hold a secret)."""
    if isinstance(exc, ReaderError):
        before = text[: exc.position]
        line = before.count("\n")
        column = exc.position - (before.rfind("\n") + 1)
        return YamlProblem(line, column, f"invalid YAML: character #x{exc.character:04x} is not allowed")
    if isinstance(exc, MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        problem = exc.problem or "invalid YAML"
        lines = text.split("\n", mark.line + 1)
        if mark.line < len(lines):
            indent = lines[mark.line][: len(lines[mark.line]) - len(lines[mark.line].lstrip())]
            if "\t" in indent:
                return YamlProblem(
                    mark.line,
                    indent.index("\t"),
                    "tab character in indentation; YAML indents with spaces",
                )
        context = f" ({exc.context})" if exc.context else ""
        return YamlProblem(mark.line, mark.column, f"invalid YAML: {problem}{context}")
    return YamlProblem(0, 0, "invalid YAML")


def read_documents(text: str) -> list[RawDocument]:
    """Every non-empty document of ``text``; raises ``YamlProblem`` at the first fatal problem."""
    documents: list[RawDocument] = []
    budget = [MAX_NODES]
    try:
        events = iter(_reader.parse(text))
        for event in events:
            if isinstance(event, StreamStartEvent):
                continue
            if isinstance(event, StreamEndEvent):
                break
            if isinstance(event, DocumentStartEvent):
                doc = _compose_document(events, budget)
                if doc.data is not None:
                    documents.append(doc)
                continue
            raise YamlProblem(event.start_mark.line, event.start_mark.column, "unexpected event")
    except YAMLError as exc:
        raise _marked_problem(exc, text) from exc
    return documents
