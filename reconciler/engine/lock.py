"""One apply at a time per state: a lease in a shared backend, a file lock in a local one.

With a shared backend (s3, git) the lock is the backend's lease (``reconciler.state.lease``):
owner user, host, CI run, command, start and expiry, renewed while the apply runs; an
expired lease is taken over with a note. With the local backend the OS lock comes from
``filelock`` (flock on POSIX: the kernel releases it when its process dies, so a lock left by
a dead process is never held). Beside it an owner record
(pid, host, start time, command) says who is busy; a record whose process is gone is
reported as taken over from a dead process.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from reconciler.errors import StateError
from reconciler.state import backend_of
from reconciler.state.lease import DEFAULT_TTL, LOCK, LeaseOwner, describe_holder, hold
from reconciler.statedir import StateDir

#: Ids of the leases this process holds now (``apply_lock`` on a shared backend): whose lock a
#: plan run inside an apply sees is its own, whatever another machine's host and pid are.
_HELD: set[str] = set()


@contextmanager
def apply_lock(
    state: StateDir,
    *,
    command: str,
    wait: float = 0.0,
    env: Mapping[str, str] | None = None,
    ttl: float = DEFAULT_TTL,
) -> Iterator[str | None]:
    """Hold the apply lock; yields a note when a dead owner's record was taken over."""
    backend = backend_of(state)
    if backend.shared:
        owner = LeaseOwner.current(os.environ if env is None else env, command=command)
        with hold(backend, owner, ttl=ttl, wait=wait) as lease:
            _HELD.add(lease.id)
            try:
                yield (
                    f"the previous holder's lease expired ({lease.took_over}); taken over"
                    if lease.took_over
                    else None
                )
            finally:
                _HELD.discard(lease.id)
        return
    state.ensure()
    lock = FileLock(str(state.path("apply.lock")), timeout=wait)
    owner_path = state.path("apply.owner.json")
    try:
        lock.acquire()
    except Timeout as exc:
        raise StateError(
            f"another apply holds {state.path('apply.lock')}: {_describe(owner_path)}"
        ) from exc
    note: str | None = None
    try:
        previous = _read_owner(owner_path)
        if previous is not None:
            note = (
                f"the previous apply (pid {previous.get('pid')} on {previous.get('host')}, "
                f"started {_age(previous)} ago) died without releasing its lock; taken over"
            )
        owner_path.write_text(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "started": time.time(),
                    "command": command,
                }
            )
        )
        yield note
    finally:
        owner_path.unlink(missing_ok=True)
        lock.release()


def other_holder(state: StateDir) -> str | None:
    """Who else holds the apply lock of ``state`` now, as a busy lock's error names them; None
    when it is free, its holder is gone (an expired lease, a dead pid on this host), this
    process holds it (an apply plans under its own) or it cannot be read: a plan's warning,
    never a reason to fail. Reads only: the lock is never taken."""
    backend = backend_of(state)
    try:
        if backend.shared:
            lease, _ = backend.read(LOCK)
            now = backend.clock()
            if (
                not lease
                or lease.get("id") in _HELD
                or float(lease.get("expires", 0)) < now
                or backend.holder_dead(lease)
            ):
                return None
            return describe_holder(lease, now=now)
        # Local: the owner record exists while its process holds the file lock (one killed
        # before its ``finally`` leaves it behind: a dead pid).
        path = state.path("apply.owner.json")
        owner = _read_owner(path)
        if owner is None or backend.holder_dead(owner):
            return None
        if owner.get("pid") == os.getpid() and owner.get("host") == socket.gethostname():
            return None
        return _describe(path)
    except (StateError, OSError, TypeError, ValueError):
        return None


def _read_owner(path: Path) -> dict[str, object] | None:
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {"pid": "?", "host": "?"}
    return data if isinstance(data, dict) else None


def _describe(path: Path) -> str:
    owner = _read_owner(path)
    if owner is None:
        return "owner unknown"
    return (
        f"pid {owner.get('pid')} on {owner.get('host')}, running `{owner.get('command')}` "
        f"for {_age(owner)}"
    )


def _age(owner: dict[str, object]) -> str:
    started = owner.get("started")
    if not isinstance(started, int | float):
        return "an unknown time"
    seconds = max(0, int(time.time() - started))
    return f"{seconds // 60}m{seconds % 60:02d}s"
