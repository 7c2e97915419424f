"""The sink interface: what the engine calls to store, read back and forget a data plane's
one-time credentials. Implementations live next to this module; ``sink_for`` picks one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class DataplaneCredentials:
    dataplane_id: str
    client_id: str
    client_secret: str = field(repr=False)


class CredentialSinkProtocol(Protocol):
    def describe(self) -> str:
        """Where the credentials go, e.g. ``file .flexctl/credentials/us--dp1.yaml``; no secret."""
        ...

    def write(self, creds: DataplaneCredentials) -> None:
        """Store, read back, raise ``SinkError`` when what was read differs."""
        ...

    def read(self) -> DataplaneCredentials | None:
        """What is stored; None when nothing is stored yet."""
        ...

    def delete(self) -> None:
        """Forget the credentials (data plane deleted or rotated away); idempotent."""
        ...


class KubeClientFactory(Protocol):
    """Builds a ``kubernetes.client.CoreV1Api`` for a kube context (injectable for tests)."""

    def core_v1(self, context: str) -> Any: ...
