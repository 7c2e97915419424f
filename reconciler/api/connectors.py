"""Source and destination lists of `ApiClient` (a mixin), and the workspace-filtered paged
list they share with connections.

Facts this module follows: ``GET /sources``, ``GET /destinations`` and ``GET /connections``
are paginated like workspaces (``api.pages``: own offsets, read-ahead windows) and filter by
``workspaceIds`` (sent repeated, as the SDKs do); ``includeDeleted=false`` leaves soft-deleted
ones out. Read only: flexctl counts what a workspace delete takes with it
(``engine.dependants``), it does not manage connectors.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from reconciler.api.pages import MAX_PAGE_SIZE, read_all
from reconciler.api.session import Call
from reconciler.api.types import ConnectorRead

__all__ = ["ConnectorEndpoints", "list_in_workspaces"]

ListCall = Callable[[Call, Sequence[str]], Awaitable[list[dict[str, Any]]]]


async def list_in_workspaces(
    list_call: ListCall,
    path: str,
    *,
    key: str,
    required: Sequence[str],
    workspace_ids: Sequence[str] | None,
    page_size: int,
    read_ahead: int,
) -> list[dict[str, Any]]:
    """Every object of ``path`` in the given workspaces (None: every one the caller reads;
    an empty list: none), in pages of ``page_size``."""
    if workspace_ids is not None and not workspace_ids:
        return []
    filters = [("workspaceIds", w) for w in workspace_ids or ()]
    noun = path.strip("/")

    async def page(offset: int, limit: int) -> list[dict[str, Any]]:
        params = [
            *filters,
            ("includeDeleted", "false"),
            ("limit", str(limit)),
            ("offset", str(offset)),
        ]
        return await list_call(Call("GET", path, f"{noun} from {offset}", params=params), required)

    return await read_all(page, key=key, page_size=page_size, read_ahead=read_ahead)


class ConnectorEndpoints(ABC):
    max_concurrency: int = 16

    @abstractmethod
    async def _list(self, call: Call, required: Sequence[str] = ()) -> list[dict[str, Any]]: ...

    async def list_sources(
        self, workspace_ids: Sequence[str] | None = None, *, page_size: int = MAX_PAGE_SIZE
    ) -> list[ConnectorRead]:
        """Sources of the given workspaces (None: all the caller reads)."""
        return await self._connectors("/sources", "sourceId", workspace_ids, page_size)

    async def list_destinations(
        self, workspace_ids: Sequence[str] | None = None, *, page_size: int = MAX_PAGE_SIZE
    ) -> list[ConnectorRead]:
        """Destinations of the given workspaces (None: all the caller reads)."""
        return await self._connectors("/destinations", "destinationId", workspace_ids, page_size)

    async def _connectors(
        self, path: str, key: str, workspace_ids: Sequence[str] | None, page_size: int
    ) -> list[ConnectorRead]:
        found = await list_in_workspaces(
            self._list,
            path,
            key=key,
            required=(key, "workspaceId"),
            workspace_ids=workspace_ids,
            page_size=page_size,
            read_ahead=self.max_concurrency,
        )
        return cast(list[ConnectorRead], found)
