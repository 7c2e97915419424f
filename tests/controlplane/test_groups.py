"""``/groups`` of the embedded control plane against the published spec: shapes, pagination,
status codes and problem types, SCIM-managed groups (409 to membership changes, permissions
still manageable), organisation and role checks, and roles reaching members through groups."""

from __future__ import annotations

import httpx
import pytest

from tests.controlplane.conftest import Api, Plane, connect
from tests.controlplane.spec import check_problem as check_body
from tests.controlplane.spec import validate

pytestmark = pytest.mark.anyio


def check_problem(response: httpx.Response, schema: str) -> None:
    assert response.status_code == 409, response.text
    check_body(response.json(), schema)


async def _group(api: Api, org: str, name: str, **extra: object) -> str:
    r = await api.post("groups", json={"name": name, "organizationId": org, **extra})
    assert r.status_code == 200, r.text
    validate("api", "GroupResponse", r.json())
    group_id: str = r.json()["groupId"]
    return group_id


async def _workspace(api: Api, org: str, name: str) -> str:
    r = await api.post("workspaces", json={"name": name, "organizationId": org})
    assert r.status_code == 200, r.text
    workspace_id: str = r.json()["workspaceId"]
    return workspace_id


async def test_groups_members_and_permissions_match_the_spec(plane: Plane) -> None:
    org = plane.creds.organization_id
    alice = plane.cp.add_user("alice@acme.example", "Alice")
    async with connect(plane.cp, plane.creds) as api:
        group = await _group(api, org, "data-eng-us", description="US data engineers")
        r = await api.get(f"groups/{group}")
        assert r.json() == {
            "groupId": group,
            "name": "data-eng-us",
            "organizationId": org,
            "memberCount": 0,
            "description": "US data engineers",
        }
        r = await api.patch(f"groups/{group}", json={"description": None})
        assert r.status_code == 200 and "description" not in r.json()
        validate("api", "GroupResponse", r.json())
        r = await api.patch(f"groups/{group}", json={"name": "data-eng"})
        assert r.json()["name"] == "data-eng"

        r = await api.post(f"groups/{group}/members", json={"userId": alice})
        assert r.status_code == 201, r.text
        validate("api", "GroupMemberResponse", r.json())
        assert (r.json()["userEmail"], r.json()["userName"]) == ("alice@acme.example", "Alice")
        r = await api.post(f"groups/{group}/members", json={"userId": alice})
        check_problem(r, "GroupMemberAlreadyExistsProblemResponse")
        r = await api.get(f"groups/{group}/members")
        assert r.status_code == 200
        validate("api", "GroupMembersResponse", r.json())
        assert [m["userId"] for m in r.json()["data"]] == [alice]
        assert (await api.get(f"groups/{group}")).json()["memberCount"] == 1

        ws = await _workspace(api, org, "analytics")
        r = await api.post(
            f"groups/{group}/permissions",
            json={"permissionType": "workspace_admin", "workspaceId": ws},
        )
        assert r.status_code == 201, r.text
        validate("api", "GroupPermissionResponse", r.json())
        ws_perm = r.json()["permissionId"]
        r = await api.post(
            f"groups/{group}/permissions",
            json={"permissionType": "workspace_admin", "workspaceId": ws},
        )
        check_problem(r, "GroupPermissionAlreadyExistsProblemResponse")
        r = await api.post(
            f"groups/{group}/permissions",
            json={"permissionType": "organization_reader", "organizationId": org},
        )
        assert r.status_code == 201
        r = await api.get(f"groups/{group}/permissions")
        validate("api", "GroupPermissionsResponse", r.json())
        assert [p["permissionType"] for p in r.json()["data"]] == [
            "workspace_admin",
            "organization_reader",
        ]
        assert (await api.delete(f"groups/{group}/permissions/{ws_perm}")).status_code == 204
        assert (await api.delete(f"groups/{group}/permissions/{ws_perm}")).status_code == 404

        r = await api.get("groups", params={"organizationId": org})
        assert r.status_code == 200
        validate("api", "GroupsResponse", r.json())
        assert [g["name"] for g in r.json()["data"]] == ["data-eng"]

        assert (await api.delete(f"groups/{group}/members/{alice}")).status_code == 204
        assert (await api.delete(f"groups/{group}/members/{alice}")).status_code == 404
        assert (await api.delete(f"groups/{group}")).status_code == 204
        assert (await api.get(f"groups/{group}")).status_code == 404
    with plane.cp.store.read() as db:
        assert db.execute("SELECT COUNT(*) FROM group_permissions").fetchone()[0] == 0


async def test_bad_requests_and_name_clashes(plane: Plane) -> None:
    org = plane.creds.organization_id
    async with connect(plane.cp, plane.creds) as api:
        r = await api.get("groups")
        assert r.status_code == 400
        assert r.json()["data"]["message"] == "query parameter organizationId is required"
        group = await _group(api, org, "ops")
        other = await _group(api, org, "sre")
        check_problem(
            await api.post("groups", json={"name": "ops", "organizationId": org}),
            "GroupAlreadyExistsProblemResponse",
        )
        check_problem(
            await api.patch(f"groups/{other}", json={"name": "ops"}),
            "GroupAlreadyExistsProblemResponse",
        )
        ws = await _workspace(api, org, "analytics")
        for body, message in [
            (
                {"permissionType": "workspace_admin"},
                "exactly one of workspaceId and organizationId is required",
            ),
            (
                {"permissionType": "workspace_admin", "workspaceId": ws, "organizationId": org},
                "exactly one of workspaceId and organizationId is required",
            ),
            (
                {"permissionType": "organization_admin", "workspaceId": ws},
                "organization_admin cannot be granted on an workspace",
            ),
        ]:
            r = await api.post(f"groups/{group}/permissions", json=body)
            assert (r.status_code, r.json()["data"]["message"]) == (400, message)
        r = await api.post(
            f"groups/{group}/permissions",
            json={"permissionType": "instance_admin", "organizationId": org},
        )
        assert r.status_code == 422


async def test_paginated_lists_follow_limit_and_offset(plane: Plane) -> None:
    org = plane.creds.organization_id
    users = [plane.cp.add_user(f"u{i}@acme.example") for i in range(3)]
    async with connect(plane.cp, plane.creds) as api:
        for i in range(5):
            await _group(api, org, f"g{i}")
        r = await api.get("groups", params={"organizationId": org, "limit": 2, "offset": 2})
        body = r.json()
        assert [g["name"] for g in body["data"]] == ["g2", "g3"]
        assert body["next"].endswith(f"/v1/groups?organizationId={org}&limit=2&offset=4")
        assert body["previous"].endswith(f"/v1/groups?organizationId={org}&limit=2&offset=0")
        group = body["data"][0]["groupId"]
        for user in users:
            await api.post(f"groups/{group}/members", json={"userId": user})
        r = await api.get(f"groups/{group}/members", params={"limit": 2, "offset": 2})
        assert [m["userId"] for m in r.json()["data"]] == users[2:]


async def test_a_scim_group_refuses_membership_changes_but_takes_permissions(
    plane: Plane,
) -> None:
    org = plane.creds.organization_id
    plane.cp.add_user("alice@acme.example")
    bob = plane.cp.add_user("bob@acme.example")
    group = plane.cp.add_group("okta-admins", members=("alice@acme.example",), scim=True)
    async with connect(plane.cp, plane.creds) as api:
        before = plane.cp.store.dump()
        for r in (
            await api.post(f"groups/{group}/members", json={"userId": bob}),
            await api.delete(f"groups/{group}/members/{bob}"),
            await api.patch(f"groups/{group}", json={"description": "x"}),
            await api.delete(f"groups/{group}"),
        ):
            check_problem(r, "GroupManagedByScimProblemResponse")
        assert plane.cp.store.dump() == before
        r = await api.post(
            f"groups/{group}/permissions",
            json={"permissionType": "organization_editor", "organizationId": org},
        )
        assert r.status_code == 201
        assert (await api.get(f"groups/{group}")).json()["memberCount"] == 1


async def test_roles_and_organisations_are_checked(plane: Plane) -> None:
    org = plane.creds.organization_id
    other_org = plane.cp.add_organization("other")
    foreign = plane.cp.add_group("theirs", organization_id=other_org)
    plane.cp.add_user("viewer@acme.example")
    client_id, secret = plane.cp.add_application("viewer@acme.example")
    async with connect(plane.cp, plane.creds) as api:
        group = await _group(api, org, "ops")
        assert (await api.get(f"groups/{foreign}")).status_code == 404
        r = await api.get("groups", params={"organizationId": other_org})
        assert r.status_code == 403
        r = await api.post("groups", json={"name": "x", "organizationId": other_org})
        assert r.status_code == 403
    async with connect(plane.cp, plane.creds, client_id=client_id, client_secret=secret) as viewer:
        assert (await viewer.get(f"groups/{group}")).status_code == 200
        r = await viewer.post("groups", json={"name": "mine", "organizationId": org})
        assert r.status_code == 403
        r = await viewer.post(
            f"groups/{group}/permissions",
            json={"permissionType": "organization_admin", "organizationId": org},
        )
        assert r.status_code == 403
    assert (await _unauthenticated(plane, f"groups?organizationId={org}")) == 401


async def _unauthenticated(plane: Plane, path: str) -> int:
    async with connect(plane.cp, plane.creds) as api:
        r = await api.client.get(path)
        return r.status_code


async def test_a_role_held_through_a_group_reaches_its_members(plane: Plane) -> None:
    org = plane.creds.organization_id
    plane.cp.add_user("ops@acme.example")
    client_id, secret = plane.cp.add_application("ops@acme.example")
    async with connect(plane.cp, plane.creds) as api:
        group = await _group(api, org, "admins")
        users = (await api.get("users", params={"organizationId": org})).json()["data"]
        ops = next(u["id"] for u in users if u["email"] == "ops@acme.example")
        await api.post(f"groups/{group}/members", json={"userId": ops})
    async with connect(plane.cp, plane.creds, client_id=client_id, client_secret=secret) as user:
        r = await user.post("groups", json={"name": "mine", "organizationId": org})
        assert r.status_code == 403
    async with connect(plane.cp, plane.creds) as api:
        await api.post(
            f"groups/{group}/permissions",
            json={"permissionType": "organization_admin", "organizationId": org},
        )
    async with connect(plane.cp, plane.creds, client_id=client_id, client_secret=secret) as user:
        r = await user.post("groups", json={"name": "mine", "organizationId": org})
        assert r.status_code == 200
