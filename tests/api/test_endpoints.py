"""Each endpoint sends what the server expects and returns what it answered."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reconciler.api import ApiClient, ConnectionSettingsError, ServerError
from reconciler.api.types import Secret

from .fakeapi import ORG, FakeApi, body, ok, problem, run

REGION = {"regionId": "r-1", "name": "eu-1", "organizationId": ORG, "enabled": True}
DATAPLANE = {"dataplaneId": "d-1", "name": "dp", "regionId": "r-1", "enabled": True}
WORKSPACE = {"workspaceId": "w-1", "name": "ws", "dataResidency": "eu-1", "notifications": {}}
PERMISSION = {"permissionId": "p-1", "permissionType": "workspace_admin", "userId": "u-1"}


async def each_call(client: ApiClient) -> None:
    await client.create_region(name="eu-1", organization_id=ORG, enabled=False)
    await client.update_region("r-1", enabled=True)
    await client.delete_region("r-1")
    await client.update_dataplane("d-1", name="dp2")
    await client.delete_dataplane("d-1")
    await client.create_workspace(
        name="ws",
        region_id="r-1",
        organization_id=None,
        notifications={"failure": {"email": {"enabled": True}}},
    )
    await client.update_workspace("w-1", region_id="r-2")
    await client.delete_workspace("w-1")
    await client.list_permissions(user_id="u-1", organization_id=ORG)
    await client.create_permission(
        user_id="u-1", permission_type="workspace_admin", workspace_id="w-1"
    )
    await client.update_permission("p-1", permission_type="workspace_reader")
    await client.delete_permission("p-1")


def test_request_bodies_follow_the_server(api: FakeApi) -> None:
    api.on("POST", "/v1/regions", ok(REGION))
    api.on("PATCH", "/v1/regions/r-1", ok(REGION))
    api.on("DELETE", "/v1/regions/r-1", ok(REGION))
    api.on("PATCH", "/v1/dataplanes/d-1", ok(DATAPLANE))
    api.on("DELETE", "/v1/dataplanes/d-1", ok(DATAPLANE))
    api.on("POST", "/v1/workspaces", ok(WORKSPACE))
    api.on("PATCH", "/v1/workspaces/w-1", ok(WORKSPACE))
    api.on("DELETE", "/v1/workspaces/w-1", httpx.Response(204))
    scoped = {**PERMISSION, "scope": "workspace", "scopeId": "w-1"}
    api.on("GET", "/v1/permissions", ok({"data": [scoped]}))
    api.on("POST", "/v1/permissions", ok({**PERMISSION, "workspaceId": "w-1"}))
    api.on("PATCH", "/v1/permissions/p-1", ok(PERMISSION))
    api.on("DELETE", "/v1/permissions/p-1", httpx.Response(204))

    async def scenario() -> None:
        async with api.client() as client:
            await each_call(client)

    run(scenario())
    sent = [
        (r.method, r.url.path, body(r) if r.content else None)
        for r in api.requests
        if not r.url.path.endswith("/token")
    ]
    assert sent == [
        ("POST", "/v1/regions", {"name": "eu-1", "organizationId": ORG, "enabled": False}),
        ("PATCH", "/v1/regions/r-1", {"enabled": True}),
        ("DELETE", "/v1/regions/r-1", None),
        ("PATCH", "/v1/dataplanes/d-1", {"name": "dp2"}),
        ("DELETE", "/v1/dataplanes/d-1", None),
        (
            "POST",
            "/v1/workspaces",
            {
                "name": "ws",
                "regionId": "r-1",
                "notifications": {"failure": {"email": {"enabled": True}}},
            },
        ),
        ("PATCH", "/v1/workspaces/w-1", {"regionId": "r-2"}),
        ("DELETE", "/v1/workspaces/w-1", None),
        ("GET", "/v1/permissions", None),
        (
            "POST",
            "/v1/permissions",
            {"permissionType": "workspace_admin", "userId": "u-1", "workspaceId": "w-1"},
        ),
        ("PATCH", "/v1/permissions/p-1", {"permissionType": "workspace_reader"}),
        ("DELETE", "/v1/permissions/p-1", None),
    ]


@pytest.mark.parametrize(
    "scope",
    [{}, {"workspace_id": "w-1", "organization_id": ORG}],
    ids=["neither", "both"],
)
def test_a_permission_targets_exactly_one_scope(api: FakeApi, scope: dict[str, str]) -> None:
    async def scenario() -> None:
        async with api.client() as client:
            await client.create_permission(user_id="u", permission_type="workspace_admin", **scope)

    with pytest.raises(ValueError, match="exactly one of workspace_id and organization_id"):
        run(scenario())
    assert api.requests == []


def test_created_dataplane_credentials_come_back_once(api: FakeApi) -> None:
    created = {
        "dataplaneId": "d-1",
        "regionId": "r-1",
        "clientId": "c-1",
        "clientSecret": "s3cr3t-xyz",
    }
    api.on("POST", "/v1/dataplanes", ok(created))

    async def scenario() -> Any:
        async with api.client() as client:
            return await client.create_dataplane(region_id="r-1", name="dp", enabled=True)

    answer = run(scenario())
    assert answer == created
    assert isinstance(answer["clientSecret"], Secret)
    assert f"{answer['clientSecret']}" == "s3cr3t-xyz"
    assert "s3cr3t-xyz" not in repr(answer)
    assert body(api.hits("POST", "/v1/dataplanes")[0]) == {
        "regionId": "r-1",
        "name": "dp",
        "enabled": True,
    }


TOKEN_URL = "https://cloud.example.test/api/v1/dataplanes/token"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (ok({"access_token": "dp-token"}), True),
        (problem(401, "invalid-api-key"), False),
        (problem(403, "forbidden"), False),
        (ok({}), False),
    ],
    ids=["token", "401", "403", "no-token"],
)
def test_dataplane_token_checks_credentials(api: FakeApi, answer: Any, expected: bool) -> None:
    api.on("POST", "/api/v1/dataplanes/token", answer)

    async def scenario() -> bool:
        async with api.client() as client:
            return await client.dataplane_token(
                TOKEN_URL, client_id="c-1", client_secret="dp-secret"
            )

    assert run(scenario()) is expected
    [sent] = api.requests  # no control-plane token was needed
    assert "authorization" not in sent.headers
    assert body(sent) == {"client_id": "c-1", "client_secret": "dp-secret"}


def test_dataplane_token_other_failures_raise(api: FakeApi) -> None:
    api.on("POST", "/api/v1/dataplanes/token", problem(500, "unexpected-problem", "boom"))

    async def scenario() -> bool:
        async with api.client() as client:
            return await client.dataplane_token(
                TOKEN_URL, client_id="c-1", client_secret="dp-secret"
            )

    with pytest.raises(ServerError) as caught:
        run(scenario())
    assert str(caught.value) == (
        "POST https://cloud.example.test/api/v1/dataplanes/token (data-plane client c-1): "
        "500 unexpected-problem: boom "
        "(gave up after 3 attempts)"
    )


def test_dataplane_token_wants_an_absolute_url(api: FakeApi) -> None:
    async def scenario() -> bool:
        async with api.client() as client:
            return await client.dataplane_token(
                "/api/v1/dataplanes/token", client_id="c", client_secret="s"
            )

    with pytest.raises(ConnectionSettingsError, match="is not absolute"):
        run(scenario())
