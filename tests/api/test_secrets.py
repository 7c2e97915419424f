"""Canary: secret values never reach an exception message, a repr or a log line."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
import pytest

from reconciler.api import ApiClient, ApiError

from .fakeapi import CLIENT_SECRET, ORG, FakeApi, ok, problem, run

DATAPLANE_SECRET = "canary-dataplane-secret-b81f"
CHECK_SECRET = "canary-check-secret-44aa"
CREATED = {
    "dataplaneId": "d-1",
    "regionId": "r-1",
    "clientId": "c-1",
    "clientSecret": DATAPLANE_SECRET,
}


def echo(request: httpx.Request) -> httpx.Response:
    """A hostile server that quotes the request body and headers back in its problem."""
    echoed = f"{request.content.decode()} {dict(request.headers)}"
    return problem(400, f"bad-request {echoed}", echoed, message=echoed)


Scenario = Callable[[ApiClient], Coroutine[Any, Any, Any]]


async def create_then_fail(client: ApiClient) -> None:
    created = await client.create_dataplane(region_id="r-1", name="dp", enabled=True)
    logging.getLogger("test").info("created %r", created)
    await client.update_dataplane("d-1", name=str(created["clientSecret"]))


def created_then_echo(api: FakeApi) -> None:
    api.on("POST", "/v1/dataplanes", ok(CREATED))
    api.on("PATCH", "/v1/dataplanes/d-1", echo)


SCENARIOS: dict[str, tuple[Callable[[FakeApi], None], Scenario]] = {
    "token-refused": (
        lambda api: api.on("POST", "/v1/applications/token", echo),
        lambda client: client.list_regions(ORG),
    ),
    "token-transport": (
        lambda api: api.on(
            "POST", "/v1/applications/token", httpx.ConnectError("[Errno 111] Connection refused")
        ),
        lambda client: client.list_regions(ORG),
    ),
    "call-echoes-bearer": (
        lambda api: api.on("GET", "/v1/regions", echo),
        lambda client: client.list_regions(ORG),
    ),
    "dataplane-secret-echoed": (created_then_echo, create_then_fail),
    "dataplane-check-echoed": (
        lambda api: api.on("POST", "/api/v1/dataplanes/token", echo),
        lambda client: client.dataplane_token(
            "https://cp.example.test/api/v1/dataplanes/token",
            client_id="c-1",
            client_secret=CHECK_SECRET,
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_no_secret_in_errors_reprs_or_logs(
    api: FakeApi, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    setup, scenario = SCENARIOS[name]
    setup(api)
    caplog.set_level(logging.DEBUG)
    client = api.client(max_attempts=2)

    async def go() -> None:
        async with client:
            await scenario(client)

    with pytest.raises(ApiError) as caught:
        run(go())
    error = caught.value
    seen = [
        str(error),
        repr(error),
        error.render(),
        "".join(traceback.format_exception(error)),
        repr(client),
        repr(client._session.tokens),
        caplog.text,
        *(str(vars(e)) for e in (error, error.__cause__) if e is not None),
    ]
    token = "access-token-1-7d3a"
    for text in seen:
        for secret in (CLIENT_SECRET, DATAPLANE_SECRET, CHECK_SECRET, token):
            assert secret not in text, f"{secret!r} leaked in {name}"
    assert "**redacted**" in str(error) or name == "token-transport"
