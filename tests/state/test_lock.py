"""``engine.lock.other_holder`` on the shared backends (s3 on moto, a git ref in a bare
repository): the lease another run holds is named, one that expired or is this process's own
(its id held by ``apply_lock``) is not, and reading never takes the lock."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from reconciler.engine.lock import apply_lock, other_holder
from reconciler.state.lease import LOCK, LeaseOwner
from reconciler.statedir import StateDir

from .conftest import Clock, MakeBackend

pytestmark = pytest.mark.parametrize("url", ["s3", "git"], indirect=True)


def test_another_runs_lease_is_named_and_ours_or_an_expired_one_is_not(
    make_backend: MakeBackend, clock: Clock, tmp_path: Path
) -> None:
    planner = StateDir(tmp_path / "planner", backend=make_backend(runner="planner"))
    assert other_holder(planner) is None  # free

    applier = make_backend(runner="applier")
    owner = LeaseOwner(user="ci", host="runner-7", pid=4242, command="apply", ci_run="run 9")
    lease = applier.acquire(owner, ttl=120)
    held = other_holder(planner)
    assert held is not None
    assert held.startswith("ci on runner-7 (pid 4242, run 9), running `apply`")
    assert f"lease {lease.id}" in held
    assert planner.backend is not None and planner.backend.read(LOCK)[0]["id"] == lease.id

    clock.now += 121  # expired: whoever takes it next takes it over
    assert other_holder(planner) is None
    applier.release(lease)

    with apply_lock(planner, command="apply (this process)"):
        assert other_holder(planner) is None  # this process's own lease
    assert other_holder(planner) is None  # released

    # Another machine whose host name and pid happen to be this process's: its lease is not
    # ours (only a lease id this process holds is).
    twin = LeaseOwner(user="ci", host=socket.gethostname(), pid=os.getpid(), command="apply")
    lease = applier.acquire(twin, ttl=120)
    assert f"lease {lease.id}" in str(other_holder(planner))
    applier.release(lease)
