"""Webhook notification of the reconcile loop: a JSON POST on drift, healing or failure.

The body is Slack's, Teams' or flexctl's generic JSON (``webhook_body``, ``--webhook-format``).

The webhook URL is a secret (Slack and Teams URLs carry their token), so no message, log line or
exception text here names it: it is "the webhook". A notification that cannot be delivered is
logged and forgotten; it must never fail the cycle. The transport is injectable for tests.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from reconciler.gitops.outcome import CycleOutcome
from reconciler.gitops.webhook_body import WebhookFormat, body

log = logging.getLogger(__name__)

#: Outcomes worth a message: someone must look at drift and failures, and know when live
#: state was overwritten by healing.
NOTIFY_ON = frozenset({"drift", "healed", "failed"})
TIMEOUT_SECONDS = 5.0


class Notifier:
    def __init__(
        self,
        url: str,
        *,
        ref: str,
        style: WebhookFormat = "generic",
        transport: httpx.BaseTransport | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self._url = url
        self._ref = ref
        self._style: WebhookFormat = style
        self._client = httpx.Client(transport=transport, timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def should_notify(self, outcome: CycleOutcome, previous: CycleOutcome | None) -> bool:
        """Drift, healing, failure or a blocked change (a delete the prune policy holds back),
        unless the previous cycle said the same thing about the same commit: a loop every
        minute must not post the same drift every minute."""
        if outcome.result not in NOTIFY_ON and not outcome.objects.blocked:
            return False
        if outcome.result == "healed" or previous is None:
            return True
        return _essence(outcome) != _essence(previous)

    def notify(self, outcome: CycleOutcome) -> bool:
        """POST the outcome; ``True`` when the webhook accepted it. Never raises."""
        payload: dict[str, Any] = body(outcome, ref=self._ref, style=self._style)
        try:
            response = self._client.post(self._url, json=payload)
        except httpx.HTTPError as e:
            log.warning("webhook notification failed: %s", type(e).__name__)
            return False
        if response.status_code >= 300:
            log.warning("webhook notification refused: HTTP %d", response.status_code)
            return False
        return True


def _essence(outcome: CycleOutcome) -> tuple[object, ...]:
    return (
        outcome.result,
        outcome.sha,
        outcome.drift_count,
        outcome.change_count,
        outcome.message,
        outcome.objects,
    )
