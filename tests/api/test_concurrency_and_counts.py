"""Bounded concurrency and the per-run call counter."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from .fakeapi import ORG, FakeApi, ok, run


@pytest.mark.parametrize("limit", [1, 3, 16])
def test_in_flight_requests_never_exceed_the_limit(api: FakeApi, limit: int) -> None:
    in_flight = 0
    peak = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.002)
        in_flight -= 1
        return ok([])

    api.on("GET", "/v1/dataplanes", slow)

    async def scenario() -> None:
        async with api.client(max_concurrency=limit) as client:
            await asyncio.gather(*(client.list_dataplanes([f"r-{i}"]) for i in range(40)))

    run(scenario())
    assert peak == limit
    assert len(api.hits("GET", "/v1/dataplanes")) == 40


def test_max_concurrency_must_be_positive(api: FakeApi) -> None:
    with pytest.raises(ValueError, match="max_concurrency must be at least 1"):
        api.client(max_concurrency=0)


def test_calls_are_counted_by_method_and_path_template(api: FakeApi) -> None:
    region = {"regionId": "r-1", "name": "eu", "organizationId": ORG, "enabled": True}
    api.on("GET", "/v1/regions", httpx.Response(503), ok([region]))
    api.on("PATCH", "/v1/regions/r-1", ok(region))
    api.on("PATCH", "/v1/regions/r-2", ok(region))
    api.on("DELETE", "/v1/workspaces/w-1", httpx.Response(204))

    async def scenario() -> dict[str, object]:
        async with api.client() as client:
            await client.list_regions(ORG)
            await client.update_region("r-1", enabled=False)
            await client.update_region("r-2", name="eu")
            await client.delete_workspace("w-1")
            assert client.calls.summary() == "5 API calls (+1 token request, 1 retry)"
            return client.calls.as_dict()

    assert run(scenario()) == {
        "total": 6,
        "api": 5,
        "token": 1,
        "retries": 1,
        "byEndpoint": {
            "DELETE /workspaces/{workspaceId}": 1,
            "GET /regions": 2,
            "PATCH /regions/{regionId}": 2,
            "POST /applications/token": 1,
        },
    }
    assert len(api.requests) == 6


def test_summary_of_a_quiet_run(api: FakeApi) -> None:
    assert api.client().calls.summary() == "0 API calls"
