"""SQLite storage of the embedded control plane: schema, connection, transactions.

One connection per ``Store`` guarded by a ``threading.Lock`` (the in-process transport and a
uvicorn thread may share a store), WAL and a busy timeout for other processes on the same file
(``flexctl controlplane status`` while a server runs). Every check-then-write happens inside
one ``BEGIN IMMEDIATE`` transaction, and the schema's UNIQUE constraints back the checks up.
This module knows tables, not HTTP: handlers own the SQL that answers their requests.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from reconciler.errors import StateError

#: Owner of Airbyte-managed regions.
DEFAULT_ORGANIZATION_ID = "00000000-0000-0000-0000-000000000000"
MANAGED_REGIONS = ("US", "EU")
SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS organizations (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, created_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE, name TEXT NOT NULL,
    created_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS applications (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id), name TEXT NOT NULL,
    client_id TEXT NOT NULL UNIQUE, secret_hash TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS permissions (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
    permission_type TEXT NOT NULL, workspace_id TEXT, organization_id TEXT,
    created_us INTEGER NOT NULL,
    CHECK ((workspace_id IS NULL) != (organization_id IS NULL)));
CREATE UNIQUE INDEX IF NOT EXISTS permissions_scope
    ON permissions (user_id, COALESCE(workspace_id, ''), COALESCE(organization_id, ''));
CREATE TABLE IF NOT EXISTS regions (
    id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, name TEXT NOT NULL,
    enabled INTEGER NOT NULL, tombstone INTEGER NOT NULL DEFAULT 0,
    created_us INTEGER NOT NULL, updated_us INTEGER NOT NULL,
    UNIQUE (organization_id, name));
CREATE TABLE IF NOT EXISTS dataplanes (
    id TEXT PRIMARY KEY, region_id TEXT NOT NULL REFERENCES regions(id), name TEXT NOT NULL,
    enabled INTEGER NOT NULL, tombstone INTEGER NOT NULL DEFAULT 0,
    client_id TEXT NOT NULL UNIQUE, secret_hash TEXT NOT NULL,
    created_us INTEGER NOT NULL, updated_us INTEGER NOT NULL,
    last_token_us INTEGER, last_heartbeat_us INTEGER);
CREATE TABLE IF NOT EXISTS workspaces (
    id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, region_id TEXT NOT NULL,
    name TEXT NOT NULL, notifications TEXT NOT NULL, tombstone INTEGER NOT NULL DEFAULT 0,
    created_us INTEGER NOT NULL, updated_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL REFERENCES workspaces(id), name TEXT NOT NULL,
    connector_type TEXT NOT NULL, definition_id TEXT NOT NULL, configuration TEXT NOT NULL,
    tombstone INTEGER NOT NULL DEFAULT 0, created_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS destinations (
    id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL REFERENCES workspaces(id), name TEXT NOT NULL,
    connector_type TEXT NOT NULL, definition_id TEXT NOT NULL, configuration TEXT NOT NULL,
    tombstone INTEGER NOT NULL DEFAULT 0, created_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS connections (
    id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    source_id TEXT NOT NULL REFERENCES sources(id),
    destination_id TEXT NOT NULL REFERENCES destinations(id), name TEXT NOT NULL,
    settings TEXT NOT NULL, configurations TEXT NOT NULL, tombstone INTEGER NOT NULL DEFAULT 0,
    created_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS groups (
    id TEXT PRIMARY KEY, organization_id TEXT NOT NULL, name TEXT NOT NULL, description TEXT,
    scim INTEGER NOT NULL DEFAULT 0, created_us INTEGER NOT NULL,
    UNIQUE (organization_id, name));
CREATE TABLE IF NOT EXISTS group_members (
    id TEXT PRIMARY KEY, group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id), created_us INTEGER NOT NULL,
    UNIQUE (group_id, user_id));
CREATE TABLE IF NOT EXISTS group_permissions (
    id TEXT PRIMARY KEY, group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    permission_type TEXT NOT NULL, workspace_id TEXT, organization_id TEXT,
    created_us INTEGER NOT NULL,
    CHECK ((workspace_id IS NULL) != (organization_id IS NULL)));
CREATE UNIQUE INDEX IF NOT EXISTS group_permissions_scope ON group_permissions
    (group_id, permission_type, COALESCE(workspace_id, ''), COALESCE(organization_id, ''));
-- What a user holds directly and through the groups it is a member of: every role check reads
-- this, so an admin reachable only through a group is an admin.
CREATE VIEW IF NOT EXISTS effective_permissions AS
    SELECT user_id, permission_type, workspace_id, organization_id FROM permissions
    UNION ALL
    SELECT m.user_id, g.permission_type, g.workspace_id, g.organization_id
    FROM group_permissions g JOIN group_members m ON m.group_id = g.group_id;
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY, kind TEXT NOT NULL, subject_id TEXT NOT NULL,
    expires_us INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tokens_expiry ON tokens (expires_us);
-- One index per list query, so no page sorts or scans the whole table (created on every open,
-- so databases made before an index existed get it too).
CREATE INDEX IF NOT EXISTS workspaces_by_name
    ON workspaces (name, id, tombstone, organization_id, region_id);
CREATE INDEX IF NOT EXISTS workspaces_by_org ON workspaces (organization_id);
CREATE INDEX IF NOT EXISTS workspaces_by_region ON workspaces (region_id);
CREATE INDEX IF NOT EXISTS dataplanes_by_region ON dataplanes (region_id);
CREATE INDEX IF NOT EXISTS dataplanes_by_update ON dataplanes (updated_us DESC, id);
CREATE INDEX IF NOT EXISTS regions_by_update ON regions (updated_us DESC, id);
CREATE INDEX IF NOT EXISTS permissions_by_user ON permissions (user_id, created_us, id);
CREATE INDEX IF NOT EXISTS permissions_by_workspace ON permissions (workspace_id);
CREATE INDEX IF NOT EXISTS permissions_by_org ON permissions (organization_id);
CREATE INDEX IF NOT EXISTS sources_by_name ON sources (name, id);
CREATE INDEX IF NOT EXISTS sources_by_workspace ON sources (workspace_id);
CREATE INDEX IF NOT EXISTS destinations_by_name ON destinations (name, id);
CREATE INDEX IF NOT EXISTS destinations_by_workspace ON destinations (workspace_id);
CREATE INDEX IF NOT EXISTS connections_by_name ON connections (name, id);
CREATE INDEX IF NOT EXISTS connections_by_workspace ON connections (workspace_id);
CREATE INDEX IF NOT EXISTS connections_by_source ON connections (source_id);
CREATE INDEX IF NOT EXISTS connections_by_destination ON connections (destination_id);
CREATE INDEX IF NOT EXISTS groups_by_name ON groups (organization_id, name, id);
CREATE INDEX IF NOT EXISTS group_members_by_user ON group_members (user_id);
CREATE INDEX IF NOT EXISTS group_members_by_group ON group_members (group_id, created_us, id);
CREATE INDEX IF NOT EXISTS group_permissions_by_group ON group_permissions (group_id, created_us);
CREATE INDEX IF NOT EXISTS applications_by_user ON applications (user_id, created_ms, id);
"""


class Store:
    """The database file; ``read()`` and ``write()`` hand out the connection under the lock."""

    def __init__(self, path: Path, *, now_us: int) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not path.exists():
                path.touch(mode=0o600)
            self._conn = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=10.0
            )
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute("PRAGMA busy_timeout=10000")
            with self._lock:
                self._conn.executescript(_SCHEMA)
            with self.write() as db:
                _seed(db, now_us)
        except sqlite3.Error as exc:
            raise StateError(
                f"{path}: cannot open the embedded control-plane database: {exc}"
            ) from exc

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (taken up front, so check-then-insert cannot interleave)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several SELECTs."""
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            finally:
                self._conn.execute("COMMIT")

    def dump(self) -> list[str]:
        """The whole database as SQL statements (tests compare dumps to prove nothing changed)."""
        with self._lock:
            return list(self._conn.iterdump())

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _seed(db: sqlite3.Connection, now_us: int) -> None:
    """Schema version and the Airbyte-managed regions, once per database."""
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is not None:
        if row["value"] != SCHEMA_VERSION:
            raise StateError(f"unsupported control-plane schema version {row['value']}")
        return
    db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
    db.execute(
        "INSERT INTO organizations VALUES (?, 'Airbyte', 'support@airbyte.io', ?)",
        (DEFAULT_ORGANIZATION_ID, now_us),
    )
    for name in MANAGED_REGIONS:
        db.execute(
            "INSERT INTO regions (id, organization_id, name, enabled, created_us, updated_us)"
            " VALUES (?, ?, ?, 1, ?, ?)",
            (str(uuid.uuid4()), DEFAULT_ORGANIZATION_ID, name, now_us, now_us),
        )


def get_meta(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row["value"])


def java_timestamp(us: int) -> str:
    """Format like Java's ``OffsetDateTime.toString()`` in UTC, as the real server does.

    Seconds are dropped when they and the fraction are zero (``2025-03-28T14:50Z``) and the
    fraction has 3 or 6 digits: clients must parse leniently, and this keeps them honest.
    """
    dt = datetime.fromtimestamp(us // 1_000_000, tz=UTC)
    micro = us % 1_000_000
    text = dt.strftime("%Y-%m-%dT%H:%M")
    if dt.second or micro:
        text += f":{dt.second:02d}"
        if micro:
            text += f".{micro // 1000:03d}" if micro % 1000 == 0 else f".{micro:06d}"
    return text + "Z"
