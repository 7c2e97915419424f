"""Retries: which failures are repeated, how long the client waits, and creates never doubled."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from reconciler.api import (
    AmbiguousWriteError,
    ApiError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
)

from .fakeapi import ORG, FakeApi, ok, problem, run

RATE_LIMITED = httpx.Response(429, json={"message": "You are being rate limited."})
REGION = {"regionId": "r-1", "name": "eu-1", "organizationId": ORG, "enabled": True}


async def list_regions(api: FakeApi, **kwargs: Any) -> Any:
    async with api.client(**kwargs) as client:
        return await client.list_regions(ORG)


async def create_region(api: FakeApi, **kwargs: Any) -> Any:
    async with api.client(**kwargs) as client:
        return await client.create_region(name="eu-1", organization_id=ORG, enabled=True)


def test_429_without_retry_after_backs_off_exponentially_with_jitter(api: FakeApi) -> None:
    api.on("GET", "/v1/regions", RATE_LIMITED, RATE_LIMITED, RATE_LIMITED, ok([REGION]))

    assert run(list_regions(api)) == [REGION]
    assert len(api.hits("GET", "/v1/regions")) == 4
    # 2**n + uniform(0, 1) for n = 0, 1, 2
    assert len(api.sleeps) == 3
    for n, slept in enumerate(api.sleeps):
        assert 2**n <= slept <= 2**n + 1


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "3600"}, 30.0),  # capped at max_wait
        (
            {
                "retry-after": "Wed, 21 Oct 2015 07:28:12 GMT",
                "date": "Wed, 21 Oct 2015 07:28:00 GMT",
            },
            12.0,
        ),
    ],
    ids=["seconds", "zero", "capped", "http-date"],
)
def test_retry_after_is_honoured(api: FakeApi, headers: dict[str, str], expected: float) -> None:
    api.on("GET", "/v1/regions", httpx.Response(429, headers=headers), ok([]))

    run(list_regions(api))
    assert api.sleeps == [expected]


def test_503_retry_after_is_honoured_too(api: FakeApi) -> None:
    unavailable = problem(503, "service-unavailable")
    unavailable.headers["retry-after"] = "2"
    api.on("GET", "/v1/regions", unavailable, ok([]))

    run(list_regions(api))
    assert api.sleeps == [2.0]


def test_attempts_are_bounded_and_the_error_says_so(api: FakeApi) -> None:
    api.on("GET", "/v1/regions", problem(503, "service-unavailable", "Try later."))

    with pytest.raises(ServerError) as caught:
        run(list_regions(api))
    assert len(api.hits("GET", "/v1/regions")) == 6
    assert caught.value.attempts == 6
    assert str(caught.value) == (
        f"GET /regions (regions of organization {ORG}): 503 service-unavailable: "
        "Try later. (gave up after 6 attempts)"
    )


def test_total_retry_time_is_bounded(api: FakeApi) -> None:
    slow = problem(503, "service-unavailable")
    slow.headers["retry-after"] = "25"
    api.on("GET", "/v1/regions", slow)

    with pytest.raises(ServerError):
        run(list_regions(api, max_elapsed=60.0))
    assert api.sleeps == [25.0, 25.0, 10.0]  # the last wait is cut to the deadline
    assert len(api.hits("GET", "/v1/regions")) == 4


def test_a_throttled_read_is_retried_past_the_attempt_limit_until_it_succeeds(
    api: FakeApi,
) -> None:
    api.on("GET", "/v1/regions", *([RATE_LIMITED] * 20), ok([REGION]))

    assert run(list_regions(api)) == [REGION]
    assert len(api.hits("GET", "/v1/regions")) == 21
    waits = api.sleeps[-10:]
    assert all(0 < w <= 31.0 for w in waits)
    assert len(set(waits)) > 1  # jittered


def test_a_throttled_read_gives_up_at_the_overall_deadline_with_the_count(api: FakeApi) -> None:
    api.on("GET", "/v1/regions", RATE_LIMITED)

    with pytest.raises(RateLimitedError) as caught:
        run(list_regions(api, timeout_total=300.0))
    hits = len(api.hits("GET", "/v1/regions"))
    assert hits > 6  # more than the attempts any other failure gets
    assert sum(api.sleeps) == pytest.approx(300.0)  # the last wait is cut to the deadline
    assert str(caught.value).endswith(
        f"(gave up after {hits} attempts); still throttled when the --timeout of 300 s "
        f"passed; {hits} throttled answers (429) in this run"
    )


def test_a_throttled_create_still_gives_up_after_the_attempt_limit(api: FakeApi) -> None:
    api.on("POST", "/v1/regions", RATE_LIMITED)

    with pytest.raises(RateLimitedError) as caught:
        run(create_region(api))
    assert len(api.hits("POST", "/v1/regions")) == 6
    assert "--timeout" not in str(caught.value)


@pytest.mark.parametrize("status", [502, 503, 504, 408])
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_idempotent_calls_retry_gateway_errors(api: FakeApi, status: int, method: str) -> None:
    path = "/v1/regions" if method == "GET" else "/v1/regions/r-1"
    api.on(method, path, httpx.Response(status), ok([REGION] if method == "GET" else REGION))

    async def scenario() -> None:
        async with api.client() as client:
            if method == "GET":
                await client.list_regions(ORG)
            elif method == "PATCH":
                await client.update_region("r-1", enabled=False)
            else:
                await client.delete_region("r-1")

    run(scenario())
    assert len(api.hits(method, path)) == 2


def test_500_on_a_read_is_tried_three_times(api: FakeApi) -> None:
    api.on("GET", "/v1/regions", problem(500, "unexpected-problem", "boom"))

    with pytest.raises(ServerError, match=r"500 unexpected-problem: boom \(gave up after 3"):
        run(list_regions(api))
    assert len(api.hits("GET", "/v1/regions")) == 3


def test_500_on_a_patch_is_reported_at_once(api: FakeApi) -> None:
    api.on("PATCH", "/v1/regions/r-1", problem(500, "unexpected-problem", "duplicate key"))

    async def scenario() -> None:
        async with api.client() as client:
            await client.update_region("r-1", name="taken")

    with pytest.raises(ServerError):
        run(scenario())
    assert len(api.hits("PATCH", "/v1/regions/r-1")) == 1


def test_retried_delete_whose_first_answer_was_lost_reports_not_found(api: FakeApi) -> None:
    request = httpx.Request("DELETE", "https://api.example.test/v1/regions/r-1")
    api.on(
        "DELETE",
        "/v1/regions/r-1",
        httpx.ReadTimeout("timed out", request=request),
        problem(404, "resource-not-found"),
    )

    async def scenario() -> None:
        async with api.client() as client:
            await client.delete_region("r-1")

    with pytest.raises(NotFoundError):
        run(scenario())
    assert len(api.hits("DELETE", "/v1/regions/r-1")) == 2


@pytest.mark.parametrize(
    "failure",
    [
        problem(500, "unexpected-problem", "duplicate key"),
        httpx.Response(502),
        httpx.Response(503),
        httpx.Response(504),
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.WriteError("broken pipe"),
    ],
    ids=["500", "502", "503", "504", "read-timeout", "disconnected", "write-error"],
)
def test_create_with_an_ambiguous_failure_is_sent_exactly_once(api: FakeApi, failure: Any) -> None:
    api.on("POST", "/v1/regions", failure, ok(REGION))

    with pytest.raises(AmbiguousWriteError) as caught:
        run(create_region(api))
    assert len(api.hits("POST", "/v1/regions")) == 1
    assert api.sleeps == []
    assert caught.value.resource == "region 'eu-1'"
    assert str(caught.value).startswith("POST /regions (region 'eu-1'): outcome unknown (")
    assert isinstance(caught.value.__cause__, ApiError)


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("connect timed out"), RATE_LIMITED],
    ids=["connect-error", "connect-timeout", "429"],
)
def test_create_is_retried_when_it_certainly_was_not_processed(api: FakeApi, failure: Any) -> None:
    api.on("POST", "/v1/regions", failure, ok(REGION))

    assert run(create_region(api)) == REGION
    assert len(api.hits("POST", "/v1/regions")) == 2


def test_create_that_never_connects_gives_up_as_a_transport_error(api: FakeApi) -> None:
    api.on("POST", "/v1/regions", httpx.ConnectError("[Errno 111] Connection refused"))

    with pytest.raises(TransportError) as caught:
        run(create_region(api, max_attempts=3))
    assert str(caught.value) == (
        "POST /regions (region 'eu-1'): ConnectError: [Errno 111] Connection refused "
        "(https://api.example.test/v1/regions) (gave up after 3 attempts)"
    )
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_a_retried_connection_failure_names_the_url_it_could_not_reach(
    api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    api.on("GET", "/v1/regions", httpx.ConnectError("[Errno 111] Connection refused"), ok([]))
    caplog.set_level("WARNING")

    run(list_regions(api))
    (warning,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warning.startswith(
        "GET https://api.example.test/v1/regions: ConnectError; retrying in "
    ), warning


def test_create_refused_with_409_is_a_conflict_not_ambiguous(api: FakeApi) -> None:
    api.on("POST", "/v1/regions", problem(409, "Data plane group name already exists", "eu-1"))

    with pytest.raises(ConflictError):
        run(create_region(api))
    assert len(api.hits("POST", "/v1/regions")) == 1


def test_create_answered_without_an_id_is_ambiguous(api: FakeApi) -> None:
    api.on("POST", "/v1/regions", ok({"name": "eu-1"}))

    with pytest.raises(AmbiguousWriteError, match="answer lacks regionId, organizationId, enabled"):
        run(create_region(api))


def test_retries_are_logged_without_bodies(api: FakeApi, caplog: pytest.LogCaptureFixture) -> None:
    api.on("GET", "/v1/regions", RATE_LIMITED, ok([]))
    caplog.set_level("DEBUG")

    run(list_regions(api))
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1
    assert warnings[0].startswith("GET /regions: 429 Too Many Requests; retrying in ")
    # A throttled read reports its progress: attempts, throttled answers, time left.
    assert re.search(
        r"s \(attempt 2; 1 throttled answers so far, giving up in 3600 s\)$", warnings[0]
    )
