"""Inventory and create journal, kept as documents of the run's state backend.

The inventory (document ``inventory``) is the checkpoint: rewritten at the end of each apply
phase, compare-and-swap against the revision this run read, so a run whose lease was taken
over cannot write over the new holder's inventory. The journal (document ``journal``) is the
write-ahead log: a create is journalled *before* its request is sent and its outcome appended
right after, so a run that dies mid-apply, on any machine, leaves enough to recover:
``replay`` folds finished creates into the inventory, and unfinished ones are reported so the
next run looks them up by natural key (``journallog``: a JSON-lines file in a local state
directory, a document in a shared backend). Write order: journal ``done`` before the inventory
checkpoint, journal cleared only after the inventory holds every id; a failed write leaves
the previous complete document. Neither document ever holds a secret.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.core.inventory import Inventory
from reconciler.core.resources import Essence, Kind, ResourceKey
from reconciler.engine.journallog import DocumentLog, FileLog, JournalLog
from reconciler.errors import StateError
from reconciler.state import StateBackend, backend_of
from reconciler.state.local import LocalBackend
from reconciler.statedir import StateDir

INVENTORY = "inventory"


class InventoryStore:
    """Reads the inventory and remembers its revision; saves compare-and-swap against it."""

    def __init__(self, backend: StateBackend) -> None:
        self.backend = backend
        self.revision: str | None = None

    def load(self) -> Inventory:
        document, self.revision = self.backend.read(INVENTORY)
        if document is None:
            return Inventory()
        try:
            return Inventory.from_json(document)
        except (ValueError, KeyError, TypeError) as exc:
            raise StateError(
                f"{self.backend.where(INVENTORY)}: inventory is unreadable ({exc}); restore it "
                "from a backup or run `flexctl import` to rebuild it"
            ) from exc

    def save(self, inventory: Inventory) -> None:
        self.revision = self.backend.write(
            INVENTORY,
            inventory.as_json(),
            expect_revision=self.revision,
            message=f"flexctl: inventory ({len(inventory)} objects)",
        )


def load_inventory(state: StateDir) -> Inventory:
    return InventoryStore(backend_of(state)).load()


def save_inventory(state: StateDir, inventory: Inventory) -> None:
    """Replace the inventory whatever its revision (callers hold the apply lock)."""
    backend_of(state).update(INVENTORY, lambda _old: inventory.as_json())


@dataclass(frozen=True)
class JournalRecord:
    event: str  # "begin" | "done" | "failed"
    key: ResourceKey
    id: str | None = None
    essence: Essence | None = None
    #: begin of a data plane: the live ids of its name before the create (anything else of
    #: that name that appears was made by this create), and the id it rotates away, if any.
    known: tuple[str, ...] = ()
    retires: str | None = None


class Journal:
    """The create journal; thread-safe. Where its records go is a ``journallog``: a JSON-lines
    file with group-committed fsyncs (local backend), or the backend's ``journal`` document.

    ``abegin``, ``abegin_many`` and ``adone`` are the event loop's way in: records queued while
    a write is running go out together in the next one (one worker-thread hop, one
    ``append_many``, at most one fsync for a window of in-flight creates), and each call returns
    only once its records are written (begins: and synced), exactly as ``begin`` and ``done``
    would. A done that needs no sync goes straight to a local file (a write, no thread), and on a
    shared backend waits for the next write (``adone``, ``aflush``)."""

    def __init__(self, target: StateBackend | StateDir | Path) -> None:
        self._revision: str | None = None
        self._queue: list[tuple[list[dict[str, object]], bool, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        #: Dones for a shared backend's next write (``adone``).
        self._deferred: list[dict[str, object]] = []
        if isinstance(target, Path):  # the local file itself
            self.log: JournalLog = FileLog(target)
            return
        backend = target if isinstance(target, StateBackend) else backend_of(target)
        self.log = (
            FileLog(backend.root / "journal.jsonl")
            if isinstance(backend, LocalBackend)
            else DocumentLog(backend)
        )

    def _append(self, record: dict[str, object], *, sync: bool) -> None:
        self.log.append(record, sync=sync)

    def begin(
        self, key: ResourceKey, *, known: Iterable[str] = (), retires: str | None = None
    ) -> None:
        """Before the create is sent, on disk: the intent (and for a rotation the old id)."""
        self._append(_begin(key, known, retires), sync=True)

    async def abegin(
        self, key: ResourceKey, *, known: Iterable[str] = (), retires: str | None = None
    ) -> None:
        """``begin`` from the event loop, written and synced with the other queued records."""
        await self._queued([_begin(key, known, retires)], sync=True)

    async def abegin_many(self, keys: Sequence[ResourceKey]) -> None:
        """The begins of creates whose intent is their key alone (not data planes), at once."""
        assert all(key.kind is not Kind.DATAPLANE for key in keys)
        if keys:
            await self._queued([_begin(key, (), None) for key in keys], sync=True)

    def done(
        self,
        key: ResourceKey,
        object_id: str,
        essence: Essence | None,
        *,
        retires: str | None = None,
    ) -> None:
        self._append(_done(key, object_id, essence, retires), sync=_done_synced(key))

    async def adone(
        self,
        key: ResourceKey,
        object_id: str,
        essence: Essence | None,
        *,
        retires: str | None = None,
    ) -> None:
        """``done`` from the event loop, written with the other queued records."""
        record, sync = _done(key, object_id, essence, retires), _done_synced(key)
        if not sync:
            if self.log.local:
                self.log.append(record, sync=False)
                return
            # A shared backend's write is the whole document: a done that needs no sync goes
            # with the next write (a window's begins, a synced done, ``aflush``) instead of
            # asking for one of its own, as a local one goes unsynced. Lost with the run, it is
            # a begin without a done: the next run finds the object by name.
            self._deferred.append(record)
            return
        await self._queued([record], sync=sync)

    async def aflush(self) -> None:
        """Write the dones held for the next write (the end of an apply phase)."""
        if self._deferred:
            await self._queued([], sync=False)

    def failed(self, key: ResourceKey) -> None:
        self._append({"event": "failed", "kind": key.kind.value, "name": key.name}, sync=False)

    async def _queued(self, records: list[dict[str, object]], *, sync: bool) -> None:
        loop = asyncio.get_running_loop()
        written: asyncio.Future[None] = loop.create_future()
        self._queue.append((records, sync, written))
        if self._writer is None:
            self._writer = loop.create_task(self._write_queued())
        await written

    async def _write_queued(self) -> None:
        """Write what is queued, in order, until nothing is: each round takes all of it."""
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                deferred, self._deferred = self._deferred, []
                records = deferred + [record for queued, _, _ in batch for record in queued]
                sync = any(synced for _, synced, _ in batch)
                try:
                    if records:
                        await asyncio.to_thread(self.log.append_many, records, sync=sync)
                except asyncio.CancelledError:
                    for *_, written in batch + self._queue:
                        written.cancel()
                    raise
                except Exception as exc:  # each waiter raises it, as its own append would
                    for *_, written in batch:
                        if not written.done():
                            written.set_exception(exc)
                    continue
                for *_, written in batch:
                    if not written.done():
                        written.set_result(None)
        finally:
            self._writer = None

    def records(self) -> Iterator[JournalRecord]:
        found, self._revision = self.log.read()
        for number, data in enumerate(found, 1):
            try:
                yield JournalRecord(
                    event=data["event"],
                    key=ResourceKey(Kind(data["kind"]), data["name"]),
                    id=data.get("id"),
                    essence=data.get("essence"),
                    known=tuple(str(i) for i in data.get("known", ())),
                    retires=data.get("retires"),
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise StateError(
                    f"{self.log.where(number)}: journal record unreadable ({exc})"
                ) from exc

    def replay(self, inventory: Inventory) -> list[ResourceKey]:
        """Fold finished creates into ``inventory``; return keys whose create never finished."""
        return sorted(self.replay_intents(inventory), key=ResourceKey.sort_key)

    def replay_intents(self, inventory: Inventory) -> dict[ResourceKey, JournalRecord]:
        """Like ``replay``; the unfinished creates with their begin records (the intent).
        A finished rotation marks the old data plane retiring, replaced by the new one."""
        pending: dict[ResourceKey, JournalRecord] = {}
        for record in self.records():
            if record.event == "begin":
                first = pending.get(record.key)
                # A retried create keeps the first attempt's intent (what was live before).
                pending[record.key] = first if first is not None else record
            elif record.event == "done" and record.id is not None:
                inventory.record(record.key, record.id, essence=record.essence)
                if record.retires is not None:
                    inventory.retire(record.retires, replaced_by=record.id)
                pending.pop(record.key, None)
            else:
                pending.pop(record.key, None)
        return pending

    @property
    def revision(self) -> str | None:
        """The journal's revision when ``records`` last read it (None: no journal)."""
        return self._revision

    def clear(self) -> None:
        self.log.clear()
        self._revision = None


def _begin(key: ResourceKey, known: Iterable[str], retires: str | None) -> dict[str, object]:
    record: dict[str, object] = {"event": "begin", "kind": key.kind.value, "name": key.name}
    if key.kind is Kind.DATAPLANE:
        record["known"] = sorted(known)
    if retires is not None:
        record["retires"] = retires
    return record


def _done(
    key: ResourceKey, object_id: str, essence: Essence | None, retires: str | None
) -> dict[str, object]:
    record: dict[str, object] = {
        "event": "done",
        "kind": key.kind.value,
        "name": key.name,
        "id": object_id,
        "essence": dict(essence) if essence is not None else None,
    }
    if retires is not None:
        record["retires"] = retires
    return record


def _done_synced(key: ResourceKey) -> bool:
    """A delivered data plane must not be mistaken for a stray after a crash: its done is
    synced; any other done may be lost (the next run finds the object by its natural key)."""
    return key.kind is Kind.DATAPLANE
