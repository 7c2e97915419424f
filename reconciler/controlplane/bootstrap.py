"""First start of an embedded control plane: organisation, admin user, application, and the
0600 credentials file that local mode reads back.

Idempotent: later runs return the file's credentials while they still work, and issue a new
application (rewriting the file) when the file is missing, unreadable or stale. The database's
organisation is the truth; asking for another one is a ``StateError``. The credentials file is
the only place a client secret is ever written; nothing here logs one.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock

from reconciler.controlplane import security
from reconciler.controlplane.routes_applications import create_application
from reconciler.controlplane.store import Store, get_meta
from reconciler.errors import StateError
from reconciler.statedir import write_private

log = logging.getLogger("reconciler.controlplane")

EMBEDDED_URL = "http://embedded/api/public/v1"
ADMIN_EMAIL = "admin@flexctl.local"


@dataclass(frozen=True)
class AdminCredentials:
    url: str
    client_id: str
    client_secret: str = field(repr=False)
    organization_id: str
    user_email: str

    def to_json(self) -> str:
        body = {
            "url": self.url,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "organization_id": self.organization_id,
            "user_email": self.user_email,
        }
        return json.dumps(body, indent=2, sort_keys=True) + "\n"


def bootstrap(
    store: Store,
    credentials_file: Path,
    *,
    url: str | None,
    organization_id: str | None,
    now_us: int,
) -> AdminCredentials:
    """``url`` is where the API is served (``serve`` knows it); ``None`` keeps the file's, so
    ``add-user`` or a local run beside a running ``serve`` leaves its URL alone."""
    credentials_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # The file lock keeps two processes from both issuing an application for one file.
    with FileLock(str(credentials_file) + ".lock", timeout=30), store.write() as db:
        org_id, admin_id = _ensure_organization(db, store.path, organization_id, now_us)
        current = _read_credentials(credentials_file)
        if current is not None and _still_valid(db, current, org_id, admin_id):
            if url is not None and current.url != url:
                current = AdminCredentials(
                    url, current.client_id, current.client_secret, org_id, ADMIN_EMAIL
                )
                write_private(credentials_file, current.to_json())
            return current
        read, secret = create_application(db, user_id=admin_id, name="flexctl-admin", now_us=now_us)
        creds = AdminCredentials(url or EMBEDDED_URL, read["clientId"], secret, org_id, ADMIN_EMAIL)
        write_private(credentials_file, creds.to_json())  # inside the transaction
        log.info("embedded control plane: admin credentials written to %s", credentials_file)
        return creds


def _ensure_organization(
    db: sqlite3.Connection, db_path: Path, requested: str | None, now_us: int
) -> tuple[str, str]:
    org_id = get_meta(db, "organization_id")
    if org_id is not None:
        if requested is not None and requested != org_id:
            raise StateError(
                f"{db_path}: the embedded control plane belongs to organization {org_id}, "
                f"not {requested}; use another state directory or delete this one"
            )
        return org_id, str(get_meta(db, "admin_user_id"))
    org_id = requested or str(uuid.uuid4())
    db.execute(
        "INSERT INTO organizations VALUES (?, 'flexctl', ?, ?)", (org_id, ADMIN_EMAIL, now_us)
    )
    admin_id = ensure_user(db, ADMIN_EMAIL, "flexctl admin", now_us)
    db.execute(
        "INSERT INTO permissions VALUES (?, ?, 'organization_admin', NULL, ?, ?)",
        (str(uuid.uuid4()), admin_id, org_id, now_us),
    )
    db.execute("INSERT INTO meta VALUES ('organization_id', ?)", (org_id,))
    db.execute("INSERT INTO meta VALUES ('admin_user_id', ?)", (admin_id,))
    return org_id, admin_id


def ensure_user(db: sqlite3.Connection, email: str, name: str, now_us: int) -> str:
    """The id of the user with this e-mail (any case), created if missing."""
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


def _still_valid(
    db: sqlite3.Connection, creds: AdminCredentials, org_id: str, admin_id: str
) -> bool:
    row = db.execute(
        "SELECT secret_hash FROM applications WHERE client_id = ? AND user_id = ?",
        (creds.client_id, admin_id),
    ).fetchone()
    return (
        row is not None
        and creds.organization_id == org_id
        and security.matches(creds.client_secret, row["secret_hash"])
    )
