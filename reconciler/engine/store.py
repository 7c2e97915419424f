"""Inventory file and create journal in the state directory.

The inventory (``inventory.json``) is the checkpoint: rewritten atomically at the end of
each apply phase. The journal (``journal.jsonl``) is the write-ahead log: a create is
journalled *before* its request is sent and its outcome appended right after, so a run
that dies mid-apply leaves enough to recover: ``replay`` folds finished creates into the
inventory, and unfinished ones are reported so the next run looks them up by natural key.
Neither file ever holds a secret.
"""

from __future__ import annotations

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
        json.dumps(inventory.as_json(), indent=2, sort_keys=True) + "\n",
    )


@dataclass(frozen=True)
class JournalRecord:
    event: str  # "begin" | "done" | "failed"
    key: ResourceKey
    id: str | None = None
    essence: Essence | None = None


class Journal:
    """Append-only JSON lines; thread-safe; fsync on ``begin`` (the record that matters)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _append(self, record: dict[str, object], *, sync: bool) -> None:
        line = json.dumps(record, sort_keys=True) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode("utf-8"))
                if sync:
                    os.fsync(fd)
            finally:
                os.close(fd)

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
        with self._lock:
            self.path.unlink(missing_ok=True)
