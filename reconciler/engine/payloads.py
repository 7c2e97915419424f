"""Desired documents -> API request bodies (the parts that are more than a field copy).

Notifications are always sent in full (every event, both channels) so the live object
never depends on server defaults; this mirrors ``core.desired_resources``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from reconciler.api.types import NotificationsConfig
from reconciler.config.models import NOTIFICATION_EVENTS, Notification, SecretRef, Workspace

#: Notification event (API spelling) -> attribute of the Notifications model.
_ATTRS = {e: "".join("_" + c.lower() if c.isupper() else c for c in e) for e in NOTIFICATION_EVENTS}


def notifications_payload(
    ws: Workspace, resolve: Callable[[SecretRef, str], str]
) -> NotificationsConfig:
    payload: dict[str, Any] = {}
    for event in NOTIFICATION_EVENTS:
        attr = _ATTRS[event]
        declared: Notification | None = getattr(ws.notifications, attr)
        email = bool(declared and declared.email and declared.email.enabled)
        webhook = declared.webhook if declared else None
        hook: dict[str, Any] = {"enabled": bool(webhook and webhook.enabled)}
        if webhook is not None and webhook.url is not None:
            hook["url"] = resolve(
                webhook.url, f"Workspace {ws.name}: notifications.{event}.webhook.url"
            )
        payload[event] = {"email": {"enabled": email}, "webhook": hook}
    return cast(NotificationsConfig, payload)
