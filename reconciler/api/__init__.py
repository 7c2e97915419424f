"""Async client of the control-plane public API: auth, pagination, retries, error mapping.

Import from here: `ApiClient`, the errors of `reconciler.api.errors`, the
payload TypedDicts of `reconciler.api.types`, and `resolve_connection`.
"""

from reconciler.api.calls import CallCounter
from reconciler.api.client import ApiClient
from reconciler.api.errors import (
    AmbiguousWriteError,
    ApiError,
    AuthError,
    ConflictError,
    ConnectionSettingsError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
    ValidationError,
)
from reconciler.api.settings import ConnectionSettings, resolve_connection

__all__ = [
    "AmbiguousWriteError",
    "ApiClient",
    "ApiError",
    "AuthError",
    "CallCounter",
    "ConflictError",
    "ConnectionSettings",
    "ConnectionSettingsError",
    "NotFoundError",
    "RateLimitedError",
    "ServerError",
    "TransportError",
    "UnexpectedResponseError",
    "ValidationError",
    "resolve_connection",
]
