"""What the secrets-manager sinks (``vault``, ``aws-secrets-manager``, ``gcp-secret-manager``,
``azure-key-vault``) share: the secret they write, where it goes, and the write / read back
/ compare sequence.

One secret per data plane at the sink's path, a JSON object of strings (documented in
docs/rendering.md): ``DATAPLANE_ID`` plus every key of the data plane's Kubernetes Secret
that has a value (``DATAPLANE_CLIENT_ID``, ``DATAPLANE_CLIENT_SECRET`` and the storage /
secrets-manager credentials the document references). The rendered ExternalSecret reads
exactly these properties at exactly this path, so the cluster's Secret follows the sink.
Keys that stay empty by design are not stored; the ExternalSecret's template writes them.

A backend only moves a ``dict[str, str]``; every message names the sink and the path and
never a value (third-party messages are scrubbed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from reconciler.errors import SinkError
from reconciler.render.names import CLIENT_ID_KEY, CLIENT_SECRET_KEY
from reconciler.render.secretspec import sink_path
from reconciler.sinks.base import DataplaneCredentials
from reconciler.sinks.secretdata import SecretContext, scrub, secret_data

__all__ = ["ID_PROPERTY", "Backend", "ManagedSink", "credentials_of", "sink_path", "string_map"]

#: The data-plane id's property (the Kubernetes Secret carries it as an annotation).
ID_PROPERTY = "DATAPLANE_ID"


class Backend(Protocol):
    def describe(self) -> str:
        """``vault http://...: secret/airbyte/...``: the sink and the path, no secret."""
        ...

    def put(self, payload: dict[str, str]) -> None: ...

    def get(self) -> dict[str, str] | None:
        """None when nothing is stored there."""
        ...

    def remove(self) -> None: ...


class ManagedSink:
    """A credential sink over a secrets-manager backend."""

    def __init__(self, ctx: SecretContext, backend: Backend) -> None:
        self._ctx = ctx
        self.backend = backend

    def describe(self) -> str:
        return self.backend.describe()

    def payload(self, creds: DataplaneCredentials) -> tuple[dict[str, str], list[str]]:
        data, problems = secret_data(self._ctx, creds)
        empty = {e.key for e in self._ctx.spec.entries if e.source == "empty"}
        stored = {k: v for k, v in data.items() if k not in empty}
        return {ID_PROPERTY: creds.dataplane_id, **stored}, problems

    def write(self, creds: DataplaneCredentials) -> None:
        payload, problems = self.payload(creds)
        secrets = [v for k, v in payload.items() if k != ID_PROPERTY]
        try:
            self.backend.put(payload)
            stored = self.backend.get()
        except SinkError as e:
            raise SinkError(scrub(f"{self._ctx.label}: {e}", secrets)) from e
        if stored != payload:
            raise SinkError(
                f"{self._ctx.label}: {self.describe()}: read back differs from what was written"
            )
        if problems:
            raise SinkError(
                f"{self._ctx.label}: credentials stored in {self.describe()}, but the secret is "
                "incomplete: " + "; ".join(problems)
            )

    def read(self) -> DataplaneCredentials | None:
        stored = self.backend.get()
        if stored is None:
            return None
        return credentials_of(stored, where=self.describe())

    def delete(self) -> None:
        self.backend.remove()


def credentials_of(stored: Mapping[str, object], *, where: str) -> DataplaneCredentials:
    client_id = stored.get(CLIENT_ID_KEY)
    client_secret = stored.get(CLIENT_SECRET_KEY)
    if not isinstance(client_id, str) or not isinstance(client_secret, str):
        raise SinkError(f"{where}: the secret lacks {CLIENT_ID_KEY} or {CLIENT_SECRET_KEY}")
    return DataplaneCredentials(
        dataplane_id=str(stored.get(ID_PROPERTY) or ""),
        client_id=client_id,
        client_secret=client_secret,
    )


def string_map(value: object, *, where: str) -> dict[str, str]:
    """A stored JSON object of strings, or a ``SinkError`` (never echoing the content)."""
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise SinkError(f"{where}: the stored secret is not a JSON object of strings")
    return dict(value)
