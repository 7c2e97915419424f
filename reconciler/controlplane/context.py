"""What every handler shares: the store, the clock, limits, and the wrapper that renders errors.

``endpoint`` turns an ``ApiProblem`` into its problem body and any other exception into a
500 ``unexpected-problem`` (logged with its type only: a message could echo request data).
Handlers authenticate first (401 before 400, as the real server does), then read the body.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import wraps

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reconciler.controlplane import problems, security
from reconciler.controlplane.pagemarks import PageMarks
from reconciler.controlplane.quirks import QuirkSwitch
from reconciler.controlplane.store import Store

log = logging.getLogger("reconciler.controlplane")

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Context:
    store: Store
    clock: Callable[[], float]
    token_ttl: int
    max_body_bytes: int
    quirks: QuirkSwitch = field(default_factory=QuirkSwitch)
    #: Where the last list pages ended (``pagemarks``): pages far down a list seek, not count.
    pages: PageMarks = field(default_factory=PageMarks)

    def now_us(self) -> int:
        return int(self.clock() * 1_000_000)

    def principal(self, request: Request) -> security.Principal:
        with self.store.read() as db:
            return security.authenticate(
                db, request.headers.get("authorization"), now_us=self.now_us()
            )

    def user(self, request: Request) -> str:
        """The calling user's id (401 without a valid token, 403 for a data-plane token)."""
        return security.user_of(self.principal(request))


def ctx(request: Request) -> Context:
    context: Context = request.app.state.context
    return context


def endpoint(handler: Handler) -> Handler:
    @wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except problems.ApiProblem as problem:
            return problem.response()
        except Exception as exc:
            log.error(
                "unexpected error in %s %s: %s",
                request.method,
                request.url.path,
                type(exc).__name__,
            )
            return problems.unexpected(type(exc).__name__).response()

    return wrapped


def ok(body: object) -> Response:
    """A 200 with ``body`` as JSON: orjson's bytes (a 10,000-workspace plan reads 100 pages of
    100 workspaces; ``json.dumps`` was the server's largest cost), the standard library's
    where orjson cannot write a value as ``JSONResponse`` would (an integer past 64 bits)."""
    try:
        return Response(orjson.dumps(body), media_type="application/json")
    except orjson.JSONEncodeError:
        return JSONResponse(body)
