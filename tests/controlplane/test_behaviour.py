"""The real server's behaviour that a reconciler depends on: soft deletes and their cascade,
names that stay taken, non-unique data-plane names, dataResidency, pagination links, users and
permission rules."""

from __future__ import annotations

import pytest

from tests.controlplane.conftest import Api, Plane, connect

pytestmark = pytest.mark.anyio


async def _region(api: Api, org: str, name: str) -> str:
    r = await api.post("regions", json={"name": name, "organizationId": org})
    assert r.status_code == 200, r.text
    region_id: str = r.json()["regionId"]
    return region_id


async def test_region_delete_is_soft_cascades_and_keeps_the_name(plane: Plane) -> None:
    org = plane.creds.organization_id
    async with connect(plane.cp, plane.creds) as api:
        region = await _region(api, org, "AU")
        dp = (await api.post("dataplanes", json={"name": "a", "regionId": region})).json()
        other = await _region(api, org, "US-west")
        kept = (await api.post("dataplanes", json={"name": "b", "regionId": other})).json()

        r = await api.delete(f"regions/{region}")
        assert r.status_code == 200 and r.json()["name"] == "AU"
        listed = [
            x["regionId"] for x in (await api.get("regions", params={"organizationId": org})).json()
        ]
        assert region not in listed and other in listed
        assert (await api.get(f"regions/{region}")).status_code == 200  # still readable by id
        assert (await api.patch(f"regions/{region}", json={"enabled": False})).status_code == 404
        assert (await api.delete(f"regions/{region}")).status_code == 404

        planes = [x["dataplaneId"] for x in (await api.get("dataplanes")).json()]
        assert planes == [kept["dataplaneId"]]
        r = await api.client.post(
            "http://embedded/api/v1/dataplanes/token",
            json={"client_id": dp["clientId"], "client_secret": dp["clientSecret"]},
        )
        assert r.status_code == 401

        r = await api.post("regions", json={"name": "AU", "organizationId": org})
        assert r.status_code == 409
        r = await api.patch(f"regions/{other}", json={"name": "AU"})
        assert r.status_code == 409
        assert (await api.post("regions", json={"name": "au", "organizationId": org})).is_success


async def test_dataplane_names_are_not_unique_and_region_is_fixed(plane: Plane) -> None:
    org = plane.creds.organization_id
    async with connect(plane.cp, plane.creds) as api:
        region = await _region(api, org, "EU-central")
        other = await _region(api, org, "EU-west")
        first = (await api.post("dataplanes", json={"name": "dp", "regionId": region})).json()
        second = (await api.post("dataplanes", json={"name": "dp", "regionId": region})).json()
        assert first["dataplaneId"] != second["dataplaneId"]
        assert first["clientId"] != second["clientId"]
        r = await api.patch(
            f"dataplanes/{first['dataplaneId']}", json={"regionId": other, "enabled": False}
        )
        assert r.status_code == 200
        assert r.json()["regionId"] == region and r.json()["enabled"] is False
        r = await api.get("dataplanes", params={"regionIds": [other]})
        assert r.json() == []
        r = await api.get("dataplanes", params={"regionIds": f"{region},{other}"})
        assert len(r.json()) == 2
        r = await api.post("dataplanes", json={"name": "x", "regionId": plane.creds.client_id})
        assert r.status_code == 404


async def test_managed_regions_are_listed_readable_and_not_writable(plane: Plane) -> None:
    org = plane.creds.organization_id
    async with connect(plane.cp, plane.creds) as api:
        managed = [
            x
            for x in (await api.get("regions", params={"organizationId": org})).json()
            if x["organizationId"] == "00000000-0000-0000-0000-000000000000"
        ]
        assert sorted(x["name"] for x in managed) == ["EU", "US"]
        us = next(x["regionId"] for x in managed if x["name"] == "US")
        assert (await api.get(f"regions/{us}")).status_code == 200
        assert (await api.patch(f"regions/{us}", json={"enabled": False})).status_code == 403
        assert (await api.delete(f"regions/{us}")).status_code == 403
        assert (await api.post("dataplanes", json={"name": "x", "regionId": us})).status_code == 403
        r = await api.post("workspaces", json={"name": "eu", "regionId": managed[0]["regionId"]})
        assert r.json()["dataResidency"] == managed[0]["name"].lower()
        r = await api.post("workspaces", json={"name": "default"})
        assert r.json()["dataResidency"] == "us"


async def test_workspace_region_change_and_notifications_patch(plane: Plane) -> None:
    org = plane.creds.organization_id
    async with connect(plane.cp, plane.creds) as api:
        region = await _region(api, org, "AWS-ap-southeast-2")
        ws = (
            await api.post(
                "workspaces",
                json={"name": "au", "notifications": {"success": {"email": {"enabled": True}}}},
            )
        ).json()
        assert ws["notifications"]["success"]["email"]["enabled"] is True
        assert ws["notifications"]["failure"]["email"]["enabled"] is True
        r = await api.patch(
            f"workspaces/{ws['workspaceId']}",
            json={
                "regionId": region,
                "notifications": {"failure": {"webhook": {"enabled": True, "url": "https://h"}}},
            },
        )
        body = r.json()
        assert body["dataResidency"] == "aws-ap-southeast-2"
        assert body["notifications"]["failure"] == {
            "email": {"enabled": True},
            "webhook": {"enabled": True, "url": "https://h"},
        }
        assert body["notifications"]["success"]["email"]["enabled"] is True
        r = await api.patch(
            f"workspaces/{ws['workspaceId']}",
            json={"notifications": {"failure": {"webhook": {"enabled": "yes"}}}},
        )
        assert r.status_code == 422
        assert (await api.delete(f"workspaces/{ws['workspaceId']}")).status_code == 204
        assert (await api.get(f"workspaces/{ws['workspaceId']}")).status_code == 404
        assert (await api.delete(f"workspaces/{ws['workspaceId']}")).status_code == 404


async def test_pagination_next_is_set_on_every_non_empty_page(plane: Plane) -> None:
    async with connect(plane.cp, plane.creds) as api:
        ids = []
        for i in range(5):
            ids.append((await api.post("workspaces", json={"name": f"w{i}"})).json()["workspaceId"])
        first = (await api.get("workspaces", params={"limit": 2})).json()
        assert [w["name"] for w in first["data"]] == ["w0", "w1"]
        assert first["next"] == (
            "http://embedded/v1/workspaces?includeDeleted=false&limit=2&offset=2"
        )
        assert first["previous"] == ""
        last = (await api.get("workspaces", params={"limit": 2, "offset": 4})).json()
        assert [w["name"] for w in last["data"]] == ["w4"]
        assert last["next"].endswith("limit=2&offset=6")  # set although the page is short
        assert last["previous"].endswith("limit=2&offset=2")
        empty = (await api.get("workspaces", params={"limit": 2, "offset": 6})).json()
        assert empty == {"data": [], "next": "", "previous": empty["previous"]}
        await api.delete(f"workspaces/{ids[0]}")
        names = [w["name"] for w in (await api.get("workspaces")).json()["data"]]
        assert names == ["w1", "w2", "w3", "w4"]
        r = await api.get("workspaces", params={"includeDeleted": "true", "workspaceIds": ids[:2]})
        body = r.json()
        assert [w["name"] for w in body["data"]] == ["w0", "w1"]
        assert f"workspaceIds={ids[0]}%2C{ids[1]}" in body["next"]
        for bad in (
            {"limit": 0},
            {"limit": "x"},
            {"offset": -1},
            {"includeDeleted": "maybe"},
            {"workspaceIds": "nope"},
        ):
            assert (await api.get("workspaces", params=bad)).status_code == 400


async def test_users_and_permission_rules(plane: Plane) -> None:
    org = plane.creds.organization_id
    bob = plane.cp.add_user("Bob@Example.com", "Bob")
    assert plane.cp.add_user("bob@example.com") == bob  # idempotent by e-mail, any case
    async with connect(plane.cp, plane.creds) as api:
        ws = (await api.post("workspaces", json={"name": "w"})).json()["workspaceId"]
        users = (await api.get("users", params={"organizationId": org})).json()["data"]
        assert sorted(u["email"] for u in users) == ["Bob@Example.com", "admin@flexctl.local"]
        r = await api.get(
            "users",
            params=[
                ("organizationId", org),
                ("emails", "BOB@example.com"),
                ("emails", "nobody@example.com"),
            ],
        )
        assert [u["id"] for u in r.json()["data"]] == [bob]
        assert (await api.get("users")).status_code == 400

        async def grant(**body: object) -> int:
            return (await api.post("permissions", json=body)).status_code

        both = await api.post(
            "permissions",
            json={
                "permissionType": "workspace_reader",
                "userId": bob,
                "workspaceId": ws,
                "organizationId": org,
            },
        )
        assert both.status_code == 400
        assert both.json()["data"]["message"].startswith("A permission cannot target both")
        neither = await api.post(
            "permissions", json={"permissionType": "workspace_reader", "userId": bob}
        )
        assert neither.json()["data"]["message"].startswith("Workspace ID or Organization ID")
        assert await grant(permissionType="organization_admin", userId=bob, workspaceId=ws) == 400
        assert await grant(permissionType="instance_admin", userId=bob, organizationId=org) == 422
        assert await grant(permissionType="WORKSPACE_READER", userId=bob, workspaceId=ws) == 200
        assert await grant(permissionType="workspace_admin", userId=bob, workspaceId=ws) == 409
        unknown = "22222222-2222-2222-2222-222222222222"
        assert await grant(permissionType="workspace_reader", userId=unknown, workspaceId=ws) == 404

        r = await api.get("permissions", params={"userId": bob})
        assert r.status_code == 400  # another user's permissions need organizationId
        listed = await api.get("permissions", params={"userId": bob, "organizationId": org})
        scopes = sorted((p["scope"], p["permissionType"]) for p in listed.json()["data"])
        assert scopes == [
            ("organization", "organization_member"),
            ("workspace", "workspace_reader"),
        ]
        mine = (await api.get("permissions")).json()["data"]
        assert [p["permissionType"] for p in mine] == ["organization_admin"]
