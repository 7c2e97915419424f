"""Begin records written a window ahead of the executor's workers, one fsync per window.

A phase's creates whose intent is their key alone (everything but data planes, whose begin
holds the ids live before) are journalled in windows of ``window`` keys, in phase order: the
first worker to reach a key of window n writes that window (``Journal.abegin_many``: one write,
one fsync) and starts window n + 1, so the next window is on disk while this one's requests
are out. A worker sends its create only once its key's window is on disk. A change that fails
before its create is sent journals ``failed`` (``unsent``); a key written ahead and never sent
because the run died is an unfinished create, looked up by name on the next run, as any begin
whose request was lost. Must not decide what is created.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from reconciler.core.plan import Action, Change
from reconciler.core.resources import Kind, ResourceKey
from reconciler.engine.store import Journal


def plain_create(change: Change) -> bool:
    """A create whose begin record is its key alone."""
    return change.action is Action.CREATE and change.key.kind is not Kind.DATAPLANE


class WriteAhead:
    def __init__(self, journal: Journal, keys: Sequence[ResourceKey], *, window: int) -> None:
        self._journal = journal
        self._keys = list(keys)
        self._index = {key: i for i, key in enumerate(self._keys)}
        self._window = max(1, window)
        self._writes: dict[int, asyncio.Task[None]] = {}
        self._unsent: set[ResourceKey] = set()

    async def written(self, key: ResourceKey) -> bool:
        """Whether ``key``'s begin is on disk, written ahead (awaited here). False: not one of
        the keys, or asked before: the caller journals its own begin."""
        index = self._index.pop(key, None)
        if index is None:
            return False
        n = index // self._window
        write = self._start(n)
        self._start(n + 1)
        assert write is not None
        # Shielded: a cancelled worker must not cancel the write its window-mates wait for.
        await asyncio.shield(write)
        return True

    def unsent(self, key: ResourceKey) -> bool:
        """Forget ``key`` (its change failed before its create); whether its begin may be on
        disk all the same (its window was started): the caller then journals it failed."""
        index = self._index.pop(key, None)
        if index is None:
            return False
        if index // self._window in self._writes:
            return True
        self._unsent.add(key)  # its window, written later, leaves it out
        return False

    def _start(self, n: int) -> asyncio.Task[None] | None:
        write = self._writes.get(n)
        start = n * self._window
        if write is None and start < len(self._keys):
            chunk = [k for k in self._keys[start : start + self._window] if k not in self._unsent]
            write = asyncio.ensure_future(self._journal.abegin_many(chunk))
            # A window written ahead that nobody reaches (the phase stopped) must not warn.
            write.add_done_callback(lambda t: t.cancelled() or t.exception())
            self._writes[n] = write
        return write
