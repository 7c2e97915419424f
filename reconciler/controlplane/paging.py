"""The paginated list envelope every paginated public list shares (workspaces, sources,
destinations, connections, groups, group members).

The real server's ``PaginationMapper``: ``limit`` 1..100 (default 20), ``offset`` >= 0;
``next`` is set on **every non-empty page** (``""`` on an empty one), ``previous`` is ``""``
at offset 0; links are built against ``/v1/<resource>`` even when the caller used
``/api/public/v1`` and repeat the filters (``includeDeleted``, then ``workspaceIds``
comma-joined). Knows query strings, not tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from reconciler.controlplane import inputs


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int
    #: None for lists without the ``includeDeleted`` filter (groups, members).
    include_deleted: bool | None

    @classmethod
    def of(cls, request: Request, *, deletable: bool = True) -> Page:
        include_deleted = (
            inputs.query_bool(request, "includeDeleted", default=False) if deletable else None
        )
        return cls(
            limit=inputs.query_int(request, "limit", default=20, low=1, high=100),
            offset=inputs.query_int(request, "offset", default=0, low=0, high=2**31 - 1),
            include_deleted=include_deleted,
        )

    def envelope(
        self,
        request: Request,
        resource: str,
        data: list[Any],
        *,
        ids: Sequence[str] = (),
        extra: Sequence[tuple[str, str]] = (),
    ) -> dict[str, Any]:
        """``ids``: the ``workspaceIds`` filter; ``extra``: other filters the links repeat."""
        filters: dict[str, str] = dict(extra)
        if self.include_deleted is not None:
            filters["includeDeleted"] = str(self.include_deleted).lower()
        if ids:
            filters["workspaceIds"] = ",".join(ids)
        base = f"{request.base_url.scheme}://{request.base_url.netloc}/v1/{resource}"

        def link(at: int) -> str:
            return f"{base}?{urlencode({**filters, 'limit': self.limit, 'offset': at})}"

        return {
            "data": data,
            "next": link(self.offset + self.limit) if data else "",
            "previous": link(max(self.offset - self.limit, 0)) if self.offset != 0 else "",
        }
