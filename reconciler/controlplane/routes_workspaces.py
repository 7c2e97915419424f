"""``/workspaces``: each bound to one region, written by ``regionId``, read as ``dataResidency``.

Quirks kept: responses carry ``dataResidency`` (the region's name lower-cased) and neither
``regionId`` nor ``organizationId``; create answers 200 and delete 204 (a soft delete); the list
is the paginated ``{data, next, previous}`` envelope whose ``next`` is set on every non-empty
page (``""`` on an empty one), built against ``/v1`` like the real server's links. A workspace
without ``regionId`` lands in the managed ``US`` region; ``organizationId`` defaults to the
caller's organisation (Cloud honours it; OSS would force the default organisation).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.controlplane import inputs, paging, problems, security
from reconciler.controlplane.context import ctx, endpoint, ok
from reconciler.controlplane.notifications import defaults, merge, parse
from reconciler.controlplane.store import DEFAULT_ORGANIZATION_ID

_SELECT = "SELECT w.*, r.name AS region_name FROM workspaces w JOIN regions r ON r.id = w.region_id"


def workspace_read(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "workspaceId": row["id"],
        "name": row["name"],
        "dataResidency": str(row["region_name"]).lower(),
        # Written by this server from validated settings (booleans and strings): orjson
        # reads them exactly, several times faster than json (one per workspace listed).
        "notifications": orjson.loads(row["notifications"]),
    }


def load_workspace(db: sqlite3.Connection, workspace_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = db.execute(
        f"{_SELECT} WHERE w.id = ? AND w.tombstone = 0", (workspace_id,)
    ).fetchone()
    if row is None:
        raise problems.not_found("workspace", workspace_id)
    return row


def _region_for(db: sqlite3.Connection, region_id: str | None, org_id: str) -> str:
    if region_id is None:
        managed: sqlite3.Row = db.execute(
            "SELECT id FROM regions WHERE organization_id = ? AND name = 'US'",
            (DEFAULT_ORGANIZATION_ID,),
        ).fetchone()
        return str(managed["id"])
    row: sqlite3.Row | None = db.execute(
        "SELECT id FROM regions WHERE id = ? AND tombstone = 0 AND organization_id IN (?, ?)",
        (region_id, org_id, DEFAULT_ORGANIZATION_ID),
    ).fetchone()
    if row is None:
        raise problems.not_found("region", region_id)
    return region_id


def _home_organization(db: sqlite3.Connection, user_id: str) -> str:
    row: sqlite3.Row | None = db.execute(
        "SELECT organization_id FROM permissions WHERE user_id = ? AND organization_id IS NOT NULL"
        " ORDER BY created_us LIMIT 1",
        (user_id,),
    ).fetchone()
    if row is None:
        raise problems.forbidden("the caller belongs to no organization")
    return str(row["organization_id"])


@endpoint
async def list_workspaces(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    ids = inputs.query_uuids(request, "workspaceIds")
    page = paging.Page.of(request)
    with c.store.read() as db:
        readable = security.readable_params(db, user_id)
        rows = c.pages.page(
            db,
            ("workspaces", user_id, page.include_deleted, tuple(ids)),
            select=f"{_SELECT} WHERE (? OR w.tombstone = 0)"  # noqa: S608 (constant text)
            " AND (? = 0 OR w.id IN (SELECT value FROM json_each(?)))"
            f" AND {security.readable('w.id', 'w.organization_id')}",
            params=(int(bool(page.include_deleted)), len(ids), json.dumps(ids), *readable),
            order=("w.name", "w.id"),
            limit=page.limit,
            offset=page.offset,
        )
    return ok(page.envelope(request, "workspaces", [workspace_read(r) for r in rows], ids=ids))


@endpoint
async def create_workspace(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    body = await inputs.json_body(request, c.max_body_bytes)
    name = inputs.req_name(body)
    org_id = inputs.opt_uuid(body, "organizationId")
    region_id = inputs.opt_uuid(body, "regionId")
    notifications = merge(defaults(), parse(body.get("notifications")))
    now = c.now_us()
    with c.store.write() as db:
        org_id = org_id or _home_organization(db, user_id)
        security.require_org(db, user_id, org_id, security.EDITOR)
        region = _region_for(db, region_id, org_id)
        workspace_id = str(uuid.uuid4())
        db.execute(
            "INSERT INTO workspaces (id, organization_id, region_id, name, notifications,"
            " created_us, updated_us) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (workspace_id, org_id, region, name, json.dumps(notifications), now, now),
        )
        return ok(workspace_read(load_workspace(db, workspace_id)))


@endpoint
async def get_workspace(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    workspace_id = inputs.path_uuid(request, "workspace_id")
    with c.store.read() as db:
        row = load_workspace(db, workspace_id)
        security.require_workspace(
            db, user_id, workspace_id, row["organization_id"], security.READER
        )
        return ok(workspace_read(row))


@endpoint
async def patch_workspace(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    workspace_id = inputs.path_uuid(request, "workspace_id")
    body = await inputs.json_body(request, c.max_body_bytes)
    name = inputs.opt_name(body)
    region_id = inputs.opt_uuid(body, "regionId")
    changes = parse(body.get("notifications"))
    with c.store.write() as db:
        row = load_workspace(db, workspace_id)
        org_id = row["organization_id"]
        security.require_workspace(db, user_id, workspace_id, org_id, security.EDITOR)
        region = row["region_id"] if region_id is None else _region_for(db, region_id, org_id)
        stored = json.loads(row["notifications"])
        notifications = merge(stored, changes)
        if c.quirks.get().webhook_patch_ignored:
            notifications = _keep_webhooks(notifications, stored)
        db.execute(
            "UPDATE workspaces SET name = ?, region_id = ?, notifications = ?, updated_us = ?"
            " WHERE id = ?",
            (
                row["name"] if name is None else name,
                region,
                json.dumps(notifications),
                c.now_us(),
                workspace_id,
            ),
        )
        return ok(workspace_read(load_workspace(db, workspace_id)))


def _keep_webhooks(merged: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """airbyte#65105: the answer is 200, but the webhook settings stay as they were."""
    out = dict(merged)
    for event, item in merged.items():
        before = stored.get(event) or {}
        after = dict(item or {})
        after["webhook"] = dict(before.get("webhook") or {"enabled": False})
        out[event] = after
    return out


@endpoint
async def delete_workspace(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    workspace_id = inputs.path_uuid(request, "workspace_id")
    with c.store.write() as db:
        row = load_workspace(db, workspace_id)
        security.require_workspace(
            db, user_id, workspace_id, row["organization_id"], security.EDITOR
        )
        db.execute(
            "UPDATE workspaces SET tombstone = 1, updated_us = ? WHERE id = ?",
            (c.now_us(), workspace_id),
        )
    return Response(status_code=204)


ROUTES = [
    Route("/workspaces", list_workspaces, methods=["GET"]),
    Route("/workspaces", create_workspace, methods=["POST"]),
    Route("/workspaces/{workspace_id}", get_workspace, methods=["GET"]),
    Route("/workspaces/{workspace_id}", patch_workspace, methods=["PATCH"]),
    Route("/workspaces/{workspace_id}", delete_workspace, methods=["DELETE"]),
]
