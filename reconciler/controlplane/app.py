"""The ASGI application: every route under both public prefixes, the data plane's internal
routes, the embedded-only status view, problem bodies for unknown routes, and faults in front.

Public routes answer at ``/v1/...`` (Cloud) and ``/api/public/v1/...`` (self-managed).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router

from reconciler.controlplane import (
    problems,
    routes_access,
    routes_applications,
    routes_connections,
    routes_connectors,
    routes_dataplanes,
    routes_groups,
    routes_regions,
    routes_workspaces,
    status,
)
from reconciler.controlplane.context import Context
from reconciler.controlplane.faults import FaultMiddleware, FaultSwitch

PUBLIC_PREFIXES = ("/v1", "/api/public/v1")


async def _health(request: Request) -> Response:
    return JSONResponse({"available": True})


def _public_routes() -> list[BaseRoute]:
    return [
        Route("/health", _health, methods=["GET"]),
        *routes_applications.ROUTES,
        *routes_regions.ROUTES,
        *routes_dataplanes.ROUTES,
        *routes_workspaces.ROUTES,
        *routes_access.ROUTES,
        *routes_groups.ROUTES,
        *routes_connectors.ROUTES,
        *routes_connections.ROUTES,
    ]


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return problems.route_not_found(request.url.path).response()
    if exc.status_code == 405:
        return problems.method_not_allowed(request.method).response()
    return problems.bad_request(str(exc.detail)).response()


def build_app(context: Context, switch: FaultSwitch) -> Starlette:
    public = _public_routes()
    # No trailing-slash redirects: a 307 without a problem body helps no client.
    routes: list[BaseRoute] = [
        Mount(prefix, app=Router(routes=public, redirect_slashes=False))
        for prefix in PUBLIC_PREFIXES
    ]
    routes += [*routes_dataplanes.INTERNAL_ROUTES, *status.ROUTES]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(FaultMiddleware, switch=switch)],
        exception_handlers={HTTPException: _http_error},
    )
    app.router.redirect_slashes = False
    app.state.context = context
    return app
