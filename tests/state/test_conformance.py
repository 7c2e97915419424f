"""One conformance suite, the same functions for every backend (local, s3 on moto, git)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.core.inventory import Inventory
from reconciler.core.resources import Kind, ResourceKey
from reconciler.engine.store import Journal
from reconciler.errors import StateError
from reconciler.state import ConflictError
from reconciler.state.lease import LeaseOwner, LockBusyError, hold

from .conftest import Clock, MakeBackend

OWNER_A = LeaseOwner(user="alice", host="runner-a", pid=1, command="apply", ci_run="github run 7")
OWNER_B = LeaseOwner(user="bob", host="runner-b", pid=2, command="apply")


def region_key(name: str) -> ResourceKey:
    return ResourceKey(Kind.REGION, name)


def workspace_key(name: str) -> ResourceKey:
    return ResourceKey(Kind.WORKSPACE, name)


def test_round_trip(make_backend: MakeBackend) -> None:
    a, b = make_backend(), make_backend()
    assert a.read("inventory") == (None, None)
    revision = a.write("inventory", {"entries": [{"id": "x"}]}, expect_revision=None)
    document, seen = b.read("inventory")
    assert document == {"entries": [{"id": "x"}], "formatVersion": 1}
    assert seen == revision
    b.write("audit/run1", {"records": []}, expect_revision=None)
    assert a.names("audit/") == ["audit/run1"]


def test_compare_and_swap_conflict(make_backend: MakeBackend) -> None:
    a, b = make_backend(), make_backend()
    first = a.write("inventory", {"n": 1}, expect_revision=None)
    b.write("inventory", {"n": 2}, expect_revision=first)
    with pytest.raises(ConflictError):
        a.write("inventory", {"n": 3}, expect_revision=first)
    with pytest.raises(ConflictError):
        a.write("inventory", {"n": 3}, expect_revision=None)
    assert a.read("inventory")[0] == {"n": 2, "formatVersion": 1}


def test_writes_of_other_documents_do_not_conflict(make_backend: MakeBackend) -> None:
    a, b = make_backend(), make_backend()
    revision = a.write("inventory", {"n": 1}, expect_revision=None)
    b.write("journal", {"records": []}, expect_revision=None)
    a.write("inventory", {"n": 2}, expect_revision=revision)
    assert b.read("inventory")[0] == {"n": 2, "formatVersion": 1}


def test_lock_exclusion_names_the_holder(make_backend: MakeBackend) -> None:
    a, b = make_backend(), make_backend()
    lease = a.acquire(OWNER_A, ttl=60)
    with pytest.raises(LockBusyError) as caught:
        b.acquire(OWNER_B, ttl=60)
    message = str(caught.value)
    assert "alice on runner-a (pid 1, github run 7)" in message
    assert f"flexctl state unlock {lease.id}" in message
    a.release(lease)
    b.release(b.acquire(OWNER_B, ttl=60))


def test_lease_expiry_and_takeover(make_backend: MakeBackend, clock: Clock) -> None:
    a, b = make_backend(), make_backend()
    old = a.acquire(OWNER_A, ttl=30)
    clock.now += 10
    old = a.renew(old, ttl=30)  # renewal pushes the expiry: still held at +35
    clock.now += 25
    with pytest.raises(LockBusyError):
        b.acquire(OWNER_B, ttl=30)
    clock.now += 10
    new = b.acquire(OWNER_B, ttl=30)
    assert new.took_over is not None and "alice" in new.took_over
    with pytest.raises(StateError, match="was lost"):
        a.renew(old, ttl=30)
    a.release(old)  # a stale release leaves the new holder alone
    assert a.read("lock")[0]["id"] == new.id  # type: ignore[index]


def test_unlock_by_id(make_backend: MakeBackend) -> None:
    a, b = make_backend(), make_backend()
    lease = a.acquire(OWNER_A, ttl=600)
    with pytest.raises(StateError, match=f"held by lease {lease.id}, not nope"):
        b.unlock("nope")
    assert b.unlock(lease.id)["user"] == "alice"
    with pytest.raises(StateError, match="no lock is held"):
        b.unlock(lease.id)
    b.release(b.acquire(OWNER_B, ttl=60))


def test_hold_releases_and_reports_a_lost_lease(make_backend: MakeBackend) -> None:
    a, b = make_backend(), make_backend()
    with hold(a, OWNER_A, ttl=600) as lease:
        assert b.read("lock")[0]["id"] == lease.id  # type: ignore[index]
    assert b.read("lock") == (None, None)


def test_future_and_corrupted_documents_are_named(make_backend: MakeBackend) -> None:
    a = make_backend()
    a._put("inventory.json", b'{"formatVersion": 99}', expect=None, message="test")
    with pytest.raises(StateError, match=r"inventory.json: formatVersion 99 is newer"):
        a.read("inventory")
    a._put("journal.json", b"{not json", expect=None, message="test")
    with pytest.raises(StateError, match=r"journal.json: not valid JSON"):
        a.read("journal")


def test_journal_replay_from_another_runner(make_backend: MakeBackend) -> None:
    """A run killed mid-apply leaves its journal in the backend; any runner replays it."""
    a, b = make_backend(), make_backend()
    journal = Journal(a)
    journal.begin(region_key("eu"))
    journal.done(region_key("eu"), "r-1", {"name": "eu", "enabled": True})
    journal.begin(workspace_key("team"))  # killed here: the create never confirmed
    inventory = Inventory()
    assert Journal(b).replay(inventory) == [workspace_key("team")]
    entry = inventory.get("r-1")
    assert entry is not None and entry.last_applied == {"name": "eu", "enabled": True}
    replayed = Journal(b)
    replayed.replay(Inventory())
    replayed.clear()
    assert list(Journal(a).records()) == []


def test_a_write_interrupted_half_way_leaves_the_previous_document(
    make_backend: MakeBackend, url: str, tmp_path: Path
) -> None:
    """SIGKILL a writer in the middle of its writes: what is left is one whole document, and
    the next compare-and-swap against what a reader sees succeeds."""
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(tmp_path / "killed-runner")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    for _ in range(3):
        assert writer.stdout.readline().strip().isdigit()
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    writer.stdout.close()
    b = make_backend()
    document, revision = b.read("inventory")
    assert document is not None and document["formatVersion"] == 1
    assert document["entries"] == ["x" * 2000] * len(document["entries"])
    b.write("inventory", {"entries": []}, expect_revision=revision)
    assert b.read("inventory")[0] == {"entries": [], "formatVersion": 1}


#: Writes ever larger inventories as fast as it can, printing each count once written.
WRITER = """
import os, sys
from pathlib import Path
from reconciler.state import open_backend, parse_state_url
backend = open_backend(parse_state_url(sys.argv[1]), state_dir=Path(sys.argv[2]), env=os.environ)
revision = None
for n in range(1, 10_000):
    revision = backend.write("inventory", {"entries": ["x" * 2000] * n}, expect_revision=revision)
    print(n, flush=True)
"""
