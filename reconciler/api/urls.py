"""Normalising the control-plane base URL.

Two styles exist: Cloud / Enterprise Flex (``https://api.airbyte.com/v1``)
and self-managed (``https://HOST/api/public/v1``). The result never ends in a
slash, so request paths (``/regions``) are appended as they are. Pure.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from reconciler.api.errors import ConnectionSettingsError

__all__ = ["CLOUD_API_HOST", "normalise_base_url"]

CLOUD_API_HOST = "api.airbyte.com"


def normalise_base_url(url: str) -> str:
    """Return the API root for `url`, or raise `ConnectionSettingsError` saying why not.

    Accepted: ``.../v1`` as given; ``.../api/public`` gets ``/v1``; a bare host
    gets ``/v1`` on api.airbyte.com and ``/api/public/v1`` elsewhere (the
    self-managed routes). Anything else is refused rather than guessed.
    """
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConnectionSettingsError(
            f"control-plane URL {text!r} must start with http:// or https:// and name a host, "
            "e.g. https://api.airbyte.com/v1 or https://airbyte.example.com/api/public/v1"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        # Credentials in the URL would end up in logs and error messages.
        raise ConnectionSettingsError(
            f"control-plane URL for host {parts.hostname!r} must not carry a query, "
            "fragment or user info"
        )
    path = parts.path.rstrip("/")
    if path.endswith("/v1"):
        pass
    elif path.endswith("/api/public"):
        path += "/v1"
    elif not path:
        path = "/v1" if parts.hostname == CLOUD_API_HOST else "/api/public/v1"
    else:
        raise ConnectionSettingsError(
            f"control-plane URL {text!r} should end in /v1 (https://api.airbyte.com/v1) "
            "or /api/public/v1 (self-managed)"
        )
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
