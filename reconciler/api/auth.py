"""The control-plane access token: fetched once, refreshed before it expires.

Client-credentials flow against ``POST {base}/applications/token``. The token
is refreshed when less than 60 s, or 10 % of its lifetime if that is shorter,
remain (Cloud tokens may live only 3 minutes). Concurrent callers share one
refresh (an `asyncio.Lock`). The token value never appears in a repr or log.
This module does not send requests itself: `fetch` is injected by the session.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from reconciler.api import errors
from reconciler.api.types import TokenResponse

if TYPE_CHECKING:
    from reconciler.api.session import Call

__all__ = ["TokenManager", "parse_token_answer", "refresh_margin"]

log = logging.getLogger(__name__)

_MAX_MARGIN = 60.0


def refresh_margin(lifetime: float) -> float:
    """Seconds before expiry at which a token counts as stale."""
    return min(_MAX_MARGIN, 0.1 * lifetime)


def parse_token_answer(body: Any, call: Call) -> TokenResponse:
    """Check the token endpoint's answer; the message never quotes it (it holds the token)."""
    token = body.get("access_token") if isinstance(body, dict) else None
    lifetime = body.get("expires_in") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        problem = "has no access_token"
    elif isinstance(lifetime, bool) or not isinstance(lifetime, int | float):
        problem = "has no numeric expires_in"
    else:
        token_type = body.get("token_type")
        return TokenResponse(
            access_token=token,
            token_type=token_type if isinstance(token_type, str) else "Bearer",
            expires_in=int(lifetime),
        )
    raise errors.UnexpectedResponseError(
        method=call.method, path=call.path, title=f"token answer {problem}", resource=call.resource
    )


class TokenManager:
    """Hands out a valid bearer token, refreshing it when due or when told it was refused."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[TokenResponse]],
        *,
        clock: Callable[[], float],
        on_token: Callable[[str], None] = lambda _token: None,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._on_token = on_token
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    def _current(self) -> str | None:
        if self._token is not None and self._clock() < self._refresh_at:
            return self._token
        return None

    async def get(self) -> str:
        """A token valid for at least the refresh margin."""
        token = self._current()
        if token is not None:
            return token
        async with self._lock:
            token = self._current()  # another task may have refreshed while we waited
            if token is not None:
                return token
            issued = self._clock()
            answer = await self._fetch()
            lifetime = float(answer["expires_in"])
            self._token = answer["access_token"]
            self._on_token(self._token)
            self._refresh_at = issued + lifetime - refresh_margin(lifetime)
            log.debug("control-plane token obtained, valid for %.0f s", lifetime)
            return self._token

    async def invalidate(self, refused: str) -> None:
        """Forget `refused` (answered with 401) unless a newer token already replaced it."""
        async with self._lock:
            if self._token == refused:
                self._token = None

    def __repr__(self) -> str:
        return f"TokenManager(has_token={self._token is not None})"
