"""The create journal on a shared backend (s3 on moto, a git ref in a bare repository):
every write is the whole document, so a done that needs no sync waits for the next write
(a window's begins, a synced done, the end of a phase) instead of asking for its own; a
begin is still on the backend before its ``abegin`` returns.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from reconciler.core.inventory import Inventory
from reconciler.core.resources import Kind, ResourceKey
from reconciler.engine.executor import SHARED_WINDOW
from reconciler.engine.store import Journal
from reconciler.state import StateBackend
from tests.engine.harness import World

from .conftest import MakeBackend

pytestmark = pytest.mark.parametrize("url", ["s3", "git"], indirect=True)


def _writes(backend: StateBackend) -> list[list[str]]:
    """Each journal write's records, as ``event name``."""
    writes: list[list[str]] = []
    write = backend.write

    def counted(name: str, document: Any, **kwargs: Any) -> str:
        if name == "journal":
            writes.append([f"{r['event']} {r['name']}" for r in document["records"]])
        return write(name, document, **kwargs)

    backend.write = counted  # type: ignore[method-assign]
    return writes


def _ws(name: str) -> ResourceKey:
    return ResourceKey(Kind.WORKSPACE, name)


def test_dones_go_with_the_next_write_and_begins_are_written_before_they_return(
    make_backend: MakeBackend,
) -> None:
    backend = make_backend()
    writes = _writes(backend)
    journal = Journal(backend)

    async def run() -> None:
        await journal.abegin_many([_ws("a"), _ws("b"), _ws("c")])
        assert len(writes) == 1  # the begins are on the backend
        await journal.adone(_ws("a"), "id-a", {"name": "a"})
        await journal.adone(_ws("b"), "id-b", {"name": "b"})
        assert len(writes) == 1  # the dones asked for no write of their own
        await journal.abegin(_ws("d"))
        assert writes[-1][-3:] == ["done a", "done b", "begin d"]
        # A data plane's done is synced: written at once, with what was held.
        await journal.adone(_ws("c"), "id-c", None)
        await journal.adone(ResourceKey(Kind.DATAPLANE, "aws/dp"), "id-dp", None)
        assert writes[-1][-2:] == ["done c", "done aws/dp"]
        count = len(writes)
        await journal.aflush()
        assert len(writes) == count  # nothing held: no write
        await journal.adone(_ws("d"), "id-d", None)
        await journal.aflush()
        assert writes[-1][-1] == "done d"

    asyncio.run(run())
    # Another runner replays it: every create finished, each id recorded.
    inventory = Inventory()
    assert Journal(make_backend()).replay(inventory) == []
    assert sorted(e.id for e in inventory) == ["id-a", "id-b", "id-c", "id-d", "id-dp"]


def test_a_held_done_lost_with_the_run_leaves_its_create_unfinished(
    make_backend: MakeBackend,
) -> None:
    """What a run killed before its next write leaves: the begin without its done, which the
    next run looks up by name (as any create whose answer was lost)."""
    backend = make_backend()
    journal = Journal(backend)

    async def run() -> None:
        await journal.abegin_many([_ws("a"), _ws("b")])
        await journal.adone(_ws("a"), "id-a", None)
        await journal.abegin(_ws("c"))  # carries the done of a
        await journal.adone(_ws("b"), "id-b", None)  # held: the run dies here

    asyncio.run(run())
    inventory = Inventory()
    unfinished = Journal(make_backend()).replay(inventory)
    assert unfinished == [_ws("b"), _ws("c")]
    assert [e.id for e in inventory] == ["id-a"]


def test_an_apply_writes_its_begins_in_windows_of_shared_window(
    make_backend: MakeBackend, tmp_path: Path
) -> None:
    """300 workspace creates on a shared backend: a few journal writes (windows of
    ``SHARED_WINDOW`` begins, the dones riding along), where windows of the workers' count
    would have made ten or more; the apply converges and its journal is cleared."""
    world = World.create(tmp_path / "world")
    try:
        extra = "".join(
            f"---\napiVersion: flexctl/v1\nkind: Workspace\nname: bulk-{n:03d}\n"
            "region: aws-us-east-1\n"
            for n in range(300)
        )
        (world.config / "workspaces" / "bulk.yaml").write_text(extra.removeprefix("---\n"))
        backend = make_backend()
        writes = _writes(backend)
        world.state = dataclasses.replace(world.state, backend=backend)
        # The example's data planes use the file sink: allowed here, as with the flag.
        ctx = world.ctx
        world.ctx = lambda: dataclasses.replace(ctx(), allow_local_credentials=True)  # type: ignore[method-assign]
        asyncio.run(world.converge())
        added = [w[len(before) :] for before, w in zip([[], *writes], writes, strict=False)]
        begins = [a for a in added if any(r.startswith("begin bulk-") for r in a)]
        # 300 begins in windows of SHARED_WINDOW (256): two windows, in one or two writes
        # (two queued at once go together); windows of the 32 workers made ten or more.
        assert SHARED_WINDOW == 256
        assert 1 <= len(begins) <= 3, [len(a) for a in added]
        assert backend.read("journal")[0] is None  # all applied: cleared
        plan = asyncio.run(world.prepare()).plan
        assert plan.changes == ()  # converged (grants for users not signed in stay pending)
    finally:
        world.close()
