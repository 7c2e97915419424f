"""``ControlPlane``: one object that runs the embedded API in-process or on a socket.

Owns the lifecycle: opening the database, the first-start bootstrap (organisation, admin user,
application, 0600 credentials file), the in-process ``httpx`` transport, uvicorn serving (in
the foreground or a background thread), and the SSO stand-in ``add_user``. It must not log a
secret: the credentials file is the only place a client secret is written.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from reconciler.controlplane import security, seed
from reconciler.controlplane.app import build_app
from reconciler.controlplane.bootstrap import (
    ADMIN_EMAIL,
    EMBEDDED_URL,
    AdminCredentials,
    bootstrap,
    ensure_user,
)
from reconciler.controlplane.context import Context
from reconciler.controlplane.faults import IN_PROCESS_KEY, FaultConfig, FaultSwitch
from reconciler.controlplane.quirks import Quirks, QuirkSwitch
from reconciler.controlplane.routes_applications import create_application
from reconciler.controlplane.status import DataplaneStatus, dataplane_status
from reconciler.controlplane.store import Store, get_meta
from reconciler.errors import FlexctlError
from reconciler.statedir import StateDir

__all__ = ["ADMIN_EMAIL", "EMBEDDED_URL", "AdminCredentials", "ControlPlane", "open_embedded"]
DB_NAME = "controlplane.db"
CREDENTIALS_NAME = "admin-credentials.json"


class ControlPlaneError(FlexctlError):
    """A request to the embedded control plane's owner (not its API) could not be done."""


class ControlPlane:
    """The embedded control plane over one SQLite file (see the module docstring)."""

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
        self._quirks = QuirkSwitch()
        self._app = build_app(
            Context(self._store, self._clock, token_ttl, max_body_bytes, self._quirks),
            self._switch,
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

    def set_quirks(self, quirks: Quirks | None) -> None:
        """Switch optional real-server behaviours on (``None``: all off); see ``quirks``."""
        self._quirks.set(quirks)

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

    def bootstrap(self, credentials_file: Path, *, url: str | None = None) -> AdminCredentials:
        """Create the organisation, admin user and application once; return their credentials.

        Later calls read ``credentials_file`` back (a new application if it is missing or
        stale). ``url``: where the API is served, written to the file; ``None`` keeps the
        file's (``EMBEDDED_URL`` for a new file). Raises ``StateError`` if the database holds
        another organisation.
        """
        return bootstrap(
            self._store,
            credentials_file,
            url=url,
            organization_id=self._organization_id,
            now_us=self._now_us(),
        )

    # -- users, applications, status (owner-side helpers, no HTTP) -------------------------

    def add_user(
        self,
        email: str,
        name: str | None = None,
        *,
        organization_id: str | None = None,
        role: str = "organization_member",
    ) -> str:
        """Stand-in for SSO: the user exists and holds ``role`` (at least) in the organisation
        (the embedded one unless ``organization_id`` names another, see ``add_organization``)."""
        email = email.strip()
        if not email or "@" not in email or any(ch.isspace() for ch in email) or len(email) > 254:
            raise ControlPlaneError(f"{email!r} is not an e-mail address")
        if role not in security.ORG_RANK:
            raise ControlPlaneError(f"{role!r} is not an organisation role")
        now = self._now_us()
        with self._store.write() as db:
            user_id = ensure_user(db, email, name or email.split("@")[0], now)
            org_id = organization_id or get_meta(db, "organization_id")
            if org_id is not None and security.org_rank(db, user_id, org_id) == 0:
                db.execute(
                    "INSERT INTO permissions VALUES (?, ?, ?, NULL, ?, ?)",
                    (str(uuid.uuid4()), user_id, role, org_id, now),
                )
        return user_id

    def add_organization(self, name: str, email: str = "owner@other.example") -> str:
        """A second organisation in the same control plane (Cloud has many). Users reach it
        through ``add_user(..., organization_id=...)``; its workspaces through the API."""
        org_id = str(uuid.uuid4())
        with self._store.write() as db:
            db.execute(
                "INSERT INTO organizations VALUES (?, ?, ?, ?)",
                (org_id, name, email, self._now_us()),
            )
        return org_id

    def add_connection(self, workspace: str, name: str, streams: list[dict[str, Any]]) -> str:
        """Stand-in for a user building a connection in the UI (``controlplane.seed``)."""
        return seed.add_connection(
            self._store, self._now_us(), workspace=workspace, name=name, configured=streams
        )

    def add_group(
        self,
        name: str,
        *,
        members: tuple[str, ...] = (),
        scim: bool = False,
        description: str | None = None,
        organization_id: str | None = None,
    ) -> str:
        """Stand-in for the identity provider's SCIM provisioning (``scim=True``: the API then
        answers 409 to its updates, deletion and membership changes); members by e-mail, each
        an existing user (``add_user``). Returns the group's id."""
        now = self._now_us()
        group_id = str(uuid.uuid4())
        with self._store.write() as db:
            org_id = organization_id or get_meta(db, "organization_id")
            if org_id is None:
                raise ControlPlaneError("bootstrap the control plane before adding groups")
            db.execute(
                "INSERT INTO groups (id, organization_id, name, description, scim, created_us)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (group_id, org_id, name, description, int(scim), now),
            )
            for email in members:
                row = db.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
                if row is None:
                    raise ControlPlaneError(f"no user {email!r}; add the user first")
                db.execute(
                    "INSERT INTO group_members VALUES (?, ?, ?, ?)",
                    (str(uuid.uuid4()), group_id, row["id"], now),
                )
        return group_id

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
            # logs go through the escaping stderr (reconciler.terminal): a request path's
            # control characters are escaped, and so would uvicorn's own colour codes be
            use_colors=False,
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
        # In-process: the file keeps the URL a running ``serve`` wrote; this run talks to the
        # database through the ASGI transport, at the embedded URL.
        return plane, replace(plane.bootstrap(home / CREDENTIALS_NAME), url=EMBEDDED_URL)
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
