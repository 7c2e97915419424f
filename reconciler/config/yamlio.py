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
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from ruamel.yaml.reader import ReaderError

try:
    from ruamel.yaml import cyaml

    #: libyaml's parser (ruamel.yaml.clib); None means pure Python: same results, slower.
    CParser: Any = cyaml.CParser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    CParser = None

#: Deepest nesting accepted; real documents nest about six levels (Helm values a few more).
MAX_DEPTH = 64
#: Nodes (scalars, mappings, sequences) accepted per file: a workspace is about 30.
MAX_NODES = 100_000

#: Path of keys inside a document: mapping keys as written, list indexes.
KeyPath = tuple[str | int, ...]


#: Line width of written YAML (comments are wrapped to it too).
WIDTH = 100


def _make_writer() -> YAML:
    writer = YAML(typ="rt")
    writer.indent(mapping=2, sequence=4, offset=2)
    writer.width = WIDTH
    writer.preserve_quotes = True
    writer.default_flow_style = False
    return writer


#: The one round-trip instance used to write YAML (comments and order preserved).
yaml_writer = _make_writer()


def dump_yaml(data: Any) -> str:
    buffer = io.StringIO()
    yaml_writer.dump(data, buffer)
    return buffer.getvalue()


#: 0-based (key line, key column, value line, value column) of one path; list items and
#: containers use their own position for both. A tuple: one is made per node.
Span = tuple[int, int, int, int]


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

# YAML 1.2 core schema, with booleans strictly as in YAML 1.2's JSON schema: true and false
# only (True, yes, on, ... stay strings, and a boolean field refuses them with a hint).
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true"})
_FALSE = frozenset({"false"})
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


def _refuse(event: Any) -> YamlProblem:
    """The problem with an alias, an anchor or a tag on ``event``."""
    mark = event.start_mark
    if isinstance(event, AliasEvent):
        found = f"alias '*{event.anchor}'"
    elif event.anchor is not None:
        found = f"anchor '&{event.anchor}'"
    else:
        return YamlProblem(
            mark.line,
            mark.column,
            f"YAML tags are not allowed (found '{event.tag}'); quote the value instead",
        )
    return YamlProblem(
        mark.line,
        mark.column,
        f"YAML anchors and aliases are not allowed (found {found}); write each value out",
    )


def _compose_document(next_event: Callable[[], Any], budget: list[int]) -> RawDocument:
    """Read one document's events (after DocumentStart) into values; consumes DocumentEnd.

    One flat loop over events with an explicit stack: no recursion (so no depth the
    interpreter could run out of), and the hot path (a plain scalar in a mapping) stays short.
    """
    doc = RawDocument(data=None, line=0, column=0)
    spans = doc.spans
    # Per open container: [value, path, pending key or None, key line, key column, first keys]
    stack: list[list[Any]] = []
    while True:
        event = next_event()
        kind = type(event)
        if kind is MappingEndEvent or kind is SequenceEndEvent:
            stack.pop()
            continue
        if kind is DocumentEndEvent:
            return doc
        if (
            kind is not ScalarEvent
            and kind is not MappingStartEvent
            and kind is not SequenceStartEvent
        ):
            if kind is AliasEvent:
                raise _refuse(event)
            raise YamlProblem(event.start_mark.line, event.start_mark.column, "unexpected event")
        if event.anchor is not None or (event.tag is not None and event.tag != "!"):
            raise _refuse(event)
        mark = event.start_mark
        budget[0] -= 1
        if budget[0] < 0:
            raise YamlProblem(
                mark.line,
                mark.column,
                f"file has more than {MAX_NODES} YAML nodes; split it into smaller files",
            )
        top = stack[-1] if stack else None
        scalar = kind is ScalarEvent
        if top is not None and top[2] is None and type(top[0]) is dict:
            if not scalar:
                raise YamlProblem(
                    mark.line,
                    mark.column,
                    "mapping keys must be plain strings, not mappings or lists",
                )
            top[2] = event.value
            top[3] = mark.line
            top[4] = mark.column
            continue
        if scalar:
            value: Any = resolve_plain(event.value) if not event.style else event.value
        else:
            if len(stack) >= MAX_DEPTH:
                raise YamlProblem(
                    mark.line, mark.column, f"YAML nested deeper than {MAX_DEPTH} levels"
                )
            value = {} if kind is MappingStartEvent else []
        path: KeyPath
        if top is None:
            doc.data = value
            doc.line = mark.line
            doc.column = mark.column
            path = ()
        elif type(top[0]) is list:
            path = (*top[1], len(top[0]))
            top[0].append(value)
            spans[path] = (mark.line, mark.column, mark.line, mark.column)
        else:
            key = top[2]
            top[2] = None
            first_line = top[5].get(key)
            if first_line is not None:
                doc.problems.append(
                    (top[3], top[4], f"duplicate key '{key}' (first at line {first_line + 1})")
                )
                # The duplicate's value is still read, to stay in step, but kept nowhere.
                path = ("<duplicate>",)
            else:
                top[5][key] = top[3]
                top[0][key] = value
                path = (*top[1], key)
                if scalar:
                    spans[path] = (top[3], top[4], mark.line, mark.column)
                else:
                    spans[path] = (top[3], top[4], top[3], top[4])
        if not scalar:
            stack.append([value, path, None, 0, 0, {}])


def _marked_problem(exc: YAMLError, text: str) -> YamlProblem:
    """A parser error as a position and message; never the snippet (it may hold a secret)."""
    if isinstance(exc, ReaderError):
        before = text[: exc.position]
        line = before.count("\n")
        column = exc.position - (before.rfind("\n") + 1)
        return YamlProblem(
            line, column, f"invalid YAML: character #x{exc.character:04x} is not allowed"
        )
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


def _event_source(text: str) -> tuple[Callable[[], Any], Callable[[], None]]:
    """``get_event`` and ``dispose`` of a parser over ``text`` (C when available)."""
    if CParser is not None:
        parser = CParser(text)
        return parser.get_event, parser.dispose
    events = iter(YAML(typ="safe", pure=True).parse(text))
    return events.__next__, lambda: None


def read_documents(text: str) -> list[RawDocument]:
    """Every non-empty document of ``text``; raises ``YamlProblem`` at the first fatal problem."""
    documents: list[RawDocument] = []
    budget = [MAX_NODES]
    next_event, dispose = _event_source(text)
    try:
        while True:
            event = next_event()
            kind = type(event)
            if kind is StreamStartEvent:
                continue
            if kind is StreamEndEvent:
                break
            if kind is not DocumentStartEvent:
                raise YamlProblem(
                    event.start_mark.line, event.start_mark.column, "unexpected event"
                )
            version = getattr(event, "version", None)
            if version is not None and tuple(version) != (1, 2):
                raise YamlProblem(
                    event.start_mark.line,
                    event.start_mark.column,
                    f"%YAML {'.'.join(map(str, version))} directive: flexctl reads YAML 1.2 "
                    "only (true/false are the only booleans); remove the directive",
                )
            doc = _compose_document(next_event, budget)
            if doc.data is not None:
                documents.append(doc)
    except YAMLError as exc:
        raise _marked_problem(exc, text) from exc
    finally:
        dispose()
    return documents


def dump_yaml_commented(data: Mapping[str, Any], comments: Mapping[KeyPath, str]) -> str:
    """``data`` as YAML with a comment line (or lines) above each key ``comments`` names;
    paths through lists are not commented (import never needs them)."""
    root = _commented(data)
    for path, text in sorted(comments.items(), key=lambda item: str(item[0])):
        parent: Any = root
        for part in path[:-1]:
            parent = parent.get(part) if isinstance(parent, CommentedMap) else None
        if isinstance(parent, CommentedMap) and path[-1] in parent:
            indent = 2 * (len(path) - 1)
            # Wrapped to the writer's width; "\n" in ``text`` starts a new line.
            width = WIDTH - indent - 2
            wrapped = "\n".join(
                "\n".join(textwrap.wrap(part, width, break_on_hyphens=False))
                for part in text.split("\n")
            )
            parent.yaml_set_comment_before_after_key(path[-1], before=wrapped, indent=indent)
    return dump_yaml(root)


def _commented(value: Any) -> Any:
    if isinstance(value, Mapping):
        return CommentedMap((k, _commented(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_commented(v) for v in value]
    return value
