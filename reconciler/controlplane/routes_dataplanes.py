"""``/dataplanes`` and the data plane's own ``/api/v1/dataplanes/{token,heartbeat}``.

A data plane is created with a service account: the create answer carries ``clientId`` and
``clientSecret`` once (``DataplaneCreateResponseBody`` of config.yaml); reads never do, and
there is no rotation. Lists are bare arrays; names are not unique; the region cannot change.
Deleting a data plane (or its region) revokes its credentials and tokens. The data plane
authenticates like the chart's launcher: JSON ``{client_id, client_secret}`` for
``{access_token}``, then heartbeats with that bearer token. The last token and heartbeat
times feed the embedded status view.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.controlplane import inputs, problems, security
from reconciler.controlplane.context import ctx, endpoint, ok
from reconciler.controlplane.routes_regions import load_region, require_region_admin
from reconciler.controlplane.store import java_timestamp


def dataplane_read(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "dataplaneId": row["id"],
        "name": row["name"],
        "regionId": row["region_id"],
        "enabled": bool(row["enabled"]),
        "createdAt": java_timestamp(row["created_us"]),
        "updatedAt": java_timestamp(row["updated_us"]),
    }


def _load(db: sqlite3.Connection, user_id: str, dataplane_id: str, *, live: bool) -> sqlite3.Row:
    row: sqlite3.Row | None = db.execute(
        "SELECT * FROM dataplanes WHERE id = ?", (dataplane_id,)
    ).fetchone()
    if row is None or (live and row["tombstone"]):
        raise problems.not_found("dataplane", dataplane_id)
    require_region_admin(db, user_id, load_region(db, row["region_id"], live=False))
    return row


@endpoint
async def list_dataplanes(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    region_ids = inputs.query_uuids(request, "regionIds")
    with c.store.read() as db:
        for region_id in region_ids:
            require_region_admin(db, user_id, load_region(db, region_id, live=False))
        rows = db.execute(
            "SELECT d.*, r.organization_id FROM dataplanes d JOIN regions r ON r.id = d.region_id"
            " WHERE d.tombstone = 0 AND (? = 0 OR d.region_id IN (SELECT value FROM json_each(?)))"
            " ORDER BY d.updated_us DESC, d.id",
            (len(region_ids), json.dumps(region_ids)),
        ).fetchall()
        admin_of: dict[str, bool] = {}
        visible = []
        for row in rows:
            org = row["organization_id"]
            if org not in admin_of:
                admin_of[org] = security.org_rank(db, user_id, org) >= security.ADMIN
            if admin_of[org]:
                visible.append(dataplane_read(row))
    return ok(visible)  # bare array, as the real server answers


@endpoint
async def create_dataplane(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    body = await inputs.json_body(request, c.max_body_bytes)
    region_id = inputs.req_uuid(body, "regionId")
    name = inputs.req_name(body)
    enabled = inputs.opt_bool(body, "enabled")
    now = c.now_us()
    with c.store.write() as db:
        region = load_region(db, region_id, live=True)
        require_region_admin(db, user_id, region)
        dataplane_id, client_id, secret = (
            str(uuid.uuid4()),
            str(uuid.uuid4()),
            security.new_secret(),
        )
        db.execute(
            "INSERT INTO dataplanes (id, region_id, name, enabled, client_id, secret_hash,"
            " created_us, updated_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                dataplane_id,
                region_id,
                name,
                int(enabled is not False),
                client_id,
                security.digest(secret),
                now,
                now,
            ),
        )
    return ok(
        {
            "dataplaneId": dataplane_id,
            "regionId": region_id,
            "clientId": client_id,
            "clientSecret": secret,
        }
    )


@endpoint
async def get_dataplane(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    dataplane_id = inputs.path_uuid(request, "dataplane_id")
    with c.store.read() as db:
        return ok(dataplane_read(_load(db, user_id, dataplane_id, live=False)))


@endpoint
async def patch_dataplane(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    dataplane_id = inputs.path_uuid(request, "dataplane_id")
    body = await inputs.json_body(request, c.max_body_bytes)
    name = inputs.opt_name(body)
    enabled = inputs.opt_bool(body, "enabled")
    with c.store.write() as db:
        row = _load(db, user_id, dataplane_id, live=True)
        db.execute(
            "UPDATE dataplanes SET name = ?, enabled = ?, updated_us = ? WHERE id = ?",
            (
                row["name"] if name is None else name,
                row["enabled"] if enabled is None else int(enabled),
                c.now_us(),
                dataplane_id,
            ),
        )
        return ok(dataplane_read(_load(db, user_id, dataplane_id, live=True)))


@endpoint
async def delete_dataplane(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    dataplane_id = inputs.path_uuid(request, "dataplane_id")
    with c.store.write() as db:
        _load(db, user_id, dataplane_id, live=True)
        db.execute(
            "UPDATE dataplanes SET tombstone = 1, updated_us = ? WHERE id = ?",
            (c.now_us(), dataplane_id),
        )
        db.execute(
            "DELETE FROM tokens WHERE kind = 'dataplane' AND subject_id = ?", (dataplane_id,)
        )
        return ok(dataplane_read(_load(db, user_id, dataplane_id, live=False)))


@endpoint
async def dataplane_token(request: Request) -> Response:
    c = ctx(request)
    body = await inputs.json_or_form_body(request, c.max_body_bytes)
    client_id = inputs.req_str(body, "client_id")
    client_secret = inputs.req_str(body, "client_secret")
    now = c.now_us()
    with c.store.write() as db:
        row: sqlite3.Row | None = db.execute(
            "SELECT id, secret_hash FROM dataplanes WHERE client_id = ? AND tombstone = 0",
            (client_id,),
        ).fetchone()
        if row is None or not security.matches(client_secret, row["secret_hash"]):
            raise problems.unauthorized()
        access = security.issue_token(
            db, kind="dataplane", subject_id=row["id"], now_us=now, ttl_s=c.token_ttl
        )
        db.execute("UPDATE dataplanes SET last_token_us = ? WHERE id = ?", (now, row["id"]))
    return ok({"access_token": access})


@endpoint
async def heartbeat(request: Request) -> Response:
    c = ctx(request)
    principal = c.principal(request)
    if principal.kind != "dataplane":
        raise problems.forbidden("heartbeats need a data-plane token")
    raw = await inputs.read_body(request, c.max_body_bytes)
    body = inputs.parse_json_object(raw) if raw.strip() else {}
    claimed = inputs.opt_str(body, "client_id")
    with c.store.write() as db:
        row: sqlite3.Row = db.execute(  # the token check proved it exists
            "SELECT d.*, r.name AS region_name, r.organization_id FROM dataplanes d"
            " JOIN regions r ON r.id = d.region_id WHERE d.id = ?",
            (principal.subject_id,),
        ).fetchone()
        if claimed is not None and claimed != row["client_id"]:
            raise problems.forbidden("client_id does not match the token")
        db.execute(
            "UPDATE dataplanes SET last_heartbeat_us = ? WHERE id = ?", (c.now_us(), row["id"])
        )
    return ok(
        {
            "dataplane_name": row["name"],
            "dataplane_id": row["id"],
            "dataplane_enabled": bool(row["enabled"]),
            "dataplane_group_name": row["region_name"],
            "dataplane_group_id": row["region_id"],
            "organization_id": row["organization_id"],
        }
    )


ROUTES = [
    Route("/dataplanes", list_dataplanes, methods=["GET"]),
    Route("/dataplanes", create_dataplane, methods=["POST"]),
    Route("/dataplanes/{dataplane_id}", get_dataplane, methods=["GET"]),
    Route("/dataplanes/{dataplane_id}", patch_dataplane, methods=["PATCH"]),
    Route("/dataplanes/{dataplane_id}", delete_dataplane, methods=["DELETE"]),
]
INTERNAL_ROUTES = [
    Route("/api/v1/dataplanes/token", dataplane_token, methods=["POST"]),
    Route("/api/v1/dataplanes/heartbeat", heartbeat, methods=["POST"]),
]
