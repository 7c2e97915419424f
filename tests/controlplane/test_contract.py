"""Every response of every endpoint against the published schemas, and the documented quirks
where the published spec is wrong (bare arrays, 204 deletes, dataResidency, config.yaml's
DataplaneCreateResponseBody)."""

from __future__ import annotations

import httpx
import pytest

from tests.controlplane.conftest import Plane, connect
from tests.controlplane.spec import check_problem, validate

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("prefix", ["/api/public/v1", "/v1"])
async def test_every_endpoint_matches_the_spec(plane: Plane, prefix: str) -> None:
    base = "http://embedded" + prefix
    org = plane.creds.organization_id
    async with connect(plane.cp, plane.creds, base_url=None) as api:
        api.client.base_url = httpx.URL(base + "/")

        # token: JSON with grant_type, JSON with grant-type, JSON without, form-encoded
        for body in (
            {"grant_type": "client_credentials"},
            {"grant-type": "client_credentials"},
            {},
        ):
            r = await api.client.post(
                "applications/token",
                json={
                    "client_id": plane.creds.client_id,
                    "client_secret": plane.creds.client_secret,
                    **body,
                },
            )
            assert r.status_code == 200
            validate("api", "PublicAccessTokenResponse", r.json())
        r = await api.client.post(
            "applications/token",
            data={
                "grant_type": "client_credentials",
                "client_id": plane.creds.client_id,
                "client_secret": plane.creds.client_secret,
            },
        )
        assert r.status_code == 200 and r.json()["expires_in"] == 900
        validate("api", "PublicAccessTokenResponse", r.json())

        # applications
        r = await api.post("applications", json={"name": "ci"})
        assert r.status_code == 200
        validate("api", "ApplicationRead", r.json())
        app_id = r.json()["id"]
        for r in (await api.get("applications"),):
            assert r.status_code == 200
            validate("api", "ApplicationReadList", r.json())
        r = await api.get(f"applications/{app_id}")
        validate("api", "ApplicationRead", r.json())
        r = await api.delete(f"applications/{app_id}")
        assert r.status_code == 200
        validate("api", "ApplicationRead", r.json())

        # organizations
        r = await api.get("organizations")
        assert r.status_code == 200
        validate("api", "OrganizationsResponse", r.json())
        assert [o["organizationId"] for o in r.json()["data"]] == [org]

        # regions: bare array (the spec says {data}); items are RegionResponse
        r = await api.post("regions", json={"name": "AWS-us-east-1", "organizationId": org})
        assert r.status_code == 200
        validate("api", "RegionResponse", r.json())
        region_id = r.json()["regionId"]
        r = await api.get("regions", params={"organizationId": org})
        assert r.status_code == 200 and isinstance(r.json(), list)
        validate("api", "RegionsResponse", {"data": r.json()})
        assert {x["name"] for x in r.json()} == {"AWS-us-east-1", "US", "EU"}
        r = await api.get(f"regions/{region_id}")
        validate("api", "RegionResponse", r.json())
        r = await api.patch(f"regions/{region_id}", json={"enabled": False})
        assert r.status_code == 200 and r.json()["enabled"] is False
        validate("api", "RegionResponse", r.json())

        # data planes: create answers config.yaml's body; list is a bare array
        r = await api.post("dataplanes", json={"name": "dp", "regionId": region_id})
        assert r.status_code == 200
        validate("config", "DataplaneCreateResponseBody", r.json())
        dataplane = r.json()
        r = await api.get("dataplanes", params={"regionIds": region_id})
        assert isinstance(r.json(), list)
        validate("api", "DataplanesResponse", {"data": r.json()})
        r = await api.get(f"dataplanes/{dataplane['dataplaneId']}")
        validate("api", "DataplaneResponse", r.json())
        assert "clientSecret" not in r.json() and "clientId" not in r.json()
        r = await api.patch(f"dataplanes/{dataplane['dataplaneId']}", json={"name": "dp2"})
        validate("api", "DataplaneResponse", r.json())

        # the data plane's own endpoints (config.yaml)
        r = await api.client.post(
            "http://embedded/api/v1/dataplanes/token",
            json={"client_id": dataplane["clientId"], "client_secret": dataplane["clientSecret"]},
        )
        assert r.status_code == 200
        validate("config", "AccessToken", r.json())
        r = await api.client.post(
            "http://embedded/api/v1/dataplanes/heartbeat",
            json={"client_id": dataplane["clientId"]},
            headers={"Authorization": f"Bearer {r.json()['access_token']}"},
        )
        assert r.status_code == 200
        validate("config", "DataplaneHeartbeatResponse", r.json())

        # workspaces: written with regionId, read back with dataResidency
        r = await api.post("workspaces", json={"name": "us-data", "regionId": region_id})
        assert r.status_code == 200
        validate("api", "WorkspaceResponse", r.json())
        assert r.json()["dataResidency"] == "aws-us-east-1"
        assert "regionId" not in r.json() and "organizationId" not in r.json()
        workspace_id = r.json()["workspaceId"]
        r = await api.get("workspaces")
        validate("api", "WorkspacesResponse", r.json())
        r = await api.get(f"workspaces/{workspace_id}")
        validate("api", "WorkspaceResponse", r.json())
        r = await api.patch(f"workspaces/{workspace_id}", json={"name": "renamed"})
        validate("api", "WorkspaceResponse", r.json())

        # users and permissions
        bob = plane.cp.add_user("bob@example.com", "Bob")
        r = await api.get("users", params={"organizationId": org, "emails": "bob@example.com"})
        assert r.status_code == 200
        validate("api", "UsersResponse", r.json())
        assert [u["id"] for u in r.json()["data"]] == [bob]
        r = await api.post(
            "permissions",
            json={"permissionType": "workspace_reader", "userId": bob, "workspaceId": workspace_id},
        )
        assert r.status_code == 200
        validate("api", "PermissionResponse", r.json())
        permission_id = r.json()["permissionId"]
        r = await api.get("permissions", params={"userId": bob, "organizationId": org})
        validate("api", "PermissionsResponse", r.json())
        r = await api.get(f"permissions/{permission_id}")
        validate("api", "PermissionResponse", r.json())
        r = await api.patch(
            f"permissions/{permission_id}", json={"permissionType": "workspace_editor"}
        )
        validate("api", "PermissionResponse", r.json())
        r = await api.delete(f"permissions/{permission_id}")
        assert r.status_code == 204 and r.content == b""

        # deletes: workspace 204 without a body; data plane and region 200 with the object
        r = await api.delete(f"workspaces/{workspace_id}")
        assert r.status_code == 204 and r.content == b""
        r = await api.delete(f"dataplanes/{dataplane['dataplaneId']}")
        assert r.status_code == 200
        validate("api", "DataplaneResponse", r.json())
        r = await api.delete(f"regions/{region_id}")
        assert r.status_code == 200
        validate("api", "RegionResponse", r.json())


async def test_problem_bodies_have_the_real_types_and_titles(plane: Plane) -> None:
    org = plane.creds.organization_id
    async with connect(plane.cp, plane.creds) as api:
        r = await api.client.get("workspaces")
        assert r.status_code == 401
        check_problem(r.json(), "InvalidApiKeyProblemResponse")
        r = await api.client.post(
            "applications/token", json={"client_id": "x", "client_secret": "y"}
        )
        assert r.status_code == 401
        check_problem(r.json(), "InvalidApiKeyProblemResponse")

        r = await api.post("regions", content=b"{not json")
        assert r.status_code == 400
        check_problem(r.json(), "BadRequestProblemResponse")
        r = await api.post("regions", json={"organizationId": org})
        assert r.status_code == 400 and r.json()["data"]["message"] == "name is required"
        check_problem(r.json(), "BadRequestProblemResponse")
        r = await api.get("workspaces", params={"limit": 101})
        assert r.status_code == 400
        check_problem(r.json(), "BadRequestProblemResponse")

        r = await api.post("regions", json={"name": 5, "organizationId": org})
        assert r.status_code == 422
        check_problem(r.json(), "UnprocessableEntityProblemResponse")
        r = await api.post("regions", json=[1, 2])
        assert r.status_code == 422
        check_problem(r.json(), "UnprocessableEntityProblemResponse")

        other_org = "11111111-1111-1111-1111-111111111111"
        r = await api.get("regions", params={"organizationId": other_org})
        assert r.status_code == 403
        check_problem(r.json(), "ForbiddenProblemResponse")

        r = await api.get("regions/7ea284f3-46b6-4361-801e-44b21bcf1bda")
        assert r.status_code == 404
        check_problem(r.json(), "ResourceNotFoundProblemResponse")
        r = await api.get("no/such/route")
        assert r.status_code == 404
        check_problem(r.json(), "ResourceNotFoundProblemResponse")

        assert (await api.post("regions", json={"name": "AU", "organizationId": org})).is_success
        r = await api.post("regions", json={"name": "AU", "organizationId": org})
        assert r.status_code == 409
        check_problem(r.json(), "DataplaneGroupNameAlreadyExistsProblemResponse")

        r = await api.post("regions", content=b"x" * ((1 << 20) + 1))
        assert r.status_code == 413  # no Airbyte type exists; keeps the bad-request one
        assert r.json()["title"] == "bad-request" and r.json()["status"] == 413
        assert r.headers["content-type"] == "application/json"
