"""``azure-key-vault`` sink: the data plane's secret (one JSON value) in Azure Key Vault
through ``azure-keyvault-secrets``, logged in with ``azure-identity``: either
``DefaultAzureCredential`` (environment, workload identity, managed identity, Azure CLI) or
a service principal whose client secret comes from a reference. Optional tags (on every
write: Key Vault keeps them per version) and authority host (sovereign clouds).

The only module that imports the Azure libraries. ``azure.core`` errors become
``SinkError`` naming the secret's URL (vault URL and name) and a reason, never the
service's message. No retries and short timeouts: an unreachable vault or token endpoint
fails at once with its URL.

Key Vault soft-deletes: a deleted secret's name stays taken until it is purged or
recovered. ``put`` recovers a deleted secret of the same name and writes the new version
over it (the old versions are the vault's retention, as they are after any write);
``remove`` deletes and waits until the deletion is complete, and does not purge.
"""

from __future__ import annotations

import json
import logging
import re
import ssl
from typing import Any

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.identity import ClientSecretCredential, CredentialUnavailableError
from azure.identity import DefaultAzureCredential as _DefaultAzureCredential
from azure.keyvault.secrets import SecretClient

from reconciler.config.models import AzureKeyVaultSink
from reconciler.config.secrets import resolve_secret
from reconciler.errors import SecretResolutionError, SinkError
from reconciler.sinks.managed import sink_path, string_map
from reconciler.sinks.secretdata import SecretContext

#: The SDKs log their own account of every failure (service text, request URLs) at WARNING,
#: which Python prints to stderr when nothing is configured. Every failure here becomes a
#: SinkError that says what happened; the SDKs' lines never reach the user.
_AZURE_LOG = logging.getLogger("azure")
_AZURE_LOG.addHandler(logging.NullHandler())
_AZURE_LOG.propagate = False

#: Seconds: to connect, and to wait for an answer.
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 20
#: Seconds a soft delete or a recovery may take (Key Vault: usually a few).
LRO_TIMEOUT = 60
CONTENT_TYPE = "application/json"
PUBLIC_AUTHORITY = "https://login.microsoftonline.com"

_CLIENT_OPTIONS: dict[str, Any] = {
    "retry_total": 0,
    "connection_timeout": CONNECT_TIMEOUT,
    "read_timeout": READ_TIMEOUT,
}
_REASONS = {401: "not authenticated", 403: "permission denied", 404: "not found"}
_AADSTS = re.compile(r"\bAADSTS\d{4,7}\b")
#: The credentials DefaultAzureCredential lists as attempted (class names only).
_TRIED = re.compile(r"^\t(\w+Credential):", re.MULTILINE)


class AzureKeyVaultBackend:
    def __init__(self, ctx: SecretContext, config: AzureKeyVaultSink) -> None:
        self._ctx = ctx
        self._config = config
        self.vault_url = config.vault_url.rstrip("/")
        self.name = sink_path(config.name, ctx.dataplane)
        self._client: Any = None

    def describe(self) -> str:
        return f"azure-key-vault {self.vault_url}/secrets/{self.name}"

    def _credential(self) -> Any:
        auth = self._config.auth
        options: dict[str, Any] = dict(_CLIENT_OPTIONS)
        if auth.authority_host:
            # Named in the config: trusted as named (no instance discovery at Microsoft).
            options |= {"authority": auth.authority_host, "disable_instance_discovery": True}
        if auth.method == "default":
            return _DefaultAzureCredential(**options)
        assert auth.tenant_id and auth.client_id and auth.client_secret  # the model requires it
        try:
            secret = resolve_secret(
                auth.client_secret,
                where=f"{self._ctx.label}: credentials.azureKeyVault.auth.clientSecret",
                env=self._ctx.env,
                base_dir=self._ctx.config_dir,
            )
        except SecretResolutionError as e:
            raise SinkError(f"{self.describe()}: cannot log in: {e}") from e
        return ClientSecretCredential(auth.tenant_id, auth.client_id, secret, **options)

    def _kv(self) -> Any:
        if self._client is None:
            self._client = SecretClient(self.vault_url, self._credential(), **_CLIENT_OPTIONS)
        return self._client

    def _authority(self) -> str:
        auth = self._config.auth
        if auth.authority_host:
            return auth.authority_host.rstrip("/")
        if auth.method == "default" and self._ctx.env.get("AZURE_AUTHORITY_HOST"):
            return self._ctx.env["AZURE_AUTHORITY_HOST"].rstrip("/")
        return PUBLIC_AUTHORITY

    def _call(self, action: str, fn: Any) -> Any:
        failed = f"{self.describe()}: cannot {action}"
        try:
            return fn(self._kv())
        except CredentialUnavailableError as e:
            raise SinkError(
                f"{failed}: cannot log in: DefaultAzureCredential found no usable credential "
                "(AZURE_* variables, workload or managed identity, Azure CLI)"
            ) from e
        except ClientAuthenticationError as e:
            if e.status_code == 401 and _answered_by(e, self.vault_url):
                raise SinkError(f"{failed}: not authenticated (the vault refused the token)") from e
            network = _network_error(e)
            if network is not None:
                raise SinkError(
                    f"{failed}: cannot log in: {_unreachable(network, self._authority())}"
                ) from e
            message = str(e.message or "")
            if message.startswith("DefaultAzureCredential failed"):
                tried = ", ".join(_TRIED.findall(message)) or "nothing"
                raise SinkError(
                    f"{failed}: cannot log in: DefaultAzureCredential got no token (tried "
                    f"{tried}); set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, "
                    "or use a workload or managed identity"
                ) from e
            code = _AADSTS.search(message)
            why = f" ({code.group()})" if code else ""
            raise SinkError(f"{failed}: cannot log in: the token request was refused{why}") from e
        except HttpResponseError as e:
            status = e.status_code or 0
            raise SinkError(f"{failed}: {_REASONS.get(status, f'HTTP {status}')}") from e
        except (ServiceRequestError, ServiceResponseError) as e:
            raise SinkError(f"{failed}: {_unreachable(e, self.vault_url)}") from e

    def _wait(self, poller: Any, action: str, what: str) -> None:
        poller.wait(timeout=LRO_TIMEOUT)
        if not poller.done():
            raise SinkError(
                f"{self.describe()}: cannot {action}: the {what} did not complete within "
                f"{LRO_TIMEOUT} s"
            )

    def put(self, payload: dict[str, str]) -> None:
        text = json.dumps(payload, sort_keys=True)
        tags = dict(self._config.tags) or None

        def put(kv: Any) -> None:
            def write() -> None:
                kv.set_secret(self.name, text, content_type=CONTENT_TYPE, tags=tags)

            try:
                write()
                return
            except HttpResponseError as e:
                if "ObjectIsDeletedButRecoverable" not in _codes(e):
                    raise
            try:
                poller = kv.begin_recover_deleted_secret(self.name, _polling_interval=1)
            except HttpResponseError as e:
                if e.status_code != 403:
                    raise
                raise SinkError(
                    f"{self.describe()}: cannot write: a deleted secret of this name is kept by "
                    "soft delete, and recovering it was refused (permission denied); recover "
                    "or purge it, or grant flexctl the recover permission"
                ) from e
            self._wait(poller, "write", "recovery of the deleted secret")
            write()

        self._call("write", put)

    def get(self) -> dict[str, str] | None:
        def get(kv: Any) -> Any:
            try:
                return kv.get_secret(self.name)
            except ResourceNotFoundError:
                return None

        answer = self._call("read", get)
        if answer is None:
            return None
        try:
            value = json.loads(answer.value or "")
        except ValueError:
            value = None
        return string_map(value, where=self.describe())

    def remove(self) -> None:
        def delete(kv: Any) -> None:
            try:
                poller = kv.begin_delete_secret(self.name, _polling_interval=1)
            except ResourceNotFoundError:
                return
            self._wait(poller, "delete", "deletion")

        self._call("delete", delete)


def _codes(error: HttpResponseError) -> set[str]:
    """Key Vault's error code and inner error code (``Conflict``,
    ``ObjectIsDeletedButRecoverable``)."""
    try:
        body = json.loads(error.response.text()) if error.response is not None else {}
    except (ValueError, AttributeError):
        return set()
    found: set[str] = set()
    node = body.get("error") if isinstance(body, dict) else None
    while isinstance(node, dict):
        if isinstance(node.get("code"), str):
            found.add(node["code"])
        node = node.get("innererror")
    return found


def _answered_by(error: HttpResponseError, vault_url: str) -> bool:
    """Did the vault answer (rather than the token endpoint)?"""
    request = getattr(error.response, "request", None)
    return str(getattr(request, "url", "")).startswith(vault_url + "/")


def _network_error(error: BaseException) -> AzureError | None:
    """The connection failure behind a failed login (azure-identity wraps it), if any."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ServiceRequestError | ServiceResponseError):
            return current
        current = current.__cause__ or current.__context__
    return None


def _unreachable(error: AzureError, url: str) -> str:
    """Why ``url`` did not answer, without the library's text (it may carry a request)."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = (
            getattr(current, "inner_exception", None) or current.__cause__ or current.__context__
        )
    if any(isinstance(c, ssl.SSLError) or "SSLError" in type(c).__name__ for c in chain):
        return (
            f"{url}: TLS handshake failed (is its certificate trusted? a private CA goes in "
            "REQUESTS_CA_BUNDLE)"
        )
    if any(isinstance(c, TimeoutError) or "Timeout" in type(c).__name__ for c in chain):
        return f"{url} did not answer within {READ_TIMEOUT} s"
    return f"{url} unreachable"
