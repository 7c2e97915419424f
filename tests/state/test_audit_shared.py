"""The audit log on each backend: every record reaches the run's document, written behind
the apply (never a write per record on the caller), and a failed write stops the run.

Runs on the conformance backends (local directory, s3 on moto, a git ref in a bare
repository): ``make_backend`` from ``conftest``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from reconciler.core.plan import Action, Change
from reconciler.core.resources import Kind, ResourceKey
from reconciler.engine.audit import AuditLog
from reconciler.errors import StateError
from reconciler.state import StateBackend
from reconciler.state.local import LocalBackend

from .conftest import MakeBackend


def _log(backend: StateBackend, *, write_every: float = 0.05) -> AuditLog:
    return AuditLog(
        backend,
        actor="ci",
        config_digest="sha256:abc",
        source={"commit": "0" * 40},
        write_every=write_every,
    )


def _change(n: int) -> Change:
    return Change(Action.CREATE, ResourceKey(Kind.WORKSPACE, f"ws-{n:04d}"))


def _records(backend: StateBackend, log: AuditLog) -> list[dict[str, Any]]:
    if isinstance(backend, LocalBackend):
        lines = (backend.root / "audit.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines]
    document, _ = backend.read(log.name)
    assert document is not None
    records = document["records"]
    assert isinstance(records, list)
    return records


def _counting(backend: StateBackend, before: Callable[[], None] = lambda: None) -> list[int]:
    """Wrap the backend's ``write``: each call's record count is appended to the list."""
    writes: list[int] = []
    write = backend.write

    def counted(name: str, document: Any, **kwargs: Any) -> str:
        before()
        if name.startswith("audit/"):
            writes.append(len(document["records"]))
        return write(name, document, **kwargs)

    backend.write = counted  # type: ignore[method-assign]
    return writes


def test_every_record_reaches_the_run_document_in_few_writes(make_backend: MakeBackend) -> None:
    backend = make_backend()
    writes = _counting(backend)
    log = _log(backend)
    for n in range(120):
        log.record(_change(n), outcome="applied", object_id=f"id-{n}")
    log.flush()
    records = _records(backend, log)
    assert [r["name"] for r in records] == [f"ws-{n:04d}" for n in range(120)]
    assert {r["runId"] for r in records} == {log.run_id}
    assert [r["id"] for r in records[:2]] == ["id-0", "id-1"]
    if not isinstance(backend, LocalBackend):
        # Written behind: far fewer writes than records, the last one with all of them.
        assert 1 <= len(writes) < 30, writes
        assert writes[-1] == 120
        assert writes == sorted(writes)
    # Another runner reads the same document (what `flexctl state show` lists).
    if not isinstance(backend, LocalBackend):
        other = make_backend()
        assert other.names("audit/") == [log.name]


@pytest.mark.parametrize("url", ["s3", "git"], indirect=True)
def test_record_does_not_wait_for_a_write_in_flight(make_backend: MakeBackend) -> None:
    backend = make_backend()
    release = threading.Event()
    writes = _counting(backend, before=lambda: release.wait(30))
    log = _log(backend)
    log.record(_change(0), outcome="applied")  # starts the writer, which now blocks
    started = time.monotonic()
    for n in range(1, 50):
        log.record(_change(n), outcome="applied")
    assert time.monotonic() - started < 5  # nothing above waited for the blocked write
    assert writes == []
    release.set()
    log.flush()
    assert len(_records(backend, log)) == 50
    assert writes[-1] == 50


@pytest.mark.parametrize("url", ["s3", "git"], indirect=True)
def test_a_failed_write_is_raised_by_the_next_record_and_by_flush(
    make_backend: MakeBackend,
) -> None:
    backend = make_backend()

    def refuse(name: str, document: Any, **kwargs: Any) -> str:
        raise OSError("connection reset by peer (https://ci:CANARY-TOKEN-7f3@git.example/x)")

    backend.write = refuse  # type: ignore[method-assign]
    log = _log(backend, write_every=30)
    log.record(_change(0), outcome="applied")
    with pytest.raises(StateError, match="audit not written: connection reset by peer") as err:
        log.flush()
    assert "CANARY-TOKEN-7f3" not in str(err.value)  # a URL's user-info is never shown
    with pytest.raises(StateError, match="audit not written"):
        log.record(_change(1), outcome="applied")


def test_flush_cuts_the_pause_short(make_backend: MakeBackend) -> None:
    """A run's end does not wait out ``write_every``: its last records go at once."""
    backend = make_backend()
    log = _log(backend, write_every=60)
    for n in range(3):
        log.record(_change(n), outcome="failed" if n == 1 else "applied", error=None)
    started = time.monotonic()
    log.flush()
    assert time.monotonic() - started < 20
    records = _records(backend, log)
    assert [r["outcome"] for r in records] == ["applied", "failed", "applied"]
