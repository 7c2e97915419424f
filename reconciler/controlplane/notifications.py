"""Workspace ``NotificationsConfig``: validation, the server's defaults, PATCH merging.

Stored and answered in full (all six kinds, each with ``email`` and ``webhook``), as the
real server's mapper does; on create, e-mail is on for every kind but ``success``.
"""

from __future__ import annotations

from typing import Any

from reconciler.controlplane import problems

KINDS = (
    "failure",
    "success",
    "connectionUpdate",
    "connectionUpdateActionRequired",
    "syncDisabled",
    "syncDisabledWarning",
)
Notifications = dict[str, dict[str, dict[str, Any]]]


def defaults() -> Notifications:
    return {
        kind: {"email": {"enabled": kind != "success"}, "webhook": {"enabled": False}}
        for kind in KINDS
    }


def _flag(value: object, where: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise problems.unprocessable(f"{where} must be a boolean")


def _object(value: object, where: str) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    raise problems.unprocessable(f"{where} must be an object")


def parse(value: object) -> Notifications:
    """The provided parts of a request's ``notifications`` (absent parts stay absent)."""
    top = _object(value, "notifications") or {}
    out: Notifications = {}
    for kind in KINDS:
        entry = _object(top.get(kind), f"notifications.{kind}")
        if entry is None:
            continue
        parts: dict[str, dict[str, Any]] = {}
        email = _object(entry.get("email"), f"notifications.{kind}.email")
        if email is not None:
            flag = _flag(email.get("enabled"), f"notifications.{kind}.email.enabled")
            parts["email"] = {} if flag is None else {"enabled": flag}
        hook = _object(entry.get("webhook"), f"notifications.{kind}.webhook")
        if hook is not None:
            parts["webhook"] = _webhook(hook, f"notifications.{kind}.webhook")
        out[kind] = parts
    return out


def _webhook(hook: dict[str, Any], where: str) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    flag = _flag(hook.get("enabled"), f"{where}.enabled")
    if flag is not None:
        parsed["enabled"] = flag
    url = hook.get("url")
    if url is not None:
        if not isinstance(url, str) or len(url) > 2048:
            raise problems.unprocessable(f"{where}.url must be a string")
        try:
            url.encode("utf-8")
        except UnicodeEncodeError:
            raise problems.unprocessable(f"{where}.url is not valid UTF-8 text") from None
        parsed["url"] = url
    return parsed


def merge(current: Notifications, changes: Notifications) -> Notifications:
    merged = {kind: {k: dict(v) for k, v in parts.items()} for kind, parts in current.items()}
    for kind, parts in changes.items():
        for channel, fields in parts.items():
            merged.setdefault(kind, {}).setdefault(channel, {}).update(fields)
    for parts in merged.values():  # the mapper always answers an enabled flag
        for channel in ("email", "webhook"):
            parts.setdefault(channel, {}).setdefault("enabled", False)
    return merged
