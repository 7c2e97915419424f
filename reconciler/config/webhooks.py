"""The rule a webhook URL must pass before anything is sent to it or with it.

A webhook URL reaches flexctl only through a secret reference (Slack and Teams URLs carry
their token), so the rule runs on the resolved value: when a run resolves it
(``core.desired_resources``), when ``validate`` can read it (``config.references``) and for
``reconcile --webhook-url-env``. Without it, ``javascript:alert(1)`` or a whole file that a
``{file: ...}`` reference named by mistake would be stored on the server and shown in its UI.

Messages describe what is wrong and never quote the value, not even its scheme: a value that
is no URL at all (``xoxb-1:TOKEN``) would be parsed as a scheme and echoed.
Must not do I/O.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from urllib.parse import urlsplit

#: Slack's URLs are about 80 characters, Teams Workflows' about 400: a longer value is not one.
WEBHOOK_URL_MAX = 2048

#: http:// is allowed only to this machine (a local relay or a test receiver).
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def webhook_url_problem(url: str) -> str | None:
    """What keeps ``url`` from being a webhook URL, or None. Never quotes ``url``."""
    if len(url) > WEBHOOK_URL_MAX:
        return f"is {len(url)} characters long; a webhook URL has at most {WEBHOOK_URL_MAX}"
    if "\n" in url.rstrip("\r\n") or "\r" in url.rstrip("\r\n"):
        return "spans several lines; a webhook URL is one line (is a whole file referenced?)"
    bad = next((ch for ch in url if _unprintable(ch)), None)
    if bad is not None:
        return (
            f"holds white space or a control character (U+{ord(bad):04X}); a webhook URL has none"
        )
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        return "is not a valid URL (its host or port cannot be read)"
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not url[len(scheme) :].startswith("://"):
        return "must start with https:// (or http:// to a loopback address)"
    if "@" in parts.netloc:
        return "must not carry user-info (user:password@) before its host"
    if not parts.hostname:
        return "has no host"
    if not port_ok:
        return "has an invalid port"
    if scheme == "http" and not _loopback(parts.hostname):
        return "uses http:// to a host that is not a loopback address; use https://"
    return None


def _unprintable(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cn")


def _loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
