"""Fixtures for the embedded control plane: a fresh state directory, a bootstrapped control
plane, and a small authenticated client over the in-process transport or a real socket."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.controlplane import AdminCredentials, ControlPlane, open_embedded


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeClock:
    def __init__(self, now: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00Z
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Plane:
    cp: ControlPlane
    creds: AdminCredentials
    state_dir: Path


@pytest.fixture
def plane(tmp_path: Path) -> Iterator[Plane]:
    cp, creds = open_embedded(tmp_path / "state")
    try:
        yield Plane(cp, creds, tmp_path / "state")
    finally:
        cp.close()


@dataclass
class Api:
    """An httpx client with a bearer token; paths are relative to the public API root."""

    client: httpx.AsyncClient
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {**self.auth, **kw.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **kw)

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("POST", path, **kw)

    async def patch(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("PATCH", path, **kw)

    async def delete(self, path: str, **kw: Any) -> httpx.Response:
        return await self.request("DELETE", path, **kw)


async def get_token(client: httpx.AsyncClient, client_id: str, client_secret: str) -> str:
    response = await client.post(
        "applications/token",
        json={
            "client_id": client_id,
            "client_secret": client_secret,
            "grant_type": "client_credentials",
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@asynccontextmanager
async def connect(
    cp: ControlPlane,
    creds: AdminCredentials,
    *,
    base_url: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> AsyncIterator[Api]:
    """In-process unless ``base_url`` (a real server's public API root) is given."""
    if base_url is None:
        client = httpx.AsyncClient(transport=cp.transport(), base_url=creds.url + "/")
    else:
        client = httpx.AsyncClient(base_url=base_url + "/", timeout=30)
    async with client:
        token = await get_token(
            client, client_id or creds.client_id, client_secret or creds.client_secret
        )
        yield Api(client, token)


def table_counts(cp: ControlPlane) -> dict[str, int]:
    with cp.store.read() as db:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: db.execute(f"SELECT COUNT(*) FROM {n}").fetchone()[0] for n in names}
