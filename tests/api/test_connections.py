"""`list_connections` and `patch_connection` against the real embedded control plane."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.controlplane import AdminCredentials, ControlPlane
from tests.api.test_against_embedded import connect
from tests.controlplane.conftest import connect as connect_raw

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _seed(
    embedded: tuple[ControlPlane, AdminCredentials], per_ws: dict[str, int]
) -> dict[str, str]:
    """Workspaces named by ``per_ws``, each with that many connections: name -> workspace id."""
    plane, creds = embedded
    out: dict[str, str] = {}
    async with connect_raw(plane, creds) as api:
        for name, count in per_ws.items():
            ws = (await api.post("workspaces", json={"name": name})).json()["workspaceId"]
            out[name] = ws
            conf = {"sourceType": "postgres"}
            src = (
                await api.post(
                    "sources", json={"name": "s", "workspaceId": ws, "configuration": conf}
                )
            ).json()
            conf = {"destinationType": "s3"}
            dst = (
                await api.post(
                    "destinations", json={"name": "d", "workspaceId": ws, "configuration": conf}
                )
            ).json()
            for i in range(count):
                body: dict[str, Any] = {
                    "sourceId": src["sourceId"],
                    "destinationId": dst["destinationId"],
                    "name": f"{name}-c{i}",
                    "configurations": {"streams": [{"name": "users"}]},
                }
                assert (await api.post("connections", json=body)).status_code == 200
    return out


async def test_connections_are_listed_in_pages_and_filtered_by_workspace(
    embedded: tuple[ControlPlane, AdminCredentials],
) -> None:
    ids = await _seed(embedded, {"a": 3, "b": 2})
    async with connect(embedded) as client:
        listed = await client.list_connections(page_size=2, read_ahead=1)
        assert sorted(c["name"] for c in listed) == ["a-c0", "a-c1", "a-c2", "b-c0", "b-c1"]
        assert client.calls.by_endpoint["GET /connections"] == 3  # 2 + 2 + 1
        only_b = await client.list_connections([ids["b"]])
        assert sorted(c["name"] for c in only_b) == ["b-c0", "b-c1"]
        assert await client.list_connections([]) == []
        assert client.calls.by_endpoint["GET /connections"] == 4  # nothing asked for none

        target = only_b[0]
        mapper = {
            "type": "hashing",
            "mapperConfiguration": {
                "targetField": "email",
                "method": "SHA-256",
                "fieldNameSuffix": "_hashed",
            },
        }
        patched = await client.patch_connection(
            target["connectionId"], streams=[{"name": "users", "mappers": [mapper]}]
        )
        [stream] = patched["configurations"]["streams"]
        assert stream["mappers"][0]["mapperConfiguration"] == mapper["mapperConfiguration"]
        again = {c["connectionId"]: c for c in await client.list_connections([ids["b"]])}
        assert again[target["connectionId"]]["configurations"] == patched["configurations"]
