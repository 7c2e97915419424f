"""``/groups``: groups, their members and their permissions (``api.yaml``, tag ``Groups``).

Rules followed from the published spec and its problem types: ``GET /groups`` needs
``organizationId`` and is paginated (``limit``/``offset``, the shared envelope); member lists
are paginated too, permission lists are not. Writes need organization_admin of the group's
organisation; reads need membership. A group of an organisation the caller is not in is a
404, as for every other foreign object. Creates of members and permissions answer **201**,
deletes 204. A name taken in the organisation is 409 ``error:group-already-exists``; a user
already a member 409 ``error:group-member-already-exists``; an equivalent permission 409
``error:group-permission-already-exists``. A SCIM-managed group (``groups.scim``, set by the
identity provider's stand-in ``ControlPlane.add_group``) answers 409
``error:group-managed-by-scim`` to an update, a delete and every membership change; its
permissions stay manageable. ``GroupResponse`` carries no SCIM flag: a client learns it from
the 409. Roles reach members through the ``effective_permissions`` view (``security``).
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.controlplane import inputs, paging, problems, security
from reconciler.controlplane.context import ctx, endpoint, ok

#: ``PermissionType`` minus ``instance_admin``, which no group can hold.
GROUP_TYPES = frozenset(security.ORG_RANK) | frozenset(security.WS_RANK)
MAX_DESCRIPTION = 1024


def _problem(type_: str, title: str, detail: str, message: str) -> problems.ApiProblem:
    return problems.ApiProblem(409, f"error:{type_}", title, detail, {"message": message})


def managed_by_scim(group_id: str) -> problems.ApiProblem:
    return _problem(
        "group-managed-by-scim",
        "Group managed by SCIM",
        "This group is managed by SCIM and cannot be modified.",
        f"group {group_id} is managed by SCIM",
    )


def group_read(db: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    count = db.execute(
        "SELECT COUNT(*) FROM group_members WHERE group_id = ?", (row["id"],)
    ).fetchone()[0]
    out: dict[str, Any] = {
        "groupId": row["id"],
        "name": row["name"],
        "organizationId": row["organization_id"],
        "memberCount": int(count),
    }
    if row["description"] is not None:  # NON_ABSENT: a null description is left out
        out["description"] = row["description"]
    return out


def _member_read(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "memberId": row["id"],
        "groupId": row["group_id"],
        "userId": row["user_id"],
        "userEmail": row["email"],
        "userName": row["name"],
    }


def _permission_read(row: sqlite3.Row) -> dict[str, Any]:
    out: dict[str, Any] = {
        "permissionId": row["id"],
        "groupId": row["group_id"],
        "permissionType": row["permission_type"],
    }
    if row["workspace_id"] is not None:
        out["workspaceId"] = row["workspace_id"]
    if row["organization_id"] is not None:
        out["organizationId"] = row["organization_id"]
    return out


def _load(db: sqlite3.Connection, caller: str, group_id: str, rank: int) -> sqlite3.Row:
    """The group, 404 when missing or foreign to the caller, 403 below ``rank``."""
    row: sqlite3.Row | None = db.execute(
        "SELECT * FROM groups WHERE id = ?", (group_id,)
    ).fetchone()
    if row is None or security.org_rank(db, caller, row["organization_id"]) == 0:
        raise problems.not_found("group", group_id)
    security.require_org(db, caller, row["organization_id"], rank)
    return row


def _description(body: inputs.Body) -> str | None:
    value = inputs.opt_str(body, "description")
    if value is not None and len(value) > MAX_DESCRIPTION:
        raise problems.bad_request(f"description must be at most {MAX_DESCRIPTION} characters")
    return value


def _name_taken(db: sqlite3.Connection, org_id: str, name: str, but: str | None = None) -> None:
    clash = db.execute(
        "SELECT id FROM groups WHERE organization_id = ? AND name = ? AND id IS NOT ?",
        (org_id, name, but),
    ).fetchone()
    if clash is not None:
        raise _problem(
            "group-already-exists",
            "Group already exists",
            "A group with this name already exists in this organization.",
            f"a group named {name!r} already exists in this organization",
        )


@endpoint
async def list_groups(request: Request) -> Response:
    c = ctx(request)
    caller = c.user(request)
    org_id = inputs.query_uuid(request, "organizationId", required=True)
    assert org_id is not None
    page = paging.Page.of(request, deletable=False)
    with c.store.read() as db:
        security.require_org(db, caller, org_id, security.MEMBER)
        rows = db.execute(
            "SELECT * FROM groups WHERE organization_id = ? ORDER BY name, id LIMIT ? OFFSET ?",
            (org_id, page.limit, page.offset),
        ).fetchall()
        data = [group_read(db, r) for r in rows]
    return ok(page.envelope(request, "groups", data, extra=[("organizationId", org_id)]))


@endpoint
async def create_group(request: Request) -> Response:
    c = ctx(request)
    caller = c.user(request)
    body = await inputs.json_body(request, c.max_body_bytes)
    name = inputs.req_name(body)
    org_id = inputs.req_uuid(body, "organizationId")
    description = _description(body)
    with c.store.write() as db:
        if db.execute("SELECT 1 FROM organizations WHERE id = ?", (org_id,)).fetchone() is None:
            raise problems.not_found("organization", org_id)
        security.require_org(db, caller, org_id, security.ADMIN)
        _name_taken(db, org_id, name)
        group_id = str(uuid.uuid4())
        db.execute(
            "INSERT INTO groups (id, organization_id, name, description, scim, created_us)"
            " VALUES (?, ?, ?, ?, 0, ?)",
            (group_id, org_id, name, description, c.now_us()),
        )
        return ok(group_read(db, _load(db, caller, group_id, security.ADMIN)))


@endpoint
async def get_group(request: Request) -> Response:
    c = ctx(request)
    caller = c.user(request)
    group_id = inputs.path_uuid(request, "group_id")
    with c.store.read() as db:
        return ok(group_read(db, _load(db, caller, group_id, security.MEMBER)))


@endpoint
async def patch_group(request: Request) -> Response:
    c = ctx(request)
    caller = c.user(request)
    group_id = inputs.path_uuid(request, "group_id")
    body = await inputs.json_body(request, c.max_body_bytes)
    name = inputs.opt_name(body)
    description = _description(body)
    with c.store.write() as db:
        row = _load(db, caller, group_id, security.ADMIN)
        if row["scim"]:
            raise managed_by_scim(group_id)
        if name is not None:
            _name_taken(db, row["organization_id"], name, but=group_id)
        # Absent: kept; an explicit null clears the description (the field is nullable).
        kept = description if "description" in body else row["description"]
        db.execute(
            "UPDATE groups SET name = ?, description = ? WHERE id = ?",
            (row["name"] if name is None else name, kept, group_id),
        )
        return ok(group_read(db, _load(db, caller, group_id, security.ADMIN)))


@endpoint
async def delete_group(request: Request) -> Response:
    c = ctx(request)
    caller = c.user(request)
    group_id = inputs.path_uuid(request, "group_id")
    with c.store.write() as db:
        row = _load(db, caller, group_id, security.ADMIN)
        if row["scim"]:
            raise managed_by_scim(group_id)
        # Members and permissions go with it (ON DELETE CASCADE).
        db.execute("DELETE FROM groups WHERE id = ?", (group_id,))
    return Response(status_code=204)


_MEMBERS = (
    "SELECT m.id, m.group_id, m.user_id, u.email, u.name FROM group_members m"
    " JOIN users u ON u.id = m.user_id WHERE m.group_id = ?"
)


@endpoint
async def list_members(request: Request) -> Response:
    c = ctx(request)
    caller = c.user(request)
    group_id = inputs.path_uuid(request, "group_id")
    page = paging.Page.of(request, deletable=False)
    with c.store.read() as db:
        _load(db, caller, group_id, security.MEMBER)
        rows = db.execute(
            _MEMBERS + " ORDER BY m.created_us, m.id LIMIT ? OFFSET ?",
            (group_id, page.limit, page.offset),
        ).fetchall()
    data = [_member_read(r) for r in rows]
    return ok(page.envelope(request, f"groups/{group_id}/members", data))


@endpoint
async def add_member(request: Request) -> Response:
    c = ctx(request)
    caller = c.user(request)
    group_id = inputs.path_uuid(request, "group_id")
    body = await inputs.json_body(request, c.max_body_bytes)
    user_id = inputs.req_uuid(body, "userId")
    with c.store.write() as db:
        group = _load(db, caller, group_id, security.ADMIN)
        if group["scim"]:
            raise managed_by_scim(group_id)
        if db.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone() is None:
            raise problems.not_found("user", user_id)
        if security.org_rank(db, user_id, group["organization_id"]) == 0:
            raise problems.bad_request(f"user {user_id} is not a member of the organization")
        clash = db.execute(
            "SELECT 1 FROM group_members WHERE group_id = ? AND user_id = ?", (group_id, user_id)
        ).fetchone()
        if clash is not None:
            raise _problem(
                "group-member-already-exists",
                "Group member already exists",
                "This user is already a member of this group.",
                f"user {user_id} is already a member of group {group_id}",
            )
        member_id = str(uuid.uuid4())
        db.execute(
            "INSERT INTO group_members VALUES (?, ?, ?, ?)",
            (member_id, group_id, user_id, c.now_us()),
        )
        row = db.execute(_MEMBERS + " AND m.id = ?", (group_id, member_id)).fetchone()
        return JSONResponse(_member_read(row), status_code=201)


@endpoint
async def remove_member(request: Request) -> Response:
    c = ctx(request)
    caller = c.user(request)
    group_id = inputs.path_uuid(request, "group_id")
    user_id = inputs.path_uuid(request, "user_id")
    with c.store.write() as db:
        group = _load(db, caller, group_id, security.ADMIN)
        if group["scim"]:
            raise managed_by_scim(group_id)
        gone = db.execute(
            "DELETE FROM group_members WHERE group_id = ? AND user_id = ?", (group_id, user_id)
        ).rowcount
        if not gone:
            raise problems.not_found("group member", user_id)
    return Response(status_code=204)


@endpoint
async def list_group_permissions(request: Request) -> Response:
    c = ctx(request)
    caller = c.user(request)
    group_id = inputs.path_uuid(request, "group_id")
    with c.store.read() as db:
        _load(db, caller, group_id, security.MEMBER)
        rows = db.execute(
            "SELECT * FROM group_permissions WHERE group_id = ? ORDER BY created_us, id",
            (group_id,),
        ).fetchall()
    return ok({"data": [_permission_read(r) for r in rows]})


def _scope(body: inputs.Body, db: sqlite3.Connection, org_id: str) -> tuple[str | None, str | None]:
    """(workspaceId, organizationId): exactly one, inside the group's organisation."""
    workspace_id = inputs.opt_uuid(body, "workspaceId")
    scope_org = inputs.opt_uuid(body, "organizationId")
    if (workspace_id is None) == (scope_org is None):
        raise problems.bad_request("exactly one of workspaceId and organizationId is required")
    if workspace_id is not None:
        ws = db.execute(
            "SELECT organization_id FROM workspaces WHERE id = ? AND tombstone = 0",
            (workspace_id,),
        ).fetchone()
        if ws is None:
            raise problems.not_found("workspace", workspace_id)
        if ws["organization_id"] != org_id:
            raise problems.bad_request("the workspace belongs to another organization")
    elif scope_org != org_id:
        raise problems.bad_request("a group permission cannot target another organization")
    return workspace_id, scope_org


@endpoint
async def create_group_permission(request: Request) -> Response:
    c = ctx(request)
    caller = c.user(request)
    group_id = inputs.path_uuid(request, "group_id")
    body = await inputs.json_body(request, c.max_body_bytes)
    permission_type = inputs.opt_enum(body, "permissionType", GROUP_TYPES)
    if permission_type is None:
        raise problems.bad_request("permissionType is required")
    with c.store.write() as db:
        group = _load(db, caller, group_id, security.ADMIN)
        workspace_id, org_id = _scope(body, db, group["organization_id"])
        if permission_type.startswith("workspace_") != (workspace_id is not None):
            scope = "workspace" if workspace_id is not None else "organization"
            raise problems.bad_request(f"{permission_type} cannot be granted on an {scope}")
        clash = db.execute(
            "SELECT 1 FROM group_permissions WHERE group_id = ? AND permission_type = ?"
            " AND workspace_id IS ? AND organization_id IS ?",
            (group_id, permission_type, workspace_id, org_id),
        ).fetchone()
        if clash is not None:
            raise _problem(
                "group-permission-already-exists",
                "Group permission already exists",
                "An equivalent permission already exists for this group.",
                f"group {group_id} already holds {permission_type} on this scope",
            )
        permission_id = str(uuid.uuid4())
        db.execute(
            "INSERT INTO group_permissions VALUES (?, ?, ?, ?, ?, ?)",
            (permission_id, group_id, permission_type, workspace_id, org_id, c.now_us()),
        )
        row = db.execute(
            "SELECT * FROM group_permissions WHERE id = ?", (permission_id,)
        ).fetchone()
        return JSONResponse(_permission_read(row), status_code=201)


@endpoint
async def delete_group_permission(request: Request) -> Response:
    c = ctx(request)
    caller = c.user(request)
    group_id = inputs.path_uuid(request, "group_id")
    permission_id = inputs.path_uuid(request, "permission_id")
    with c.store.write() as db:
        _load(db, caller, group_id, security.ADMIN)
        gone = db.execute(
            "DELETE FROM group_permissions WHERE id = ? AND group_id = ?",
            (permission_id, group_id),
        ).rowcount
        if not gone:
            raise problems.not_found("group permission", permission_id)
    return Response(status_code=204)


_GROUP = "/groups/{group_id}"
ROUTES = [
    Route("/groups", list_groups, methods=["GET"]),
    Route("/groups", create_group, methods=["POST"]),
    Route(_GROUP, get_group, methods=["GET"]),
    Route(_GROUP, patch_group, methods=["PATCH"]),
    Route(_GROUP, delete_group, methods=["DELETE"]),
    Route(_GROUP + "/members", list_members, methods=["GET"]),
    Route(_GROUP + "/members", add_member, methods=["POST"]),
    Route(_GROUP + "/members/{user_id}", remove_member, methods=["DELETE"]),
    Route(_GROUP + "/permissions", list_group_permissions, methods=["GET"]),
    Route(_GROUP + "/permissions", create_group_permission, methods=["POST"]),
    Route(_GROUP + "/permissions/{permission_id}", delete_group_permission, methods=["DELETE"]),
]
