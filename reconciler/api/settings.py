"""Where the control plane is and which credentials reach it.

`resolve_connection` merges the Organization document's ``controlPlane.url``
with the environment variables Airbyte's own tools use (`AIRBYTE_API_URL`,
`AIRBYTE_CLIENT_ID`, `AIRBYTE_CLIENT_SECRET`). No URL at all means "use the
embedded control plane" and is answered with None. The environment is passed
in, never read here, so the function stays pure and testable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from reconciler.api.errors import ConnectionSettingsError
from reconciler.api.urls import normalise_base_url

__all__ = [
    "ENV_CLIENT_ID",
    "ENV_CLIENT_SECRET",
    "ENV_URL",
    "ConnectionSettings",
    "resolve_connection",
]

ENV_URL = "AIRBYTE_API_URL"
ENV_CLIENT_ID = "AIRBYTE_CLIENT_ID"
ENV_CLIENT_SECRET = "AIRBYTE_CLIENT_SECRET"  # noqa: S105 - a variable name, not a secret


@dataclass(frozen=True)
class ConnectionSettings:
    """A resolved control-plane connection; the secret stays out of `repr`."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    url_source: Literal["config", "env"] = "config"


def resolve_connection(
    org_control_plane_url: str | None,
    env: Mapping[str, str],
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
) -> ConnectionSettings | None:
    """Resolve the connection, or None when no control-plane URL is configured.

    The config URL wins over `AIRBYTE_API_URL`. Credentials passed in (already
    resolved from the Organization document's secret references) win over the
    environment. A URL without credentials is an error naming what is missing.
    """
    config_url = (org_control_plane_url or "").strip()
    env_url = env.get(ENV_URL, "").strip()
    if not config_url and not env_url:
        return None
    source: Literal["config", "env"] = "config" if config_url else "env"
    base_url = normalise_base_url(config_url or env_url)
    cid = client_id or env.get(ENV_CLIENT_ID, "").strip()
    secret = client_secret or env.get(ENV_CLIENT_SECRET, "").strip()
    missing = [
        name for name, value in ((ENV_CLIENT_ID, cid), (ENV_CLIENT_SECRET, secret)) if not value
    ]
    if missing:
        raise ConnectionSettingsError(
            f"control plane {base_url} is configured but {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not set (or given in the Organization "
            "document's controlPlane credentials)"
        )
    return ConnectionSettings(
        base_url=base_url, client_id=cid, client_secret=secret, url_source=source
    )
