"""``ControlPlane``: one object that runs the embedded API in-process or on a socket.

Owns the lifecycle: opening the database, the first-start bootstrap (organisation, admin user,
application, 0600 credentials file), the in-process ``httpx`` transport, uvicorn serving (in
the foreground or a background thread), and the SSO stand-in ``add_user``. It must not log a
secret: the credentials file is the only place a client secret is written.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from filelock import FileLock
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from reconciler.controlplane import security
from reconciler.controlplane.app import build_app
from reconciler.controlplane.context import Context
from reconciler.controlplane.faults import IN_PROCESS_KEY, FaultConfig, FaultSwitch
from reconciler.controlplane.routes_applications import create_application
from reconciler.controlplane.status import DataplaneStatus, dataplane_status
from reconciler.controlplane.store import Store, get_meta
from reconciler.errors import FlexctlError, StateError
from reconciler.statedir import StateDir, write_private

log = logging.getLogger("reconciler.controlplane")

EMBEDDED_URL = "http://embedded/api/public/v1"
ADMIN_EMAIL = "admin@flexctl.local"
DB_NAME = "controlplane.db"
CREDENTIALS_NAME = "admin-credentials.json"


class ControlPlaneError(FlexctlError):
    """A request to the embedded control plane's owner (not its API) could not be done."""


@dataclass(frozen=True)
class AdminCredentials:
    url: str
    client_id: str
    client_secret: str = field(repr=False)
    organization_id: str
    user_email: str

    def to_json(self) -> str:
        return (
            json.dumps(
                {
                    "url": self.url,
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "organization_id": self.organization_id,
                    "user_email": self.user_email,
                },
                indent=2,
                sort_keys=True,
            )
            + "\n"
        )


class ControlPlane:
    def __init__(
        self,
        db_path: Path,
        *,
        organization_id: str | None = None,
        token_ttl: int = 900,
        faults: FaultConfig | None = None,
        max_body_bytes: int = 1 << 20,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if organization_id is not None:
            canonical = _canonical_uuid(organization_id)
            if canonical is None:
                raise ControlPlaneError(f"organization id {organization_id!r} is not a UUID")
            organization_id = canonical
        if token_ttl < 1:
            raise ControlPlaneError("token_ttl must be at least 1 second")
        self.db_path = db_path
        self._organization_id = organization_id
        self._clock = clock or time.time
        self._store = Store(db_path, now_us=self._now_us())
        self._switch = FaultSwitch()
        self._switch.set(faults)
        self._app = build_app(
            Context(self._store, self._clock, token_ttl, max_body_bytes), self._switch
        )

    @property
    def app(self) -> Starlette:
        return self._app

    @property
    def store(self) -> Store:
        return self._store

    def _now_us(self) -> int:
        return int(self._clock() * 1_000_000)

    def set_faults(self, faults: FaultConfig | None) -> None:
        self._switch.set(faults)

    async def _in_process(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app({**scope, IN_PROCESS_KEY: True}, receive, send)

    def transport(self) -> httpx.AsyncBaseTransport:
        return httpx.ASGITransport(app=self._in_process)

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> ControlPlane:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- bootstrap -------------------------------------------------------------------------

    def bootstrap(self, credentials_file: Path, *, url: str = EMBEDDED_URL) -> AdminCredentials:
        """Create the organisation, admin user and application once; return their credentials.

        Later calls read the file back (re-issuing an application if the file is missing or
        no longer matches the database). The database's organisation wins over the file's.
        """
        credentials_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with FileLock(str(credentials_file) + ".lock", timeout=30), self._store.write() as db:
            org_id, admin_id = self._ensure_organization(db)
            current = _read_credentials(credentials_file)
            if current is not None and _still_valid(db, current, org_id, admin_id):
                if current.url != url:
                    current = AdminCredentials(
                        url, current.client_id, current.client_secret, org_id, ADMIN_EMAIL
                    )
                    write_private(credentials_file, current.to_json())
                return current
            read, secret = create_application(
                db, user_id=admin_id, name="flexctl-admin", now_us=self._now_us()
            )
            creds = AdminCredentials(url, read["clientId"], secret, org_id, ADMIN_EMAIL)
            write_private(credentials_file, creds.to_json())  # inside the transaction
            log.info("embedded control plane: admin credentials written to %s", credentials_file)
            return creds

    def _ensure_organization(self, db: Any) -> tuple[str, str]:
        org_id = get_meta(db, "organization_id")
        if org_id is not None:
            if self._organization_id is not None and self._organization_id != org_id:
                raise StateError(
                    f"{self.db_path}: the embedded control plane belongs to organization "
                    f"{org_id}, not {self._organization_id}; use another state directory or "
                    "delete this one"
                )
            return org_id, str(get_meta(db, "admin_user_id"))
        org_id = self._organization_id or str(uuid.uuid4())
        now = self._now_us()
        db.execute(
            "INSERT INTO organizations VALUES (?, 'flexctl', ?, ?)", (org_id, ADMIN_EMAIL, now)
        )
        admin_id = _ensure_user(db, ADMIN_EMAIL, "flexctl admin", now)
        db.execute(
            "INSERT INTO permissions VALUES (?, ?, 'organization_admin', NULL, ?, ?)",
            (str(uuid.uuid4()), admin_id, org_id, now),
        )
        db.execute("INSERT INTO meta VALUES ('organization_id', ?)", (org_id,))
        db.execute("INSERT INTO meta VALUES ('admin_user_id', ?)", (admin_id,))
        return org_id, admin_id

    # -- users, applications, status (owner-side helpers, no HTTP) -------------------------

    def add_user(self, email: str, name: str | None = None) -> str:
        """Stand-in for SSO: the user exists and is an organization_member of the organisation."""
        email = email.strip()
        if not email or "@" not in email or any(ch.isspace() for ch in email) or len(email) > 254:
            raise ControlPlaneError(f"{email!r} is not an e-mail address")
        now = self._now_us()
        with self._store.write() as db:
            user_id = _ensure_user(db, email, name or email.split("@")[0], now)
            org_id = get_meta(db, "organization_id")
            if org_id is not None and security.org_rank(db, user_id, org_id) == 0:
                db.execute(
                    "INSERT INTO permissions VALUES (?, ?, 'organization_member', NULL, ?, ?)",
                    (str(uuid.uuid4()), user_id, org_id, now),
                )
        return user_id

    def add_application(self, email: str, name: str = "flexctl") -> tuple[str, str]:
        """An application for an existing user (the UI's job); returns (client_id, secret)."""
        with self._store.write() as db:
            row = db.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
            if row is None:
                raise ControlPlaneError(f"no user {email!r}; add the user first")
            read, secret = create_application(
                db, user_id=row["id"], name=name, now_us=self._now_us()
            )
        return str(read["clientId"]), secret

    def dataplane_status(self, organization_id: str | None = None) -> list[DataplaneStatus]:
        with self._store.read() as db:
            return dataplane_status(db, organization_id)

    # -- serving ---------------------------------------------------------------------------

    def _server(self, *, log_level: str, access_log: bool) -> uvicorn.Server:
        config = uvicorn.Config(
            self._app,
            lifespan="off",
            http="h11",
            loop="asyncio",
            log_level=log_level,
            access_log=access_log,
        )
        return uvicorn.Server(config)

    def serve(self, host: str, port: int) -> None:
        """Serve until interrupted (uvicorn in the foreground)."""
        sock = _bind(host, port)
        try:
            self._server(log_level="info", access_log=True).run(sockets=[sock])
        finally:
            sock.close()

    @contextmanager
    def running(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve in a background thread; yields the root URL (``http://host:port``)."""
        sock = _bind(host, port)
        server = self._server(log_level="warning", access_log=False)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="flexctl-controlplane"
        )
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise ControlPlaneError(f"the control plane did not start on {host}:{port}")
            time.sleep(0.01)
        try:
            yield f"http://{host}:{sock.getsockname()[1]}"
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()


def open_embedded(
    state_dir: Path, *, organization_id: str | None = None, faults: FaultConfig | None = None
) -> tuple[ControlPlane, AdminCredentials]:
    """Local mode: the database and credentials under ``<state_dir>/controlplane/``."""
    home = StateDir(state_dir).subdir("controlplane")
    plane = ControlPlane(home / DB_NAME, organization_id=organization_id, faults=faults)
    try:
        return plane, plane.bootstrap(home / CREDENTIALS_NAME)
    except BaseException:
        plane.close()
        raise


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto
    # says TCP, and without it every answer waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ControlPlaneError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    return sock


def _canonical_uuid(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def _ensure_user(db: Any, email: str, name: str, now_us: int) -> str:
    row = db.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
    if row is not None:
        return str(row["id"])
    user_id = str(uuid.uuid4())
    db.execute("INSERT INTO users VALUES (?, ?, ?, ?)", (user_id, email, name, now_us))
    return user_id


def _read_credentials(path: Path) -> AdminCredentials | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return AdminCredentials(
            url=str(data["url"]),
            client_id=str(data["client_id"]),
            client_secret=str(data["client_secret"]),
            organization_id=str(data["organization_id"]),
            user_email=str(data["user_email"]),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("%s is unreadable; issuing new admin credentials", path)
        return None


def _still_valid(db: Any, creds: AdminCredentials, org_id: str, admin_id: str) -> bool:
    row = db.execute(
        "SELECT secret_hash FROM applications WHERE client_id = ? AND user_id = ?",
        (creds.client_id, admin_id),
    ).fetchone()
    return (
        row is not None
        and creds.organization_id == org_id
        and security.matches(creds.client_secret, row["secret_hash"])
    )
