"""A connection's ``configurations.streams[]``: parsed, checked and merged like the real server.

Facts kept (shared/notes/airbyte-api.md section 5): a stream needs ``name``; an omitted
``syncMode`` is ``full_refresh_overwrite``; ``cursorField`` is a path (``[string]``) and
``primaryKey`` a list of paths; the streams listed are the streams selected (a PATCH that sends
``configurations`` replaces the list), but a listed stream sent without ``mappers`` keeps the
mappers it had. Each mapper gets a server-assigned ``id`` (kept when the caller sends it back).
``hashing`` and ``field-renaming`` configurations are checked field by field (400
``error:mapper-validation`` naming the stream); the other mapper types are stored as given,
except that an encryption mapper's secret values are masked in answers and a masked value sent
back with the mapper's id keeps the stored one (400 ``secret-not-found`` without a match).
Knows JSON values, not tables or HTTP.
"""

from __future__ import annotations

import uuid
from typing import Any

from reconciler.controlplane import inputs, problems
from reconciler.controlplane.routes_connectors import MASK

SYNC_MODES = frozenset(
    {
        "full_refresh_overwrite",
        "full_refresh_overwrite_deduped",
        "full_refresh_append",
        "full_refresh_update",
        "full_refresh_soft_delete",
        "incremental_append",
        "incremental_deduped_history",
        "incremental_update",
        "incremental_soft_delete",
    }
)
MAPPER_TYPES = frozenset(
    {"hashing", "field-renaming", "row-filtering", "encryption", "field-filtering"}
)
HASH_METHODS = frozenset({"MD2", "MD5", "SHA-1", "SHA-224", "SHA-256", "SHA-384", "SHA-512"})
#: Required string keys of the mapper configurations checked here.
_REQUIRED = {
    "hashing": ("targetField", "method", "fieldNameSuffix"),
    "field-renaming": ("originalFieldName", "newFieldName"),
    "field-filtering": ("targetField",),
}
#: Encryption configuration keys that hold secrets (AES key; RSA public keys are not secret).
_SECRET_KEYS = ("key",)
Stream = dict[str, Any]


def _paths(value: Any, field: str, *, nested: bool) -> list[Any]:
    if not isinstance(value, list):
        raise problems.unprocessable(f"{field} must be an array")
    for item in value:
        if nested:
            _paths(item, field, nested=False)
        elif not isinstance(item, str):
            raise problems.unprocessable(f"{field} must hold strings")
    return list(value)


def _mapper_error(stream: str, mapper: Any, error: str) -> problems.ApiProblem:
    shown = mapper if isinstance(mapper, dict) else {}
    return problems.mapper_validation(
        [
            {
                "stream": stream,
                "error": error,
                "mapper": {
                    "type": str(shown.get("type", "")),
                    "mapperConfiguration": dict(shown.get("mapperConfiguration") or {}),
                },
            }
        ]
    )


def _mapper(stream: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise problems.unprocessable("mappers must hold objects")
    kind = raw.get("type")
    if kind not in MAPPER_TYPES:
        raise problems.unprocessable(
            f"mapper type must be one of {', '.join(sorted(MAPPER_TYPES))}"
        )
    config = raw.get("mapperConfiguration")
    if not isinstance(config, dict):
        raise problems.bad_request("mapperConfiguration is required")
    for key in _REQUIRED.get(kind, ()):
        value = config.get(key)
        if not isinstance(value, str) or (key != "fieldNameSuffix" and not value):
            raise _mapper_error(stream, raw, f"{key} is required")
    if kind == "hashing" and config["method"] not in HASH_METHODS:
        raise _mapper_error(stream, raw, f"method must be one of {', '.join(sorted(HASH_METHODS))}")
    mapper_id = raw.get("id")
    if mapper_id is not None:
        mapper_id = inputs.as_uuid(mapper_id) if isinstance(mapper_id, str) else None
        if mapper_id is None:
            raise problems.unprocessable("mapper id must be a UUID")
    return {"id": mapper_id or str(uuid.uuid4()), "type": kind, "mapperConfiguration": config}


def _check_outputs(stream: str, mappers: list[dict[str, Any]]) -> None:
    """Two hashing mappers of one field would write one column twice: the server refuses it."""
    seen: set[str] = set()
    for mapper in mappers:
        if mapper["type"] != "hashing":
            continue
        config = mapper["mapperConfiguration"]
        out = str(config["targetField"]) + str(config["fieldNameSuffix"])
        if out in seen:
            raise _mapper_error(stream, mapper, f"field {out!r} is written by two mappers")
        seen.add(out)


def parse_streams(value: Any) -> list[Stream] | None:
    """``configurations`` of a request: None when absent, else its streams (mappers may be
    missing: ``merge`` decides what that means)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise problems.unprocessable("configurations must be an object")
    raw_streams = value.get("streams")
    if raw_streams is None:
        return []
    if not isinstance(raw_streams, list):
        raise problems.unprocessable("configurations.streams must be an array")
    out: list[Stream] = []
    keys: set[tuple[str, str]] = set()
    for raw in raw_streams:
        if not isinstance(raw, dict):
            raise problems.unprocessable("configurations.streams must hold objects")
        name = inputs.req_str(raw, "name")
        namespace = inputs.opt_str(raw, "namespace")
        if (name, namespace or "") in keys:
            raise problems.bad_request(f"stream {name!r} is listed twice")
        keys.add((name, namespace or ""))
        stream: Stream = {"name": name}
        if namespace is not None:
            stream["namespace"] = namespace
        stream["syncMode"] = (
            inputs.opt_enum(raw, "syncMode", SYNC_MODES) or "full_refresh_overwrite"
        )
        if raw.get("cursorField") is not None:
            stream["cursorField"] = _paths(raw["cursorField"], "cursorField", nested=False)
        if raw.get("primaryKey") is not None:
            stream["primaryKey"] = _paths(raw["primaryKey"], "primaryKey", nested=True)
        for extra in ("includeFiles", "destinationObjectName", "selectedFields"):
            if raw.get(extra) is not None:
                stream[extra] = raw[extra]
        if raw.get("mappers") is not None:
            if not isinstance(raw["mappers"], list):
                raise problems.unprocessable("mappers must be an array")
            stream["mappers"] = [_mapper(name, m) for m in raw["mappers"]]
            _check_outputs(name, stream["mappers"])
        out.append(stream)
    return out


def _key(stream: Stream) -> tuple[str, str]:
    return (str(stream["name"]), str(stream.get("namespace") or ""))


def merge(stored: list[Stream], sent: list[Stream]) -> list[Stream]:
    """The streams to store: ``sent``, where a stream without ``mappers`` keeps its old ones and
    a masked encryption secret sent back keeps the stored value."""
    before = {_key(s): s for s in stored}
    stored_mappers = {m["id"]: m for s in stored for m in s.get("mappers", [])}
    out: list[Stream] = []
    for stream in sent:
        old = before.get(_key(stream), {})
        mappers = stream.get("mappers")
        if mappers is None:
            mappers = list(old.get("mappers", []))
        out.append(
            {**stream, "mappers": [_unmask(stream["name"], m, stored_mappers) for m in mappers]}
        )
    return out


def _unmask(
    stream: str, mapper: dict[str, Any], stored: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    config = mapper["mapperConfiguration"]
    masked = [k for k in _SECRET_KEYS if mapper["type"] == "encryption" and config.get(k) == MASK]
    if not masked:
        return mapper
    old = stored.get(mapper["id"])
    if old is None or old["type"] != "encryption":
        raise problems.mapper_secret_not_found(mapper["type"], mapper["id"])
    restored = {**config, **{k: old["mapperConfiguration"].get(k) for k in masked}}
    return {**mapper, "mapperConfiguration": restored}


def shown(streams: list[Stream]) -> list[Stream]:
    """The streams as answers carry them: encryption secrets masked."""
    out: list[Stream] = []
    for stream in streams:
        mappers = []
        for mapper in stream.get("mappers", []):
            config = mapper["mapperConfiguration"]
            if mapper["type"] == "encryption":
                config = {k: MASK if k in _SECRET_KEYS else v for k, v in config.items()}
            mappers.append({**mapper, "mapperConfiguration": config})
        out.append({**stream, "mappers": mappers})
    return out
