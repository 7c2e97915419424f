"""When a failed call is repeated, and how long to wait first (tenacity).

Policy (creates carry no idempotency key, so a create is repeated only when it
certainly was not processed):

    failure                          read          PATCH / DELETE   POST create
    429 (load shedding)              retry         retry            retry
    connect error / connect timeout  retry         retry            retry
    other transport error (timeout,  retry         retry            AmbiguousWriteError
      dropped connection, protocol)
    408, 502, 503, 504               retry         retry            AmbiguousWriteError
    500                              retry, at     ServerError      AmbiguousWriteError
                                     most 3 tries
    anything else (4xx)              raised as its typed error at once

A 429 on a read is retried past `max_attempts` and `max_elapsed`: a throttled read changes
nothing, so it keeps trying (jittered exponential backoff) until the run's overall
`throttle_deadline` (``--timeout``, counted from the client's start) has passed.

With ``retry_unreachable`` off (``flexctl verify``), a call that never connected is not
repeated: the error, naming the URL, comes at once.

A read is a GET or a token request (a POST that changes nothing).
A 500 on a read is the server's "unexpected-problem": sometimes transient, so
worth two more tries; on a PATCH/DELETE it is usually a deterministic clash
(e.g. a duplicate name) that repeating will not fix, so it is reported.
401 is not handled here: the session refreshes the token once and repeats.

Waiting: ``Retry-After`` when the server sends one (seconds or HTTP date,
capped at `max_wait`), else exponential backoff with jitter. Attempts are
bounded (`max_attempts`) and so is total time (`max_elapsed`, measured on the
injected clock; a wait is cut short so it never ends past the deadline).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reconciler.api import errors

if TYPE_CHECKING:
    from tenacity import RetryCallState

__all__ = ["GET_500_MAX_ATTEMPTS", "RetryPolicy", "outcome_unknown"]

GET_500_MAX_ATTEMPTS = 3
_IDEMPOTENT_RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    max_elapsed: float = 120.0
    max_wait: float = 30.0
    backoff_initial: float = 1.0
    jitter: float = 1.0
    #: Seconds from the client's start during which throttled (429) reads keep being retried.
    throttle_deadline: float = 3600.0
    #: Repeat a call that could not connect. Off for checks (``flexctl verify``) that must
    #: fail fast on an unreachable URL rather than wait out the retries.
    retry_unreachable: bool = True

    def should_retry(self, error: BaseException, *, read: bool, create: bool, attempt: int) -> bool:
        """Whether `error` from attempt number `attempt` (1-based) deserves another try."""
        if isinstance(error, errors.RateLimitedError):
            return True
        if isinstance(error, errors.TransportError):
            if not error.request_sent and not self.retry_unreachable:
                return False
            return not (create and error.request_sent)
        if create or not isinstance(error, errors.ApiError):
            return False
        if error.status in _IDEMPOTENT_RETRY_STATUSES:
            return True
        return error.status == 500 and read and attempt < GET_500_MAX_ATTEMPTS

    def stop(
        self, *, clock: Callable[[], float], started: float, read: bool = False, run_started: float
    ) -> Callable[[RetryCallState], bool]:
        """tenacity stop condition: out of attempts or out of time (a throttled read: the run's)."""

        def _stop(state: RetryCallState) -> bool:
            if read and _throttled(state):
                return clock() - run_started >= self.throttle_deadline
            return (
                state.attempt_number >= self.max_attempts or clock() - started >= self.max_elapsed
            )

        return _stop

    def wait(
        self, *, clock: Callable[[], float], started: float, read: bool = False, run_started: float
    ) -> Callable[[RetryCallState], float]:
        """tenacity wait: Retry-After if given, else exponential backoff with jitter."""
        # Imported by the first call that failed: a run that needs no retry never loads it.
        from tenacity import wait_exponential, wait_random

        # 2**n + uniform(0, jitter), the jitter added after the cap: waits at the cap still
        # differ, so throttled clients do not come back in step.
        backoff = wait_exponential(
            multiplier=self.backoff_initial, max=self.max_wait - self.jitter
        ) + wait_random(0, self.jitter)

        def _wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome is not None else None
            asked = error.retry_after if isinstance(error, errors.ApiError) else None
            seconds = min(asked, self.max_wait) if asked is not None else backoff(state)
            if read and _throttled(state):
                remaining = self.throttle_deadline - (clock() - run_started)
            else:
                remaining = self.max_elapsed - (clock() - started)
            return max(0.0, min(seconds, remaining))

        return _wait


def _throttled(state: RetryCallState) -> bool:
    error = state.outcome.exception() if state.outcome is not None else None
    return isinstance(error, errors.RateLimitedError)


def outcome_unknown(error: errors.ApiError) -> bool:
    """Whether a failed write may still have been carried out by the server.

    A 4xx answer (other than 408) is a definite refusal, 429 is shed before
    processing and 501 says the endpoint does not exist; a request that never
    connected never arrived. Everything else (a 5xx or 408 answer, a timeout or
    a dropped connection after sending) may have been processed.
    """
    if isinstance(error, errors.TransportError):
        return error.request_sent
    status = error.status
    return status is not None and (status == 408 or (status >= 500 and status != 501))
