"""Inventory file and create journal in the state directory.

The inventory (``inventory.json``) is the checkpoint: rewritten atomically at the end of
each apply phase. The journal (``journal.jsonl``) is the write-ahead log: a create is
journalled *before* its request is sent and its outcome appended right after, so a run
that dies mid-apply leaves enough to recover: ``replay`` folds finished creates into the
inventory, and unfinished ones are reported so the next run looks them up by natural key.
Neither file ever holds a secret.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from reconciler.core.inventory import Inventory
from reconciler.core.resources import Essence, Kind, ResourceKey
from reconciler.errors import StateError
from reconciler.statedir import StateDir, write_private


def load_inventory(state: StateDir) -> Inventory:
    path = state.path("inventory.json")
    if not path.exists():
        return Inventory()
    try:
        return Inventory.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StateError(
            f"{path}: inventory is unreadable ({exc}); restore it from a backup "
            "or run `flexctl import` to rebuild it"
        ) from exc


def save_inventory(state: StateDir, inventory: Inventory) -> None:
    state.ensure()
    write_private(
        state.path("inventory.json"),
        json.dumps(inventory.as_json(), separators=(",", ":"), sort_keys=True) + "\n",
    )


@dataclass(frozen=True)
class JournalRecord:
    event: str  # "begin" | "done" | "failed"
    key: ResourceKey
    id: str | None = None
    essence: Essence | None = None


class Journal:
    """Append-only JSON lines; thread-safe; ``begin`` (the record that matters) is durable.

    The file stays open for the run. ``begin`` returns only once its line is on disk, but
    begins from concurrent threads share one fsync (group commit): whoever finds no fsync
    running syncs everything written so far, the others wait for the fsync that covers theirs.
    ``done`` and ``failed`` are written without a sync of their own.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cond = threading.Condition(threading.Lock())
        self._fd: int | None = None
        self._written = 0  # lines written (sequence numbers 1..n)
        self._durable = 0  # lines known to be on disk
        self._syncing = False

    def _append(self, record: dict[str, object], *, sync: bool) -> None:
        line = (json.dumps(record, sort_keys=True) + "\n").encode("utf-8")
        with self._cond:
            if self._fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            fd = self._fd
            os.write(fd, line)
            self._written += 1
            seq = self._written
            while sync and self._durable < seq:
                if self._syncing:
                    self._cond.wait()
                    continue
                self._syncing, target = True, self._written
                self._cond.release()
                try:
                    os.fsync(fd)
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

    def begin(self, key: ResourceKey) -> None:
        self._append({"event": "begin", "kind": key.kind.value, "name": key.name}, sync=True)

    def done(self, key: ResourceKey, object_id: str, essence: Essence | None) -> None:
        self._append(
            {
                "event": "done",
                "kind": key.kind.value,
                "name": key.name,
                "id": object_id,
                "essence": dict(essence) if essence is not None else None,
            },
            sync=False,
        )

    def failed(self, key: ResourceKey) -> None:
        self._append({"event": "failed", "kind": key.kind.value, "name": key.name}, sync=False)

    def records(self) -> Iterator[JournalRecord]:
        if not self.path.exists():
            return
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                yield JournalRecord(
                    event=data["event"],
                    key=ResourceKey(Kind(data["kind"]), data["name"]),
                    id=data.get("id"),
                    essence=data.get("essence"),
                )
            except (ValueError, KeyError) as exc:
                # A torn last line is what a crash mid-write leaves: skip it, keep the rest.
                if number == sum(1 for _ in self.path.open(encoding="utf-8")):
                    return
                raise StateError(f"{self.path}:{number}: journal line unreadable ({exc})") from exc

    def replay(self, inventory: Inventory) -> list[ResourceKey]:
        """Fold finished creates into ``inventory``; return keys whose create never finished."""
        pending: dict[ResourceKey, bool] = {}
        for record in self.records():
            if record.event == "begin":
                pending[record.key] = True
            elif record.event == "done" and record.id is not None:
                inventory.record(record.key, record.id, essence=record.essence)
                pending.pop(record.key, None)
            else:
                pending.pop(record.key, None)
        return sorted(pending, key=ResourceKey.sort_key)

    def clear(self) -> None:
        with self._cond:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            self.path.unlink(missing_ok=True)
