"""Reading a paginated public list to its end, with our own offsets (never following ``next``).

The server sets ``next`` on every non-empty page, so the end is a page shorter than asked (or
empty). After a full first page, ``read_ahead`` pages are kept in flight (the offsets are ours
to choose): each page consumed, in order, sends the next, so a WAN's latency is paid once per
``read_ahead`` pages and the client reads one page while the server serves the next ones (a
window that waited for its slowest page left both sides idle in turn). The pages asked for past
the end (``read_ahead - 1`` exactly, once the first page is full) are awaited, not cancelled,
so every run sends the same requests. With ``expected`` (how many items the caller believes
there are: for workspaces, how many the config declares), the first page goes out with the
next ones (one round trip less), and no page past the first one expected to come back short
is asked for until that page came back full: a list of the expected length
is read with one page past its last item, not ``read_ahead - 1`` (15 of a 2,000-workspace
plan's 35 requests were past the end); a longer list pays one round trip there, then reads on
as without the hint. The items are the same either way. Knows offsets and item ids, not
endpoints.
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
    fetch: Fetch, *, key: str, page_size: int = MAX_PAGE_SIZE, read_ahead: int, expected: int = 0
) -> list[dict[str, Any]]:
    """Every item, in order: ``fetch(offset, limit)`` reads one page; ``key`` names an id;
    ``expected``: the caller's guess of the number of items (0: none, see the module)."""
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

    # The offset of the first page expected short: nothing past it is asked for before it.
    horizon = (expected // page_size) * page_size if expected > page_size else None
    in_flight: deque[asyncio.Future[list[dict[str, Any]]]] = deque()
    offset = 0
    if horizon is None:
        # No hint: the first page alone says whether there is a second one.
        if take(await fetch(0, page_size)):
            return found
        offset = page_size
    try:
        while True:
            while len(in_flight) < max(1, read_ahead) and (horizon is None or offset <= horizon):
                in_flight.append(asyncio.ensure_future(fetch(offset, page_size)))
                offset += page_size
            if take(await in_flight.popleft()):
                break
            if horizon is not None and not in_flight:
                horizon = None  # the page at the horizon was full: longer than expected
        await asyncio.gather(*in_flight)  # past the end: answered, then dropped
        in_flight.clear()
    finally:
        for page in in_flight:  # a page failed: the others are not waited for
            page.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)
    return found
