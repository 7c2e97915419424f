"""Where a Journal's records go: a JSON-lines file (local backend) or a backend document.

``FileLog`` is the local form: ``<state>/journal.jsonl``, kept open for the run; a synced
append returns only once its lines are on disk, but appends from concurrent threads share one
fsync (group commit): whoever finds no fsync running syncs everything written so far, the
others wait for the fsync that covers theirs. ``append_many`` writes several records at once
(one write, at most one fsync): what ``store.Journal``'s asynchronous methods hand it, the
records of a window of in-flight creates.

``DocumentLog`` is the shared form: the ``journal`` document of an s3 or git backend, each
append one compare-and-swap write of the whole list (a begin and a done per create: about
6 MB after 10,000 workspace creates), so a killed run's journal is visible to every runner.
``append_many`` there is one write of the list with all of them; ``store.Journal`` hands it a
window of begins with the dones that came in meanwhile, so the writes are about one per
window. Both read back as ``(records, revision)``; the revision is what an apply compares.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from reconciler.errors import StateError
from reconciler.state import StateBackend

JOURNAL = "journal"


class JournalLog(Protocol):
    #: Writes are cheap enough for the event loop (a local file, no sync).
    local: bool

    def append(self, record: dict[str, object], *, sync: bool) -> None: ...
    def append_many(self, records: Sequence[dict[str, object]], *, sync: bool) -> None: ...
    def read(self) -> tuple[list[dict[str, Any]], str | None]: ...
    def clear(self) -> None: ...
    def where(self, number: int) -> str: ...


class FileLog:
    local = True

    def __init__(self, path: Path, *, fsync: Callable[[int], None] = os.fsync) -> None:
        self.path = path
        self._fsync = fsync
        self._cond = threading.Condition(threading.Lock())
        self._fd: int | None = None
        self._written = 0  # appends written (sequence numbers 1..n)
        self._durable = 0  # appends known to be on disk
        self._syncing = False

    def where(self, number: int) -> str:
        return f"{self.path}:{number}"

    def append(self, record: dict[str, object], *, sync: bool) -> None:
        self.append_many((record,), sync=sync)

    def append_many(self, records: Sequence[dict[str, object]], *, sync: bool) -> None:
        data = "".join(json.dumps(r, sort_keys=True) + "\n" for r in records).encode("utf-8")
        with self._cond:
            if self._fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            fd = self._fd
            _write_all(fd, data)
            self._written += 1
            seq = self._written
            while sync and self._durable < seq:
                if self._syncing:
                    self._cond.wait()
                    continue
                self._syncing, target = True, self._written
                self._cond.release()
                try:
                    self._fsync(fd)
                finally:
                    self._cond.acquire()
                    self._syncing = False
                    self._cond.notify_all()
                # Reached only when the fsync succeeded (an error propagates to the caller).
                self._durable = max(self._durable, target)

    def __del__(self) -> None:
        if getattr(self, "_fd", None) is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)  # type: ignore[arg-type]

    def read(self) -> tuple[list[dict[str, Any]], str | None]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return [], None
        lines = data.decode("utf-8").splitlines()
        records: list[dict[str, Any]] = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except ValueError as exc:
                # A torn last line is what a crash mid-write leaves: skip it, keep the rest.
                if number == len(lines):
                    break
                raise StateError(f"{self.where(number)}: journal line unreadable ({exc})") from exc
        return records, hashlib.sha256(data).hexdigest()[:20]

    def clear(self) -> None:
        with self._cond:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            self.path.unlink(missing_ok=True)


def _write_all(fd: int, data: bytes) -> None:
    """One append of ``data`` (a short write, rare on a local file, goes on where it stopped)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class DocumentLog:
    local = False

    def __init__(self, backend: StateBackend) -> None:
        self.backend = backend
        self._lock = threading.Lock()
        self._records: list[dict[str, Any]] | None = None
        self._revision: str | None = None

    def where(self, number: int) -> str:
        return f"{self.backend.where(JOURNAL)}: record {number}"

    def _load(self) -> list[dict[str, Any]]:
        document, self._revision = self.backend.read(JOURNAL)
        found = (document or {}).get("records", [])
        if not isinstance(found, list):
            raise StateError(f"{self.backend.where(JOURNAL)}: 'records' is not a list")
        self._records = found
        return found

    def append(self, record: dict[str, object], *, sync: bool) -> None:
        self.append_many((record,), sync=sync)

    def append_many(self, records: Sequence[dict[str, object]], *, sync: bool) -> None:
        # ``sync`` does not matter here: every backend write is durable when it returns.
        first = records[0]
        more = f" (+{len(records) - 1} more)" if len(records) > 1 else ""
        with self._lock:
            known = self._records if self._records is not None else self._load()
            updated = [*known, *records]
            self._revision = self.backend.write(
                JOURNAL,
                {"records": updated},
                expect_revision=self._revision,
                message=f"flexctl: journal {first.get('event')} {first.get('kind')} "
                f"{first.get('name')}{more}",
            )
            self._records = updated

    def read(self) -> tuple[list[dict[str, Any]], str | None]:
        with self._lock:
            return list(self._load()), self._revision

    def clear(self) -> None:
        with self._lock:
            if self._records is None:
                self._load()
            if self._revision is not None:
                self.backend.delete(
                    JOURNAL, expect_revision=self._revision, message="flexctl: journal cleared"
                )
            self._records, self._revision = [], None
