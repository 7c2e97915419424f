"""Turning a non-2xx answer into a typed `ApiError`, with secrets scrubbed.

The server answers errors with problem bodies ``{status, type, title, detail,
data}`` served as ``application/json`` or ``application/problem+json``; its
load-shedding 429 sends a plain ``{"message": ...}``; proxies in front of it
send HTML or text. All of them become one `ApiError` subclass chosen by
status. Text taken from an answer passes through a `Redactor` first, so a
server that echoes a credential cannot put it into a message. No I/O here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from reconciler import logs
from reconciler.api import errors

__all__ = ["Redactor", "error_for_response", "retry_after_seconds"]

_MAX_DETAIL = 500
_REDACTED = "**redacted**"

_BY_STATUS: dict[int, type[errors.ApiError]] = {
    400: errors.ValidationError,
    401: errors.AuthError,
    403: errors.AuthError,
    404: errors.NotFoundError,
    409: errors.ConflictError,
    422: errors.ValidationError,
    429: errors.RateLimitedError,
}


class Redactor:
    """Replaces every known secret value in a text with a marker."""

    def __init__(self, *secrets: str) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        # Very short values would redact ordinary words; real secrets are long.
        if len(secret) >= 6:
            self._secrets.add(secret)
            # Nor in any log line, whoever logs it (a library's debug output too).
            logs.add_secret(secret)

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, _REDACTED)
        return text

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"


def error_for_response(
    response: httpx.Response,
    *,
    method: str,
    path: str,
    resource: str | None,
    scrub: Redactor,
) -> errors.ApiError:
    """The `ApiError` subclass for a non-2xx `response` (not raised here)."""
    status = response.status_code
    title, detail = _problem_text(response)
    cls = _BY_STATUS.get(status, errors.ServerError if status >= 500 else errors.ApiError)
    error = cls(
        method=method,
        path=path,
        status=status,
        title=scrub(title)[:_MAX_DETAIL],
        detail=scrub(detail)[:_MAX_DETAIL],
        resource=resource,
    )
    error.retry_after = retry_after_seconds(response)
    return error


def _problem_text(response: httpx.Response) -> tuple[str, str]:
    """(title, detail) from a problem body, a ``{message}`` body or plain text."""
    reason = response.reason_phrase or ""
    body = _json_body(response)
    if isinstance(body, dict):
        title = _text(body.get("title")) or reason
        detail = _text(body.get("detail")) or _text(body.get("message"))
        data = body.get("data")
        message = _text(data.get("message")) if isinstance(data, dict) else ""
        if message and message not in detail:
            detail = f"{detail} ({message})" if detail else message
        return title, detail
    content_type = response.headers.get("content-type", "")
    if content_type.startswith("text/plain"):
        lines = response.text.strip().splitlines()
        return reason, lines[0].strip() if lines else ""
    # HTML error pages from proxies carry nothing worth printing.
    return reason, ""


def _json_body(response: httpx.Response) -> Any:
    content_type = response.headers.get("content-type", "")
    if "json" not in content_type and not response.content.lstrip().startswith((b"{", b"[")):
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Seconds asked for by ``Retry-After`` (delta-seconds or HTTP date), else None.

    An HTTP date is measured against the answer's own ``Date`` header when
    present, so a skewed local clock does not stretch or cut the wait.
    """
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    when = _http_date(value)
    if when is None:
        return None
    now = _http_date(response.headers.get("date", "")) or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def _http_date(text: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
