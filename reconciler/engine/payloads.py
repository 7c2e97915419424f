"""Desired documents -> API request bodies (the parts that are more than a field copy).

Notifications are always sent in full (every event, both channels) so the live object
never depends on server defaults; built from the same reading as the essence
(``core.desired_resources.declared_notifications``), so what is sent is what is compared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from reconciler.api.types import NotificationsConfig
from reconciler.config.models import SecretRef, Workspace
from reconciler.core.desired_resources import declared_notifications


def notifications_payload(
    ws: Workspace, resolve: Callable[[SecretRef, str], str]
) -> NotificationsConfig:
    payload: dict[str, Any] = {}
    for event, n in declared_notifications(ws, resolve).items():
        hook: dict[str, Any] = {"enabled": n.webhook}
        if n.url is not None:
            hook["url"] = n.url
        payload[event] = {"email": {"enabled": n.email}, "webhook": hook}
    return cast(NotificationsConfig, payload)
