"""``/sources`` and ``/destinations``: enough connectors for connections to exist.

One implementation serves both kinds (``Kind``): they differ only in names. Facts kept from the
real server: the list is the paginated envelope (``workspaceIds``, ``includeDeleted``); create
needs ``name``, ``workspaceId`` and a ``configuration`` object whose ``sourceType`` /
``destinationType`` (or a ``definitionId``) names the connector; PATCH merges the given
configuration keys into the stored one; delete answers 204, is a soft delete, and deletes the
connections that use the connector. Answers mask secret-looking configuration values
(``**********``), as the server masks the connector spec's ``airbyte_secret`` fields; this
emulator has no connector specs, so it goes by key name. Reading needs ``workspace_reader``,
writing ``workspace_editor``.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.controlplane import inputs, paging, problems, security
from reconciler.controlplane.context import ctx, endpoint, ok
from reconciler.controlplane.pagemarks import PageMarks
from reconciler.controlplane.routes_workspaces import load_workspace

MASK = "**********"
_SECRET_WORDS = ("password", "secret", "token", "api_key", "apikey", "private_key", "credential")
#: Namespace of the definition ids made up for a connector type given without one.
_DEFINITIONS = uuid.UUID("6f1d3a4e-8c2b-4d6e-9a51-3b7c0e2f9d11")


@dataclass(frozen=True)
class Kind:
    table: str  # also the URL path
    noun: str  # "source"
    key: str  # "sourceId"
    type_key: str  # "sourceType"


SOURCES = Kind("sources", "source", "sourceId", "sourceType")
DESTINATIONS = Kind("destinations", "destination", "destinationId", "destinationType")


def masked(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: masked(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, key) for v in value]
    if isinstance(value, str) and any(word in key.lower() for word in _SECRET_WORDS):
        return MASK
    return value


def read(kind: Kind, row: sqlite3.Row) -> dict[str, Any]:
    return {
        kind.key: row["id"],
        "name": row["name"],
        kind.type_key: row["connector_type"],
        "definitionId": row["definition_id"],
        "workspaceId": row["workspace_id"],
        "configuration": masked(json.loads(row["configuration"])),
        "createdAt": row["created_us"] // 1_000_000,
    }


def load(db: sqlite3.Connection, kind: Kind, object_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = db.execute(
        f"SELECT * FROM {kind.table} WHERE id = ? AND tombstone = 0",  # noqa: S608 (constant)
        (object_id,),
    ).fetchone()
    if row is None:
        raise problems.not_found(kind.noun, object_id)
    return row


def require_workspace(db: sqlite3.Connection, user_id: str, workspace_id: str, rank: int) -> None:
    """404 for an unknown workspace, 403 without ``rank`` on it."""
    ws = load_workspace(db, workspace_id)
    security.require_workspace(db, user_id, workspace_id, ws["organization_id"], rank)


def workspace_filter(request: Request, db: sqlite3.Connection, user_id: str) -> list[str]:
    """The ``workspaceIds`` filter; each named workspace must be readable by the caller."""
    ids = inputs.query_uuids(request, "workspaceIds")
    for workspace_id in ids:
        require_workspace(db, user_id, workspace_id, security.READER)
    return ids


def list_rows(
    db: sqlite3.Connection,
    table: str,
    *,
    user_id: str,
    ids: list[str],
    page: paging.Page,
    marks: PageMarks,
) -> list[sqlite3.Row]:
    """One page of a workspace-owned table, ordered by name, the caller's readable rows only."""
    # the row's workspace's organisation: one primary-key lookup per row
    owner_org = f"(SELECT w.organization_id FROM workspaces w WHERE w.id = {table}.workspace_id)"  # noqa: S608
    return marks.page(
        db,
        (table, user_id, page.include_deleted, tuple(ids)),
        select=f"SELECT * FROM {table} WHERE (? OR tombstone = 0)"  # noqa: S608 (constant text)
        " AND (? = 0 OR workspace_id IN (SELECT value FROM json_each(?)))"
        f" AND {security.readable(f'{table}.workspace_id', owner_org)}",
        params=(
            int(bool(page.include_deleted)),
            len(ids),
            json.dumps(ids),
            *security.readable_params(db, user_id),
        ),
        order=("name", "id"),
        limit=page.limit,
        offset=page.offset,
    )


def _configuration(body: inputs.Body, *, required: bool) -> dict[str, Any] | None:
    value = body.get("configuration")
    if value is None:
        if required:
            raise problems.bad_request("configuration is required")
        return None
    if not isinstance(value, dict):
        raise problems.unprocessable("configuration must be an object")
    return value


def _connector_type(kind: Kind, configuration: dict[str, Any], definition_id: str | None) -> str:
    named = configuration.get(kind.type_key)
    if isinstance(named, str) and named.strip():
        return named.strip().lower()
    if definition_id is not None:
        return "custom"
    raise problems.bad_request(f"configuration.{kind.type_key} or definitionId must be provided")


def _handlers(kind: Kind) -> list[Route]:
    @endpoint
    async def list_all(request: Request) -> Response:
        c = ctx(request)
        user_id = c.user(request)
        page = paging.Page.of(request)
        with c.store.read() as db:
            ids = workspace_filter(request, db, user_id)
            rows = list_rows(db, kind.table, user_id=user_id, ids=ids, page=page, marks=c.pages)
        return ok(page.envelope(request, kind.table, [read(kind, r) for r in rows], ids=ids))

    @endpoint
    async def create(request: Request) -> Response:
        c = ctx(request)
        user_id = c.user(request)
        body = await inputs.json_body(request, c.max_body_bytes)
        name = inputs.req_name(body)
        workspace_id = inputs.req_uuid(body, "workspaceId")
        definition_id = inputs.opt_uuid(body, "definitionId")
        configuration = _configuration(body, required=True) or {}
        connector = _connector_type(kind, configuration, definition_id)
        definition_id = definition_id or str(uuid.uuid5(_DEFINITIONS, f"{kind.noun}/{connector}"))
        with c.store.write() as db:
            require_workspace(db, user_id, workspace_id, security.EDITOR)
            object_id = str(uuid.uuid4())
            db.execute(
                f"INSERT INTO {kind.table} (id, workspace_id, name, connector_type,"  # noqa: S608
                " definition_id, configuration, created_us) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    object_id,
                    workspace_id,
                    name,
                    connector,
                    definition_id,
                    json.dumps(configuration),
                    c.now_us(),
                ),
            )
            return ok(read(kind, load(db, kind, object_id)))

    @endpoint
    async def get(request: Request) -> Response:
        c = ctx(request)
        user_id = c.user(request)
        object_id = inputs.path_uuid(request, "object_id")
        with c.store.read() as db:
            row = load(db, kind, object_id)
            require_workspace(db, user_id, row["workspace_id"], security.READER)
            return ok(read(kind, row))

    @endpoint
    async def patch(request: Request) -> Response:
        c = ctx(request)
        user_id = c.user(request)
        object_id = inputs.path_uuid(request, "object_id")
        body = await inputs.json_body(request, c.max_body_bytes)
        name = inputs.opt_name(body)
        changes = _configuration(body, required=False) or {}
        with c.store.write() as db:
            row = load(db, kind, object_id)
            require_workspace(db, user_id, row["workspace_id"], security.EDITOR)
            stored = json.loads(row["configuration"])
            # A masked value sent back means "keep what is stored", as on the real server.
            merged = {**stored, **{k: v for k, v in changes.items() if v != MASK}}
            db.execute(
                f"UPDATE {kind.table} SET name = ?, configuration = ? WHERE id = ?",  # noqa: S608
                (row["name"] if name is None else name, json.dumps(merged), object_id),
            )
            return ok(read(kind, load(db, kind, object_id)))

    @endpoint
    async def delete(request: Request) -> Response:
        c = ctx(request)
        user_id = c.user(request)
        object_id = inputs.path_uuid(request, "object_id")
        with c.store.write() as db:
            row = load(db, kind, object_id)
            require_workspace(db, user_id, row["workspace_id"], security.EDITOR)
            db.execute(
                f"UPDATE {kind.table} SET tombstone = 1 WHERE id = ?",  # noqa: S608 (constant table name)
                (object_id,),
            )
            # The server deletes the connections that read from or write to it.
            db.execute(
                f"UPDATE connections SET tombstone = 1 WHERE {kind.noun}_id = ?",  # noqa: S608
                (object_id,),
            )
        return Response(status_code=204)

    path = f"/{kind.table}"
    return [
        Route(path, list_all, methods=["GET"]),
        Route(path, create, methods=["POST"]),
        Route(path + "/{object_id}", get, methods=["GET"]),
        Route(path + "/{object_id}", patch, methods=["PATCH"]),
        Route(path + "/{object_id}", delete, methods=["DELETE"]),
    ]


ROUTES = [*_handlers(SOURCES), *_handlers(DESTINATIONS)]
