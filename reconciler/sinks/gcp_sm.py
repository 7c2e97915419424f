"""``gcp-secret-manager`` sink: the data plane's secret (one JSON payload) in Google Secret
Manager through ``google-cloud-secret-manager``. Credentials: a credentials JSON by
reference (service account key, workload identity federation), else Application Default
Credentials. Optional endpoint (a private one, or the tests' local emulation), location
(user-managed replication) and labels on create.

The only module that imports the Google libraries. The REST transport, not gRPC: one HTTP
stack for every call, the one the tests run against. ``google.api_core`` / ``google.auth``
/ ``requests`` errors become ``SinkError`` naming the endpoint and the secret's resource
name. No retries and a short timeout: an unreachable endpoint fails at once with its URL.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import google.auth
import requests
from google.api_core import exceptions as api_errors
from google.api_core.client_options import ClientOptions
from google.auth import aws, identity_pool
from google.auth import exceptions as auth_errors
from google.cloud import secretmanager
from google.oauth2 import service_account

from reconciler.config.models import GcpSecretManagerSink
from reconciler.config.secrets import resolve_secret
from reconciler.errors import SecretResolutionError, SinkError
from reconciler.sinks.managed import sink_path, string_map
from reconciler.sinks.secretdata import SecretContext

#: Seconds per call.
TIMEOUT = 10
PUBLIC_ENDPOINT = "https://secretmanager.googleapis.com"
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)

_REASONS: dict[type[Exception], str] = {
    # The REST transport maps by HTTP status (403 Forbidden, 401 Unauthorized); gRPC by code.
    api_errors.Forbidden: "permission denied",
    api_errors.PermissionDenied: "permission denied",
    api_errors.Unauthenticated: "not authenticated",
    api_errors.Unauthorized: "not authenticated",
    api_errors.NotFound: "not found",
    api_errors.FailedPrecondition: "the latest version is disabled or destroyed",
}


class GcpSecretManagerBackend:
    def __init__(self, ctx: SecretContext, config: GcpSecretManagerSink) -> None:
        self._ctx = ctx
        self._config = config
        self.secret_id = sink_path(config.secret_id, ctx.dataplane)
        self.name = f"projects/{config.project}/secrets/{self.secret_id}"
        self._client: Any = None

    def describe(self) -> str:
        where = f" at {self._config.endpoint}" if self._config.endpoint else ""
        return f"gcp-secret-manager{where} {self.name}"

    def _credentials(self) -> Any:
        ref = self._config.credentials
        try:
            if ref is None:
                credentials, _ = google.auth.default(scopes=list(SCOPES))
                return credentials
            text = resolve_secret(
                ref,
                where=f"{self._ctx.label}: credentials.gcpSecretManager.credentials",
                env=self._ctx.env,
                base_dir=self._ctx.config_dir,
            )
            try:
                info = json.loads(text)
            except ValueError:
                info = None
            if not isinstance(info, dict):
                raise SinkError(
                    f"{self.describe()}: cannot log in: {ref.describe()} is not a credentials "
                    "JSON object"
                )
            return _from_info(info, where=f"{self.describe()}: cannot log in: {ref.describe()}")
        except SecretResolutionError as e:
            raise SinkError(f"{self.describe()}: cannot log in: {e}") from e
        except auth_errors.DefaultCredentialsError as e:
            source = "credentials" if ref is not None else "Application Default Credentials"
            raise SinkError(f"{self.describe()}: cannot log in: no usable {source}") from e

    def _sm(self) -> Any:
        if self._client is None:
            endpoint = self._config.endpoint
            self._client = secretmanager.SecretManagerServiceClient(
                credentials=self._credentials(),
                transport="rest",
                client_options=ClientOptions(api_endpoint=endpoint) if endpoint else None,
            )
        return self._client

    def _call(self, action: str, fn: Any) -> Any:
        try:
            return fn(self._sm())
        except api_errors.GoogleAPICallError as e:
            reason = _REASONS.get(type(e), type(e).__name__)
            raise SinkError(f"{self.describe()}: cannot {action}: {reason}") from e
        except auth_errors.GoogleAuthError as e:
            raise SinkError(
                f"{self.describe()}: cannot {action}: token refused ({type(e).__name__})"
            ) from e
        except requests.exceptions.RequestException as e:
            endpoint = self._config.endpoint or PUBLIC_ENDPOINT
            raise SinkError(
                f"{self.describe()}: cannot {action}: {endpoint} unreachable ({type(e).__name__})"
            ) from e

    def put(self, payload: dict[str, str]) -> None:
        data = json.dumps(payload, sort_keys=True).encode("utf-8")
        config = self._config

        def put(sm: Any) -> None:
            try:
                _add_version(sm, self.name, data)
                return
            except api_errors.NotFound:
                pass
            replication: dict[str, Any] = (
                {"user_managed": {"replicas": [{"location": config.location}]}}
                if config.location
                else {"automatic": {}}
            )
            # AlreadyExists: created between the two calls; add the version to it.
            with contextlib.suppress(api_errors.AlreadyExists):
                sm.create_secret(
                    parent=f"projects/{config.project}",
                    secret_id=self.secret_id,
                    secret={"replication": replication, "labels": dict(config.labels)},
                    retry=None,
                    timeout=TIMEOUT,
                )
            _add_version(sm, self.name, data)

        self._call("write", put)

    def get(self) -> dict[str, str] | None:
        def get(sm: Any) -> Any:
            try:
                return sm.access_secret_version(
                    name=f"{self.name}/versions/latest", retry=None, timeout=TIMEOUT
                )
            except api_errors.NotFound:
                return None

        answer = self._call("read", get)
        if answer is None:
            return None
        try:
            value = json.loads(answer.payload.data.decode("utf-8"))
        except ValueError:
            value = None
        return string_map(value, where=self.describe())

    def remove(self) -> None:
        def delete(sm: Any) -> None:
            with contextlib.suppress(api_errors.NotFound):
                sm.delete_secret(name=self.name, retry=None, timeout=TIMEOUT)

        self._call("delete", delete)


def _from_info(info: dict[str, Any], *, where: str) -> Any:
    """Credentials of the types a CI or cluster hands out; any other type is refused (an
    untrusted JSON must not pick an arbitrary credential source)."""
    kind = info.get("type")
    try:
        if kind == "service_account":
            return service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                info, scopes=list(SCOPES)
            )
        if kind == "external_account":
            source = info.get("credential_source") or {}
            module = (
                aws if str(source.get("environment_id", "")).startswith("aws") else identity_pool
            )
            return module.Credentials.from_info(info, scopes=list(SCOPES))
    except (ValueError, KeyError, auth_errors.GoogleAuthError) as e:
        raise SinkError(f"{where} is not a usable {kind} credentials JSON") from e
    raise SinkError(
        f"{where} has type {kind!r}; use a 'service_account' or 'external_account' JSON"
    )


def _add_version(sm: Any, name: str, data: bytes) -> None:
    sm.add_secret_version(parent=name, payload={"data": data}, retry=None, timeout=TIMEOUT)
