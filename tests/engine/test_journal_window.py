"""Issue 18 item 2: the journal writes a window of in-flight creates at a time. Each begin is on
disk (written and synced) before its create is sent, but begins queued together, and the
begins of a window written ahead, share one write and one fsync; the executor prepares
creates as its workers reach them, so the first requests go out before the whole phase is
built. Counts and orderings, never timings."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import httpx
import pytest

from reconciler.core.resources import Kind, ResourceKey, workspace_key
from reconciler.engine.journallog import FileLog
from reconciler.engine.store import Journal
from reconciler.engine.writeahead import WriteAhead

from .harness import EXAMPLE_USERS, World
from .torture import KILLED, kill_apply

WORKSPACES = 200


class CountingSync:
    """An fsync that counts, and remembers how many journal lines each one covered."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.covered: list[int] = []

    def __call__(self, fd: int) -> None:
        os.fsync(fd)
        self.covered.append(len(self.path.read_bytes().splitlines()))

    @property
    def durable(self) -> int:
        return max(self.covered, default=0)


def counted_journal(path: Path) -> tuple[Journal, CountingSync]:
    journal = Journal(path)
    sync = CountingSync(path)
    journal.log = FileLog(path, fsync=sync)
    return journal, sync


def test_begins_queued_together_share_one_fsync_and_each_returns_synced(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal, sync = counted_journal(path)
    returned_durable: list[tuple[int, int]] = []  # (line of my begin, lines synced when I return)

    async def one(n: int) -> None:
        await journal.abegin(workspace_key(f"ws-{n:03d}"))
        lines = path.read_text().splitlines()
        mine = next(i for i, line in enumerate(lines, 1) if f'"ws-{n:03d}"' in line)
        returned_durable.append((mine, sync.durable))

    async def go() -> None:
        await asyncio.gather(*(one(n) for n in range(50)))
        # A second window while nothing else is queued: its own write and fsync.
        await asyncio.gather(*(one(n) for n in range(50, 60)))

    asyncio.run(go())
    assert len(sync.covered) == 2  # one fsync per window, not one per begin
    assert all(mine <= durable for mine, durable in returned_durable)
    names = [r.key.name for r in journal.records()]
    assert names == [f"ws-{n:03d}" for n in range(60)]  # in the order they were asked for


def test_done_records_follow_their_begins_and_only_data_planes_wait_for_a_sync(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.jsonl"
    journal, sync = counted_journal(path)
    dp = ResourceKey(Kind.DATAPLANE, "eu/primary")

    async def go() -> None:
        await journal.abegin(workspace_key("a"))
        await journal.adone(workspace_key("a"), "w-1", {"name": "a"})
        assert len(sync.covered) == 1  # a workspace's done is written, not synced
        await journal.abegin(dp, known=["old"])
        await journal.adone(dp, "d-1", {"name": "primary"})

    asyncio.run(go())
    assert len(sync.covered) == 3
    records = [(r.event, r.key.name, r.id, r.known) for r in journal.records()]
    assert records == [
        ("begin", "a", None, ()),
        ("done", "a", "w-1", ()),
        ("begin", "eu/primary", None, ("old",)),
        ("done", "eu/primary", "d-1", ()),
    ]


def test_a_failed_write_fails_every_begin_of_its_window(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)

    def broken(fd: int) -> None:
        raise OSError(28, "No space left on device")

    journal.log = FileLog(path, fsync=broken)

    async def go() -> list[BaseException | None]:
        results = await asyncio.gather(
            *(journal.abegin(workspace_key(f"ws-{n}")) for n in range(5)),
            return_exceptions=True,
        )
        return list(results)

    results = asyncio.run(go())
    assert all(isinstance(r, OSError) and r.errno == 28 for r in results), results


def test_begins_written_ahead_take_one_fsync_per_window_and_leave_out_what_was_not_sent(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.jsonl"
    journal, sync = counted_journal(path)
    keys = [workspace_key(f"ws-{n:03d}") for n in range(100)]
    ahead = WriteAhead(journal, keys, window=32)
    late: list[str] = []

    async def go() -> None:
        assert not await ahead.written(workspace_key("not-in-the-phase"))
        assert not ahead.unsent(keys[99])  # its window not started: it is left out
        for key in keys[:99]:
            assert await ahead.written(key)
            lines = path.read_text().splitlines()
            mine = next(i for i, line in enumerate(lines, 1) if f'"{key.name}"' in line)
            if mine > sync.durable:
                late.append(key.name)
        assert not await ahead.written(keys[0])  # asked before: the caller journals its own

    asyncio.run(go())
    assert late == []
    assert 1 <= len(sync.covered) <= 4  # at most one fsync per window of 32, not per begin
    names = [r.key.name for r in journal.records()]
    assert names == [k.name for k in keys[:99]]


def test_a_key_written_ahead_whose_change_failed_before_sending_is_reported_unsent(
    tmp_path: Path,
) -> None:
    journal, _sync = counted_journal(tmp_path / "journal.jsonl")
    a, b, c = (workspace_key(name) for name in "abc")
    ahead = WriteAhead(journal, [a, b, c], window=2)

    async def go() -> tuple[bool, bool, bool]:
        assert await ahead.written(a)  # writes the window [a, b] and starts [c]
        return ahead.unsent(b), ahead.unsent(c), ahead.unsent(b)

    # b's begin is on disk: its caller journals it failed; c's window was started too; asked
    # twice, the answer is given once.
    assert asyncio.run(go()) == (True, True, False)


class WatchingTransport(httpx.AsyncBaseTransport):
    """The control plane's own transport, looking at the journal as each create goes out."""

    def __init__(self, inner: httpx.AsyncBaseTransport, journal: Path) -> None:
        self.inner = inner
        self.journal = journal
        self.unjournalled: list[str] = []
        self.begun_not_answered: list[int] = []
        self.answered = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/workspaces"):
            name = json.loads(request.content)["name"]
            begins = [
                json.loads(line)
                for line in self.journal.read_text().splitlines()
                if '"begin"' in line and '"workspace"' in line
            ]
            if name not in {b["name"] for b in begins}:
                self.unjournalled.append(name)
            self.begun_not_answered.append(len(begins) - self.answered)
            response = await self.inner.handle_async_request(request)
            self.answered += 1
            return response
        return await self.inner.handle_async_request(request)


def declare_workspaces(world: World, count: int) -> None:
    docs = [
        f"apiVersion: flexctl/v1\nkind: Workspace\nname: window-{n:03d}\nregion: EU\n"
        for n in range(count)
    ]
    (world.config / "workspaces" / "window.yaml").write_text("---\n".join(docs))


@pytest.mark.parametrize(("moment", "nth"), [("journalled", 45), ("done", 70)])
def test_an_apply_killed_in_a_window_of_creates_recovers_without_duplicates(
    world: World, moment: str, nth: int
) -> None:
    """Killed with begins written ahead and creates in flight: the next apply adopts what was
    made, creates the rest, and no workspace exists twice."""
    world.add_users(*EXAMPLE_USERS)
    declare_workspaces(world, 120)
    assert kill_apply(world, moment, nth) == KILLED
    asyncio.run(world.converge())

    async def live_names() -> list[str]:
        async with world.api() as client:
            return [str(w["name"]) for w in await client.list_workspaces()]

    names = asyncio.run(live_names())
    window = sorted(n for n in names if n.startswith("window-"))
    assert window == [f"window-{n:03d}" for n in range(120)]  # each once, none missing
    assert asyncio.run(world.prepare()).plan.changes == ()


def test_every_create_is_journalled_before_it_is_sent_and_creates_start_before_all_are_built(
    world: World,
) -> None:
    declare_workspaces(world, WORKSPACES)
    watching = WatchingTransport(world.plane.transport(), world.state.path("journal.jsonl"))
    world.plane.transport = lambda: watching  # type: ignore[method-assign]
    result = asyncio.run(world.apply())
    assert [o.error for o in result.failed] == []
    assert watching.answered >= WORKSPACES
    assert watching.unjournalled == []
    # A bounded window: begins run at most two windows of the executor's workers (2 per request
    # in flight, 16 in flight) ahead of the answers, nowhere near the whole phase.
    assert max(watching.begun_not_answered) <= 3 * 32 < WORKSPACES
