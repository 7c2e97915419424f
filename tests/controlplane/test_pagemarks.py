"""Page marks (``controlplane.pagemarks``): a list read page by page seeks from where the last
page ended, and every answer is the one a plain ``LIMIT/OFFSET`` gives, after writes through the
API and through another connection too."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.controlplane.conftest import Api, Plane, connect

pytestmark = pytest.mark.anyio

LIMIT = 10


async def _names(api: Api, offset: int, path: str = "workspaces") -> list[str]:
    response = await api.get(f"{path}?limit={LIMIT}&offset={offset}")
    assert response.status_code == 200, response.text
    return [row["name"] for row in response.json()["data"]]


async def _all(api: Api) -> list[str]:
    names: list[str] = []
    offset = 0
    while page := await _names(api, offset):
        names += page
        offset += LIMIT
    return names


def _plain(plane: Plane) -> list[str]:
    """The workspaces by a plain query of the database (the order the API promises)."""
    with plane.cp.store.read() as db:
        rows = db.execute(
            "SELECT name FROM workspaces WHERE tombstone = 0 ORDER BY name, id"
        ).fetchall()
    return [str(r[0]) for r in rows]


@contextmanager
def _statements(plane: Plane) -> Iterator[list[str]]:
    seen: list[str] = []
    conn = plane.cp.store._conn  # the test watches the emulator's own SQL
    conn.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        conn.set_trace_callback(None)


async def _create(api: Api, *names: str) -> None:
    for name in names:
        response = await api.post("workspaces", json={"name": name})
        assert response.status_code == 200, response.text


async def test_pages_after_the_first_seek_and_equal_the_plain_order(plane: Plane) -> None:
    async with connect(plane.cp, plane.creds) as api:
        await _create(api, *(f"ws-{i:03d}" for i in range(45)))
        with _statements(plane) as seen:
            names = await _all(api)
        assert names == _plain(plane)
        lists = [s for s in seen if "LIMIT" in s and "FROM workspaces w" in s]
        assert len(lists) == 6  # five pages and the empty one
        assert not any(") > (" in s for s in lists[:1])
        assert all(") > (" in s for s in lists[1:]), lists


async def test_a_write_through_the_api_drops_the_marks(plane: Plane) -> None:
    async with connect(plane.cp, plane.creds) as api:
        await _create(api, *(f"ws-{i:03d}" for i in range(40)))
        for offset in (0, 10, 20):
            await _names(api, offset)
        await _create(api, "aaa-first")  # sorts first: every later row moves down one
        assert await _names(api, 30) == _plain(plane)[30:40]


async def test_a_write_by_another_connection_drops_the_marks(plane: Plane) -> None:
    async with connect(plane.cp, plane.creds) as api:
        await _create(api, *(f"ws-{i:03d}" for i in range(40)))
        for offset in (0, 10, 20):
            await _names(api, offset)
        other = sqlite3.connect(plane.cp.store.path)
        with other:
            other.execute("UPDATE workspaces SET name = '000-moved' WHERE name = 'ws-035'")
        other.close()
        assert await _names(api, 30) == _plain(plane)[30:40]
        assert _plain(plane)[0] == "000-moved"


async def test_offsets_between_marks_repeats_and_past_the_end(plane: Plane) -> None:
    async with connect(plane.cp, plane.creds) as api:
        await _create(api, *(f"ws-{i:03d}" for i in range(33)))
        expected = _plain(plane)
        for offset in (0, 10, 25, 10, 3, 30, 33, 40, 20):
            assert await _names(api, offset) == expected[offset : offset + LIMIT], offset


async def test_connectors_lists_seek_too(plane: Plane) -> None:
    async with connect(plane.cp, plane.creds) as api:
        await _create(api, "ws-sources")
        workspace_id = (await api.get("workspaces")).json()["data"][0]["workspaceId"]
        for i in range(25):
            response = await api.post(
                "sources",
                json={
                    "name": f"src-{i:02d}",
                    "workspaceId": workspace_id,
                    "configuration": {"sourceType": "faker"},
                },
            )
            assert response.status_code == 200, response.text
        with _statements(plane) as seen:
            names = [n for offset in (0, 10, 20) for n in await _names(api, offset, "sources")]
        assert names == [f"src-{i:02d}" for i in range(25)]
        assert sum(") > (" in s for s in seen if "FROM sources" in s) == 2
