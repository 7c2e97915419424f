"""Reading requests: capped bodies, JSON or form, typed fields, query and path parameters.

Every malformed input becomes an ``ApiProblem`` here, before a handler touches the database:
syntax errors and missing required fields are 400 ``bad-request`` (bean validation in the real
server), a value of the wrong type or shape is 422 ``unprocessable-entity`` (Jackson could not
map it). Unknown fields are ignored and ``null`` means absent, as with the real server's
lenient Jackson settings. Enums are accepted case-insensitively.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from reconciler.controlplane import problems

MAX_NAME = 256
Body = dict[str, Any]


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing anything over ``limit`` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise problems.bad_request("invalid Content-Length header")
        if int(declared) > limit:
            raise problems.payload_too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise problems.payload_too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_object(raw: bytes) -> Body:
    if not raw.strip():
        raise problems.bad_request("a JSON request body is required")
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise problems.bad_request(f"malformed JSON: {type(exc).__name__}") from None
    if not isinstance(value, dict):
        raise problems.unprocessable("the request body must be a JSON object")
    return value


def parse_form(raw: bytes) -> Body:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise problems.bad_request("form body is not UTF-8") from None
    return dict(parse_qsl(text, keep_blank_values=True))


async def json_body(request: Request, limit: int) -> Body:
    return parse_json_object(await read_body(request, limit))


async def json_or_form_body(request: Request, limit: int) -> Body:
    raw = await read_body(request, limit)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/x-www-form-urlencoded":
        return parse_form(raw)
    return parse_json_object(raw)


def _check_text(field: str, value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise problems.unprocessable(f"{field} is not valid UTF-8 text") from None
    if "\x00" in value:
        raise problems.unprocessable(f"{field} must not contain NUL characters")
    return value


def opt_str(body: Body, field: str) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise problems.unprocessable(f"{field} must be a string")
    return _check_text(field, value)


def req_str(body: Body, field: str) -> str:
    value = opt_str(body, field)
    if value is None:
        raise problems.bad_request(f"{field} is required")
    return value


def opt_name(body: Body, field: str = "name") -> str | None:
    value = opt_str(body, field)
    if value is not None and (not value.strip() or len(value) > MAX_NAME):
        raise problems.bad_request(f"{field} must be 1 to {MAX_NAME} characters, not blank")
    return value


def req_name(body: Body, field: str = "name") -> str:
    value = opt_name(body, field)
    if value is None:
        raise problems.bad_request(f"{field} is required")
    return value


def opt_bool(body: Body, field: str) -> bool | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise problems.unprocessable(f"{field} must be a boolean")
    return value


def as_uuid(text: str) -> str | None:
    """The canonical lower-case spelling of a UUID, or None."""
    if len(text) > 64:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def opt_uuid(body: Body, field: str) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    canonical = as_uuid(value) if isinstance(value, str) else None
    if canonical is None:
        raise problems.unprocessable(f"{field} must be a UUID")
    return canonical


def req_uuid(body: Body, field: str) -> str:
    value = opt_uuid(body, field)
    if value is None:
        raise problems.bad_request(f"{field} is required")
    return value


def opt_enum(body: Body, field: str, allowed: frozenset[str]) -> str | None:
    value = opt_str(body, field)
    if value is None:
        return None
    if value.lower() not in allowed:
        raise problems.unprocessable(f"{field} must be one of {', '.join(sorted(allowed))}")
    return value.lower()


def path_uuid(request: Request, name: str) -> str:
    value = as_uuid(str(request.path_params[name]))
    if value is None:
        raise problems.bad_request(f"{name} must be a UUID")
    return value


def query_uuid(request: Request, name: str, *, required: bool = False) -> str | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        if required:
            raise problems.bad_request(f"query parameter {name} is required")
        return None
    value = as_uuid(raw)
    if value is None:
        raise problems.bad_request(f"query parameter {name} must be a UUID")
    return value


def query_list(request: Request, name: str) -> list[str]:
    """Repeated (``a=1&a=2``, what SDKs send) or comma-joined (``a=1,2``) values."""
    values: list[str] = []
    for item in request.query_params.getlist(name):
        values.extend(part.strip() for part in item.split(",") if part.strip())
    for value in values:
        _check_text(name, value)
    return values


def query_uuids(request: Request, name: str) -> list[str]:
    out: list[str] = []
    for raw in query_list(request, name):
        value = as_uuid(raw)
        if value is None:
            raise problems.bad_request(f"query parameter {name} must hold UUIDs")
        out.append(value)
    return out


def query_int(request: Request, name: str, *, default: int, low: int, high: int | None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw) if len(raw) <= 12 else None
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        bound = f"{low}..{high}" if high is not None else f">= {low}"
        raise problems.bad_request(f"query parameter {name} must be an integer {bound}")
    return value


def query_bool(request: Request, name: str, *, default: bool) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise problems.bad_request(f"query parameter {name} must be true or false")
