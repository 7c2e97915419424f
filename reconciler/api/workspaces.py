"""Workspace, user and permission endpoints of `ApiClient` (a mixin).

Kept apart from `reconciler.api.client` only to keep modules small. Facts
this module follows: workspaces are the one paginated list here (own offset,
stop on a short page, never follow ``next``, which is set on every non-empty
page); they are written with ``regionId`` and read back with
``dataResidency``; ``DELETE /workspaces/{id}`` answers 204. Users cannot be
created through the API, only looked up by e-mail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from reconciler.api.endpoints import Endpoints
from reconciler.api.pages import MAX_PAGE_SIZE, read_all
from reconciler.api.payloads import drop_none
from reconciler.api.session import Call
from reconciler.api.types import (
    NotificationsConfig,
    PermissionRead,
    PermissionResponse,
    UserRead,
    WorkspaceRead,
)
from reconciler.sharing import Shared

__all__ = ["MAX_PAGE_SIZE", "WorkspaceEndpoints"]

_WORKSPACE = ("workspaceId", "name")
_PERMISSION = ("permissionId", "permissionType", "userId")


class WorkspaceEndpoints(Endpoints):
    #: Requests the client keeps in flight at most (set by ``ApiClient``).
    max_concurrency: int = 16

    # workspaces ---------------------------------------------------------------------

    async def list_workspaces(
        self, *, page_size: int = MAX_PAGE_SIZE, read_ahead: int | None = None, expected: int = 0
    ) -> list[WorkspaceRead]:
        """Every workspace the caller can see (``api.pages``: own offsets, ``read_ahead`` pages
        in flight, default the client's concurrency; ``expected``: how many there probably
        are, so no page is asked for past the end of a list that long). Equal
        ``notifications`` objects are one object (``core.resources.Shared``): most workspaces
        share a few settings, and a 100,000-workspace list held 19 dicts per workspace for
        them."""
        shared = Shared()

        async def page(offset: int, size: int) -> list[dict[str, Any]]:
            items = await self._workspace_page(offset, size)
            for item in items:
                notifications = item.get("notifications")
                if notifications is not None:
                    item["notifications"] = shared(notifications)
            return items

        found = await read_all(
            page,
            key="workspaceId",
            page_size=page_size,
            read_ahead=self.max_concurrency if read_ahead is None else read_ahead,
            expected=expected,
        )
        return cast(list[WorkspaceRead], found)

    async def _workspace_page(self, offset: int, page_size: int) -> list[dict[str, Any]]:
        params = [
            ("includeDeleted", "false"),
            ("limit", str(page_size)),
            ("offset", str(offset)),
        ]
        call = Call("GET", "/workspaces", f"workspaces from {offset}", params=params)
        return await self._list(call, _WORKSPACE)

    async def create_workspace(
        self,
        *,
        name: str,
        region_id: str | None,
        organization_id: str | None,
        notifications: NotificationsConfig | None,
    ) -> WorkspaceRead:
        body = drop_none(
            name=name,
            regionId=region_id,
            organizationId=organization_id,
            notifications=notifications,
        )
        call = Call("POST", "/workspaces", f"workspace {name!r}", json=body, create=True)
        return cast(WorkspaceRead, await self._one(call, _WORKSPACE))

    async def update_workspace(
        self,
        workspace_id: str,
        *,
        name: str | None = None,
        region_id: str | None = None,
        notifications: NotificationsConfig | None = None,
        label: str | None = None,
    ) -> WorkspaceRead:
        call = Call(
            "PATCH",
            "/workspaces/{workspaceId}",
            label or f"workspace {workspace_id}",
            ids={"workspaceId": workspace_id},
            json=drop_none(name=name, regionId=region_id, notifications=notifications),
        )
        return cast(WorkspaceRead, await self._one(call, _WORKSPACE))

    async def delete_workspace(self, workspace_id: str, *, label: str | None = None) -> None:
        ids = {"workspaceId": workspace_id}
        resource = label or f"workspace {workspace_id}"
        await self._send(Call("DELETE", "/workspaces/{workspaceId}", resource, ids=ids))

    # users and permissions ----------------------------------------------------------

    async def list_users(
        self, organization_id: str, emails: Sequence[str] | None = None
    ) -> list[UserRead]:
        """Users of the org; with `emails`, only those (an empty list asks for none)."""
        if emails is not None and not emails:
            return []
        params = [("organizationId", organization_id)]
        params += [("emails", email) for email in emails or ()]
        call = Call("GET", "/users", f"users of organization {organization_id}", params=params)
        return cast(list[UserRead], await self._list(call, ("id", "email")))

    async def list_permissions(self, *, user_id: str, organization_id: str) -> list[PermissionRead]:
        params = [("userId", user_id), ("organizationId", organization_id)]
        call = Call("GET", "/permissions", f"permissions of user {user_id}", params=params)
        required = (*_PERMISSION, "scope", "scopeId")
        return cast(list[PermissionRead], await self._list(call, required))

    async def create_permission(
        self,
        *,
        user_id: str,
        permission_type: str,
        workspace_id: str | None = None,
        organization_id: str | None = None,
    ) -> PermissionResponse:
        if (workspace_id is None) == (organization_id is None):
            raise ValueError("give exactly one of workspace_id and organization_id")
        scope = f"workspace {workspace_id}" if workspace_id else f"organization {organization_id}"
        body = drop_none(
            permissionType=permission_type,
            userId=user_id,
            workspaceId=workspace_id,
            organizationId=organization_id,
        )
        resource = f"{permission_type} of user {user_id} on {scope}"
        call = Call("POST", "/permissions", resource, json=body, create=True)
        return cast(PermissionResponse, await self._one(call, _PERMISSION))

    async def update_permission(
        self, permission_id: str, *, permission_type: str, label: str | None = None
    ) -> PermissionResponse:
        call = Call(
            "PATCH",
            "/permissions/{permissionId}",
            label or f"permission {permission_id}",
            ids={"permissionId": permission_id},
            json={"permissionType": permission_type},
        )
        return cast(PermissionResponse, await self._one(call, _PERMISSION))

    async def delete_permission(self, permission_id: str, *, label: str | None = None) -> None:
        ids = {"permissionId": permission_id}
        resource = label or f"permission {permission_id}"
        await self._send(Call("DELETE", "/permissions/{permissionId}", resource, ids=ids))
