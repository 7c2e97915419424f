"""The inventory as a value: which live objects flexctl manages, and what it last applied.

An object enters the inventory when flexctl creates or adopts it, and leaves when flexctl
deletes it or sees it gone. Only inventory objects are ever deleted. ``protect`` is kept
here too, so protection outlives the document that declared it until explicitly released.
``last_applied`` is the essence flexctl last wrote: live differing from it is drift.

Rotation (two steps, create before destroy): the old data plane's entry stays, marked
``retiring`` with the id that replaces it, until it is deleted; ``verified`` records that
``flexctl verify`` saw the replacement's credentials accepted. A retiring entry never matches
its key (the replacement does), so two live data planes of one name are never ambiguous.

Pure value; reading and writing the file is ``engine.inventory``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

from reconciler.core.resources import Essence, Kind, ResourceKey
from reconciler.sharing import Shared


@dataclass(frozen=True)
class Retiring:
    """A data plane rotated away: ``replaced_by`` holds its key now."""

    replaced_by: str
    verified: bool = False

    def as_json(self) -> dict[str, object]:
        return {"replacedBy": self.replaced_by, "verified": self.verified}


@dataclass(frozen=True)
class Entry:
    key: ResourceKey
    id: str
    protect: bool = False
    last_applied: Essence | None = None
    #: Digest of an essence the server accepted but did not apply (airbyte#65105): the
    #: same desired essence is not sent again; ``last_applied`` holds what the server kept.
    not_applied: str | None = None
    retiring: Retiring | None = None

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "kind": self.key.kind.value,
            "name": self.key.name,
            "id": self.id,
            "protect": self.protect,
            "lastApplied": dict(self.last_applied) if self.last_applied is not None else None,
        }
        if self.not_applied is not None:
            out["notApplied"] = self.not_applied
        if self.retiring is not None:
            out["retiring"] = self.retiring.as_json()
        return out

    @staticmethod
    def from_json(data: Mapping[str, object], shared: Shared | None = None) -> Entry:
        """``shared``: equal nested values of ``lastApplied`` (a workspace's notifications)
        become one object, as in ``Inventory.from_json``."""
        last = data.get("lastApplied")
        retiring = data.get("retiring")
        # ``type(...) is dict`` first: what json gives, and several times cheaper than the
        # abstract Mapping check (which still decides anything else).
        if type(last) is dict or isinstance(last, Mapping):
            last = {
                k: shared(v) if shared is not None and isinstance(v, dict) else v
                for k, v in last.items()
            }
        kind = data["kind"]
        return _entry(
            key=ResourceKey(
                _KINDS[kind] if type(kind) is str and kind in _KINDS else Kind(str(kind)),
                str(data["name"]),
            ),
            id=str(data["id"]),
            protect=bool(data.get("protect", False)),
            last_applied=last if isinstance(last, dict) else None,
            not_applied=str(data["notApplied"]) if data.get("notApplied") else None,
            retiring=(
                Retiring(str(retiring["replacedBy"]), bool(retiring.get("verified", False)))
                if retiring is not None
                and (type(retiring) is dict or isinstance(retiring, Mapping))
                else None
            ),
        )


#: Kind by value: ``Kind(value)`` goes through the enum's lookup machinery, a fifth of the time
#: an inventory entry took to read; a value that is not a kind still goes there (its error).
_KINDS: dict[str, Kind] = {kind.value: kind for kind in Kind}


_set = object.__setattr__


def _entry(
    *,
    key: ResourceKey,
    id: str,
    protect: bool,
    last_applied: Essence | None,
    not_applied: str | None,
    retiring: Retiring | None,
) -> Entry:
    """``Entry(...)`` with every field given, made as its frozen ``__init__`` makes it."""
    entry = object.__new__(Entry)
    _set(entry, "key", key)
    _set(entry, "id", id)
    _set(entry, "protect", protect)
    _set(entry, "last_applied", last_applied)
    _set(entry, "not_applied", not_applied)
    _set(entry, "retiring", retiring)
    return entry


def _itself(value: object) -> object:
    return value


class Inventory:
    """Entries by id (ids are unique); lookups by folded natural key.

    Iteration is in key order (kind, folded name, id). The sorted list is kept until an
    entry is put or forgotten (a plan iterates the inventory a dozen times and changes it
    never); a new list replaces it then, so an iteration under way keeps its snapshot."""

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self._by_id: dict[str, Entry] = {}
        self._by_key: dict[tuple[Kind, str], set[str]] = {}
        self._sorted: list[Entry] | None = None
        by_id, by_key = self._by_id, self._by_key
        for entry in entries:  # ``_put`` inlined: 10,000 entries are read on every plan
            old = by_id.get(entry.id)
            if old is not None:
                by_key.get(old.key.folded, set()).discard(entry.id)
            by_id[entry.id] = entry
            by_key.setdefault(entry.key.folded, set()).add(entry.id)

    def _put(self, entry: Entry) -> None:
        old = self._by_id.get(entry.id)
        if old is not None:
            self._by_key.get(old.key.folded, set()).discard(entry.id)
        self._by_id[entry.id] = entry
        self._by_key.setdefault(entry.key.folded, set()).add(entry.id)
        self._sorted = None

    def __iter__(self) -> Iterator[Entry]:
        if self._sorted is None:
            self._sorted = sorted(self._by_id.values(), key=lambda e: (e.key.sort_key(), e.id))
        return iter(self._sorted)

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, object_id: str) -> Entry | None:
        return self._by_id.get(object_id)

    def by_key(self, key: ResourceKey) -> list[Entry]:
        ids = self._by_key.get(key.folded)
        if not ids:
            return []
        if len(ids) == 1:  # nearly every key: no sort, no comprehension (twice per workspace)
            for only in ids:
                entry = self._by_id.get(only)
                return [entry] if entry is not None else []
        return [self._by_id[i] for i in sorted(ids) if i in self._by_id]

    def ids(self, kind: Kind) -> set[str]:
        return {e.id for e in self._by_id.values() if e.key.kind is kind}

    def record(
        self,
        key: ResourceKey,
        object_id: str,
        *,
        essence: Essence | None,
        protect: bool | None = None,
        not_applied: str | None = None,
    ) -> None:
        old = self._by_id.get(object_id)
        keep_protect = old.protect if old is not None else False
        self._put(
            Entry(
                key=key,
                id=object_id,
                protect=keep_protect if protect is None else (protect or keep_protect),
                last_applied=essence,
                not_applied=not_applied,
                retiring=old.retiring if old is not None else None,
            )
        )

    def retiring(self) -> list[Entry]:
        return [e for e in self if e.retiring is not None]

    def current(self, key: ResourceKey) -> list[Entry]:
        """The key's entries that are not being rotated away."""
        return [e for e in self.by_key(key) if e.retiring is None]

    def retire(self, object_id: str, *, replaced_by: str) -> None:
        entry = self._by_id.get(object_id)
        if entry is not None:
            self._put(replace(entry, retiring=Retiring(replaced_by)))

    def mark_verified(self, replacement_id: str) -> list[Entry]:
        """Rotations whose replacement is ``replacement_id``: its credentials were accepted."""
        marked = []
        for entry in self.retiring():
            assert entry.retiring is not None
            if entry.retiring.replaced_by == replacement_id and not entry.retiring.verified:
                self._put(replace(entry, retiring=Retiring(replacement_id, verified=True)))
                marked.append(entry)
        return marked

    def release(self, object_id: str) -> None:
        entry = self._by_id.get(object_id)
        if entry is not None:
            self._put(replace(entry, protect=False))

    def forget(self, object_id: str) -> None:
        entry = self._by_id.pop(object_id, None)
        if entry is not None:
            self._by_key.get(entry.key.folded, set()).discard(object_id)
            self._sorted = None

    def as_json(self) -> dict[str, object]:
        return {"version": 1, "entries": [e.as_json() for e in self]}

    @staticmethod
    def from_json(data: Mapping[str, object]) -> Inventory:
        entries = data.get("entries", [])
        if not isinstance(entries, list):
            raise ValueError("inventory 'entries' is not a list")
        shared = Shared()  # 100,000 workspaces' notifications: a few dicts, not 700,000
        return Inventory(Entry.from_json(e, shared) for e in entries)
