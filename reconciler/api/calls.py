"""Counting the HTTP requests one run sends to the control plane.

Every request that reaches the transport counts, retries and token requests
included; token requests are also counted on their own so the plan footer can
show them apart. Keys are method plus path template (``GET /workspaces``,
``PATCH /regions/{regionId}``), never a concrete id. Owns no I/O.

``listening(callback)`` lets a caller watch every request of every counter while it lasts
(the CLI's status line during a refresh) without being handed the client.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = ["CallCounter", "listening"]

#: ``callback("GET /workspaces")`` per request sent, while ``listening`` lasts.
_listeners: list[Callable[[str], None]] = []
_listeners_lock = threading.Lock()


@contextmanager
def listening(callback: Callable[[str], None]) -> Iterator[None]:
    with _listeners_lock:
        _listeners.append(callback)
    try:
        yield
    finally:
        with _listeners_lock:
            _listeners.remove(callback)


@dataclass
class CallCounter:
    """Per-run count of API calls (mutable; one per `ApiClient`)."""

    total: int = 0
    token: int = 0
    retries: int = 0
    #: Answers that were 429 (throttled), retried or not.
    throttled: int = 0
    by_endpoint: Counter[str] = field(default_factory=Counter)
    #: Failed answers by HTTP status (``"404"``), and ``"transport"`` for no answer at all.
    errors: Counter[str] = field(default_factory=Counter)

    def record(self, method: str, template: str, *, is_token: bool = False) -> None:
        self.total += 1
        endpoint = f"{method} {template}"
        self.by_endpoint[endpoint] += 1
        if is_token:
            self.token += 1
        for listener in _listeners:
            listener(endpoint)

    def record_error(self, status: str) -> None:
        self.errors[status] += 1

    def record_retry(self) -> None:
        self.retries += 1

    @property
    def api(self) -> int:
        """Requests other than token requests."""
        return self.total - self.token

    def summary(self) -> str:
        """One line for the plan footer, e.g. ``12 API calls (+1 token request, 2 retries)``."""
        extras = []
        if self.token:
            extras.append(f"+{self.token} token request{'s' if self.token != 1 else ''}")
        if self.retries:
            extras.append(f"{self.retries} retr{'ies' if self.retries != 1 else 'y'}")
        text = f"{self.api} API call{'s' if self.api != 1 else ''}"
        return f"{text} ({', '.join(extras)})" if extras else text

    def as_dict(self) -> dict[str, object]:
        """Deterministic JSON-ready form (sorted endpoint keys)."""
        return {
            "total": self.total,
            "api": self.api,
            "token": self.token,
            "retries": self.retries,
            "byEndpoint": dict(sorted(self.by_endpoint.items())),
        }
