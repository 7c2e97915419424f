"""``/regions``: self-managed regions (Airbyte's "data plane groups") and the managed ones.

Quirks kept from the real server: the list is a bare JSON array that also holds the
Airbyte-managed regions (organisation ``00000000-...``), newest ``updatedAt`` first; names are
unique per organisation even after deletion (409 ``error:dataplane-group-name-already-exists``);
delete is a soft delete that answers 200 with the region and deletes its data planes; a deleted
region stays readable by id. Every call needs organization_admin on the region's organisation;
managed regions are readable by any user and writable by nobody but an instance admin.
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.controlplane import inputs, problems, security
from reconciler.controlplane.context import ctx, endpoint, ok
from reconciler.controlplane.store import DEFAULT_ORGANIZATION_ID, java_timestamp


def region_read(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "regionId": row["id"],
        "name": row["name"],
        "organizationId": row["organization_id"],
        "enabled": bool(row["enabled"]),
        "createdAt": java_timestamp(row["created_us"]),
        "updatedAt": java_timestamp(row["updated_us"]),
    }


def load_region(db: sqlite3.Connection, region_id: str, *, live: bool) -> sqlite3.Row:
    row: sqlite3.Row | None = db.execute(
        "SELECT * FROM regions WHERE id = ?", (region_id,)
    ).fetchone()
    if row is None or (live and row["tombstone"]):
        raise problems.not_found("region", region_id)
    return row


def require_region_admin(db: sqlite3.Connection, user_id: str, region: sqlite3.Row) -> None:
    rank = security.INSTANCE_ADMIN if region["organization_id"] == DEFAULT_ORGANIZATION_ID else 5
    security.require_org(db, user_id, region["organization_id"], rank)


def _name_taken(db: sqlite3.Connection, org_id: str, name: str, region_id: str = "") -> bool:
    row: sqlite3.Row | None = db.execute(
        "SELECT 1 FROM regions WHERE organization_id = ? AND name = ? AND id != ?",
        (org_id, name, region_id),
    ).fetchone()
    return row is not None


@endpoint
async def list_regions(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    org_id = inputs.query_uuid(request, "organizationId", required=True)
    assert org_id is not None
    with c.store.read() as db:
        security.require_org(db, user_id, org_id, security.ADMIN)
        rows = db.execute(
            "SELECT * FROM regions WHERE organization_id IN (?, ?) AND tombstone = 0"
            " ORDER BY updated_us DESC, id",
            (org_id, DEFAULT_ORGANIZATION_ID),
        ).fetchall()
    return ok([region_read(r) for r in rows])  # bare array, as the real server answers


@endpoint
async def create_region(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    body = await inputs.json_body(request, c.max_body_bytes)
    name = inputs.req_name(body)
    org_id = inputs.req_uuid(body, "organizationId")
    enabled = inputs.opt_bool(body, "enabled")
    now = c.now_us()
    with c.store.write() as db:
        rank = security.INSTANCE_ADMIN if org_id == DEFAULT_ORGANIZATION_ID else security.ADMIN
        security.require_org(db, user_id, org_id, rank)
        if _name_taken(db, org_id, name):
            raise problems.region_name_taken(name)
        region_id = str(uuid.uuid4())
        db.execute(
            "INSERT INTO regions (id, organization_id, name, enabled, created_us, updated_us)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (region_id, org_id, name, int(enabled is not False), now, now),
        )
        return ok(region_read(load_region(db, region_id, live=True)))


@endpoint
async def get_region(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    region_id = inputs.path_uuid(request, "region_id")
    with c.store.read() as db:
        row = load_region(db, region_id, live=False)
        if row["organization_id"] != DEFAULT_ORGANIZATION_ID:
            require_region_admin(db, user_id, row)
        return ok(region_read(row))


@endpoint
async def patch_region(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    region_id = inputs.path_uuid(request, "region_id")
    body = await inputs.json_body(request, c.max_body_bytes)
    name = inputs.opt_name(body)
    enabled = inputs.opt_bool(body, "enabled")
    with c.store.write() as db:
        row = load_region(db, region_id, live=True)
        require_region_admin(db, user_id, row)
        if name is not None and _name_taken(db, row["organization_id"], name, region_id):
            raise problems.region_name_taken(name)
        db.execute(
            "UPDATE regions SET name = ?, enabled = ?, updated_us = ? WHERE id = ?",
            (
                row["name"] if name is None else name,
                row["enabled"] if enabled is None else int(enabled),
                c.now_us(),
                region_id,
            ),
        )
        return ok(region_read(load_region(db, region_id, live=True)))


@endpoint
async def delete_region(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    region_id = inputs.path_uuid(request, "region_id")
    now = c.now_us()
    with c.store.write() as db:
        row = load_region(db, region_id, live=True)
        require_region_admin(db, user_id, row)
        db.execute(
            "UPDATE regions SET tombstone = 1, updated_us = ? WHERE id = ?", (now, region_id)
        )
        # The cascade: the region's data planes go, and with them their credentials.
        db.execute(
            "DELETE FROM tokens WHERE kind = 'dataplane' AND subject_id IN"
            " (SELECT id FROM dataplanes WHERE region_id = ?)",
            (region_id,),
        )
        db.execute(
            "UPDATE dataplanes SET tombstone = 1, updated_us = ? WHERE region_id = ?"
            " AND tombstone = 0",
            (now, region_id),
        )
        return ok(region_read(load_region(db, region_id, live=False)))


ROUTES = [
    Route("/regions", list_regions, methods=["GET"]),
    Route("/regions", create_region, methods=["POST"]),
    Route("/regions/{region_id}", get_region, methods=["GET"]),
    Route("/regions/{region_id}", patch_region, methods=["PATCH"]),
    Route("/regions/{region_id}", delete_region, methods=["DELETE"]),
]
