"""Checking the shape of 2xx answers before they are handed out as TypedDicts.

Lists come as a bare JSON array (what `/regions` and `/dataplanes` really
send) or as an envelope ``{data: [...]}`` (what the spec says, and what the
paginated and the other lists send): both are accepted everywhere. Only the
keys the engine relies on are checked; the rest is passed through as sent.
Messages name missing keys, never values (a body may hold a secret).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from reconciler.api.session import Call, decode_json, malformed

__all__ = ["drop_none", "list_items", "one_object"]


def drop_none(**fields: Any) -> dict[str, Any]:
    """A request body of the given fields, those set to None left out (PATCH semantics)."""
    return {key: value for key, value in fields.items() if value is not None}


def list_items(
    response: httpx.Response, call: Call, *, required: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The items of a list answer, bare array or ``{data: [...]}``."""
    body = decode_json(response, call)
    items = body.get("data") if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise malformed(call, response.status_code, "expected a JSON array or {data: [...]}")
    keys = frozenset(required)
    for index, item in enumerate(items):
        # An object holding every required key passes ``_check``: asked in C, not per key.
        if not (isinstance(item, dict) and item.keys() >= keys):
            _check(item, call, response.status_code, required, where=f"item {index}")
    return items


def one_object(
    response: httpx.Response, call: Call, *, required: Sequence[str] = ()
) -> dict[str, Any]:
    """The JSON object of a single-object answer, with `required` keys present."""
    body = decode_json(response, call)
    _check(body, call, response.status_code, required, where="answer")
    assert isinstance(body, dict)
    return body


def _check(item: object, call: Call, status: int, required: Sequence[str], *, where: str) -> None:
    if not isinstance(item, dict):
        raise malformed(call, status, f"{where} is not a JSON object")
    missing = [key for key in required if key not in item]
    if missing:
        raise malformed(call, status, f"{where} lacks {', '.join(missing)}")
