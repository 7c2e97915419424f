"""``vault`` sink: the data plane's secret in HashiCorp Vault or OpenBao, KV v2, through
``hvac``. Auth by token, AppRole or Kubernetes service account; every credential comes
from a reference (``{env:}`` / ``{file:}``), resolved at first use, never logged.

The only module that imports ``hvac``; its and ``requests``' errors become ``SinkError``
naming the address, mount and path. No retries and a short timeout: an unreachable Vault
fails at once with its URL.
"""

from __future__ import annotations

import contextlib
from typing import Any

import hvac
import requests
from hvac import exceptions as hvac_errors

from reconciler.config.models import VaultSink
from reconciler.config.secrets import resolve_secret
from reconciler.errors import SecretResolutionError, SinkError
from reconciler.sinks.managed import sink_path, string_map
from reconciler.sinks.secretdata import SecretContext

#: Seconds per request.
TIMEOUT = 10
#: Kubernetes auth without ``jwt``: the token Kubernetes mounts into every pod.
POD_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"  # noqa: S105 - a path


_REASONS: dict[type[Exception], str] = {
    hvac_errors.Forbidden: "permission denied",
    hvac_errors.Unauthorized: "not authenticated",
    hvac_errors.InvalidRequest: "request refused",
    hvac_errors.VaultDown: "sealed or down",
}


class VaultBackend:
    def __init__(self, ctx: SecretContext, config: VaultSink) -> None:
        self._ctx = ctx
        self._config = config
        self.path = sink_path(config.path, ctx.dataplane)
        self._client: Any = None

    def describe(self) -> str:
        return f"vault {self._config.address} {self._config.mount}/{self.path}"

    def _resolve(self, ref: Any, field: str) -> str:
        try:
            return resolve_secret(
                ref,
                where=f"{self._ctx.label}: credentials.vault.auth.{field}",
                env=self._ctx.env,
                base_dir=self._ctx.config_dir,
            )
        except SecretResolutionError as e:
            raise SinkError(f"{self.describe()}: cannot log in: {e}") from e

    def _login(self) -> Any:
        if self._client is not None:
            return self._client
        config = self._config
        auth = config.auth
        client = hvac.Client(url=config.address, namespace=config.namespace, timeout=TIMEOUT)
        if auth.method == "token":
            client.token = self._resolve(auth.token, "token")
        elif auth.method == "approle":
            client.auth.approle.login(
                role_id=self._resolve(auth.role_id, "roleId"),
                secret_id=self._resolve(auth.secret_id, "secretId"),
                mount_point=auth.mount or "approle",
            )
        else:
            jwt = (
                self._resolve(auth.jwt, "jwt")
                if auth.jwt is not None
                else _read_pod_token(self.describe())
            )
            client.auth.kubernetes.login(
                role=auth.role, jwt=jwt, mount_point=auth.mount or "kubernetes"
            )
        self._client = client
        return client

    def _call(self, action: str, fn: Any) -> Any:
        try:
            return fn(self._login())
        except hvac_errors.VaultError as e:
            reason = _REASONS.get(type(e), type(e).__name__)
            raise SinkError(f"{self.describe()}: cannot {action}: {reason}") from e
        except requests.exceptions.RequestException as e:
            raise SinkError(
                f"{self.describe()}: cannot {action}: {self._config.address} unreachable "
                f"({type(e).__name__})"
            ) from e

    def put(self, payload: dict[str, str]) -> None:
        mount = self._config.mount
        self._call(
            "write",
            lambda c: c.secrets.kv.v2.create_or_update_secret(
                path=self.path, secret=payload, mount_point=mount
            ),
        )

    def get(self) -> dict[str, str] | None:
        mount = self._config.mount

        def read(client: Any) -> Any:
            try:
                return client.secrets.kv.v2.read_secret_version(
                    path=self.path, mount_point=mount, raise_on_deleted_version=True
                )
            except hvac_errors.InvalidPath:
                return None

        answer = self._call("read", read)
        if answer is None:
            return None
        data = (answer.get("data") or {}).get("data")
        return string_map(data, where=self.describe())

    def remove(self) -> None:
        mount = self._config.mount

        def delete(client: Any) -> None:
            with contextlib.suppress(hvac_errors.InvalidPath):
                client.secrets.kv.v2.delete_metadata_and_all_versions(
                    path=self.path, mount_point=mount
                )

        self._call("delete", delete)


def _read_pod_token(where: str) -> str:
    try:
        with open(POD_TOKEN, encoding="utf-8") as handle:
            return handle.read(64 * 1024).strip()
    except OSError as e:
        raise SinkError(
            f"{where}: kubernetes auth without 'jwt' needs {POD_TOKEN}: {e.strerror}"
        ) from e
