"""``/organizations``, ``/users`` and ``/permissions``: who may do what.

Users cannot be created through the API (``ControlPlane.add_user`` stands in for SSO).
Permission rules follow the real server: exactly one of ``workspaceId`` / ``organizationId``
(with its 400 messages), the role's prefix must match the scope, create/update/delete need
admin on the scope, an identical create answers the existing permission, a second permission
of another type for the same user and scope is a 409 state conflict, delete answers 204, and
listing another user's permissions needs ``organizationId``. Redundancy follows the server's
``PermissionRedundantException`` rule: a workspace role at most the user's organisation role is
refused on create (a 500), deleted on update, and deleted when an organisation role is raised
over it.
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

PUBLIC_TYPES = frozenset(security.ORG_RANK) | frozenset(security.WS_RANK) - {"workspace_owner"}
UPDATE_TYPES = PUBLIC_TYPES | {"workspace_owner"}


def permission_read(row: sqlite3.Row) -> dict[str, Any]:
    out = {
        "permissionId": row["id"],
        "permissionType": row["permission_type"],
        "userId": row["user_id"],
    }
    if row["workspace_id"] is not None:
        out["workspaceId"] = row["workspace_id"]
    if row["organization_id"] is not None:
        out["organizationId"] = row["organization_id"]
    return out


def permission_list_item(row: sqlite3.Row) -> dict[str, Any]:
    scope = "workspace" if row["workspace_id"] is not None else "organization"
    return {
        "permissionId": row["id"],
        "permissionType": row["permission_type"],
        "userId": row["user_id"],
        "scope": scope,
        "scopeId": row["workspace_id"] or row["organization_id"],
    }


@endpoint
async def list_organizations(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    with c.store.read() as db:
        admin = security.is_instance_admin(db, user_id)
        rows = db.execute(
            "SELECT * FROM organizations WHERE ? OR id IN (SELECT organization_id FROM permissions"
            " WHERE user_id = ?) ORDER BY name, id",
            (int(admin), user_id),
        ).fetchall()
    return ok(
        {
            "data": [
                {"organizationId": r["id"], "organizationName": r["name"], "email": r["email"]}
                for r in rows
            ]
        }
    )


@endpoint
async def list_users(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    org_id = inputs.query_uuid(request, "organizationId", required=True)
    ids = inputs.query_uuids(request, "ids")
    emails = [e.lower() for e in inputs.query_list(request, "emails")]
    with c.store.read() as db:
        security.require_org(db, user_id, str(org_id), security.MEMBER)
        rows = db.execute(
            "SELECT DISTINCT u.* FROM users u JOIN permissions p ON p.user_id = u.id"
            " LEFT JOIN workspaces w ON w.id = p.workspace_id"
            " WHERE p.organization_id = ? OR w.organization_id = ? ORDER BY u.email",
            (org_id, org_id),
        ).fetchall()
    data = [
        {"id": r["id"], "name": r["name"], "email": r["email"]}
        for r in rows
        if (not ids or r["id"] in ids) and (not emails or r["email"].lower() in emails)
    ]
    return ok({"data": data})


def _require_scope_admin(db: sqlite3.Connection, user_id: str, row: dict[str, Any]) -> None:
    if row.get("workspace_id") is not None:
        # Tombstoned workspaces count too: their permissions must stay manageable.
        ws = db.execute(
            "SELECT organization_id FROM workspaces WHERE id = ?", (row["workspace_id"],)
        ).fetchone()
        if ws is None:
            raise problems.not_found("workspace", row["workspace_id"])
        security.require_workspace(
            db, user_id, row["workspace_id"], ws["organization_id"], security.ADMIN
        )
    else:
        security.require_org(db, user_id, row["organization_id"], security.ADMIN)


def _check_type_matches_scope(permission_type: str, workspace_scoped: bool) -> None:
    if permission_type.startswith("workspace_") != workspace_scoped:
        scope = "workspace" if workspace_scoped else "organization"
        raise problems.bad_request(f"{permission_type} cannot be granted on an {scope}")


def _load(db: sqlite3.Connection, permission_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = db.execute(
        "SELECT * FROM permissions WHERE id = ?", (permission_id,)
    ).fetchone()
    if row is None:
        raise problems.not_found("permission", permission_id)
    return row


def _load_visible(db: sqlite3.Connection, caller: str, permission_id: str) -> sqlite3.Row:
    """The permission, or 404 when it belongs to an organisation the caller is not in: as for
    every other foreign object, a 403 would confirm the id and name its workspace."""
    row = _load(db, permission_id)
    if row["user_id"] == caller:
        return row
    org_id = row["organization_id"]
    if org_id is None:
        ws = db.execute(
            "SELECT organization_id FROM workspaces WHERE id = ?", (row["workspace_id"],)
        ).fetchone()
        org_id = None if ws is None else ws["organization_id"]
    if org_id is None or security.org_rank(db, caller, org_id) == 0:
        raise problems.not_found("permission", permission_id)
    return row


def _redundant(db: sqlite3.Connection, user_id: str, workspace_id: str, ws_type: str) -> bool:
    """The server's rule: a workspace role at most the user's organisation role is redundant."""
    ws = db.execute(
        "SELECT organization_id FROM workspaces WHERE id = ?", (workspace_id,)
    ).fetchone()
    if ws is None:
        return False
    org = db.execute(
        "SELECT permission_type FROM permissions WHERE user_id = ? AND organization_id = ?",
        (user_id, ws["organization_id"]),
    ).fetchone()
    if org is None:
        return False
    return security.WS_RANK.get(ws_type, 0) <= security.ORG_RANK.get(org["permission_type"], 0)


def _redundant_problem(permission_type: str, user_id: str) -> problems.ApiProblem:
    # PermissionRedundantException is not mapped by the public API: it surfaces as a 500.
    return problems.unexpected(
        f"Permission type {permission_type} would be redundant for user {user_id}. "
        "Preventing creation."
    )


def _delete_covered(db: sqlite3.Connection, user_id: str, org_id: str, org_type: str) -> None:
    """Raising an organisation role deletes the workspace permissions it now covers."""
    rank = security.ORG_RANK.get(org_type, 0)
    rows = db.execute(
        "SELECT p.id, p.permission_type FROM permissions p JOIN workspaces w"
        " ON w.id = p.workspace_id WHERE p.user_id = ? AND w.organization_id = ?",
        (user_id, org_id),
    ).fetchall()
    for row in rows:
        if security.WS_RANK.get(row["permission_type"], 0) <= rank:
            db.execute("DELETE FROM permissions WHERE id = ?", (row["id"],))


@endpoint
async def create_permission(request: Request) -> Response:
    c = ctx(request)
    caller = c.user(request)
    body = await inputs.json_body(request, c.max_body_bytes)
    permission_type = inputs.opt_enum(body, "permissionType", PUBLIC_TYPES)
    if permission_type is None:
        raise problems.bad_request("permissionType is required")
    user_id = inputs.req_uuid(body, "userId")
    workspace_id = inputs.opt_uuid(body, "workspaceId")
    org_id = inputs.opt_uuid(body, "organizationId")
    if workspace_id and org_id:
        raise problems.bad_request(
            "A permission cannot target both a workspace and an organization."
        )
    if not workspace_id and not org_id:
        raise problems.bad_request(
            "Workspace ID or Organization ID must be provided in order to create a permission."
        )
    _check_type_matches_scope(permission_type, workspace_id is not None)
    with c.store.write() as db:
        _require_scope_admin(db, caller, {"workspace_id": workspace_id, "organization_id": org_id})
        if db.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone() is None:
            raise problems.not_found("user", user_id)
        clash = db.execute(
            "SELECT id, permission_type FROM permissions WHERE user_id = ? AND workspace_id IS ?"
            " AND organization_id IS ?",
            (user_id, workspace_id, org_id),
        ).fetchone()
        if clash is not None:
            if clash["permission_type"] == permission_type:
                # The real server answers an identical create with the existing permission.
                return ok(permission_read(_load(db, clash["id"])))
            raise problems.state_conflict("the user already has a permission on this scope")
        if workspace_id is not None and _redundant(db, user_id, workspace_id, permission_type):
            raise _redundant_problem(permission_type, user_id)
        permission_id = str(uuid.uuid4())
        db.execute(
            "INSERT INTO permissions VALUES (?, ?, ?, ?, ?, ?)",
            (permission_id, user_id, permission_type, workspace_id, org_id, c.now_us()),
        )
        if org_id is not None:
            _delete_covered(db, user_id, org_id, permission_type)
        return ok(permission_read(_load(db, permission_id)))


@endpoint
async def list_permissions(request: Request) -> Response:
    c = ctx(request)
    caller = c.user(request)
    user_id = inputs.query_uuid(request, "userId")
    org_id = inputs.query_uuid(request, "organizationId")
    with c.store.read() as db:
        if user_id is None or user_id == caller:
            rows = db.execute(
                "SELECT * FROM permissions WHERE user_id = ? ORDER BY created_us, id", (caller,)
            ).fetchall()
        else:
            if org_id is None:
                raise problems.bad_request(
                    "organizationId is required to read another user's permissions"
                )
            security.require_org(db, caller, org_id, security.ADMIN)
            rows = db.execute(
                "SELECT p.* FROM permissions p LEFT JOIN workspaces w ON w.id = p.workspace_id"
                " WHERE p.user_id = ? AND (p.organization_id = ? OR w.organization_id = ?)"
                " ORDER BY p.created_us, p.id",
                (user_id, org_id, org_id),
            ).fetchall()
    return ok({"data": [permission_list_item(r) for r in rows]})


@endpoint
async def get_permission(request: Request) -> Response:
    c = ctx(request)
    caller = c.user(request)
    permission_id = inputs.path_uuid(request, "permission_id")
    with c.store.read() as db:
        row = _load_visible(db, caller, permission_id)
        if row["user_id"] != caller:
            _require_scope_admin(db, caller, dict(row))
        return ok(permission_read(row))


@endpoint
async def patch_permission(request: Request) -> Response:
    c = ctx(request)
    caller = c.user(request)
    permission_id = inputs.path_uuid(request, "permission_id")
    body = await inputs.json_body(request, c.max_body_bytes)
    permission_type = inputs.opt_enum(body, "permissionType", UPDATE_TYPES)
    if permission_type is None:
        raise problems.bad_request("permissionType is required")
    with c.store.write() as db:
        row = _load_visible(db, caller, permission_id)
        _require_scope_admin(db, caller, dict(row))
        _check_type_matches_scope(permission_type, row["workspace_id"] is not None)
        if row["workspace_id"] is not None and _redundant(
            db, row["user_id"], row["workspace_id"], permission_type
        ):
            # The server deletes a workspace permission an update made redundant.
            db.execute("DELETE FROM permissions WHERE id = ?", (permission_id,))
            return ok({**permission_read(row), "permissionType": permission_type})
        db.execute(
            "UPDATE permissions SET permission_type = ? WHERE id = ?",
            (permission_type, permission_id),
        )
        if row["organization_id"] is not None:
            _delete_covered(db, row["user_id"], row["organization_id"], permission_type)
        return ok(permission_read(_load(db, permission_id)))


@endpoint
async def delete_permission(request: Request) -> Response:
    c = ctx(request)
    caller = c.user(request)
    permission_id = inputs.path_uuid(request, "permission_id")
    with c.store.write() as db:
        row = _load_visible(db, caller, permission_id)
        _require_scope_admin(db, caller, dict(row))
        db.execute("DELETE FROM permissions WHERE id = ?", (permission_id,))
    return Response(status_code=204)


ROUTES = [
    Route("/organizations", list_organizations, methods=["GET"]),
    Route("/users", list_users, methods=["GET"]),
    Route("/permissions", list_permissions, methods=["GET"]),
    Route("/permissions", create_permission, methods=["POST"]),
    Route("/permissions/{permission_id}", get_permission, methods=["GET"]),
    Route("/permissions/{permission_id}", patch_permission, methods=["PATCH"]),
    Route("/permissions/{permission_id}", delete_permission, methods=["DELETE"]),
]
