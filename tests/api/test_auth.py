"""Client-credentials token: request shape, reuse, refresh before expiry, 401 handling."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from reconciler.api import AuthError, UnexpectedResponseError
from reconciler.api.auth import refresh_margin

from .fakeapi import CLIENT_SECRET, ORG, FakeApi, ok, problem, run

TOKEN_PATH = "/v1/applications/token"
REGIONS_PATH = "/v1/regions"


def test_token_request_is_json_client_credentials(api: FakeApi) -> None:
    api.on("GET", REGIONS_PATH, ok([]))

    async def scenario() -> None:
        async with api.client() as client:
            await client.list_regions(ORG)

    run(scenario())
    [token_request] = api.hits("POST", TOKEN_PATH)
    assert token_request.headers["content-type"] == "application/json"
    assert "authorization" not in token_request.headers
    assert json.loads(token_request.content) == {
        "grant_type": "client_credentials",
        "client_id": "client-id-1",
        "client_secret": CLIENT_SECRET,
    }
    [regions] = api.hits("GET", REGIONS_PATH)
    assert regions.headers["authorization"] == "Bearer access-token-1-7d3a"


@pytest.mark.parametrize(
    ("lifetime", "margin"), [(900, 60.0), (180, 18.0), (600, 60.0), (30, 3.0), (0, 0.0)]
)
def test_refresh_margin_is_60s_or_a_tenth_of_a_short_lifetime(lifetime: int, margin: float) -> None:
    assert refresh_margin(lifetime) == margin


@pytest.mark.parametrize(("expires_in", "reuse_until"), [(900, 840.0), (180, 162.0)])
def test_token_is_reused_until_the_margin_then_refreshed(
    api: FakeApi, expires_in: int, reuse_until: float
) -> None:
    api.expires_in = expires_in
    api.on("GET", REGIONS_PATH, ok([]))
    start = api.clock.now

    async def scenario() -> list[int]:
        issued = []
        async with api.client() as client:
            for offset in (0.0, reuse_until - 1, reuse_until + 1, reuse_until + 2):
                api.clock.now = start + offset
                await client.list_regions(ORG)
                issued.append(api.tokens_issued)
        return issued

    assert run(scenario()) == [1, 1, 2, 2]
    used = [r.headers["authorization"] for r in api.hits("GET", REGIONS_PATH)]
    assert used == [
        "Bearer access-token-1-7d3a",
        "Bearer access-token-1-7d3a",
        "Bearer access-token-2-7d3a",
        "Bearer access-token-2-7d3a",
    ]


def test_concurrent_calls_share_one_token_request(api: FakeApi) -> None:
    api.on("GET", REGIONS_PATH, ok([]))

    async def scenario() -> None:
        async with api.client() as client:
            await asyncio.gather(*(client.list_regions(ORG) for _ in range(20)))

    run(scenario())
    assert api.tokens_issued == 1
    assert len(api.hits("GET", REGIONS_PATH)) == 20


def test_401_refreshes_the_token_once_and_repeats_the_call(api: FakeApi) -> None:
    api.on("GET", REGIONS_PATH, ok([]))

    async def scenario() -> None:
        async with api.client() as client:
            await client.list_regions(ORG)
            api.valid_tokens.clear()  # the server revoked the token early
            await client.list_regions(ORG)

    run(scenario())
    assert api.tokens_issued == 2
    statuses = [r.headers["authorization"] for r in api.hits("GET", REGIONS_PATH)]
    assert statuses == [
        "Bearer access-token-1-7d3a",
        "Bearer access-token-1-7d3a",
        "Bearer access-token-2-7d3a",
    ]
    assert api.sleeps == []


def test_a_second_401_is_an_auth_error(api: FakeApi) -> None:
    api.on("GET", REGIONS_PATH, problem(401, "invalid-api-key"))

    async def scenario() -> None:
        async with api.client() as client:
            await client.list_regions(ORG)

    with pytest.raises(AuthError) as caught:
        run(scenario())
    assert str(caught.value) == f"GET /regions (regions of organization {ORG}): 401 invalid-api-key"
    assert len(api.hits("GET", REGIONS_PATH)) == 2
    assert api.tokens_issued == 2


def test_refused_credentials_name_the_token_call(api: FakeApi) -> None:
    api.on("POST", TOKEN_PATH, problem(403, "forbidden", "", message="bad credentials"))

    async def scenario() -> None:
        async with api.client() as client:
            await client.list_regions(ORG)

    with pytest.raises(AuthError) as caught:
        run(scenario())
    assert str(caught.value) == (
        "POST /applications/token (API client credentials): 403 forbidden: bad credentials"
    )
    assert api.hits("GET", REGIONS_PATH) == []


def test_token_answer_without_token_is_unexpected(api: FakeApi) -> None:
    api.on("POST", TOKEN_PATH, ok({"token_type": "Bearer", "expires_in": 900}))

    async def scenario() -> None:
        async with api.client() as client:
            await client.list_regions(ORG)

    with pytest.raises(UnexpectedResponseError, match="token answer has no access_token"):
        run(scenario())


def test_token_call_retries_on_503_without_multiplying_attempts(api: FakeApi) -> None:
    api.on("POST", TOKEN_PATH, httpx.Response(503))

    async def scenario() -> None:
        async with api.client(max_attempts=3) as client:
            await client.list_regions(ORG)

    with pytest.raises(Exception, match=r"503 Service Unavailable \(gave up after 3 attempts\)"):
        run(scenario())
    assert len(api.hits("POST", TOKEN_PATH)) == 3
    assert api.hits("GET", REGIONS_PATH) == []
