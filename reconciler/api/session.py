"""Sending one logical API call: auth, concurrency bound, retries, error mapping, counting.

`Session.request` takes a `Call` (method, path template and ids, body, the
caller's resource label) and returns the 2xx `httpx.Response`, or raises an
`ApiError` subclass. It is the only place that touches httpx: every httpx
exception is wrapped here (`raise ... from e`). Retry decisions live in
`reconciler.api.retry`; the token lifecycle in `reconciler.api.auth`.

Secrets: request bodies and headers are never logged or put into messages;
the `Redactor` scrubs the client secret and every access token out of any
text that comes back from the server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from reconciler.api import errors
from reconciler.api.auth import TokenManager, parse_token_answer
from reconciler.api.calls import CallCounter
from reconciler.api.problems import Redactor, error_for_response
from reconciler.api.retry import RetryPolicy, outcome_unknown
from reconciler.api.types import TokenResponse

if TYPE_CHECKING:
    from tenacity import RetryCallState

__all__ = ["Call", "Session", "decode_json", "malformed"]

log = logging.getLogger("reconciler.api")

_USER_AGENT = "flexctl"


@dataclass(frozen=True)
class Call:
    """One logical API call; `template` (``/regions/{regionId}``) keys the call counter."""

    method: str
    template: str
    resource: str | None = None
    ids: Mapping[str, str] = field(default_factory=dict)
    params: Sequence[tuple[str, str]] = ()
    json: Any = None
    form: Mapping[str, str] | None = field(default=None, repr=False)
    url: str | None = None  # absolute URL outside the API root (data-plane token check)
    bearer: bool = True
    create: bool = False  # not idempotent: see the retry policy
    is_token: bool = False  # counted apart in the call counter
    read_only: bool = False  # a POST that changes nothing (token requests): retried as a read

    @property
    def is_read(self) -> bool:
        return self.method == "GET" or self.read_only

    @property
    def path(self) -> str:
        # A call outside the API root (the data-plane token URL) is named by its whole URL:
        # "POST /api/v1/dataplanes/token" alone does not say which host did not answer.
        if self.url is not None:
            return self.url
        return self.template.format_map({k: quote(v, safe="") for k, v in self.ids.items()})


class _Final(Exception):
    """An error that must not be retried by the enclosing call (e.g. the token fetch failed)."""

    def __init__(self, error: errors.ApiError) -> None:
        super().__init__()
        self.error = error


@dataclass
class _Progress:
    attempts: int = 0
    refreshed: bool = False


class Session:
    """Owns the httpx client, the token, the semaphore and the counters of one `ApiClient`."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        token_call: Sequence[Call] | None,
        policy: RetryPolicy,
        max_concurrency: int,
        sleep: Callable[[float], Awaitable[None]],
        clock: Callable[[], float],
        redactor: Redactor,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._http = http
        self._policy = policy
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._sleep = sleep
        self._clock = clock
        self.redactor = redactor
        self.calls = CallCounter()
        self._run_started = clock()
        #: Token requests in order of preference (JSON, then form); the one that worked
        #: moves to the front, so a fallback is paid once per client, not per refresh.
        self._token_calls = list(token_call or ())
        self.tokens: TokenManager | None = None
        if self._token_calls:
            self.tokens = TokenManager(self._fetch_token, clock=clock, on_token=redactor.add)

    async def request(self, call: Call) -> httpx.Response:
        """Send `call` with retries; the 2xx answer, or the typed `ApiError`.

        The first attempt goes out bare: most calls succeed at once, and tenacity's set-up
        (stop, wait, the retrying object) is paid only by a call that failed, whose first
        outcome tenacity then replays as its attempt 1, so every decision is the same."""
        progress = _Progress()
        started = self._clock()
        try:
            return await self._attempt(call, progress)
        except Exception as error:  # decided below, exactly as tenacity would have
            first: Exception | None = error
        # Here, not at the top: a run whose calls all succeed never loads tenacity.
        from tenacity import AsyncRetrying

        clock, read, run_started = self._clock, call.is_read, self._run_started

        async def attempt() -> httpx.Response:
            nonlocal first
            if first is not None:
                replayed, first = first, None
                raise replayed
            return await self._attempt(call, progress)

        retrying = AsyncRetrying(
            stop=self._policy.stop(
                clock=clock, started=started, read=read, run_started=run_started
            ),
            wait=self._policy.wait(
                clock=clock, started=started, read=read, run_started=run_started
            ),
            retry=lambda state: self._should_retry(call, state),
            sleep=self._sleep,
            before_sleep=lambda state: self._before_sleep(call, state),
            reraise=True,
        )
        try:
            response: httpx.Response = await retrying(attempt)
            return response
        except _Final as final:
            raise final.error from final.error.__cause__
        except errors.ApiError as error:
            error.attempts = progress.attempts
            if call.is_read and isinstance(error, errors.RateLimitedError):
                error.note = (
                    f"still throttled when the --timeout of {self._policy.throttle_deadline:g} s "
                    f"passed; {self.calls.throttled} throttled answers (429) in this run"
                )
            if call.create and outcome_unknown(error):
                raise self._ambiguous(call, error) from error
            raise

    def _ambiguous(self, call: Call, error: errors.ApiError) -> errors.AmbiguousWriteError:
        return errors.AmbiguousWriteError(
            method=call.method,
            path=call.path,
            status=error.status,
            title=error.title,
            detail=error.detail,
            resource=call.resource,
            attempts=error.attempts,
        )

    def _should_retry(self, call: Call, state: RetryCallState) -> bool:
        error = state.outcome.exception() if state.outcome is not None else None
        if error is None or isinstance(error, _Final):
            return False
        return self._policy.should_retry(
            error, read=call.is_read, create=call.create, attempt=state.attempt_number
        )

    def _before_sleep(self, call: Call, state: RetryCallState) -> None:
        self.calls.record_retry()
        error = state.outcome.exception() if state.outcome is not None else None
        why = (
            f"{error.status or ''} {error.title}".strip()
            if isinstance(error, errors.ApiError)
            else ""
        )
        if call.is_read and isinstance(error, errors.RateLimitedError):
            left = self._policy.throttle_deadline - (self._clock() - self._run_started)
            log.warning(
                "%s %s: %s; retrying in %.1f s (attempt %d; %d throttled answers so far, "
                "giving up in %.0f s)",
                call.method,
                call.path,
                why,
                state.upcoming_sleep,
                state.attempt_number + 1,
                self.calls.throttled,
                max(0.0, left),
            )
            return
        # No answer at all: which host did not answer is the story, so the warning names the
        # whole URL, as the final error does.
        asked = self._url(call) if isinstance(error, errors.TransportError) else call.path
        log.warning(
            "%s %s: %s; retrying in %.1f s (attempt %d of %d)",
            call.method,
            asked,
            why or "failed",
            state.upcoming_sleep,
            state.attempt_number + 1,
            self._policy.max_attempts,
        )

    async def _attempt(self, call: Call, progress: _Progress) -> httpx.Response:
        progress.attempts += 1
        if self.tokens is None or not call.bearer:
            response = await self._send(call, None)
        else:
            token = await self._token()
            response = await self._send(call, token)
            if response.status_code == 401 and not progress.refreshed:
                # Revoked or expired early: one fresh token, one more try.
                progress.refreshed = True
                await self.tokens.invalidate(token)
                response = await self._send(call, await self._token())
        if response.is_success:
            return response
        self.calls.record_error(str(response.status_code))
        if response.status_code == 429:
            self.calls.throttled += 1
        error = error_for_response(
            response,
            method=call.method,
            path=call.path,
            resource=call.resource,
            scrub=self.redactor,
        )
        if response.status_code == 404 and not error.note:
            # A wrong base URL (a missing /api/public/v1) answers 404 to everything: the URL
            # that was asked is the story.
            error.note = f"at {self.redactor(str(response.request.url.copy_with(query=None)))}"
        raise error

    async def _fetch_token(self) -> TokenResponse:
        first: errors.ApiError | None = None
        for call in list(self._token_calls):
            try:
                response = await self.request(call)
            except (errors.AuthError, errors.ValidationError) as error:
                # 400/401/403/422: perhaps this server cannot parse this encoding; try the next.
                # Both refused: the first answer is the one to report.
                first = first or error
                continue
            if call is not self._token_calls[0]:
                self._token_calls.remove(call)
                self._token_calls.insert(0, call)
                log.debug("token endpoint refused JSON; using a form-encoded body")
            return parse_token_answer(decode_json(response, call), call)
        assert first is not None
        raise first

    async def _token(self) -> str:
        assert self.tokens is not None
        try:
            return await self.tokens.get()
        except errors.ApiError as error:
            raise _Final(error) from error

    async def _send(self, call: Call, token: str | None) -> httpx.Response:
        headers = {"Accept": "application/json", "User-Agent": _USER_AGENT}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        self.calls.record(call.method, call.template, is_token=call.is_token)
        async with self._semaphore:
            try:
                response = await self._http.request(
                    call.method,
                    call.url or call.path.lstrip("/"),
                    params=list(call.params) or None,
                    json=call.json,
                    data=call.form,
                    headers=headers,
                )
            except httpx.HTTPError as e:
                self.calls.record_error("transport")
                raise self._transport_error(call, e) from e
        log.debug("%s %s -> %d", call.method, call.path, response.status_code)
        return response

    def _url(self, call: Call) -> str:
        """The whole URL ``call`` asks for, user-info and known secrets scrubbed."""
        return call.url or self.redactor(f"{self._http.base_url}{call.path[1:]}")

    def _transport_error(self, call: Call, error: httpx.HTTPError) -> errors.TransportError:
        # Only these mean the request never left: safe to repeat even a create.
        not_sent = isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
        # With no answer, which host did not answer is the story (a URL call's path is its URL).
        where = "" if call.url else f" ({self._url(call)})"
        return errors.TransportError(
            method=call.method,
            path=call.path,
            title=type(error).__name__,
            detail=f"{self.redactor(str(error))[:300]}{where}",
            resource=call.resource,
            request_sent=not not_sent,
        )


def malformed(call: Call, status: int, title: str) -> errors.ApiError:
    """Error for a 2xx answer we cannot use; for a create the object may exist all the same."""
    cls = errors.AmbiguousWriteError if call.create else errors.UnexpectedResponseError
    return cls(
        method=call.method, path=call.path, status=status, title=title, resource=call.resource
    )


def decode_json(response: httpx.Response, call: Call) -> Any:
    """The JSON body of a 2xx answer; never quotes the body (it may hold a secret)."""
    try:
        return response.json()
    except ValueError as e:
        raise malformed(call, response.status_code, "response body is not JSON") from e
