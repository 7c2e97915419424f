"""The apply lease, stored as the ``lock`` document of any backend.

Taking it is a create-only write (compare-and-swap against "absent": S3 ``If-None-Match: *``,
a git push that must create the file, a locked local rename); renewing and releasing are
writes against the revision the holder last wrote, so a holder whose lease expired and was
taken over finds out at its next renewal instead of silently writing over the new holder.
Owner fields say who holds it: user, host, pid, CI run, command, start and expiry.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from reconciler.errors import StateError
from reconciler.state.base import ConflictError, Document

if TYPE_CHECKING:
    from reconciler.state.base import StateBackend

LOCK = "lock"
DEFAULT_TTL = 120.0

#: CI systems' run ids, first match wins.
_CI_RUN = (
    ("GITHUB_RUN_ID", "github run"),
    ("CI_JOB_ID", "gitlab job"),
    ("BUILDKITE_BUILD_ID", "buildkite build"),
    ("CIRCLE_WORKFLOW_ID", "circleci workflow"),
)


class LockBusyError(StateError):
    """Another holder's lease is live."""


@dataclass(frozen=True)
class LeaseOwner:
    user: str
    host: str
    pid: int
    command: str
    ci_run: str | None = None

    @staticmethod
    def current(env: Mapping[str, str], *, command: str) -> LeaseOwner:
        ci = next((f"{label} {env[n]}" for n, label in _CI_RUN if env.get(n)), None)
        if ci and env.get("GITHUB_REPOSITORY") and env.get("GITHUB_RUN_ID"):
            ci = f"{ci} of {env['GITHUB_REPOSITORY']}"
        user = env.get("FLEXCTL_ACTOR") or env.get("GITHUB_ACTOR") or _login()
        return LeaseOwner(
            user=user, host=socket.gethostname(), pid=os.getpid(), command=command, ci_run=ci
        )


@dataclass(frozen=True)
class Lease:
    id: str
    owner: LeaseOwner
    started: float
    expires: float
    revision: str
    #: Set when this lease replaced an expired (or dead) holder's: says whose.
    took_over: str | None = None

    def as_json(self) -> Document:
        return {
            "id": self.id,
            "user": self.owner.user,
            "host": self.owner.host,
            "pid": self.owner.pid,
            "command": self.owner.command,
            "ciRun": self.owner.ci_run,
            "started": self.started,
            "expires": self.expires,
        }


def describe_holder(doc: Document, *, now: float) -> str:
    """`alice on runner-7 (github run 42), running `apply` since 20:01:02Z (lease ab12, ...)`."""
    where = f"{doc.get('user')} on {doc.get('host')} (pid {doc.get('pid')}"
    where += f", {doc['ciRun']})" if doc.get("ciRun") else ")"
    started = _iso(doc.get("started"))
    expires = doc.get("expires")
    left = (
        f"expires in {max(0, int(float(expires) - now))}s"
        if isinstance(expires, int | float)
        else "no expiry"
    )
    return (
        f"{where}, running `{doc.get('command')}` since {started} (lease {doc.get('id')}, {left})"
    )


def _try_write(backend: StateBackend, lease: Lease, *, expect: str | None) -> str | None:
    """The lock document written against ``expect``; None when another writer won."""
    verb = "taken over" if expect is not None else "taken"
    try:
        return backend.write(
            LOCK,
            lease.as_json(),
            expect_revision=expect,
            message=f"flexctl: lock {verb} for {lease.owner.command}",
        )
    except ConflictError:
        return None


def acquire(backend: StateBackend, owner: LeaseOwner, *, ttl: float, wait: float) -> Lease:
    deadline = backend.clock() + wait
    while True:
        now = backend.clock()
        lease = Lease(
            id=uuid.uuid4().hex[:12], owner=owner, started=now, expires=now + ttl, revision=""
        )
        revision = _try_write(backend, lease, expect=None)
        if revision is not None:
            return replace(lease, revision=revision)
        held, held_revision = backend.read(LOCK)
        if held is None or held_revision is None:
            continue  # released between our write and read: try again at once
        if float(held.get("expires", 0)) < now or backend.holder_dead(held):
            revision = _try_write(backend, lease, expect=held_revision)
            if revision is None:
                continue  # someone else took it over first
            return replace(lease, revision=revision, took_over=describe_holder(held, now=now))
        if now >= deadline:
            raise LockBusyError(
                f"{backend.where(LOCK)}: another apply holds the state lock: "
                f"{describe_holder(held, now=now)}; retry later, wait with --lock-timeout, or "
                f"release it with `flexctl state unlock {held.get('id')}`"
            )
        time.sleep(min(1.0, max(0.05, deadline - now)))


def renew(backend: StateBackend, lease: Lease, *, ttl: float) -> Lease:
    renewed = replace(lease, expires=backend.clock() + ttl)
    try:
        revision = backend.write(
            LOCK,
            renewed.as_json(),
            expect_revision=lease.revision,
            message=f"flexctl: renew lock {lease.id}",
        )
    except ConflictError as e:
        raise StateError(
            f"{backend.where(LOCK)}: lease {lease.id} was lost (expired and taken over, or "
            "unlocked); stopping before writing state another holder owns"
        ) from e
    return replace(renewed, revision=revision)


def release(backend: StateBackend, lease: Lease) -> None:
    # Taken over or unlocked meanwhile: it is not ours to remove any more.
    with contextlib.suppress(ConflictError):
        backend.delete(
            LOCK, expect_revision=lease.revision, message=f"flexctl: release lock {lease.id}"
        )


def unlock(backend: StateBackend, lease_id: str) -> Document:
    held, revision = backend.read(LOCK)
    if held is None or revision is None:
        raise StateError(f"{backend.where(LOCK)}: no lock is held")
    if held.get("id") != lease_id:
        raise StateError(
            f"{backend.where(LOCK)}: the lock is held by lease {held.get('id')}, not {lease_id} "
            f"({describe_holder(held, now=backend.clock())})"
        )
    backend.delete(LOCK, expect_revision=revision, message=f"flexctl: unlock {lease_id}")
    return held


@contextmanager
def hold(
    backend: StateBackend, owner: LeaseOwner, *, ttl: float = DEFAULT_TTL, wait: float = 0.0
) -> Iterator[Lease]:
    """Hold the lease for the block, renewed every ttl/3 by a daemon thread."""
    lease = acquire(backend, owner, ttl=ttl, wait=wait)
    current = [lease]
    stop = threading.Event()
    failure: list[StateError] = []

    def keep() -> None:
        while not stop.wait(ttl / 3):
            try:
                current[0] = renew(backend, current[0], ttl=ttl)
            except StateError as e:
                failure.append(e)
                return

    thread = threading.Thread(target=keep, name="flexctl-lease", daemon=True)
    thread.start()
    try:
        yield lease
    finally:
        stop.set()
        thread.join()
        if not failure:
            release(backend, current[0])
    if failure:
        raise failure[0]


def _iso(value: object) -> str:
    if not isinstance(value, int | float):
        return "an unknown time"
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
