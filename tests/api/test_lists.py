"""List endpoints: bare arrays and envelopes, own-offset pagination, array query parameters."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from reconciler.api import UnexpectedResponseError
from reconciler.api.pages import read_all

from .fakeapi import ORG, FakeApi, ok, query, run

REGION = {
    "regionId": "r-1",
    "name": "aws-us-east-1",
    "organizationId": ORG,
    "enabled": True,
    "createdAt": "2025-03-28T14:50Z",
    "updatedAt": "2025-03-28T14:50:32Z",
}


@pytest.mark.parametrize("answer", [[REGION], {"data": [REGION]}], ids=["bare-array", "envelope"])
def test_lists_accept_a_bare_array_and_an_envelope(api: FakeApi, answer: Any) -> None:
    api.on("GET", "/v1/regions", ok(answer))

    async def scenario() -> Any:
        async with api.client() as client:
            return await client.list_regions(ORG)

    assert run(scenario()) == [REGION]
    assert query(api.hits("GET", "/v1/regions")[0]) == [("organizationId", ORG)]


@pytest.mark.parametrize("answer", [{"regions": []}, "nope", [1]])
def test_a_list_of_another_shape_is_unexpected(api: FakeApi, answer: Any) -> None:
    api.on("GET", "/v1/regions", ok(answer))

    async def scenario() -> Any:
        async with api.client() as client:
            return await client.list_regions(ORG)

    with pytest.raises(UnexpectedResponseError, match=r"^GET /regions \(regions of organization"):
        run(scenario())


def test_a_list_item_missing_a_key_is_named(api: FakeApi) -> None:
    api.on("GET", "/v1/dataplanes", ok([{"dataplaneId": "d-1", "name": "x", "enabled": True}]))

    async def scenario() -> Any:
        async with api.client() as client:
            return await client.list_dataplanes()

    with pytest.raises(UnexpectedResponseError) as caught:
        run(scenario())
    assert str(caught.value) == "GET /dataplanes (data planes): 200 item 0 lacks regionId"


def workspace_pages(total: int, request: httpx.Request) -> httpx.Response:
    """The real server's paging: `next` is set on every non-empty page."""
    params = dict(query(request))
    limit, offset = int(params["limit"]), int(params["offset"])
    data = [
        {"workspaceId": f"w-{i}", "name": f"ws {i}", "dataResidency": "us", "notifications": {}}
        for i in range(offset, min(offset + limit, total))
    ]
    following = f"https://api.airbyte.com/v1/workspaces?limit={limit}&offset={offset + limit}"
    return ok({"data": data, "next": following if data else "", "previous": ""})


@pytest.mark.parametrize(("total", "requests"), [(0, 1), (1, 1), (3, 2), (5, 3), (6, 4)])
def test_pagination_stops_on_a_short_page_even_though_next_is_set(
    api: FakeApi, total: int, requests: int
) -> None:
    api.on("GET", "/v1/workspaces", lambda request: workspace_pages(total, request))

    async def scenario() -> Any:
        async with api.client() as client:
            return await client.list_workspaces(page_size=2, read_ahead=1)

    names = [w["name"] for w in run(scenario())]
    assert names == [f"ws {i}" for i in range(total)]
    hits = api.hits("GET", "/v1/workspaces")
    assert len(hits) == (total // 2) + 1 == requests
    assert [dict(query(r))["offset"] for r in hits] == [str(2 * i) for i in range(requests)]
    assert all(dict(query(r))["includeDeleted"] == "false" for r in hits)


def test_pagination_stops_when_the_server_ignores_the_offset(api: FakeApi) -> None:
    page = [{"workspaceId": f"w-{i}", "name": "x", "dataResidency": "us"} for i in range(2)]
    api.on("GET", "/v1/workspaces", ok(page))

    async def scenario() -> Any:
        async with api.client() as client:
            return await client.list_workspaces(page_size=2, read_ahead=1)

    assert len(run(scenario())) == 2
    assert len(api.hits("GET", "/v1/workspaces")) == 2


@pytest.mark.parametrize("size", [0, 101])
def test_page_size_is_bounded(api: FakeApi, size: int) -> None:
    async def scenario() -> Any:
        async with api.client() as client:
            return await client.list_workspaces(page_size=size)

    with pytest.raises(ValueError, match=r"page_size must be 1\.\.100"):
        run(scenario())


def test_array_parameters_are_repeated(api: FakeApi) -> None:
    api.on("GET", "/v1/dataplanes", ok([]))
    api.on("GET", "/v1/users", ok({"data": []}))

    async def scenario() -> None:
        async with api.client() as client:
            await client.list_dataplanes(["r-1", "r-2"])
            await client.list_dataplanes()
            await client.list_users(ORG, ["a@example.com", "b@example.com"])

    run(scenario())
    first, second = api.hits("GET", "/v1/dataplanes")
    assert query(first) == [("regionIds", "r-1"), ("regionIds", "r-2")]
    assert query(second) == []
    [users] = api.hits("GET", "/v1/users")
    assert query(users) == [
        ("organizationId", ORG),
        ("emails", "a@example.com"),
        ("emails", "b@example.com"),
    ]


def test_an_empty_filter_asks_for_nothing(api: FakeApi) -> None:
    async def scenario() -> Any:
        async with api.client() as client:
            return await client.list_dataplanes([]), await client.list_users(ORG, [])

    assert run(scenario()) == ([], [])
    assert api.requests == []


@pytest.mark.parametrize("total", [0, 3, 4, 9, 10, 11])
def test_read_ahead_fetches_pages_concurrently_in_order(api: FakeApi, total: int) -> None:
    api.on("GET", "/v1/workspaces", lambda request: workspace_pages(total, request))

    async def scenario() -> Any:
        async with api.client() as client:
            return await client.list_workspaces(page_size=2, read_ahead=3)

    names = [w["name"] for w in run(scenario())]
    assert names == [f"ws {i}" for i in range(total)]
    hits = api.hits("GET", "/v1/workspaces")
    needed = total // 2 + 1
    # The first page alone, then three in flight: exactly two requests past the end (the same
    # every run) once the first page is full.
    assert len(hits) == (needed + 2 if total >= 2 else 1)
    assert sorted(int(dict(query(r))["offset"]) for r in hits) == [2 * i for i in range(len(hits))]


@pytest.mark.parametrize(
    ("total", "expected", "requests"),
    [
        (20, 20, 11),  # as expected: one page past the last item (the empty one at 20)
        (21, 20, 11),  # one more than expected: the page at 20 holds it and is short
        (19, 20, 11),  # one fewer: the page at 18 is short, the one at 20 was asked for
        (6, 20, 6),  # far fewer: read_ahead - 1 past the end, as without the hint
        (30, 20, 16 + 2),  # longer: the page at 20 comes back full, then read on as without
        (20, 0, 11 + 2),  # no hint: read_ahead - 1 past the end
        (20, 1, 11 + 2),  # a hint within the first page says nothing
    ],
)
def test_expected_stops_asking_past_the_end(total: int, expected: int, requests: int) -> None:
    asked: list[int] = []

    async def fetch(offset: int, limit: int) -> list[dict[str, Any]]:
        asked.append(offset)
        await asyncio.sleep(0)
        return [{"id": str(i)} for i in range(offset, min(offset + limit, total))]

    items = run(read_all(fetch, key="id", page_size=2, read_ahead=3, expected=expected))
    assert [i["id"] for i in items] == [str(i) for i in range(total)]
    assert sorted(asked) == [2 * i for i in range(requests)]


def test_expected_sends_the_first_page_with_the_next_ones() -> None:
    """With a hint of several pages, offsets 0, 2 and 4 are all asked for before any answer;
    without one, the first page is answered before the second is asked for."""

    def reader(total: int) -> tuple[Any, list[int]]:
        """A fetch of ``total`` items, and how many pages had been asked for at each answer."""
        asked: list[int] = []
        answered: list[int] = []

        async def fetch(offset: int, limit: int) -> list[dict[str, Any]]:
            asked.append(offset)
            await asyncio.sleep(0.01)
            answered.append(len(asked))
            return [{"id": str(i)} for i in range(offset, min(offset + limit, total))]

        return fetch, answered

    fetch, answered = reader(20)
    items = run(read_all(fetch, key="id", page_size=2, read_ahead=3, expected=20))
    assert [i["id"] for i in items] == [str(i) for i in range(20)]
    assert answered[0] == 3  # three asked for when the first answer came
    fetch, answered = reader(20)
    items = run(read_all(fetch, key="id", page_size=2, read_ahead=3))
    assert [i["id"] for i in items] == [str(i) for i in range(20)]
    assert answered[0] == 1


def test_read_ahead_sends_the_next_page_as_each_one_is_read() -> None:
    """Three in flight: reading the page at offset 2 sends offset 8 while the page at 4 is still
    unanswered (a window of three would wait for all of 2, 4 and 6 first)."""
    asked: list[int] = []
    offset_8_asked = asyncio.Event()

    async def fetch(offset: int, limit: int) -> list[dict[str, Any]]:
        asked.append(offset)
        if offset == 4:
            await asyncio.wait_for(offset_8_asked.wait(), timeout=5)
        if offset == 8:
            offset_8_asked.set()
        return [{"id": str(offset + i)} for i in range(limit if offset < 10 else 0)]

    items = run(read_all(fetch, key="id", page_size=2, read_ahead=3))
    assert [i["id"] for i in items] == [str(i) for i in range(10)]
    assert offset_8_asked.is_set()
    assert sorted(asked) == [0, 2, 4, 6, 8, 10, 12, 14]


def test_a_failed_page_cancels_the_pages_in_flight() -> None:
    cancelled: list[int] = []

    async def fetch(offset: int, limit: int) -> list[dict[str, Any]]:
        if offset == 2:
            raise RuntimeError("page 2 failed")
        try:
            await asyncio.sleep(0 if offset == 0 else 5)
        except asyncio.CancelledError:
            cancelled.append(offset)
            raise
        return [{"id": str(offset + i)} for i in range(limit)]

    with pytest.raises(RuntimeError, match="page 2 failed"):
        run(read_all(fetch, key="id", page_size=2, read_ahead=3))
    assert sorted(cancelled) == [4, 6]


def test_workspaces_with_equal_notifications_share_one_object(api: FakeApi) -> None:
    quiet = {"failure": {"email": {"enabled": False}}}
    loud = {"failure": {"email": {"enabled": True}}}
    data = [
        {"workspaceId": f"w-{i}", "name": f"ws {i}", "dataResidency": "us", "notifications": n}
        for i, n in enumerate([quiet, loud, quiet])
    ]
    api.on("GET", "/v1/workspaces", ok({"data": data}))

    async def scenario() -> Any:
        async with api.client() as client:
            return await client.list_workspaces()

    one, two, three = run(scenario())
    assert [w["notifications"] for w in (one, two, three)] == [quiet, loud, quiet]
    assert one["notifications"] is three["notifications"]
    assert one["notifications"] is not two["notifications"]
