"""YAML for the whole tool: one configured ruamel instance, and the bounded reader of config files.

Reading: the config loader needs line and column for every key and value, refusal of hostile
input in bounded time and memory, and speed (100,000 documents in a few seconds). Two readers
share one contract:

- the *exact* reader pulls the event stream from ruamel's ``YAML`` instance (the libyaml-based
  C parser when ``ruamel.yaml.clib`` is installed, every event carries its mark) and builds
  plain Python values itself, recording a position for every path as it goes. It is where the
  limits and their messages live: no anchors or aliases (so no alias bombs), no explicit tags,
  bounded nesting depth and node count, duplicate keys reported at the duplicate, YAML 1.2 only.
- the *fast* reader lets PyYAML's C composer (libyaml, with its own nesting bound) build the
  node tree and walks it into values only, about three times faster. It takes a file only when
  no anchor, alias, tag or directive can be in it: every ``& * ! %`` of the text lies inside a
  scalar (``"*"``, ``a&b``) or a comment, which the nodes' marks show after composing; and it
  hands the file to the exact reader at the first thing it would have to report (a parse
  error, a duplicate or non-scalar key, too deep, too many nodes), so every diagnostic is the
  exact reader's. Its documents' spans are ``LazySpans``: the exact reader reads the file
  again the first time a position inside it is asked for (a diagnostic), so a valid config
  never builds or keeps them.

Must not: validate documents (``config.loader``) or touch the file system.
"""

from __future__ import annotations

import bisect
import io
import re
import textwrap
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
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

try:
    from yaml import YAMLError as _FastError
    from yaml import _yaml
    from yaml.nodes import MappingNode as _MappingNode
    from yaml.nodes import ScalarNode as _ScalarNode

    class _Composer(_yaml.CParser):
        """PyYAML's C composer with no resolver: every tag stays '' (types are ours)."""

        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            return ""

        def descend_resolver(self, parent: Any, index: Any) -> None:
            pass

        def ascend_resolver(self) -> None:
            pass

    #: The fast reader's composer; None (PyYAML without libyaml) means the exact reader only.
    FastComposer: Any = _Composer
except ImportError:  # pragma: no cover
    FastComposer = None

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
    spans: Mapping[KeyPath, Span] = field(default_factory=dict)
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
        number = float(value)
        if number - number != 0.0:  # inf or nan (1e400 overflows)
            _counts.not_finite = not_finite_count() + 1
        return number
    special = _SPECIAL_FLOATS.get(value)
    if special is not None:
        _counts.not_finite = not_finite_count() + 1
        return special
    return value


#: This thread's count of the floats ``resolve_plain`` made that are not finite (``.inf``,
#: ``.nan``, ``1e400``): orjson writes those as null, so whoever keeps a read's values as JSON
#: (the parse cache, the parallel reader's frames) compares the count before and after the
#: read instead of looking for such numbers in the text. Per thread: a read on another thread
#: can neither hide nor fake one.
_counts = threading.local()


def not_finite_count() -> int:
    """How many floats that are not finite ``resolve_plain`` has made on this thread."""
    return getattr(_counts, "not_finite", 0)


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
    spans: dict[KeyPath, Span] = {}
    doc = RawDocument(data=None, line=0, column=0, spans=spans)
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
    """Every non-empty document of ``text``; raises ``YamlProblem`` at the first fatal problem.

    The fast reader when it can take ``text`` whole, else the exact one (see the module)."""
    documents = read_fast(text)
    return documents if documents is not None else read_exact(text)


def read_fast(text: str) -> list[RawDocument] | None:
    """``read_documents`` by the fast reader, or None where only the exact reader may read
    ``text`` (it reports something, or the fast reader cannot take it)."""
    if FastComposer is None or not _fast_can_take(text):
        return None
    return _read_fast(text)


def documents_from_values(text: str, values: Iterable[tuple[Any, int, int]]) -> list[RawDocument]:
    """The documents the fast reader made of ``text``, rebuilt from their (data, line,
    column): the spans are ``LazySpans`` over ``text``, as the fast reader's are."""
    file = _FileSpans(text)
    return [
        RawDocument(data, line, column, LazySpans(file, index))
        for index, (data, line, column) in enumerate(values)
    ]


def read_exact(text: str) -> list[RawDocument]:
    """``read_documents`` by the exact reader: spans built as it reads, every limit's message."""
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


# --------------------------------------------------------------------------- the fast reader


def _fast_can_take(text: str) -> bool:
    """``text`` cannot hold more than ``MAX_NODES`` nodes: each node starts after one of these
    indicators (a mapping's key and value after one), so the C composer never builds more
    than the exact reader would. A text shorter than half the limit needs no count: a node
    has a character. (Whether an anchor, alias, tag or directive may be in it is
    ``_only_in_scalars``'s question, asked after composing.)"""
    if 2 * len(text) + 2 <= MAX_NODES:
        return True
    starts = sum(text.count(c) for c in "\n,:-[{?")
    return 2 * starts + 2 <= MAX_NODES


#: A character that starts an anchor, an alias, a tag or a directive (outside a scalar).
_PROPERTY = re.compile(r"[&*!%]")
#: What libyaml takes for a line break (YAML 1.1's: NEL, LS and PS too).
_BREAKS = "\n\r\x85\u2028\u2029"
_BREAK = re.compile(f"[{_BREAKS}]")


def _property_marks(text: str) -> list[int]:
    """Offsets of every ``& * ! %`` of ``text``; most configs have none (``in`` is cheap)."""
    if "&" in text or "*" in text or "!" in text or "%" in text:
        return [match.start() for match in _PROPERTY.finditer(text)]
    return []


def _only_in_scalars(text: str, marks: list[int], roots: list[Any]) -> bool:
    """Every offset of ``marks`` (ascending) lies inside a scalar's text or in a comment, so
    none of them starts an anchor, alias, tag or directive.

    Inside: strictly after the scalar's first character (libyaml's mark of a scalar with an
    anchor or tag is the property's, and no scalar's own text starts with one of these
    characters), before its end. A comment: after the line's first ``#`` that is outside
    every scalar and follows white space or starts the line. Linear in the text (a line is
    looked at once however many marks it holds: a hostile file of one line of ``*`` stays
    cheap). Called after ``_value`` walked ``roots`` (so the trees are bounded, acyclic)."""
    spans: list[tuple[int, int]] = []
    stack = list(roots)
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is _ScalarNode:
            spans.append((node.start_mark.index, node.end_mark.index))
        elif kind is _MappingNode:
            for key, value in node.value:
                stack.append(key)
                stack.append(value)
        else:
            stack.extend(node.value)
    spans.sort()
    starts = [start for start, _ in spans]

    def inside(offset: int) -> bool:
        at = bisect.bisect_right(starts, offset) - 1
        return at >= 0 and starts[at] < offset < spans[at][1]

    # The line of the last mark looked at ends at line_end (its break, or the text's end);
    # every search below starts there or at the mark, so each character is looked at once.
    line_end = 0
    comment = 0
    for offset in marks:
        if inside(offset):
            continue
        if offset >= line_end:
            line_start = max(text.rfind(b, line_end, offset) for b in _BREAKS) + 1
            found = _BREAK.search(text, offset)
            line_end = found.start() if found is not None else len(text)
            comment = _comment_start(text, line_start, line_end, inside)
        if offset < comment:
            return False
    return True


def _comment_start(text: str, start: int, end: int, inside: Callable[[int], bool]) -> int:
    """Offset of the ``#`` that starts a comment in ``text[start:end]`` (one line), or ``end``."""
    at = text.find("#", start, end)
    while at >= 0:
        if (at == start or text[at - 1] in " \t") and not inside(at):
            return at
        at = text.find("#", at + 1, end)
    return end


class _Declined(Exception):
    """The fast reader will not take this file; the exact reader reads it (and reports)."""


class _FileSpans:
    """The spans of every document of one file, read by the exact reader on first need."""

    __slots__ = ("_spans", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._spans: list[Mapping[KeyPath, Span]] | None = None

    def of(self, index: int) -> Mapping[KeyPath, Span]:
        if self._spans is None:
            try:
                self._spans = [doc.spans for doc in read_exact(self._text)]
            except YamlProblem:  # pragma: no cover - both readers are libyaml
                self._spans = []
            self._text = ""
        return self._spans[index] if index < len(self._spans) else {}


class LazySpans(Mapping[KeyPath, Span]):
    """The spans of one document of a fast-read file: built when first looked up."""

    __slots__ = ("_file", "_index", "_spans")

    def __init__(self, file: _FileSpans, index: int) -> None:
        self._file = file
        self._index = index
        self._spans: Mapping[KeyPath, Span] | None = None

    def _built(self) -> Mapping[KeyPath, Span]:
        if self._spans is None:
            self._spans = self._file.of(self._index)
        return self._spans

    def __getitem__(self, key: KeyPath) -> Span:
        return self._built()[key]

    def __iter__(self) -> Iterator[KeyPath]:
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())


def _read_fast(text: str) -> list[RawDocument] | None:
    """Documents of ``text`` by PyYAML's C composer, or None where the exact reader must read."""
    marks = _property_marks(text)
    composer = FastComposer(text)
    file = _FileSpans(text)
    documents: list[RawDocument] = []
    roots: list[Any] = []
    budget = [MAX_NODES]
    try:
        while composer.check_node():
            node = composer.get_node()
            data = _value(node, 0, budget)
            if budget[0] < 0:
                raise _Declined
            if marks:
                roots.append(node)
            if data is not None:
                mark = node.start_mark
                spans = LazySpans(file, len(documents))
                documents.append(RawDocument(data, mark.line, mark.column, spans))
        if marks and not _only_in_scalars(text, marks, roots):
            raise _Declined
    except (_FastError, _Declined):
        return None
    finally:
        composer.dispose()
    return documents


def _value(node: Any, depth: int, budget: list[int]) -> Any:
    """The plain value of ``node``; ``_Declined`` at anything the exact reader reports.

    Recursion is bounded: containers nested ``MAX_DEPTH`` deep are declined. The budget is
    charged per container (its entries, a nested container twice): stricter than the exact
    reader's count, never looser."""
    kind = type(node)
    if kind is _ScalarNode:
        budget[0] -= 1
        value = node.value
        return value if node.style else resolve_plain(value)
    depth += 1
    items = node.value
    if kind is _MappingNode:
        budget[0] -= 2 * len(items) + 1
        if budget[0] < 0 or depth >= MAX_DEPTH:
            raise _Declined
        mapping: dict[str, Any] = {}
        for key_node, value_node in items:
            if type(key_node) is not _ScalarNode:
                raise _Declined
            if type(value_node) is _ScalarNode:
                value = value_node.value
                if not value_node.style and (not value or value[0] in _MAYBE_TYPED):
                    value = resolve_plain(value)
                mapping[key_node.value] = value
            else:
                mapping[key_node.value] = _value(value_node, depth, budget)
        if len(mapping) != len(items):
            raise _Declined  # a duplicate key
        return mapping
    budget[0] -= len(items) + 1
    if budget[0] < 0 or depth >= MAX_DEPTH:
        raise _Declined
    return [_value(item, depth, budget) for item in items]


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
