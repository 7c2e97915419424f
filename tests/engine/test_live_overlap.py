"""The workspace list does not wait for the organisations and regions answers (issue 18
item 6): it needs neither, so a refresh pays one round trip less. The answers are scripted;
the organisations answer is held until the workspace list has been asked for (or a
thousand turns of the event loop have passed without it)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from reconciler.api import errors
from reconciler.engine.live import Refresh, fetch_live

from ..api.fakeapi import ORG, FakeApi, ok, problem, run

WORKSPACE = {"workspaceId": "w-1", "name": "team-a", "dataResidency": "eu"}


def _script(api: FakeApi, organizations: httpx.Response) -> list[str]:
    """The order in which the organisations were answered and the workspaces asked for."""
    events: list[str] = []

    async def answer_organizations(request: httpx.Request) -> httpx.Response:
        for _ in range(1000):
            if "workspaces asked" in events:
                break
            await asyncio.sleep(0)
        events.append("organizations answered")
        return organizations

    def answer_workspaces(request: httpx.Request) -> httpx.Response:
        events.append("workspaces asked")
        return ok({"data": [WORKSPACE]})

    api.on("GET", "/v1/organizations", answer_organizations)
    api.on("GET", "/v1/regions", ok({"data": []}))
    api.on("GET", "/v1/workspaces", answer_workspaces)
    return events


def _refresh(api: FakeApi) -> Refresh:
    async def go() -> Refresh:
        async with api.client() as client:
            return await fetch_live(client, organization_id=ORG, users=[])

    return run(go())


def test_workspaces_are_asked_for_before_the_organisations_answer() -> None:
    api = FakeApi()
    events = _script(api, ok({"data": [{"organizationId": ORG}]}))
    refresh = _refresh(api)
    assert events == ["workspaces asked", "organizations answered"]
    assert [dict(w) for w in refresh.snapshot.workspaces] == [WORKSPACE]
    assert refresh.unattributed == ()


def test_a_failed_organisations_call_is_the_error_and_the_list_is_not_left_running() -> None:
    api = FakeApi()
    _script(api, problem(403, "forbidden", "no access"))

    async def go() -> list[asyncio.Task[object]]:
        async with api.client() as client:
            with pytest.raises(errors.ApiError) as caught:
                await fetch_live(client, organization_id=ORG, users=[])
        assert "GET /organizations" in caught.value.render()
        current = asyncio.current_task()
        return [t for t in asyncio.all_tasks() if t is not current and not t.done()]

    assert run(go()) == []
