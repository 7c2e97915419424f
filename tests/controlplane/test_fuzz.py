"""Malformed and random requests: never a 5xx without injected faults, and a rejected request
never changes the database (its SQL dump is byte-for-byte the same)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.controlplane import open_embedded

PATHS = [
    "applications",
    "applications/{id}",
    "applications/token",
    "organizations",
    "regions",
    "regions/{id}",
    "dataplanes",
    "dataplanes/{id}",
    "workspaces",
    "workspaces/{id}",
    "users",
    "permissions",
    "permissions/{id}",
    "health",
    "nope/{id}",
]
INTERNAL = [
    "/api/v1/dataplanes/token",
    "/api/v1/dataplanes/heartbeat",
    "/_embedded/dataplanes/status",
]
KEYS = [
    "name",
    "organizationId",
    "regionId",
    "enabled",
    "notifications",
    "permissionType",
    "userId",
    "workspaceId",
    "client_id",
    "client_secret",
    "grant_type",
    "grant-type",
]
QUERY_KEYS = [
    "organizationId",
    "regionIds",
    "workspaceIds",
    "limit",
    "offset",
    "includeDeleted",
    "emails",
    "ids",
    "userId",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
hostile_bytes = st.sampled_from(
    [
        b"",
        b"{",
        b"[" * 50_000,
        b'{"name": NaN}',
        b'{"name": 1e999999}',
        b"\xff\xfe\x00",
        b'{"name": "\\ud800"}',
        b'{"name": "a\\u0000b", "organizationId": "x"}',
        b"null",
        b"[]",
        b'"text"',
        b'{"notifications": {"failure": {"email": []}}}',
        b"a=1&client_id=%ff",
    ]
)


@st.composite
def requests(draw: st.DrawFn, ids: list[str]) -> dict[str, Any]:
    printable = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))
    some_id = draw(
        st.sampled_from(ids) | st.uuids().map(str) | st.text(printable, min_size=1, max_size=40)
    )
    if draw(st.booleans()):
        prefix = draw(st.sampled_from(["/v1/", "/api/public/v1/"]))
        path = prefix + draw(st.sampled_from(PATHS)).replace("{id}", some_id.replace("/", ""))
    else:
        path = draw(st.sampled_from(INTERNAL))
    body_kind = draw(st.sampled_from(["object", "json", "bytes", "form"]))
    content: bytes
    headers = {"content-type": "application/json"}
    if body_kind == "object":
        keys = draw(st.lists(st.sampled_from(KEYS), max_size=5, unique=True))
        obj = {k: draw(st.sampled_from(ids) | json_values) for k in keys}
        content = json.dumps(obj).encode()
    elif body_kind == "json":
        content = json.dumps(draw(json_values)).encode()
    elif body_kind == "form":
        headers["content-type"] = "application/x-www-form-urlencoded"
        content = draw(st.binary(max_size=64) | hostile_bytes)
    else:
        content = draw(st.binary(max_size=64) | hostile_bytes)
    query = draw(
        st.dictionaries(
            st.sampled_from(QUERY_KEYS), st.sampled_from(ids) | st.text(max_size=12), max_size=3
        )
    )
    return {
        "method": draw(st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT"])),
        "url": path,
        "params": query,
        "content": content,
        "headers": headers,
        "authorized": draw(st.booleans() | st.just(True)),
    }


def test_random_requests_never_fail_the_server_or_corrupt_it(tmp_path: Path) -> None:
    cp, creds = open_embedded(tmp_path / "state")

    async def setup() -> tuple[str, list[str]]:
        async with httpx.AsyncClient(transport=cp.transport(), base_url=creds.url + "/") as c:
            token = (
                await c.post(
                    "applications/token",
                    json={"client_id": creds.client_id, "client_secret": creds.client_secret},
                )
            ).json()
            auth = {"Authorization": f"Bearer {token['access_token']}"}
            region = (
                await c.post(
                    "regions",
                    headers=auth,
                    json={"name": "R", "organizationId": creds.organization_id},
                )
            ).json()["regionId"]
            dp = (
                await c.post("dataplanes", headers=auth, json={"name": "d", "regionId": region})
            ).json()["dataplaneId"]
            ws = (await c.post("workspaces", headers=auth, json={"name": "w"})).json()[
                "workspaceId"
            ]
            return token["access_token"], [creds.organization_id, region, dp, ws, creds.client_id]

    token, ids = asyncio.run(setup())

    async def send(request: dict[str, Any]) -> httpx.Response:
        headers = dict(request.pop("headers"))
        if request.pop("authorized"):
            headers["Authorization"] = f"Bearer {token}"
        async with httpx.AsyncClient(transport=cp.transport(), base_url="http://embedded") as c:
            return await c.request(headers=headers, **request)

    seen: set[int] = set()

    @settings(
        max_examples=300,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(requests(ids))
    def check(request: dict[str, Any]) -> None:
        before = cp.store.dump()
        response = asyncio.run(send(dict(request)))
        seen.add(response.status_code)
        assert response.status_code < 500, (request, response.text)
        if response.status_code != 204:
            response.json()  # every answer is JSON
        if response.status_code >= 400:
            assert cp.store.dump() == before, (request, response.text)

    try:
        check()
    finally:
        cp.close()
    # the generator reaches past authentication and parsing, not only the front door
    assert {200, 400, 401, 404, 422} <= seen, seen
