"""Where the control plane is and which credentials reach it.

`resolve_connection` merges the Organization document's ``controlPlane.url``
with the environment variables Airbyte's own tools use (`AIRBYTE_API_URL`,
`AIRBYTE_CLIENT_ID`, `AIRBYTE_CLIENT_SECRET`). The embedded control plane is
answered (`Embedded`, with the reason the header line prints) only when it was
chosen explicitly (`--embedded`, `controlPlane.embedded: true`), or when nothing
at all is configured and the run is not CI: a half-configured connection (an
empty `AIRBYTE_API_URL`, credentials without a URL, CI without a URL) is an
error saying what to set, never a silent run against a local SQLite file. The
environment is passed in, never read here, so the function stays pure and testable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from reconciler.api.errors import ConnectionSettingsError
from reconciler.api.urls import normalise_base_url

__all__ = [
    "ENV_CI",
    "ENV_CLIENT_ID",
    "ENV_CLIENT_SECRET",
    "ENV_URL",
    "ConnectionSettings",
    "Embedded",
    "in_ci",
    "resolve_connection",
]

ENV_URL = "AIRBYTE_API_URL"
ENV_CLIENT_ID = "AIRBYTE_CLIENT_ID"
ENV_CLIENT_SECRET = "AIRBYTE_CLIENT_SECRET"  # noqa: S105 - a variable name, not a secret
#: Set by every CI system (GitHub Actions, GitLab, CircleCI...): no implicit fallback there.
ENV_CI = "CI"
#: Why the embedded control plane is used when nothing chose it (the header line says it).
NOTHING_CONFIGURED = "no controlPlane.url, no AIRBYTE_API_URL"
_CHOOSE = (
    f"set {ENV_URL} (with {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET}) or the Organization's "
    "controlPlane.url, or choose the embedded control plane explicitly with --embedded "
    "or controlPlane: {embedded: true}"
)


@dataclass(frozen=True)
class ConnectionSettings:
    """A resolved control-plane connection; the secret stays out of `repr`."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    url_source: Literal["config", "env"] = "config"


@dataclass(frozen=True)
class Embedded:
    """The embedded control plane; ``why`` is how it was chosen (``--embedded``,
    ``controlPlane.embedded: true``) or `NOTHING_CONFIGURED`."""

    why: str


def resolve_connection(
    org_control_plane_url: str | None,
    env: Mapping[str, str],
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    embedded: str | None = None,
) -> ConnectionSettings | Embedded:
    """Resolve the connection, or the embedded control plane (see the module docstring).

    ``embedded`` is the explicit choice of the embedded control plane (how it was made),
    which wins over everything. The config URL wins over `AIRBYTE_API_URL`. Credentials
    passed in (already resolved from the Organization document's secret references) win over
    the environment. A URL without credentials is an error naming what is missing.
    """
    if embedded:
        return Embedded(why=embedded)
    config_url = (org_control_plane_url or "").strip()
    env_url = env.get(ENV_URL, "").strip()
    if not config_url and not env_url:
        in_config = [
            f"controlPlane.{name}"
            for name, value in (("clientId", client_id), ("clientSecret", client_secret))
            if value
        ]
        return _fallback(env, config_credentials=in_config)
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


def in_ci(env: Mapping[str, str]) -> bool:
    return env.get(ENV_CI, "").strip().lower() not in ("", "0", "false")


def _fallback(env: Mapping[str, str], *, config_credentials: list[str]) -> Embedded:
    """No URL anywhere: the embedded control plane, unless something says a real one was meant."""
    if ENV_URL in env:
        raise ConnectionSettingsError(
            f"{ENV_URL} is set but empty: set it to the control plane's public API URL "
            f"(https://api.airbyte.com/v1, or https://HOST/api/public/v1), or unset it and "
            "pass --embedded to use the embedded control plane"
        )
    given = config_credentials + [
        name for name in (ENV_CLIENT_ID, ENV_CLIENT_SECRET) if env.get(name, "").strip()
    ]
    if given:
        verb = "is" if len(given) == 1 else "are"
        raise ConnectionSettingsError(
            f"{' and '.join(given)} {verb} set but no control-plane URL is: {_CHOOSE}"
        )
    if in_ci(env):
        raise ConnectionSettingsError(
            f"no control plane is configured and {ENV_CI} is set (in CI flexctl never falls "
            f"back to the embedded control plane): {_CHOOSE}"
        )
    return Embedded(why=NOTHING_CONFIGURED)
