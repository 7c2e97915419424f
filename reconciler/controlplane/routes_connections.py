"""``/connections``: a source and a destination of one workspace, with per-stream settings.

Facts kept from the real server: create needs ``sourceId`` and ``destinationId`` (one
workspace; the connection is that workspace's) and answers 200 with the ``ConnectionResponse``;
the list is the paginated envelope (``workspaceIds``, ``includeDeleted``); PATCH changes only
what it is sent (never source or destination), and ``configurations`` replaces the stream list
(``streams.merge`` keeps a listed stream's mappers when it is sent without them); delete answers
204 and is a soft delete. Defaults a response always carries: ``status`` active, ``schedule``
manual, ``namespaceDefinition`` destination, ``nonBreakingSchemaUpdatesBehavior`` ignore,
``prefix`` "", ``tags`` []. A connection created without a name is called
``<source> → <destination>`` (this emulator's choice; the server derives one too). Without
connector catalogs, a connection created without ``configurations`` has no streams. Reading needs
``workspace_reader``, writing ``workspace_editor``.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.controlplane import inputs, paging, problems, security, streams
from reconciler.controlplane.context import ctx, endpoint, ok
from reconciler.controlplane.routes_connectors import (
    DESTINATIONS,
    SOURCES,
    list_rows,
    require_workspace,
    workspace_filter,
)
from reconciler.controlplane.routes_connectors import load as load_connector

_STATUS = frozenset({"active", "inactive", "deprecated", "locked"})
_NAMESPACE = frozenset({"source", "destination", "custom_format"})
_NON_BREAKING = frozenset({"ignore", "disable_connection", "propagate_columns", "propagate_fully"})
_SCHEDULE = frozenset({"manual", "cron"})
_DEFAULTS: dict[str, Any] = {
    "status": "active",
    "schedule": {"scheduleType": "manual"},
    "namespaceDefinition": "destination",
    "nonBreakingSchemaUpdatesBehavior": "ignore",
    "prefix": "",
    "tags": [],
}


def read(row: sqlite3.Row) -> dict[str, Any]:
    settings = {**_DEFAULTS, **json.loads(row["settings"])}
    return {
        "connectionId": row["id"],
        "name": row["name"],
        "sourceId": row["source_id"],
        "destinationId": row["destination_id"],
        "workspaceId": row["workspace_id"],
        **settings,
        "configurations": {"streams": streams.shown(json.loads(row["configurations"]))},
        "createdAt": row["created_us"] // 1_000_000,
    }


def load(db: sqlite3.Connection, connection_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = db.execute(
        "SELECT * FROM connections WHERE id = ? AND tombstone = 0", (connection_id,)
    ).fetchone()
    if row is None:
        raise problems.not_found("connection", connection_id)
    return row


def _schedule(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise problems.unprocessable("schedule must be an object")
    kind = inputs.opt_enum(value, "scheduleType", _SCHEDULE)
    if kind is None:
        raise problems.bad_request("schedule.scheduleType is required")
    if kind == "manual":
        return {"scheduleType": "manual"}
    cron = inputs.opt_str(value, "cronExpression")
    if not cron or not cron.strip():
        raise problems.bad_request("schedule.cronExpression is required for a cron schedule")
    return {"scheduleType": "cron", "cronExpression": cron}


def _settings(body: inputs.Body) -> dict[str, Any]:
    """The settings the request gives (absent ones are left out, so PATCH keeps them)."""
    out: dict[str, Any] = {}
    for field, allowed in (
        ("status", _STATUS),
        ("namespaceDefinition", _NAMESPACE),
        ("nonBreakingSchemaUpdatesBehavior", _NON_BREAKING),
    ):
        value = inputs.opt_enum(body, field, allowed)
        if value is not None:
            out[field] = value
    for field in ("namespaceFormat", "prefix"):
        text = inputs.opt_str(body, field)
        if text is not None:
            out[field] = text
    if body.get("schedule") is not None:
        out["schedule"] = _schedule(body["schedule"])
    if body.get("tags") is not None:
        if not isinstance(body["tags"], list):
            raise problems.unprocessable("tags must be an array")
        out["tags"] = body["tags"]
    return out


@endpoint
async def list_connections(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    page = paging.Page.of(request)
    with c.store.read() as db:
        ids = workspace_filter(request, db, user_id)
        rows = list_rows(db, "connections", user_id=user_id, ids=ids, page=page, marks=c.pages)
    return ok(page.envelope(request, "connections", [read(r) for r in rows], ids=ids))


@endpoint
async def create_connection(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    body = await inputs.json_body(request, c.max_body_bytes)
    source_id = inputs.req_uuid(body, "sourceId")
    destination_id = inputs.req_uuid(body, "destinationId")
    name = inputs.opt_name(body)
    settings = _settings(body)
    sent = streams.parse_streams(body.get("configurations")) or []
    with c.store.write() as db:
        source = load_connector(db, SOURCES, source_id)
        destination = load_connector(db, DESTINATIONS, destination_id)
        workspace_id = source["workspace_id"]
        require_workspace(db, user_id, workspace_id, security.EDITOR)
        if destination["workspace_id"] != workspace_id:
            raise problems.bad_request("the source and the destination must be in one workspace")
        connection_id = str(uuid.uuid4())
        db.execute(
            "INSERT INTO connections (id, workspace_id, source_id, destination_id, name,"
            " settings, configurations, created_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                connection_id,
                workspace_id,
                source_id,
                destination_id,
                name or f"{source['name']} → {destination['name']}",
                json.dumps(settings),
                json.dumps(streams.merge([], sent)),
                c.now_us(),
            ),
        )
        return ok(read(load(db, connection_id)))


@endpoint
async def get_connection(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    connection_id = inputs.path_uuid(request, "connection_id")
    with c.store.read() as db:
        row = load(db, connection_id)
        require_workspace(db, user_id, row["workspace_id"], security.READER)
        return ok(read(row))


@endpoint
async def patch_connection(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    connection_id = inputs.path_uuid(request, "connection_id")
    body = await inputs.json_body(request, c.max_body_bytes)
    name = inputs.opt_name(body)
    changes = _settings(body)
    sent = streams.parse_streams(body.get("configurations"))
    with c.store.write() as db:
        row = load(db, connection_id)
        require_workspace(db, user_id, row["workspace_id"], security.EDITOR)
        stored = json.loads(row["configurations"])
        configurations = stored if sent is None else streams.merge(stored, sent)
        db.execute(
            "UPDATE connections SET name = ?, settings = ?, configurations = ? WHERE id = ?",
            (
                row["name"] if name is None else name,
                json.dumps({**json.loads(row["settings"]), **changes}),
                json.dumps(configurations),
                connection_id,
            ),
        )
        return ok(read(load(db, connection_id)))


@endpoint
async def delete_connection(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    connection_id = inputs.path_uuid(request, "connection_id")
    with c.store.write() as db:
        row = load(db, connection_id)
        require_workspace(db, user_id, row["workspace_id"], security.EDITOR)
        db.execute("UPDATE connections SET tombstone = 1 WHERE id = ?", (connection_id,))
    return Response(status_code=204)


ROUTES = [
    Route("/connections", list_connections, methods=["GET"]),
    Route("/connections", create_connection, methods=["POST"]),
    Route("/connections/{connection_id}", get_connection, methods=["GET"]),
    Route("/connections/{connection_id}", patch_connection, methods=["PATCH"]),
    Route("/connections/{connection_id}", delete_connection, methods=["DELETE"]),
]
