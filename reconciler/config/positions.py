"""Positions: the bridge from ``yamlio`` spans (0-based) to ``Position`` values (1-based).

``PositionMap`` is the ``keys`` mapping of a ``DocumentSource``; it builds ``Position`` values
only when asked, so ten thousand documents do not hold a quarter million of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from reconciler.config.desired import KeyPath
from reconciler.config.diagnostics import Position
from reconciler.config.yamlio import RawDocument, Span


class PositionMap(Mapping[KeyPath, Position]):
    """Key path -> position of the key (list items: of the item); with ``values=True``, of
    the value written after the key (a typo in a value is pointed at, not its key)."""

    __slots__ = ("_first", "_path", "_spans")

    def __init__(self, path: str, spans: Mapping[KeyPath, Span], *, values: bool = False) -> None:
        self._path = path
        self._spans = spans
        self._first = 2 if values else 0

    def __getitem__(self, key: KeyPath) -> Position:
        span = self._spans[key]
        return Position(self._path, span[self._first] + 1, span[self._first + 1] + 1)

    def __iter__(self) -> Iterator[KeyPath]:
        return iter(self._spans)

    def __len__(self) -> int:
        return len(self._spans)


def document_position(path: str, doc: RawDocument) -> Position:
    return Position(path, doc.line + 1, doc.column + 1)


def key_position(path: str, doc: RawDocument, loc: KeyPath) -> Position:
    """Where the key at ``loc`` is written, else its nearest written parent, else the document."""
    for depth in range(len(loc), 0, -1):
        span = doc.spans.get(loc[:depth])
        if span is not None:
            return Position(path, span[0] + 1, span[1] + 1)
    return document_position(path, doc)


def value_position(path: str, doc: RawDocument, loc: KeyPath) -> Position:
    """Where the value at ``loc`` is written (containers: their key), else as ``key_position``."""
    span = doc.spans.get(loc)
    if span is not None:
        return Position(path, span[2] + 1, span[3] + 1)
    return key_position(path, doc, loc)
