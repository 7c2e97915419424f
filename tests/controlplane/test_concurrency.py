"""Parallel writes: 50 distinct workspace creates all land; 20 creates of one region name give
exactly one success and 409s. In-process and on a real socket (uvicorn in a thread)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from tests.controlplane.conftest import Api, Plane, connect

pytestmark = pytest.mark.anyio


async def _parallel_creates(api: Api, org: str) -> None:
    responses = await asyncio.gather(
        *(api.post("workspaces", json={"name": f"ws-{i:02d}"}) for i in range(50))
    )
    assert [r.status_code for r in responses] == [200] * 50
    listed = (await api.get("workspaces", params={"limit": 100})).json()["data"]
    assert sorted(w["name"] for w in listed) == [f"ws-{i:02d}" for i in range(50)]

    responses = await asyncio.gather(
        *(api.post("regions", json={"name": "AU", "organizationId": org}) for _ in range(20))
    )
    assert Counter(r.status_code for r in responses) == {200: 1, 409: 19}
    assert {r.json()["type"] for r in responses if r.status_code == 409} == {
        "error:dataplane-group-name-already-exists"
    }
    regions = (await api.get("regions", params={"organizationId": org})).json()
    assert [r["name"] for r in regions if r["organizationId"] == org] == ["AU"]


async def test_parallel_creates_in_process(plane: Plane) -> None:
    async with connect(plane.cp, plane.creds) as api:
        await _parallel_creates(api, plane.creds.organization_id)


async def test_parallel_creates_on_a_socket(plane: Plane) -> None:
    with plane.cp.running() as root:
        async with connect(plane.cp, plane.creds, base_url=root + "/api/public/v1") as api:
            await _parallel_creates(api, plane.creds.organization_id)


async def test_socket_and_in_process_share_one_database(plane: Plane) -> None:
    org = plane.creds.organization_id
    with plane.cp.running() as root:
        async with (
            connect(plane.cp, plane.creds, base_url=root + "/v1") as remote,
            connect(plane.cp, plane.creds) as local,
        ):
            responses = await asyncio.gather(
                *(
                    client.post("regions", json={"name": "EU-x", "organizationId": org})
                    for client in (remote, local)
                    for _ in range(10)
                )
            )
            assert Counter(r.status_code for r in responses) == {200: 1, 409: 19}
