"""A local emulation of the Azure Key Vault secrets REST API and of the Entra ID token
endpoint, for the ``azure-key-vault`` sink tests: Microsoft ships no local server for Key
Vault, so this answers exactly the calls the sink makes through ``azure-keyvault-secrets``
and ``azure-identity``, as the services document them.

- HTTPS only (the SDK refuses bearer tokens over plain HTTP): a certificate for 127.0.0.1
  made at test time with ``cryptography`` (``certificate``); clients trust it through
  ``REQUESTS_CA_BUNDLE``, the way a private CA is trusted in real use.
- Entra ID (``/{tenant}/v2.0/.well-known/openid-configuration``,
  ``/{tenant}/oauth2/v2.0/token``): the client-credentials grant for applications this
  server registered (``application``); a wrong secret is ``invalid_client`` (AADSTS7000215),
  an unknown tenant ``invalid_tenant``. Tokens are opaque, expire, and carry the scope asked.
- Key Vault (``/secrets/{name}``, ``/deletedsecrets/{name}``): challenge authentication
  (a request without a token gets ``401`` with ``WWW-Authenticate: Bearer
  authorization=".../{tenant}", resource="..."``), then a token for ``<resource>/.default``
  from the vault's tenant; the application's role: ``officer`` may do everything, ``user``
  only read (the names of Azure's built-in roles "Key Vault Secrets Officer" / "Secrets
  User"), ``writer`` all but recover and purge; ``403 ForbiddenByRbac`` otherwise.
  ``revoke()`` makes every token issued so far invalid. Set (a new version each time,
  tags), get latest, soft delete, get deleted, recover, purge; names are checked
  (``[0-9a-zA-Z-]{1,127}``) and case-insensitive; setting a name that is deleted but
  recoverable is ``409 ObjectIsDeletedButRecoverable``, as in a vault with soft-delete
  (every vault today).
- The SDK checks that the challenge's resource is a parent domain of the vault's host
  (``acme.vault.azure.net`` under ``vault.azure.net``). The vault here is ``127.0.0.1:PORT``,
  so the resource it names is ``https://0.0.1:PORT``: the SDK's own check passes and
  nothing in the sink is switched off for the test.
- ``calls`` records (method, path, client id) for assertions.

Runs in a thread of the test process on a free loopback port (``jsonhttp.run``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .jsonhttp import JsonHandler, StateServer, run

OFFICER = "officer"
USER = "user"
#: May set, get and delete, not recover or purge (a custom role, or an access policy
#: without those permissions).
WRITER = "writer"
_ALLOWED = {USER: {"get"}, WRITER: {"get", "set", "delete", "get_deleted"}}
_NAME = r"[0-9a-zA-Z-]{1,127}"
_SECRET = re.compile(r"^/secrets/(?P<name>[^/]+)(/(?P<version>[^/]*))?$")
_DELETED = re.compile(r"^/deletedsecrets/(?P<name>[^/]+)$")
_RECOVER = re.compile(r"^/deletedsecrets/(?P<name>[^/]+)/recover$")
_OPENID = re.compile(r"^/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration$")
_TOKEN = re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$")


def certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA): (cert PEM, key PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "flexctl test key vault")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "azurekv.pem", directory / "azurekv.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass(frozen=True)
class Application:
    """A service principal: what ``auth: {method: client-secret}`` names."""

    tenant_id: str
    client_id: str
    client_secret: str


@dataclass
class StoredSecret:
    name: str
    #: (value, tags) per version, oldest first
    versions: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    content_type: str | None = None
    deleted: bool = False

    @property
    def value(self) -> str:
        return self.versions[-1][0]

    @property
    def tags(self) -> dict[str, str]:
        return self.versions[-1][1]


@dataclass
class AzureKeyVault:
    url: str
    tenant_id: str
    resource: str
    applications: dict[str, tuple[Application, str]] = field(default_factory=dict)
    #: access token -> (client id, scope, expiry)
    tokens: dict[str, tuple[str, str, float]] = field(default_factory=dict)
    #: lower-case name -> secret
    secrets: dict[str, StoredSecret] = field(default_factory=dict)
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def application(self, role: str, *, tenant_id: str | None = None) -> Application:
        """A new application with ``role`` on this vault (in the vault's tenant unless told)."""
        app = Application(
            tenant_id or self.tenant_id, str(uuid.uuid4()), f"app-secret-{secrets.token_hex(12)}"
        )
        with self.lock:
            self.applications[app.client_id] = (app, role)
        return app

    def revoke(self) -> None:
        """Every token issued so far is refused from now on (a revoked session)."""
        with self.lock:
            self.tokens.clear()

    def secret(self, name: str) -> StoredSecret | None:
        """What the vault holds under ``name`` (deleted or not)."""
        return self.secrets.get(name.lower())

    def principal(self, authorization: str) -> str | None:
        token = authorization.removeprefix("Bearer ")
        held = self.tokens.get(token) if authorization.startswith("Bearer ") else None
        if held is None or held[2] < time.time() or held[1] != f"{self.resource}/.default":
            return None
        return held[0]


class _Handler(JsonHandler):
    server: StateServer
    protocol_version = "HTTP/1.1"

    def _error(self, status: int, code: str, message: str, inner: str | None = None) -> None:
        error: dict[str, Any] = {"code": code, "message": message}
        if inner:
            error["innererror"] = {"code": inner}
        self._answer(status, {"error": error})

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        body = self._body()
        if match := _OPENID.match(url.path):
            self._openid(match["tenant"])
        elif (match := _TOKEN.match(url.path)) and method == "POST":
            self._token(match["tenant"], body)
        else:
            self._vault(method, url, body)

    # ---------------------------------------------------------------- Entra ID

    def _openid(self, tenant: str) -> None:
        base = f"{self.server.state.url}/{tenant}"
        self._answer(
            200,
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "issuer": f"{base}/v2.0",
                "token_endpoint_auth_methods_supported": ["client_secret_post"],
                "tenant_region_scope": "EU",
            },
        )

    def _token(self, tenant: str, body: bytes) -> None:
        state = self.server.state
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        client_id = form.get("client_id", "")
        with state.lock:
            state.calls.append(("POST", f"/{tenant}/oauth2/v2.0/token", client_id))
        known = state.applications.get(client_id)

        def refuse(status: int, error: str, code: int, text: str) -> None:
            self._answer(
                status,
                {
                    "error": error,
                    "error_description": f"AADSTS{code}: {text}",
                    "error_codes": [code],
                },
            )

        if form.get("grant_type") != "client_credentials":
            refuse(400, "unsupported_grant_type", 70003, "The grant type is not supported.")
        elif known is None or known[0].tenant_id != tenant:
            refuse(400, "unauthorized_client", 700016, f"Application {client_id} not found.")
        elif not secrets.compare_digest(form.get("client_secret", ""), known[0].client_secret):
            refuse(401, "invalid_client", 7000215, "Invalid client secret provided.")
        else:
            token = secrets.token_urlsafe(24)
            with state.lock:
                state.tokens[token] = (client_id, form.get("scope", ""), time.time() + 3600)
            self._answer(
                200,
                {
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "ext_expires_in": 3600,
                    "access_token": token,
                },
            )

    # ---------------------------------------------------------------- Key Vault

    def _vault(self, method: str, url: Any, body: bytes) -> None:
        state = self.server.state
        client_id = state.principal(self.headers.get("Authorization", ""))
        with state.lock:
            state.calls.append((method, url.path, client_id or ""))
        if client_id is None:
            challenge = (
                f'Bearer authorization="{state.url}/{state.tenant_id}", resource="{state.resource}"'
            )
            self._answer(
                401,
                {
                    "error": {
                        "code": "Unauthorized",
                        "message": "AKV10000: Request is missing a Bearer or PoP token.",
                    }
                },
                WWW_Authenticate=challenge,
            )
            return
        if not parse_qs(url.query).get("api-version"):
            self._error(400, "BadParameter", "The api-version query parameter is required.")
            return
        for pattern, want, action in (
            (_SECRET, "PUT", "set"),
            (_SECRET, "GET", "get"),
            (_SECRET, "DELETE", "delete"),
            (_DELETED, "GET", "get_deleted"),
            (_DELETED, "DELETE", "purge"),
            (_RECOVER, "POST", "recover"),
        ):
            match = pattern.match(url.path)
            if not match or method != want:
                continue
            name = match["name"]
            if not re.fullmatch(_NAME, name):
                self._error(
                    400, "BadParameter", f"The request URI contains an invalid name: {name}"
                )
                return
            role = state.applications[client_id][1]
            if role != OFFICER and action not in _ALLOWED.get(role, set()):
                self._error(
                    403,
                    "Forbidden",
                    f"Caller is not authorized to perform action on resource. Action: {action}",
                    "ForbiddenByRbac",
                )
                return
            try:
                payload = json.loads(body) if body else {}
            except ValueError:
                self._error(400, "BadParameter", "The request body is not valid JSON.")
                return
            with state.lock:
                getattr(self, f"_{action}")(name, payload)
            return
        self._error(404, "NotFound", f"no such operation {method} {url.path}")

    def _bundle(self, secret: StoredSecret, *, value: bool = True) -> dict[str, Any]:
        base = self.server.state.url
        bundle: dict[str, Any] = {
            "id": f"{base}/secrets/{secret.name}/{len(secret.versions):032x}",
            "attributes": {
                "enabled": True,
                "created": 1700000000,
                "updated": 1700000000,
                "recoveryLevel": "Recoverable+Purgeable",
                "recoverableDays": 90,
            },
            "tags": secret.tags,
        }
        if secret.content_type:
            bundle["contentType"] = secret.content_type
        if value:
            bundle["value"] = secret.value
        if secret.deleted:
            bundle["recoveryId"] = f"{base}/deletedsecrets/{secret.name}"
            bundle["deletedDate"] = 1700000000
            bundle["scheduledPurgeDate"] = 1707776000
        return bundle

    def _not_found(self, name: str) -> None:
        self._error(
            404,
            "SecretNotFound",
            f"A secret with (name/id) {name} was not found in this key vault.",
        )

    def _live(self, name: str) -> StoredSecret | None:
        secret = self.server.state.secret(name)
        return secret if secret is not None and not secret.deleted else None

    def _set(self, name: str, payload: dict[str, Any]) -> None:
        value, tags = payload.get("value"), payload.get("tags") or {}
        if not isinstance(value, str) or not isinstance(tags, dict) or len(tags) > 15:
            self._error(400, "BadParameter", "value (a string) is required; at most 15 tags")
            return
        state = self.server.state
        secret = state.secret(name)
        if secret is not None and secret.deleted:
            self._error(
                409,
                "Conflict",
                f"Secret {name} is currently in a deleted but recoverable state, and its name "
                "cannot be reused; in this state, the secret can only be recovered or purged.",
                "ObjectIsDeletedButRecoverable",
            )
            return
        if secret is None:
            secret = state.secrets[name.lower()] = StoredSecret(name)
        secret.versions.append((value, {str(k): str(v) for k, v in tags.items()}))
        secret.content_type = payload.get("contentType")
        self._answer(200, self._bundle(secret))

    def _get(self, name: str, _payload: dict[str, Any]) -> None:
        secret = self._live(name)
        if secret is None:
            self._not_found(name)
            return
        self._answer(200, self._bundle(secret))

    def _delete(self, name: str, _payload: dict[str, Any]) -> None:
        secret = self._live(name)
        if secret is None:
            self._not_found(name)
            return
        secret.deleted = True
        self._answer(200, self._bundle(secret, value=False))

    def _get_deleted(self, name: str, _payload: dict[str, Any]) -> None:
        secret = self.server.state.secret(name)
        if secret is None or not secret.deleted:
            self._not_found(name)
            return
        self._answer(200, self._bundle(secret, value=False))

    def _purge(self, name: str, _payload: dict[str, Any]) -> None:
        secret = self.server.state.secret(name)
        if secret is None or not secret.deleted:
            self._not_found(name)
            return
        del self.server.state.secrets[name.lower()]
        self._answer(204, None)

    def _recover(self, name: str, _payload: dict[str, Any]) -> None:
        secret = self.server.state.secret(name)
        if secret is None or not secret.deleted:
            self._not_found(name)
            return
        secret.deleted = False
        self._answer(200, self._bundle(secret, value=False))


def serve(cert: Path, key: Path) -> Iterator[AzureKeyVault]:
    """Run the emulation over HTTPS with ``cert``/``key`` until the generator is closed."""

    def state(url: str, port: int) -> AzureKeyVault:
        return AzureKeyVault(url, tenant_id=str(uuid.uuid4()), resource=f"https://0.0.1:{port}")

    yield from run(_Handler, state, name="azurekv", tls=(cert, key))
