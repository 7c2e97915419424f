"""``/applications`` and ``POST /applications/token``: per-user API clients and their tokens.

An application belongs to the user who created it and its token acts as that user. The client
secret is shown in the create answer only: it is stored as a digest, so list, get and delete
answer a fixed mask where the real server would repeat the secret (a documented deviation).
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.controlplane import inputs, problems, security
from reconciler.controlplane.context import ctx, endpoint, ok

SECRET_MASK = "**********"  # noqa: S105 (a mask, not a secret)


def _read(row: sqlite3.Row, secret: str = SECRET_MASK) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "clientId": row["client_id"],
        "clientSecret": secret,
        "createdAt": row["created_ms"],
    }


def create_application(
    db: sqlite3.Connection, *, user_id: str, name: str, now_us: int
) -> tuple[dict[str, Any], str]:
    """Insert an application; returns its read shape (with the secret) and the secret."""
    app_id, client_id, secret = str(uuid.uuid4()), str(uuid.uuid4()), security.new_secret()
    db.execute(
        "INSERT INTO applications VALUES (?, ?, ?, ?, ?, ?)",
        (app_id, user_id, name, client_id, security.digest(secret), now_us // 1000),
    )
    row: sqlite3.Row = db.execute("SELECT * FROM applications WHERE id = ?", (app_id,)).fetchone()
    return _read(row, secret), secret


@endpoint
async def token(request: Request) -> Response:
    c = ctx(request)
    accepted = c.quirks.get().token_body
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    is_form = ctype == "application/x-www-form-urlencoded"
    if (accepted == "json" and is_form) or (accepted == "form" and not is_form):
        # What the public reports show: the body is not parsed, so no credentials are seen.
        raise problems.unauthorized()
    body = await inputs.json_or_form_body(request, c.max_body_bytes)
    grant = body.get("grant_type", body.get("grant-type"))
    if grant is not None and (not isinstance(grant, str) or grant.lower() != "client_credentials"):
        raise problems.bad_request("grant_type must be client_credentials")
    client_id = inputs.req_str(body, "client_id")
    client_secret = inputs.req_str(body, "client_secret")
    with c.store.write() as db:
        row: sqlite3.Row | None = db.execute(
            "SELECT user_id, secret_hash FROM applications WHERE client_id = ?", (client_id,)
        ).fetchone()
        if row is None or not security.matches(client_secret, row["secret_hash"]):
            raise problems.unauthorized()
        access = security.issue_token(
            db, kind="user", subject_id=row["user_id"], now_us=c.now_us(), ttl_s=c.token_ttl
        )
    return ok({"access_token": access, "token_type": "Bearer", "expires_in": c.token_ttl})


@endpoint
async def list_applications(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    with c.store.read() as db:
        rows = db.execute(
            "SELECT * FROM applications WHERE user_id = ? ORDER BY created_ms, id", (user_id,)
        ).fetchall()
    return ok({"applications": [_read(r) for r in rows]})


@endpoint
async def create(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    body = await inputs.json_body(request, c.max_body_bytes)
    name = inputs.req_name(body)
    with c.store.write() as db:
        read, _ = create_application(db, user_id=user_id, name=name, now_us=c.now_us())
    return ok(read)


def _own(db: sqlite3.Connection, user_id: str, app_id: str) -> sqlite3.Row:
    row: sqlite3.Row | None = db.execute(
        "SELECT * FROM applications WHERE id = ? AND user_id = ?", (app_id, user_id)
    ).fetchone()
    if row is None:  # another user's application is as invisible as a missing one
        raise problems.not_found("application", app_id)
    return row


@endpoint
async def get(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    app_id = str(request.path_params["application_id"])
    with c.store.read() as db:
        return ok(_read(_own(db, user_id, app_id)))


@endpoint
async def delete(request: Request) -> Response:
    c = ctx(request)
    user_id = c.user(request)
    app_id = str(request.path_params["application_id"])
    with c.store.write() as db:
        row = _own(db, user_id, app_id)
        db.execute("DELETE FROM applications WHERE id = ?", (app_id,))
    # Tokens already issued stay valid until they expire, like the real server's JWTs.
    return ok(_read(row))


ROUTES = [
    Route("/applications/token", token, methods=["POST"]),
    Route("/applications", list_applications, methods=["GET"]),
    Route("/applications", create, methods=["POST"]),
    Route("/applications/{application_id}", get, methods=["GET"]),
    Route("/applications/{application_id}", delete, methods=["DELETE"]),
]
