"""Connection endpoints of `ApiClient` (a mixin).

Facts this module follows: ``GET /connections`` is paginated like workspaces (``api.pages``)
and filters by ``workspaceIds`` (sent repeated, as the SDKs do); ``PATCH /connections/{id}``
changes only what it is sent, and ``configurations`` replaces the whole stream list, so a
caller that changes one stream's mappers sends every stream back (read-modify-write).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, cast

from reconciler.api.connectors import list_in_workspaces
from reconciler.api.pages import MAX_PAGE_SIZE
from reconciler.api.session import Call
from reconciler.api.types import ConnectionRead, StreamConfiguration

__all__ = ["ConnectionEndpoints"]

_CONNECTION = ("connectionId", "name", "workspaceId")


class ConnectionEndpoints(ABC):
    max_concurrency: int = 16

    @abstractmethod
    async def _list(self, call: Call, required: Sequence[str] = ()) -> list[dict[str, Any]]: ...

    @abstractmethod
    async def _one(self, call: Call, required: Sequence[str] = ()) -> dict[str, Any]: ...

    async def list_connections(
        self,
        workspace_ids: Sequence[str] | None = None,
        *,
        page_size: int = MAX_PAGE_SIZE,
        read_ahead: int | None = None,
    ) -> list[ConnectionRead]:
        """Connections of the given workspaces (None: every one the caller reads; an empty
        list: none), in pages of ``page_size``."""
        found = await list_in_workspaces(
            self._list,
            "/connections",
            key="connectionId",
            required=_CONNECTION,
            workspace_ids=workspace_ids,
            page_size=page_size,
            read_ahead=self.max_concurrency if read_ahead is None else read_ahead,
        )
        return cast(list[ConnectionRead], found)

    async def patch_connection(
        self,
        connection_id: str,
        *,
        streams: Sequence[StreamConfiguration | Mapping[str, Any]],
        label: str | None = None,
    ) -> ConnectionRead:
        """Replace the connection's stream list with ``streams`` (nothing else is sent)."""
        call = Call(
            "PATCH",
            "/connections/{connectionId}",
            label or f"connection {connection_id}",
            ids={"connectionId": connection_id},
            json={"configurations": {"streams": [dict(s) for s in streams]}},
        )
        return cast(ConnectionRead, await self._one(call, _CONNECTION))
