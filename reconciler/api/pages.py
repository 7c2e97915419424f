"""Reading a paginated public list to its end, with our own offsets (never following ``next``).

The server sets ``next`` on every non-empty page, so the end is a page shorter than asked (or
empty). After a full first page, ``read_ahead`` pages are kept in flight (the offsets are ours
to choose): each page consumed, in order, sends the next, so a WAN's latency is paid once per
``read_ahead`` pages and the client reads one page while the server serves the next ones (a
window that waited for its slowest page left both sides idle in turn). The pages asked for past
the end (``read_ahead - 1`` exactly, once the first page is full) are awaited, not cancelled,
so every run sends the same requests. Knows offsets and item ids, not endpoints.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["MAX_PAGE_SIZE", "read_all"]

MAX_PAGE_SIZE = 100

Fetch = Callable[[int, int], Awaitable[list[dict[str, Any]]]]


async def read_all(
    fetch: Fetch, *, key: str, page_size: int = MAX_PAGE_SIZE, read_ahead: int
) -> list[dict[str, Any]]:
    """Every item, in order: ``fetch(offset, limit)`` reads one page; ``key`` names an id."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, not {page_size}")
    found: list[dict[str, Any]] = []
    seen: set[str] = set()

    def take(page: list[dict[str, Any]]) -> bool:
        """Keep the page's new items; True when it is the last page."""
        fresh = [item for item in page if str(item[key]) not in seen]
        seen.update(str(item[key]) for item in fresh)
        found.extend(fresh)
        # A page longer than asked means the server ignored paging and sent all;
        # a page with nothing new means it ignored the offset: stop either way.
        return len(page) != page_size or not fresh

    if take(await fetch(0, page_size)):
        return found
    in_flight: deque[asyncio.Future[list[dict[str, Any]]]] = deque()
    offset = page_size
    try:
        while True:
            while len(in_flight) < max(1, read_ahead):
                in_flight.append(asyncio.ensure_future(fetch(offset, page_size)))
                offset += page_size
            if take(await in_flight.popleft()):
                break
        await asyncio.gather(*in_flight)  # past the end: answered, then dropped
        in_flight.clear()
    finally:
        for page in in_flight:  # a page failed: the others are not waited for
            page.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)
    return found
