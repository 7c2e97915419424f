"""Where the last pages of a list ended, so the next page seeks instead of counting.

The public lists page by ``offset`` (as the real server does), and ``LIMIT ? OFFSET ?`` walks
every row before the offset: reading a 100,000-row list a page at a time cost the emulator
O(N^2) rows, about 100 ms a page near the end. A client reads a list in order, so each page
served leaves a mark, ``(filters, offset + rows) -> (name, id)`` of its last row, and a later
request for that offset (or a little past it) continues with ``(name, id) > mark`` down the
list index, counting only the difference.

A mark is trusted only while the database is unchanged since it was made: the version is
``PRAGMA data_version`` (changes by other connections or processes) with the connection's
``total_changes`` (its own writes), read in the same transaction as the page. Any write drops
every mark, so an answer is always the one a plain ``OFFSET`` would give; a test compares them.
"""

from __future__ import annotations

import bisect
import sqlite3
import threading
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Marks kept per list (filters and caller); a client reading 100,000 rows leaves 1,000.
_MAX_MARKS = 4096
#: Lists (filter combinations) remembered at once.
_MAX_LISTS = 256


@dataclass
class _List:
    version: tuple[int, int]
    offsets: list[int] = field(default_factory=list)
    marks: dict[int, tuple[str, str]] = field(default_factory=dict)


class PageMarks:
    """Per control plane (one per ``Context``); safe to share between request threads."""

    def __init__(self) -> None:
        self._lists: dict[Hashable, _List] = {}
        self._lock = threading.Lock()

    def page(
        self,
        db: sqlite3.Connection,
        key: Hashable,
        *,
        select: str,
        params: Sequence[Any],
        order: tuple[str, str],
        limit: int,
        offset: int,
    ) -> list[sqlite3.Row]:
        """Rows ``offset .. offset + limit`` of ``select`` (a ``SELECT ... WHERE ...`` without
        ORDER BY) in ``order`` (the name and id column expressions); each row has ``name`` and
        ``id``."""
        version = _version(db)
        start = self._nearest(key, version, offset)
        name, ident = order
        if start is None:
            sql = f"{select} ORDER BY {name}, {ident} LIMIT ? OFFSET ?"
            args = (*params, limit, offset)
        else:
            at, (last_name, last_id) = start
            sql = (
                f"{select} AND ({name}, {ident}) > (?, ?) ORDER BY {name}, {ident} LIMIT ? OFFSET ?"
            )
            args = (*params, last_name, last_id, limit, offset - at)
        rows: list[sqlite3.Row] = db.execute(sql, args).fetchall()
        if rows:
            self._remember(key, version, offset + len(rows), (rows[-1]["name"], rows[-1]["id"]))
        return rows

    def _nearest(
        self, key: Hashable, version: tuple[int, int], offset: int
    ) -> tuple[int, tuple[str, str]] | None:
        with self._lock:
            entry = self._lists.get(key)
            if entry is None or entry.version != version:
                return None
            i = bisect.bisect_right(entry.offsets, offset)
            if i == 0:
                return None
            at = entry.offsets[i - 1]
            return at, entry.marks[at]

    def _remember(
        self, key: Hashable, version: tuple[int, int], offset: int, mark: tuple[str, str]
    ) -> None:
        with self._lock:
            entry = self._lists.get(key)
            if entry is None or entry.version != version or len(entry.offsets) >= _MAX_MARKS:
                if entry is None and len(self._lists) >= _MAX_LISTS:
                    self._lists.clear()
                entry = self._lists[key] = _List(version)
            if offset not in entry.marks:
                bisect.insort(entry.offsets, offset)
            entry.marks[offset] = mark


def _version(db: sqlite3.Connection) -> tuple[int, int]:
    row = db.execute("PRAGMA data_version").fetchone()
    return (int(row[0]), db.total_changes)
