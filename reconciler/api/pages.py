"""Reading a paginated public list to its end, with our own offsets (never following ``next``).

The server sets ``next`` on every non-empty page, so the end is a page shorter than asked (or
empty). After a full first page, ``read_ahead`` pages are requested at once (the offsets are
ours to choose), so a WAN's latency is paid once per window, not once per page; pages are
consumed in order and at most ``read_ahead - 1`` requests past the end are wasted. Knows
offsets and item ids, not endpoints.
"""

from __future__ import annotations

import asyncio
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
    offset = 0
    window = 1
    while True:
        offsets = [offset + i * page_size for i in range(window)]
        pages = await asyncio.gather(*(fetch(o, page_size) for o in offsets))
        for page in pages:
            fresh = [item for item in page if str(item[key]) not in seen]
            seen.update(str(item[key]) for item in fresh)
            found.extend(fresh)
            # A page longer than asked means the server ignored paging and sent all;
            # a page with nothing new means it ignored the offset: stop either way.
            if len(page) != page_size or not fresh:
                return found
        offset += window * page_size
        window = max(1, read_ahead)
