"""Group endpoints of `ApiClient` (a mixin): groups, members, group permissions.

Facts from the published spec (``api.yaml``, tag ``Groups``): ``GET /groups`` needs
``organizationId`` and is paginated, like ``GET /groups/{id}/members`` (own offset, stop on
a short page); ``GET /groups/{id}/permissions`` is not. Member and permission creates answer
201; deletes 204. Group permissions have no PATCH. A SCIM-managed group answers 409
``error:group-managed-by-scim`` to updates, deletes and membership changes
(``is_managed_by_scim``); nothing in a ``GroupResponse`` says so beforehand.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.api import errors
from reconciler.api.endpoints import Endpoints
from reconciler.api.pages import read_all
from reconciler.api.payloads import drop_none
from reconciler.api.session import Call

__all__ = ["GroupEndpoints", "is_managed_by_scim"]

_GROUP = ("groupId", "name", "organizationId")
_MEMBER = ("memberId", "groupId", "userId", "userEmail")
_PERMISSION = ("permissionId", "groupId", "permissionType")


def is_managed_by_scim(exc: BaseException) -> bool:
    """The server refused because the identity provider owns the group."""
    # The title and detail are the server's ("Group managed by SCIM"); the message also holds
    # our own label, which may name a group called "scim-admins".
    return isinstance(exc, errors.ConflictError) and "scim" in f"{exc.title} {exc.detail}".lower()


class GroupEndpoints(Endpoints):
    async def _pages(
        self,
        path: str,
        resource: str,
        params: list[tuple[str, str]],
        *,
        key: str,
        required: Sequence[str],
        ids: dict[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        async def page(offset: int, limit: int) -> list[dict[str, Any]]:
            page_params = [*params, ("limit", str(limit)), ("offset", str(offset))]
            call = Call("GET", path, f"{resource} from {offset}", ids=ids or {}, params=page_params)
            return await self._list(call, required)

        # One page at a time: a group has few members, an organisation few groups.
        return await read_all(page, key=key, read_ahead=1)

    async def list_groups(self, organization_id: str) -> list[dict[str, Any]]:
        return await self._pages(
            "/groups",
            f"groups of organization {organization_id}",
            [("organizationId", organization_id)],
            key="groupId",
            required=_GROUP,
        )

    async def create_group(
        self, *, name: str, organization_id: str, description: str | None
    ) -> dict[str, Any]:
        body = drop_none(name=name, organizationId=organization_id, description=description)
        call = Call("POST", "/groups", f"group {name!r}", json=body, create=True)
        return await self._one(call, _GROUP)

    async def update_group(
        self, group_id: str, *, name: str, description: str | None, label: str | None = None
    ) -> dict[str, Any]:
        # Both sent: an explicit null clears the description.
        call = Call(
            "PATCH",
            "/groups/{groupId}",
            label or f"group {group_id}",
            ids={"groupId": group_id},
            json={"name": name, "description": description},
        )
        return await self._one(call, _GROUP)

    async def delete_group(self, group_id: str, *, label: str | None = None) -> None:
        ids = {"groupId": group_id}
        await self._send(Call("DELETE", "/groups/{groupId}", label or f"group {group_id}", ids=ids))

    async def list_group_members(self, group_id: str) -> list[dict[str, Any]]:
        return await self._pages(
            "/groups/{groupId}/members",
            f"members of group {group_id}",
            [],
            key="memberId",
            required=_MEMBER,
            ids={"groupId": group_id},
        )

    async def add_group_member(
        self, group_id: str, *, user_id: str, label: str | None = None
    ) -> dict[str, Any]:
        call = Call(
            "POST",
            "/groups/{groupId}/members",
            label or f"member {user_id} of group {group_id}",
            ids={"groupId": group_id},
            json={"userId": user_id},
            create=True,
        )
        return await self._one(call, _MEMBER)

    async def remove_group_member(
        self, group_id: str, *, user_id: str, label: str | None = None
    ) -> None:
        call = Call(
            "DELETE",
            "/groups/{groupId}/members/{userId}",
            label or f"member {user_id} of group {group_id}",
            ids={"groupId": group_id, "userId": user_id},
        )
        await self._send(call)

    async def list_group_permissions(self, group_id: str) -> list[dict[str, Any]]:
        call = Call(
            "GET",
            "/groups/{groupId}/permissions",
            f"permissions of group {group_id}",
            ids={"groupId": group_id},
        )
        return await self._list(call, _PERMISSION)

    async def create_group_permission(
        self,
        group_id: str,
        *,
        permission_type: str,
        workspace_id: str | None = None,
        organization_id: str | None = None,
    ) -> dict[str, Any]:
        if (workspace_id is None) == (organization_id is None):
            raise ValueError("give exactly one of workspace_id and organization_id")
        scope = f"workspace {workspace_id}" if workspace_id else f"organization {organization_id}"
        call = Call(
            "POST",
            "/groups/{groupId}/permissions",
            f"{permission_type} of group {group_id} on {scope}",
            ids={"groupId": group_id},
            json=drop_none(
                permissionType=permission_type,
                workspaceId=workspace_id,
                organizationId=organization_id,
            ),
            create=True,
        )
        return await self._one(call, _PERMISSION)

    async def delete_group_permission(
        self, group_id: str, permission_id: str, *, label: str | None = None
    ) -> None:
        call = Call(
            "DELETE",
            "/groups/{groupId}/permissions/{permissionId}",
            label or f"permission {permission_id} of group {group_id}",
            ids={"groupId": group_id, "permissionId": permission_id},
        )
        await self._send(call)
