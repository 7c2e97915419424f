"""Problem bodies become typed errors that name method, path and resource."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reconciler.api import (
    ApiError,
    AuthError,
    ConflictError,
    NotFoundError,
    ServerError,
    ValidationError,
)
from reconciler.errors import FlexctlError

from .fakeapi import ORG, FakeApi, problem, run


@pytest.mark.parametrize("content_type", ["application/json", "application/problem+json"])
@pytest.mark.parametrize(
    ("status", "title", "cls"),
    [
        (400, "bad-request", ValidationError),
        (403, "forbidden", AuthError),
        (404, "resource-not-found", NotFoundError),
        (409, "Data plane group name already exists", ConflictError),
        (422, "unprocessable-entity", ValidationError),
        (501, "API not implemented in Airbyte OSS", ServerError),
        (418, "teapot", ApiError),
    ],
)
def test_problem_bodies_map_to_typed_errors(
    api: FakeApi, content_type: str, status: int, title: str, cls: type[ApiError]
) -> None:
    api.on(
        "POST",
        "/v1/regions",
        problem(status, title, "the detail", content_type=content_type, message="more"),
    )

    async def scenario() -> None:
        async with api.client() as client:
            await client.create_region(name="aws-us-east-1", organization_id=ORG, enabled=True)

    with pytest.raises(ApiError) as caught:
        run(scenario())
    error = caught.value
    assert type(error) is cls
    assert isinstance(error, FlexctlError)
    assert (error.method, error.path, error.status, error.title, error.detail, error.resource) == (
        "POST",
        "/regions",
        status,
        title,
        "the detail (more)",
        "region 'aws-us-east-1'",
    )
    # A 404 names the URL that was asked: a wrong base URL answers 404 to everything.
    at = "; at https://api.example.test/v1/regions" if status == 404 else ""
    assert (
        str(error)
        == f"POST /regions (region 'aws-us-east-1'): {status} {title}: the detail (more){at}"
    )
    assert len(api.hits("POST", "/v1/regions")) == 1


def test_the_path_carries_the_id_and_the_resource_label_wins(api: FakeApi) -> None:
    api.on("DELETE", "/v1/regions/r-1", problem(404, "resource-not-found", "Region not found"))

    async def scenario() -> None:
        async with api.client() as client:
            await client.delete_region("r-1", label="region 'aws-us-east-1'")

    with pytest.raises(NotFoundError) as caught:
        run(scenario())
    assert str(caught.value) == (
        "DELETE /regions/r-1 (region 'aws-us-east-1'): 404 resource-not-found: Region not found"
        "; at https://api.example.test/v1/regions/r-1"
    )


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            httpx.Response(409, json={"message": "busy"}),
            "PATCH /workspaces/w-1 (workspace w-1): 409 Conflict: busy",
        ),
        (
            httpx.Response(
                409, text="<html><body>nginx</body></html>", headers={"content-type": "text/html"}
            ),
            "PATCH /workspaces/w-1 (workspace w-1): 409 Conflict",
        ),
        (
            httpx.Response(400, text="bad thing\nstack", headers={"content-type": "text/plain"}),
            "PATCH /workspaces/w-1 (workspace w-1): 400 Bad Request: bad thing",
        ),
        (
            httpx.Response(400, content=b"{not json", headers={"content-type": "application/json"}),
            "PATCH /workspaces/w-1 (workspace w-1): 400 Bad Request",
        ),
    ],
    ids=["message-body", "html", "plain-text", "broken-json"],
)
def test_bodies_that_are_not_problems(api: FakeApi, answer: httpx.Response, expected: str) -> None:
    api.on("PATCH", "/v1/workspaces/w-1", answer)

    async def scenario() -> Any:
        async with api.client() as client:
            return await client.update_workspace("w-1", name="x")

    with pytest.raises(ApiError) as caught:
        run(scenario())
    assert str(caught.value) == expected


def test_ids_are_quoted_into_the_path(api: FakeApi) -> None:
    api.on("DELETE", "/v1/permissions/a/b", httpx.Response(204))

    async def scenario() -> None:
        async with api.client() as client:
            await client.delete_permission("a/b")

    run(scenario())
    assert api.requests[-1].url.raw_path == b"/v1/permissions/a%2Fb"
