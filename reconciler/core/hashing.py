"""Column hashing as code: the hashing mappers a workspace's PII rules and policy imply, per
connection, and the plan changes that add, change or remove only those.

Ownership: flexctl owns the hashing mappers it wrote, and only those. There is no field in a
``ConfiguredStreamMapper`` to mark them (its ``id`` is the server's, and nothing promises it
survives every PATCH), so the inventory holds, per connection id, the ``(stream, targetField)``
pairs flexctl applied and their method and suffix (the entry's essence). A policy removed (or a
field no longer PII) removes exactly the recorded pairs; a user's own hashing mapper of another
field is never touched, and one on a PII field is changed to the policy's method and from then
on is flexctl's. Every other mapper, stream and setting is sent back as read.

PII fields are a rule's exact names, plus the fields a glob matches among those the connection's
configuration names (cursor, primary key, selected fields, mapper fields): without the
connector's catalog, that is all flexctl can see.

Pure: connections are payloads already listed; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from reconciler.config.models import Workspace
from reconciler.core.inventory import Inventory
from reconciler.core.plan import Action, Change, FieldChange
from reconciler.core.resources import JSON, Kind, ResourceKey

Payload = Mapping[str, Any]
_GLOB = frozenset("*?[")
#: Mapper types that keep a field's plain value out of the destination.
PROTECTING = frozenset({"hashing", "encryption", "field-filtering"})


def connection_key(workspace: str, name: str) -> ResourceKey:
    return ResourceKey(Kind.CONNECTION, f"{workspace}/{name}")


def stream_id(stream: Payload) -> str:
    namespace = stream.get("namespace")
    return f"{namespace}.{stream['name']}" if namespace else str(stream["name"])


def streams_of(connection: Payload) -> list[Payload]:
    return list((connection.get("configurations") or {}).get("streams") or [])


def named_fields(stream: Payload) -> set[str]:
    """The top-level fields a stream's configuration names."""
    out: set[str] = set()
    cursor = stream.get("cursorField") or []
    if cursor:
        out.add(str(cursor[0]))
    out.update(str(path[0]) for path in stream.get("primaryKey") or [] if path)
    out.update(
        str(item["fieldPath"][0])
        for item in stream.get("selectedFields") or []
        if isinstance(item, dict) and item.get("fieldPath")
    )
    for mapper in stream.get("mappers") or []:
        config = mapper.get("mapperConfiguration") or {}
        for key in ("targetField", "originalFieldName"):
            if isinstance(config.get(key), str):
                out.add(config[key])
    return out


def pii_fields(ws: Workspace, stream: Payload) -> set[str]:
    """The fields of ``stream`` the workspace's rules classify as PII."""
    name = str(stream["name"])
    known = named_fields(stream)
    out: set[str] = set()
    for rule in ws.pii:
        if not fnmatchcase(name.casefold(), rule.stream.casefold()):
            continue
        for pattern in rule.fields:
            if _GLOB.isdisjoint(pattern):
                out.add(pattern)
            else:
                out.update(f for f in known if fnmatchcase(f.casefold(), pattern.casefold()))
    return out


def live_hashing(stream: Payload) -> dict[str, dict[str, JSON]]:
    """targetField -> {method, fieldNameSuffix} of the stream's hashing mappers."""
    out: dict[str, dict[str, JSON]] = {}
    for mapper in stream.get("mappers") or []:
        if mapper.get("type") != "hashing":
            continue
        config = mapper.get("mapperConfiguration") or {}
        out[str(config.get("targetField"))] = {
            "method": config.get("method"),
            "fieldNameSuffix": config.get("fieldNameSuffix"),
        }
    return out


@dataclass(frozen=True)
class HashingPlan:
    changes: tuple[Change, ...]
    #: Connections of workspaces with a hashing policy that are already as it says.
    unchanged: int


def _owned(inventory: Inventory, connection_id: str) -> Mapping[str, Mapping[str, JSON]]:
    entry = inventory.get(connection_id)
    return dict((entry.last_applied or {}).get("hashing") or {}) if entry else {}


def hashing_changes(
    workspaces: Sequence[Workspace],
    connections: Iterable[Payload],
    workspace_names: Mapping[str, str],
    inventory: Inventory,
) -> HashingPlan:
    """``workspace_names``: live workspace id -> declared name (the organisation's only)."""
    declared = {ws.name.casefold(): ws for ws in workspaces}
    changes: list[Change] = []
    unchanged = 0
    for conn in connections:
        ws_name = workspace_names.get(str(conn.get("workspaceId")))
        ws = declared.get(ws_name.casefold()) if ws_name else None
        owned = _owned(inventory, str(conn["connectionId"]))
        if ws is None or (ws.hashing is None and not owned):
            continue
        change = _connection_change(ws, conn, owned)
        if change is None:
            unchanged += int(ws.hashing is not None)
        else:
            changes.append(change)
    return HashingPlan(changes=tuple(changes), unchanged=unchanged)


def _connection_change(
    ws: Workspace, conn: Payload, owned: Mapping[str, Mapping[str, JSON]]
) -> Change | None:
    want: dict[str, dict[str, JSON]] = {}
    fields: list[FieldChange] = []
    drift = False
    for stream in streams_of(conn):
        sid = stream_id(stream)
        live = live_hashing(stream)
        mine = dict(owned.get(sid) or {})
        target: dict[str, JSON] = {}
        if ws.hashing is not None:
            config: dict[str, JSON] = {
                "method": ws.hashing.method.value,
                "fieldNameSuffix": ws.hashing.field_name_suffix,
            }
            target = {f: config for f in sorted(pii_fields(ws, stream))}
        kept: dict[str, JSON] = {}
        for field in sorted(set(target) | set(mine)):
            have = live.get(field)
            new = target.get(field)
            if field in mine and have != mine[field]:
                drift = True  # someone changed or removed a mapper flexctl wrote
            if new is None and have is not None and field in mine:
                fields.append(FieldChange(f"streams.{sid}.hashing.{field}", have, None))
            elif new is not None and have != new:
                fields.append(FieldChange(f"streams.{sid}.hashing.{field}", have, new))
                kept[field] = new
            elif new is not None and field in mine:
                kept[field] = new
            # A user's mapper already as the policy says stays the user's (not recorded).
        if kept:
            want[sid] = kept
    if not fields:
        return None
    return Change(
        action=Action.UPDATE,
        key=connection_key(ws.name, str(conn.get("name", conn["connectionId"]))),
        id=str(conn["connectionId"]),
        fields=tuple(sorted(fields, key=lambda f: f.path)),
        desired={"workspace": ws.name, "hashing": want},
        drift=drift,
        notes=("only hashing mappers change; other streams and mappers are sent back as read",),
    )


def patched_streams(conn: Payload, change: Change) -> list[dict[str, Any]]:
    """The connection's streams as read, with the change's hashing mappers added, changed or
    removed (read-modify-write: the PATCH replaces the whole stream list)."""
    edits: dict[str, dict[str, Any]] = {}
    for fc in change.fields:
        _, rest = fc.path.split(".", 1)
        sid, field = rest.rsplit(".hashing.", 1)
        edits.setdefault(sid, {})[field] = fc.new
    out: list[dict[str, Any]] = []
    for stream in streams_of(conn):
        mine = dict(edits.get(stream_id(stream), {}))
        mappers: list[dict[str, Any]] = []
        for mapper in stream.get("mappers") or []:
            config = mapper.get("mapperConfiguration") or {}
            target = config.get("targetField")
            if mapper.get("type") != "hashing" or target not in mine:
                mappers.append(dict(mapper))
                continue
            new = mine.pop(target)
            if new is not None:
                mappers.append({**mapper, "mapperConfiguration": {**config, **new}})
        for field, new in sorted(mine.items()):
            if new is not None:
                config = {"targetField": field, **new}
                mappers.append({"type": "hashing", "mapperConfiguration": config})
        out.append({**stream, "mappers": mappers})
    return out
