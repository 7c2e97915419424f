"""Errors raised by the control-plane API client.

Every failure of a control-plane call is an `ApiError` that names the call
(method and path), the resource it was about (a short label the caller gives,
such as ``region 'aws-us-east-1'``) and, when the server answered, the status
and the problem body's title and detail:

    FlexctlError                   reconciler.errors
     +-- ConnectionSettingsError   control-plane URL or credentials missing / malformed
     +-- ApiError                  a call failed (method, path, status, title, detail, resource)
          +-- NotFoundError        404
          +-- ConflictError        409
          +-- AuthError            401 (after one token refresh) / 403, or the token call failed
          +-- ValidationError      400 / 422
          +-- RateLimitedError     429, still after the retries
          +-- ServerError          5xx, still after the retries (or not retried: 500 on a write)
          +-- TransportError       no answer (connect, timeout, protocol), still after retries
          +-- UnexpectedResponseError  a 2xx answer whose body is not what the API documents
          +-- AmbiguousWriteError  a create whose outcome is unknown: it may have happened,
                                   look the object up by its natural key before trying again

This module builds messages only from what it is given. Callers pass text that
has already been scrubbed of secrets (see `reconciler.api.problems`); nothing
here ever sees a request body, a token or a client secret.
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import FlexctlError

__all__ = [
    "AmbiguousWriteError",
    "ApiError",
    "AuthError",
    "ConflictError",
    "ConnectionSettingsError",
    "NotFoundError",
    "RateLimitedError",
    "ServerError",
    "TransportError",
    "UnexpectedResponseError",
    "ValidationError",
]


class ConnectionSettingsError(FlexctlError):
    """The control-plane URL or credentials are missing or malformed."""


class ApiError(FlexctlError):
    """A control-plane call failed; the message names the call and the resource."""

    def __init__(
        self,
        *,
        method: str,
        path: str,
        status: int | None = None,
        title: str = "",
        detail: str = "",
        resource: str | None = None,
        attempts: int = 1,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.title = title
        self.detail = detail
        self.resource = resource
        self.attempts = attempts
        # Seconds the server asked us to wait (Retry-After); read by the retry policy only.
        self.retry_after: float | None = None
        #: Said after the message (e.g. how long a throttled read was retried).
        self.note = ""
        super().__init__(self._message())

    def _where(self) -> str:
        where = f"{self.method} {self.path}"
        return f"{where} ({self.resource})" if self.resource else where

    def _what(self) -> str:
        head = " ".join(part for part in (str(self.status or ""), self.title) if part)
        if self.detail and self.detail != self.title:
            return f"{head}: {self.detail}" if head else self.detail
        return head or "request failed"

    def _message(self) -> str:
        message = f"{self._where()}: {self._what()}"
        if self.attempts > 1:
            message += f" (gave up after {self.attempts} attempts)"
        if self.note:
            message += f"; {self.note}"
        return message

    def __str__(self) -> str:
        # Recomputed so that `attempts`, set once the retries are over, shows up.
        return self._message()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._message()!r})"


class NotFoundError(ApiError):
    """404: the object does not exist (a retried DELETE may also end here: treat as done)."""


class ConflictError(ApiError):
    """409: a name is taken, or the object is in a state that forbids the change."""


class AuthError(ApiError):
    """401 after one token refresh, 403, or the token endpoint refused the credentials."""


class ValidationError(ApiError):
    """400 / 422: the server rejected the request body or parameters."""


class RateLimitedError(ApiError):
    """429 still after the retries (the server sheds load per user, without Retry-After)."""


class ServerError(ApiError):
    """5xx still after the retries, or a 5xx on a call that is not retried."""


class TransportError(ApiError):
    """No HTTP answer: connection refused, timeout, protocol error (after the retries).

    `request_sent` is False only when the request certainly never reached the
    server (connect error or timeout, no free connection): then even a create
    may be repeated.
    """

    def __init__(self, *, request_sent: bool = True, **kwargs: Any) -> None:
        self.request_sent = request_sent
        super().__init__(**kwargs)


class UnexpectedResponseError(ApiError):
    """A 2xx answer whose body is not shaped as the API documents."""


class AmbiguousWriteError(ApiError):
    """A create failed in a way that leaves its outcome unknown.

    Creates carry no idempotency key, so the client never repeats one that may
    have reached the server (read timeout, dropped connection, 5xx answer).
    The engine looks the object up by its natural key before trying again.
    """

    def _what(self) -> str:
        return f"outcome unknown ({super()._what()}); the object may exist"
