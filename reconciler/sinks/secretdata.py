"""The key/value content of a data plane's Secret, as every sink writes it.

Keys and their order come from ``render.secretspec`` (the same function render uses for
values.yaml and the ExternalSecret). Values: the client id/secret from the control plane,
the document's ``{env:}``/``{file:}`` references resolved through ``config.secrets``,
and empty strings for keys that exist only because the chart's secretKeyRefs are not
optional. A reference that cannot be resolved leaves its key out and is reported, so the
one-time client secret is stored whatever else fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.config.desired import DesiredState, dataplane_key
from reconciler.config.models import DataPlane
from reconciler.config.secrets import resolve_secret
from reconciler.errors import SecretResolutionError
from reconciler.render.names import (
    CLIENT_ID_KEY,
    CLIENT_SECRET_KEY,
    DATAPLANE_ID_ANNOTATION,
    MANAGED_BY_LABEL,
)
from reconciler.render.secretspec import SecretSpec, secret_spec
from reconciler.sinks.base import DataplaneCredentials


@dataclass(frozen=True)
class SecretContext:
    """What a sink needs to build the Secret besides the credentials."""

    desired: DesiredState
    dataplane: DataPlane
    env: Mapping[str, str]
    config_dir: Path

    @property
    def spec(self) -> SecretSpec:
        return secret_spec(self.desired, self.dataplane)

    @property
    def label(self) -> str:
        return f"DataPlane {dataplane_key(self.dataplane)}"


def secret_data(
    ctx: SecretContext, creds: DataplaneCredentials
) -> tuple[dict[str, str], list[str]]:
    """(key -> value, problems). Problems name the key and the reference, never a value."""
    data: dict[str, str] = {}
    problems: list[str] = []
    for entry in ctx.spec.entries:
        if entry.source == "client_id":
            data[entry.key] = creds.client_id
        elif entry.source == "client_secret":
            data[entry.key] = creds.client_secret
        elif entry.source == "empty":
            data[entry.key] = ""
        else:
            assert entry.ref is not None
            try:
                data[entry.key] = resolve_secret(
                    entry.ref,
                    where=f"{ctx.label}: {entry.field}",
                    env=ctx.env,
                    base_dir=ctx.config_dir,
                )
            except SecretResolutionError as e:
                problems.append(f"key {entry.key} left out: {e}")
    return data, problems


def secret_manifest(
    ctx: SecretContext, creds: DataplaneCredentials, data: Mapping[str, str]
) -> dict[str, Any]:
    spec = ctx.spec
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": spec.name,
            "namespace": spec.namespace,
            "labels": {MANAGED_BY_LABEL[0]: MANAGED_BY_LABEL[1]},
            "annotations": {DATAPLANE_ID_ANNOTATION: creds.dataplane_id},
        },
        "type": "Opaque",
        "stringData": dict(data),
    }


def credentials_from(
    annotations: Mapping[str, Any] | None, data: Mapping[str, Any]
) -> DataplaneCredentials | None:
    """Credentials out of a Secret's annotations and (decoded) data; None if incomplete."""
    client_id = data.get(CLIENT_ID_KEY)
    client_secret = data.get(CLIENT_SECRET_KEY)
    dataplane_id = (annotations or {}).get(DATAPLANE_ID_ANNOTATION)
    if not isinstance(client_id, str) or not isinstance(client_secret, str):
        return None
    return DataplaneCredentials(
        dataplane_id=str(dataplane_id or ""), client_id=client_id, client_secret=client_secret
    )


def scrub(text: str, values: Mapping[str, str] | list[str]) -> str:
    """``text`` with every non-trivial secret value blanked out (for third-party messages)."""
    items = values.values() if isinstance(values, Mapping) else values
    for value in sorted((v for v in items if len(v) >= 4), key=len, reverse=True):
        text = text.replace(value, "***")
    return text
