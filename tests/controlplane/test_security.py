"""Authentication, expiry, roles, hashed secrets, bootstrap and persistence across restarts."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import httpx
import pytest

from reconciler.controlplane import ControlPlane, open_embedded
from reconciler.errors import StateError
from tests.controlplane.conftest import FakeClock, Plane, connect, get_token

pytestmark = pytest.mark.anyio

PROTECTED = [
    ("GET", "applications"),
    ("POST", "applications"),
    ("GET", "organizations"),
    ("GET", "regions?organizationId=00000000-0000-0000-0000-000000000000"),
    ("POST", "regions"),
    ("GET", "dataplanes"),
    ("POST", "dataplanes"),
    ("GET", "workspaces"),
    ("POST", "workspaces"),
    ("GET", "users"),
    ("GET", "permissions"),
    ("POST", "permissions"),
    ("DELETE", "workspaces/7ea284f3-46b6-4361-801e-44b21bcf1bda"),
]


async def test_every_endpoint_but_the_token_ones_needs_a_bearer(plane: Plane) -> None:
    async with connect(plane.cp, plane.creds) as api:
        for method, path in PROTECTED:
            for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
                r = await api.client.request(method, path, headers=headers, json={})
                assert r.status_code == 401, (method, path, headers)
        r = await api.client.get("http://embedded/_embedded/dataplanes/status")
        assert r.status_code == 401
        r = await api.client.post("http://embedded/api/v1/dataplanes/heartbeat", json={})
        assert r.status_code == 401


async def test_tokens_expire(tmp_path: Path) -> None:
    clock = FakeClock()
    cp = ControlPlane(tmp_path / "cp.db", token_ttl=60, clock=clock)
    creds = cp.bootstrap(tmp_path / "creds.json")
    async with connect(cp, creds) as api:
        r = await api.client.post(
            "applications/token",
            json={"client_id": creds.client_id, "client_secret": creds.client_secret},
        )
        assert r.json()["expires_in"] == 60
        clock.now += 59
        assert (await api.get("workspaces")).status_code == 200
        clock.now += 1
        assert (await api.get("workspaces")).status_code == 401
    cp.close()


async def test_roles_come_from_the_applications_user(plane: Plane) -> None:
    org = plane.creds.organization_id
    plane.cp.add_user("reader@example.com")
    client_id, secret = plane.cp.add_application("reader@example.com")
    async with connect(plane.cp, plane.creds) as admin:
        region = (await admin.post("regions", json={"name": "R", "organizationId": org})).json()
        ws = (await admin.post("workspaces", json={"name": "w"})).json()["workspaceId"]
        async with connect(
            plane.cp, plane.creds, client_id=client_id, client_secret=secret
        ) as member:
            # organization_member: no regions, no data planes, no workspaces
            assert (await member.get("regions", params={"organizationId": org})).status_code == 403
            assert (await member.get(f"regions/{region['regionId']}")).status_code == 403
            assert (
                await member.post("dataplanes", json={"name": "x", "regionId": region["regionId"]})
            ).status_code == 403
            assert (await member.get("dataplanes")).json() == []
            r = await member.client.get(
                "http://embedded/_embedded/dataplanes/status", headers=member.auth
            )
            assert r.status_code == 403
            assert (await member.get(f"workspaces/{ws}")).status_code == 403
            assert (await member.post("workspaces", json={"name": "x"})).status_code == 403
            assert (await member.get("workspaces")).json()["data"] == []
            assert (await member.get("users", params={"organizationId": org})).status_code == 200
            me = (await member.get("permissions")).json()["data"]
            assert [p["permissionType"] for p in me] == ["organization_member"]

            reader = await admin.post(
                "permissions",
                json={
                    "permissionType": "workspace_reader",
                    "userId": me[0]["userId"],
                    "workspaceId": ws,
                },
            )
            assert (await member.get(f"workspaces/{ws}")).status_code == 200
            assert (await member.patch(f"workspaces/{ws}", json={"name": "n"})).status_code == 403
            assert (
                await member.post(
                    "permissions",
                    json={
                        "permissionType": "workspace_admin",
                        "userId": me[0]["userId"],
                        "workspaceId": ws,
                    },
                )
            ).status_code == 403
            await admin.patch(
                f"permissions/{reader.json()['permissionId']}",
                json={"permissionType": "workspace_editor"},
            )
            assert (await member.patch(f"workspaces/{ws}", json={"name": "n"})).status_code == 200
            # applications are per user
            assert (await member.get("applications")).json()["applications"][0][
                "clientId"
            ] == client_id
            admin_apps = (await admin.get("applications")).json()["applications"]
            assert (await member.get(f"applications/{admin_apps[0]['id']}")).status_code == 404


async def test_dataplane_tokens_and_deleted_credentials(plane: Plane) -> None:
    org = plane.creds.organization_id
    async with connect(plane.cp, plane.creds) as api:
        region = (await api.post("regions", json={"name": "R", "organizationId": org})).json()
        dp = await api.post("dataplanes", json={"name": "d", "regionId": region["regionId"]})
        dp_body = dp.json()
        assert plane.cp.dataplane_status()[0].last_token_at is None
        # the launcher's form: JSON {client_id, client_secret}
        r = await api.client.post(
            "http://embedded/api/v1/dataplanes/token",
            json={"client_id": dp_body["clientId"], "client_secret": dp_body["clientSecret"]},
        )
        dp_token = {"Authorization": f"Bearer {r.json()['access_token']}"}
        assert (await api.client.get("workspaces", headers=dp_token)).status_code == 403
        r = await api.client.post(
            "http://embedded/api/v1/dataplanes/heartbeat", headers=api.auth, json={}
        )
        assert r.status_code == 403  # a user token is no data-plane token
        r = await api.client.post(
            "http://embedded/api/v1/dataplanes/heartbeat",
            headers=dp_token,
            json={"client_id": "someone-else"},
        )
        assert r.status_code == 403
        r = await api.client.post("http://embedded/api/v1/dataplanes/heartbeat", headers=dp_token)
        assert r.status_code == 200
        status = plane.cp.dataplane_status()
        assert status[0].last_token_at is not None and status[0].last_heartbeat_at is not None
        view = await api.client.get("http://embedded/_embedded/dataplanes/status", headers=api.auth)
        assert view.json()["data"][0]["lastHeartbeatAt"] == status[0].last_heartbeat_at

        wrong = await api.client.post(
            "http://embedded/api/v1/dataplanes/token",
            json={"client_id": dp_body["clientId"], "client_secret": "wrong"},
        )
        assert wrong.status_code == 401
        await api.delete(f"dataplanes/{dp_body['dataplaneId']}")
        r = await api.client.post("http://embedded/api/v1/dataplanes/heartbeat", headers=dp_token)
        assert r.status_code == 401
        r = await api.client.post(
            "http://embedded/api/v1/dataplanes/token",
            json={"client_id": dp_body["clientId"], "client_secret": dp_body["clientSecret"]},
        )
        assert r.status_code == 401
        assert plane.cp.dataplane_status() == []


async def test_secrets_are_stored_hashed(plane: Plane) -> None:
    org = plane.creds.organization_id
    async with connect(plane.cp, plane.creds) as api:
        app = (await api.post("applications", json={"name": "x"})).json()
        region = (await api.post("regions", json={"name": "R", "organizationId": org})).json()
        dp = await api.post("dataplanes", json={"name": "d", "regionId": region["regionId"]})
        listed = (await api.get("applications")).json()["applications"]
        assert all(a["clientSecret"] == "**********" for a in listed)
        assert (await api.get(f"applications/{app['id']}")).json()["clientSecret"] != app[
            "clientSecret"
        ]
        secrets = [
            plane.creds.client_secret,
            app["clientSecret"],
            dp.json()["clientSecret"],
            api.token,
        ]
    plane.cp.close()
    db_bytes = b"".join(
        p.read_bytes() for p in plane.state_dir.joinpath("controlplane").glob("controlplane.db*")
    )
    for secret in secrets:
        assert secret.encode() not in db_bytes


async def test_bootstrap_is_idempotent_private_and_survives_restarts(tmp_path: Path) -> None:
    state = tmp_path / "state"
    cp, creds = open_embedded(state, organization_id="8F4C1E2A-0000-4000-8000-000000000001")
    assert creds.organization_id == "8f4c1e2a-0000-4000-8000-000000000001"
    assert creds.url == "http://embedded/api/public/v1"
    assert creds.client_secret not in repr(creds)
    path = state / "controlplane" / "admin-credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["client_id"] == creds.client_id
    async with connect(cp, creds) as api:
        ws = (await api.post("workspaces", json={"name": "kept"})).json()["workspaceId"]
    cp.close()

    cp2, again = open_embedded(state)
    assert again == creds
    async with connect(cp2, again) as api:
        assert (await api.get(f"workspaces/{ws}")).json()["name"] == "kept"
    cp2.close()

    with pytest.raises(StateError, match="belongs to organization 8f4c1e2a"):
        open_embedded(state, organization_id="00000000-0000-4000-8000-000000000002")

    path.unlink()  # lost file: a fresh application, same organisation
    cp3, fresh = open_embedded(state)
    assert fresh.client_id != creds.client_id
    assert fresh.organization_id == creds.organization_id
    async with httpx.AsyncClient(transport=cp3.transport(), base_url=fresh.url + "/") as client:
        await get_token(client, fresh.client_id, fresh.client_secret)
    cp3.close()


async def test_another_organisations_permission_is_not_found_not_forbidden(plane: Plane) -> None:
    # The real API answers 404 for an object of an organisation the caller is not in: a 403
    # would confirm that the id exists and name the workspace it belongs to.
    other = plane.cp.add_organization("globex")
    plane.cp.add_user("owner@globex.example", organization_id=other, role="organization_admin")
    ana = plane.cp.add_user("ana@globex.example", organization_id=other)
    client_id, secret = plane.cp.add_application("owner@globex.example")
    async with connect(plane.cp, plane.creds, client_id=client_id, client_secret=secret) as globex:
        ws = (await globex.post("workspaces", json={"name": "g", "organizationId": other})).json()
        grant = await globex.post(
            "permissions",
            json={
                "permissionType": "workspace_reader",
                "userId": ana,
                "workspaceId": ws["workspaceId"],
            },
        )
        own = (await globex.get("permissions")).json()["data"]
    # One workspace-scoped and one organisation-scoped permission of globex.
    ids = [grant.json()["permissionId"], own[0]["permissionId"]]
    async with connect(plane.cp, plane.creds) as acme:
        for permission_id in ids:
            answers = [
                await acme.get(f"permissions/{permission_id}"),
                await acme.patch(
                    f"permissions/{permission_id}", json={"permissionType": "workspace_editor"}
                ),
                await acme.delete(f"permissions/{permission_id}"),
            ]
            assert [a.status_code for a in answers] == [404, 404, 404], permission_id
            for answer in answers:
                assert ws["workspaceId"] not in answer.text and other not in answer.text
