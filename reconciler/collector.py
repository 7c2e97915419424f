"""When Python's cyclic garbage collector runs: not over start-up objects, not during bulk phases.

Loading a config and planning against it build millions of long-lived objects (values,
positions, models, live records) and almost no reference cycles, yet each collection walks
every container allocated so far: with the collector running, a 10,000-workspace plan
spends about a third of its CPU in it. So the CLI freezes what start-up imported, and the
bulk phases pause the collector and freeze what survives them (it is the run's state, kept
to the end); reference counting still frees whatever they drop, frozen or not. A
long-running process (the ``reconcile`` loop) calls ``thaw`` between cycles, so reference
cycles among a finished cycle's objects are still collected.

Must not: change thresholds for the process, or call ``gc.collect``.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


def freeze_start_up() -> None:
    """Move every object alive now (imported modules, their classes and tables) out of
    the collector's reach, so later collections do not walk them again."""
    gc.freeze()


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside; the outermost exit freezes the survivors and resumes."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def thaw() -> None:
    """Give every frozen object back to the collector (between cycles of a long run)."""
    gc.unfreeze()


def paused_while(function: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """A coroutine function that runs with the collector paused (``@paused()`` would end the
    pause as soon as the coroutine is made, before it runs)."""

    @functools.wraps(function)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        with paused():
            return await function(*args, **kwargs)

    return run
