"""A local emulation of the Google Secret Manager REST API (v1), for the
``gcp-secret-manager`` sink tests: Google ships no local server for Secret Manager, so this
answers exactly the calls the sink makes, as the service does.

- ``/v1/projects/P/secrets...``: ``CreateSecret``, ``AddSecretVersion``,
  ``AccessSecretVersion`` (``latest``), ``DeleteSecret``; errors in Google's JSON shape.
- Auth as Google checks a service account's self-signed JWT (what the client library sends
  for a service-account key: no token exchange): ``Authorization: Bearer <JWT>`` whose RS256
  signature verifies with the public key of a service account this server made, unexpired,
  with the cloud-platform scope (401 otherwise); then the account's role on the project
  (403 otherwise): ``secretAccessor`` may only access, ``admin`` may do everything.
- Bodies are checked (payload base64, replication present, valid secret id).
- ``calls`` records (method, path, service account) and every JSON body, for assertions.

Runs in a thread of the test process on a free loopback port.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .jsonhttp import JsonHandler, StateServer, run

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
ADMIN = "admin"
ACCESSOR = "secretAccessor"
_ACCESS_ONLY = {"access"}

_SECRETS = re.compile(r"^/v1/projects/(?P<project>[^/]+)/secrets$")
_SECRET = re.compile(r"^/v1/projects/(?P<project>[^/]+)/secrets/(?P<id>[A-Za-z0-9_-]+)$")
_ADD = re.compile(r"^/v1/projects/(?P<project>[^/]+)/secrets/(?P<id>[A-Za-z0-9_-]+):addVersion$")
_ACCESS = re.compile(
    r"^/v1/projects/(?P<project>[^/]+)/secrets/(?P<id>[A-Za-z0-9_-]+)/versions/latest:access$"
)


def _b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))


@dataclass
class ServiceAccount:
    email: str
    key: rsa.RSAPrivateKey

    def info(self) -> dict[str, str]:
        """The service-account key JSON, as the IAM console hands it out."""
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return {
            "type": "service_account",
            "project_id": "test-project",
            "private_key_id": secrets.token_hex(8),
            "private_key": pem,
            "client_email": self.email,
            "client_id": "1234567890",
            "token_uri": "https://oauth2.googleapis.com/token",
        }


@dataclass
class Secret:
    labels: dict[str, str]
    replication: dict[str, Any]
    versions: list[bytes] = field(default_factory=list)


@dataclass
class GcpSecretManager:
    url: str
    #: project -> service account email -> role
    roles: dict[str, dict[str, str]] = field(default_factory=dict)
    accounts: dict[str, ServiceAccount] = field(default_factory=dict)
    secrets: dict[tuple[str, str], Secret] = field(default_factory=dict)
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def service_account(self, project: str, role: str) -> dict[str, str]:
        """A new service account with ``role`` on ``project``: its key JSON."""
        email = f"sa-{secrets.token_hex(4)}@{project}.iam.gserviceaccount.com"
        account = ServiceAccount(email, rsa.generate_private_key(65537, 2048))
        with self.lock:
            self.accounts[email] = account
            self.roles.setdefault(project, {})[email] = role
        return account.info()

    def principal(self, authorization: str) -> str | None:
        """The service account a ``Bearer <self-signed JWT>`` header proves, else None."""
        try:
            head, body, signature = authorization.removeprefix("Bearer ").encode().split(b".")
            claims = json.loads(_b64url(body))
            account = self.accounts[claims["iss"]]
            account.key.public_key().verify(
                _b64url(signature), head + b"." + body, padding.PKCS1v15(), hashes.SHA256()
            )
        except Exception:  # malformed, unknown signer or forged: the same refusal
            return None
        if not authorization.startswith("Bearer ") or claims.get("exp", 0) < time.time():
            return None
        if CLOUD_PLATFORM not in str(claims.get("scope", "")).split():
            return None
        return account.email

    def latest(self, project: str, secret_id: str) -> bytes | None:
        secret = self.secrets.get((project, secret_id))
        return secret.versions[-1] if secret and secret.versions else None


class _Handler(JsonHandler):
    server: StateServer

    def _error(self, status: int, code: str, message: str) -> None:
        self._answer(status, {"error": {"code": status, "message": message, "status": code}})

    def _route(self, method: str) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        body = self._body() if method == "POST" else b""
        email = state.principal(self.headers.get("Authorization", ""))
        with state.lock:
            state.calls.append((method, url.path, email or ""))
        if email is None:
            self._error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
            return
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            self._error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
            return
        with state.lock:
            state.bodies.append(payload)
        for pattern, want, action in (
            (_SECRETS, "POST", "create"),
            (_ADD, "POST", "add"),
            (_ACCESS, "GET", "access"),
            (_SECRET, "DELETE", "delete"),
        ):
            match = pattern.match(url.path)
            if match and method == want:
                project = match["project"]
                role = state.roles.get(project, {}).get(email)
                if role != ADMIN and not (role == ACCESSOR and action in _ACCESS_ONLY):
                    self._error(403, "PERMISSION_DENIED", f"Permission denied on {url.path}")
                    return
                with state.lock:
                    getattr(self, f"_{action}")(project, match.groupdict().get("id"), url, payload)
                return
        self._error(404, "NOT_FOUND", f"no such method {method} {url.path}")

    def _create(self, project: str, _id: str | None, url: Any, payload: dict[str, Any]) -> None:
        secret_id = parse_qs(url.query).get("secretId", [""])[0]
        replication = payload.get("replication")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", secret_id) or not isinstance(
            replication, dict
        ):
            self._error(400, "INVALID_ARGUMENT", "secretId and replication are required")
            return
        state = self.server.state
        if (project, secret_id) in state.secrets:
            self._error(409, "ALREADY_EXISTS", "Secret already exists")
            return
        state.secrets[(project, secret_id)] = Secret(dict(payload.get("labels") or {}), replication)
        self._answer(200, {"name": f"projects/{project}/secrets/{secret_id}", **payload})

    def _add(self, project: str, secret_id: str | None, _url: Any, payload: dict[str, Any]) -> None:
        secret = self.server.state.secrets.get((project, secret_id or ""))
        if secret is None:
            self._error(404, "NOT_FOUND", "Secret not found")
            return
        try:
            data = base64.b64decode(payload["payload"]["data"], validate=True)
        except (KeyError, TypeError, ValueError):
            self._error(400, "INVALID_ARGUMENT", "payload.data must be base64")
            return
        secret.versions.append(data)
        name = f"projects/{project}/secrets/{secret_id}/versions/{len(secret.versions)}"
        self._answer(200, {"name": name, "state": "ENABLED"})

    def _access(self, project: str, secret_id: str | None, _url: Any, _p: dict[str, Any]) -> None:
        data = self.server.state.latest(project, secret_id or "")
        if data is None:
            self._error(404, "NOT_FOUND", "Secret [latest] not found or has no versions")
            return
        secret = self.server.state.secrets[(project, secret_id or "")]
        name = f"projects/{project}/secrets/{secret_id}/versions/{len(secret.versions)}"
        self._answer(200, {"name": name, "payload": {"data": base64.b64encode(data).decode()}})

    def _delete(self, project: str, secret_id: str | None, _url: Any, _p: dict[str, Any]) -> None:
        if self.server.state.secrets.pop((project, secret_id or ""), None) is None:
            self._error(404, "NOT_FOUND", "Secret not found")
            return
        self._answer(200, {})


def serve() -> Iterator[GcpSecretManager]:
    """Run the emulation until the generator is closed."""
    yield from run(_Handler, lambda url, _port: GcpSecretManager(url), name="gcpsm")


def write_key(path: Path, info: dict[str, str]) -> Path:
    path.write_text(json.dumps(info), encoding="utf-8")
    path.chmod(0o600)
    return path
