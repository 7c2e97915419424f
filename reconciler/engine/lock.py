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
from reconciler.state.lease import DEFAULT_TTL, LeaseOwner, hold
from reconciler.statedir import StateDir


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
            yield (
                f"the previous holder's lease expired ({lease.took_over}); taken over"
                if lease.took_over
                else None
            )
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
