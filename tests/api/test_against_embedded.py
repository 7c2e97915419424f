"""The client against the real embedded control plane, in-process (ASGI transport).

No scripted answers here: the embedded server's own routes, SQLite store, token
issuing and fault injection answer, so these tests catch the client and the
emulator drifting apart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

import pytest

from reconciler.api import (
    AmbiguousWriteError,
    ApiClient,
    ApiError,
    NotFoundError,
)
from reconciler.controlplane import AdminCredentials, ControlPlane, FaultConfig

from .fakeapi import run

MANAGED_ORG = "00000000-0000-0000-0000-000000000000"


class NoWait:
    """Records retry waits instead of sleeping them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(float(seconds))


@asynccontextmanager
async def connect(
    embedded: tuple[ControlPlane, AdminCredentials], **kwargs: Any
) -> AsyncIterator[ApiClient]:
    plane, creds = embedded
    async with ApiClient(
        creds.url,
        client_id=creds.client_id,
        client_secret=creds.client_secret,
        transport=plane.transport(),
        **kwargs,
    ) as client:
        yield client


def token_url(creds: AdminCredentials) -> str:
    return creds.url.removesuffix("/api/public/v1") + "/api/v1/dataplanes/token"


def test_region_and_dataplane_lifecycle(embedded: tuple[ControlPlane, AdminCredentials]) -> None:
    _, creds = embedded
    org = creds.organization_id

    async def scenario() -> None:
        async with connect(embedded) as client:
            [organization] = await client.list_organizations()
            assert organization["organizationId"] == org

            region = await client.create_region(
                name="aws-us-east-1", organization_id=org, enabled=True
            )
            regions = await client.list_regions(org)
            own = [r for r in regions if r["organizationId"] == org]
            assert own == [region]
            assert all(r["organizationId"] in (org, MANAGED_ORG) for r in regions)

            renamed = await client.update_region(region["regionId"], enabled=False)
            assert (renamed["name"], renamed["enabled"]) == ("aws-us-east-1", False)

            created = await client.create_dataplane(
                region_id=region["regionId"], name="dp-1", enabled=True
            )
            assert created["regionId"] == region["regionId"]
            assert "clientSecret" not in str(await client.list_dataplanes())
            [listed] = await client.list_dataplanes([region["regionId"]])
            assert listed["dataplaneId"] == created["dataplaneId"]

            url = token_url(creds)
            good = str(created["clientSecret"])
            assert await client.dataplane_token(
                url, client_id=created["clientId"], client_secret=good
            )
            assert not await client.dataplane_token(
                url, client_id=created["clientId"], client_secret="wrong-secret-value"
            )

            updated = await client.update_dataplane(created["dataplaneId"], name="dp-2")
            assert updated["name"] == "dp-2"
            await client.delete_dataplane(created["dataplaneId"])
            assert await client.list_dataplanes([region["regionId"]]) == []
            await client.delete_region(region["regionId"])
            assert [r for r in await client.list_regions(org) if r["organizationId"] == org] == []

            with pytest.raises(ApiError) as clash:
                await client.create_region(name="aws-us-east-1", organization_id=org, enabled=True)
            assert clash.value.status in (409, 500)
            assert clash.value.resource == "region 'aws-us-east-1'"

            assert client.calls.token == 1

    run(scenario())


def test_workspaces_paginate_and_read_back_the_residency(
    embedded: tuple[ControlPlane, AdminCredentials],
) -> None:
    _, creds = embedded
    org = creds.organization_id

    async def scenario() -> None:
        async with connect(embedded) as client:
            region = await client.create_region(name="AU-Sydney", organization_id=org, enabled=True)
            made = [
                await client.create_workspace(
                    name=f"ws-{i}",
                    region_id=region["regionId"],
                    organization_id=org,
                    notifications=None,
                )
                for i in range(5)
            ]
            assert {w["dataResidency"] for w in made} == {"au-sydney"}
            listed = await client.list_workspaces(page_size=2, read_ahead=1)
            assert {w["name"] for w in listed} >= {f"ws-{i}" for i in range(5)}
            pages = client.calls.by_endpoint["GET /workspaces"]
            assert pages == len(listed) // 2 + 1

            renamed = await client.update_workspace(made[0]["workspaceId"], name="ws-renamed")
            assert renamed["name"] == "ws-renamed"
            await client.delete_workspace(made[0]["workspaceId"])
            with pytest.raises(NotFoundError):
                await client.delete_workspace("7f0c1c9e-0000-4000-8000-000000000000")

    run(scenario())


def test_users_and_permissions(embedded: tuple[ControlPlane, AdminCredentials]) -> None:
    plane, creds = embedded
    org = creds.organization_id
    user_id = plane.add_user("ana@example.com", "Ana")

    async def scenario() -> None:
        async with connect(embedded) as client:
            [ana] = await client.list_users(org, ["ana@example.com"])
            assert (ana["id"], ana["email"]) == (user_id, "ana@example.com")
            workspace = await client.create_workspace(
                name="ws", region_id=None, organization_id=org, notifications=None
            )
            granted = await client.create_permission(
                user_id=user_id,
                permission_type="workspace_reader",
                workspace_id=workspace["workspaceId"],
            )
            assert granted["workspaceId"] == workspace["workspaceId"]
            listed = await client.list_permissions(user_id=user_id, organization_id=org)
            assert {(p["scope"], p["scopeId"]) for p in listed} >= {
                ("workspace", workspace["workspaceId"])
            }
            changed = await client.update_permission(
                granted["permissionId"], permission_type="workspace_admin"
            )
            assert changed["permissionType"] == "workspace_admin"
            await client.delete_permission(granted["permissionId"])

    run(scenario())


def test_a_lost_create_answer_is_ambiguous_and_sent_once(
    embedded: tuple[ControlPlane, AdminCredentials],
) -> None:
    plane, creds = embedded
    org = creds.organization_id

    async def scenario() -> None:
        async with connect(embedded, sleep=NoWait()) as client:
            await client.list_organizations()  # token first, without faults
            modes: list[tuple[Literal["500", "drop"], str]] = [
                ("500", "lost-500"),
                ("drop", "lost-drop"),
            ]
            for mode, name in modes:
                plane.set_faults(FaultConfig(lost_write_rate=1.0, lost_write_mode=mode))
                before = client.calls.by_endpoint["POST /regions"]
                with pytest.raises(AmbiguousWriteError):
                    await client.create_region(name=name, organization_id=org, enabled=True)
                assert client.calls.by_endpoint["POST /regions"] == before + 1
                plane.set_faults(None)
                # The write happened: looking it up by its natural key finds it.
                names = {r["name"] for r in await client.list_regions(org)}
                assert name in names

    run(scenario())


def test_load_shedding_is_retried_and_creates_are_not_doubled(
    embedded: tuple[ControlPlane, AdminCredentials],
) -> None:
    plane, creds = embedded
    waits = NoWait()

    async def scenario() -> None:
        async with connect(embedded, sleep=waits) as client:
            await client.list_organizations()
            # 429 is shed before processing, so even creates are repeated.
            plane.set_faults(FaultConfig(seed=7, rate_429=0.4))
            for i in range(10):
                await client.create_workspace(
                    name=f"busy-{i}", region_id=None, organization_id=None, notifications=None
                )
            shed = len(waits.waits)
            assert shed > 0
            # 503 is retried on reads.
            plane.set_faults(FaultConfig(seed=7, rate_503=0.4))
            for _ in range(5):
                await client.list_regions(creds.organization_id)
            assert len(waits.waits) > shed
            plane.set_faults(None)
            names = [w["name"] for w in await client.list_workspaces()]
            assert sorted(n for n in names if n.startswith("busy-")) == [
                f"busy-{i}" for i in range(10)
            ]
            assert client.calls.retries == len(waits.waits)

    run(scenario())
