"""Secrets, bearer tokens and roles of the embedded control plane.

Client secrets and access tokens are 256-bit values from ``secrets.token_urlsafe`` and are
stored as SHA-256 digests only. A slow, salted KDF (scrypt, PBKDF2) exists to protect
*guessable* passwords; these values are never chosen by a person, so a single hash already
makes a stolen database useless, and verification stays cheap on every token request.
Comparison is constant-time. Nothing here logs, and no message carries a secret.

Roles follow Airbyte's: an organisation role implies the matching workspace role on every
workspace of that organisation (``organization_member`` implies none); ``instance_admin`` is
everything. An application's token carries its user, and the user's roles are read live,
its own and those of the groups it is a member of (the ``effective_permissions`` view).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass
from typing import Literal

from reconciler.controlplane import problems

ORG_RANK = {
    "organization_member": 1,
    "organization_reader": 2,
    "organization_runner": 3,
    "organization_editor": 4,
    "organization_admin": 5,
}
WS_RANK = {
    "workspace_reader": 2,
    "workspace_runner": 3,
    "workspace_editor": 4,
    "workspace_admin": 5,
    "workspace_owner": 5,
}
INSTANCE_ADMIN = 6
READER, EDITOR, ADMIN = 2, 4, 5
MEMBER = 1


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user (through one of its applications) or a data plane."""

    kind: Literal["user", "dataplane"]
    subject_id: str  # user id or data-plane id


def issue_token(
    db: sqlite3.Connection, *, kind: str, subject_id: str, now_us: int, ttl_s: int
) -> str:
    token = new_secret()
    db.execute("DELETE FROM tokens WHERE expires_us <= ?", (now_us,))
    db.execute(
        "INSERT INTO tokens VALUES (?, ?, ?, ?)",
        (digest(token), kind, subject_id, now_us + ttl_s * 1_000_000),
    )
    return token


def authenticate(db: sqlite3.Connection, authorization: str | None, *, now_us: int) -> Principal:
    """The principal behind an ``Authorization: Bearer`` header, or 401."""
    if not authorization:
        raise problems.unauthorized()
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise problems.unauthorized()
    row = db.execute(
        "SELECT kind, subject_id FROM tokens WHERE token_hash = ? AND expires_us > ?",
        (digest(token), now_us),
    ).fetchone()
    if row is None:
        raise problems.unauthorized()
    kind, subject = str(row["kind"]), str(row["subject_id"])
    if kind == "dataplane":
        alive = db.execute(
            "SELECT 1 FROM dataplanes WHERE id = ? AND tombstone = 0", (subject,)
        ).fetchone()
        if alive is None:  # deleting a data plane revokes what it was given
            raise problems.unauthorized()
        return Principal("dataplane", subject)
    if db.execute("SELECT 1 FROM users WHERE id = ?", (subject,)).fetchone() is None:
        raise problems.unauthorized()
    return Principal("user", subject)


def user_of(principal: Principal) -> str:
    """The calling user's id; data-plane tokens are not valid on the public API."""
    if principal.kind != "user":
        raise problems.forbidden("a data-plane token cannot call the public API")
    return principal.subject_id


def is_instance_admin(db: sqlite3.Connection, user_id: str) -> bool:
    row = db.execute(
        "SELECT 1 FROM permissions WHERE user_id = ? AND permission_type = 'instance_admin'",
        (user_id,),
    ).fetchone()
    return row is not None


def org_rank(db: sqlite3.Connection, user_id: str, organization_id: str) -> int:
    if is_instance_admin(db, user_id):
        return INSTANCE_ADMIN
    rows = db.execute(
        "SELECT permission_type FROM effective_permissions WHERE user_id = ?"
        " AND organization_id = ?",
        (user_id, organization_id),
    ).fetchall()
    return max((ORG_RANK.get(str(r[0]), 0) for r in rows), default=0)


def workspace_rank(db: sqlite3.Connection, user_id: str, workspace_id: str, org_id: str) -> int:
    rank = org_rank(db, user_id, org_id)
    if rank == MEMBER:
        rank = 0  # organization_member grants no workspace access
    rows = db.execute(
        "SELECT permission_type FROM effective_permissions WHERE user_id = ? AND workspace_id = ?",
        (user_id, workspace_id),
    ).fetchall()
    return max([rank, *(WS_RANK.get(str(r[0]), 0) for r in rows)])


def readable(workspace_id: str, organization_id: str) -> str:
    """SQL: true for a row whose workspace the user may read; bind ``readable_params`` after it.

    A condition on the row itself (``workspace_id`` and ``organization_id`` are the row's column
    expressions) whose subqueries are the caller's own few permissions, so a page walks the list
    index in order and stops at ``LIMIT``; an ``id IN (all readable workspaces)`` set made SQLite
    build and sort every readable row for each page (100 ms a page at 10,000 workspaces).
    """
    return (
        f"(? OR {organization_id} IN (SELECT organization_id FROM effective_permissions"  # noqa: S608
        "  WHERE user_id = ? AND organization_id IS NOT NULL"
        "  AND permission_type != 'organization_member')"
        f" OR {workspace_id} IN (SELECT workspace_id FROM effective_permissions"
        "  WHERE user_id = ? AND workspace_id IS NOT NULL))"
    )


def readable_params(db: sqlite3.Connection, user_id: str) -> tuple[int, str, str]:
    return (int(is_instance_admin(db, user_id)), user_id, user_id)


def require_org(db: sqlite3.Connection, user_id: str, organization_id: str, rank: int) -> None:
    if org_rank(db, user_id, organization_id) < rank:
        raise problems.forbidden(
            f"this call needs {_org_role_name(rank)} on organization {organization_id}"
        )


def require_workspace(
    db: sqlite3.Connection, user_id: str, workspace_id: str, org_id: str, rank: int
) -> None:
    if workspace_rank(db, user_id, workspace_id, org_id) < rank:
        role = next(name for name, r in WS_RANK.items() if r == rank)
        raise problems.forbidden(f"this call needs {role} on workspace {workspace_id}")


def _org_role_name(rank: int) -> str:
    return next((name for name, r in ORG_RANK.items() if r == rank), "instance_admin")
