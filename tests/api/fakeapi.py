"""A scripted fake of the control-plane API behind `httpx.MockTransport`.

Tests script answers per (method, path); the token endpoint is served by
default. Time never passes for real: sleep is recorded, the clock is a fake.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import httpx

from reconciler.api import ApiClient

BASE = "https://api.example.test/v1"
CLIENT_SECRET = "canary-client-secret-5f1c9e"  # must never surface anywhere
ORG = "11111111-1111-1111-1111-111111111111"

Answer = httpx.Response | Exception | Callable[[httpx.Request], Any]


T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def problem(
    status: int,
    title: str,
    detail: str = "",
    *,
    content_type: str = "application/json",
    **data: Any,
) -> httpx.Response:
    body = {
        "status": status,
        "type": "https://reference.airbyte.com/reference/errors",
        "title": title,
        "detail": detail,
        "documentationUrl": None,
        "data": data or None,
    }
    return httpx.Response(status, content=json.dumps(body), headers={"content-type": content_type})


def ok(body: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body)


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeApi:
    """Routes requests to scripted answers; a list of answers is consumed, the last repeats."""

    clock: FakeClock = field(default_factory=FakeClock)
    routes: dict[tuple[str, str], list[Answer]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    expires_in: int = 900
    tokens_issued: int = 0
    valid_tokens: set[str] = field(default_factory=set)

    def on(self, method: str, path: str, *answers: Answer) -> None:
        self.routes[(method, path)] = list(answers)

    def hits(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(float(seconds))
        self.clock.now += float(seconds)

    def issue_token(self, request: httpx.Request) -> httpx.Response:
        self.tokens_issued += 1
        token = f"access-token-{self.tokens_issued}-7d3a"
        self.valid_tokens.add(token)
        return ok({"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in})

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        key = (request.method, path)
        if key not in self.routes and path.endswith("/applications/token"):
            return self.issue_token(request)
        auth = request.headers.get("authorization", "")
        if not path.endswith("/token") and auth.removeprefix("Bearer ") not in self.valid_tokens:
            return problem(401, "invalid-api-key")
        answers = self.routes.get(key)
        if not answers:
            return problem(404, "resource-not-found", f"no route {request.method} {path}")
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            result = answer(request)
            if asyncio.iscoroutine(result):
                result = await result
            assert isinstance(result, httpx.Response)
            return result
        # A fresh copy each time: an httpx.Response must not be sent twice.
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    def client(self, base: str = BASE, **kwargs: Any) -> ApiClient:
        return ApiClient(
            base,
            client_id="client-id-1",
            client_secret=CLIENT_SECRET,
            transport=httpx.MockTransport(self),
            sleep=self.sleep,
            clock=self.clock,
            **kwargs,
        )


def query(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(request.url.query.decode(), keep_blank_values=True)


def body(request: httpx.Request) -> Any:
    return json.loads(request.content)
