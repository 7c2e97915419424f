"""Applying group changes: groups, memberships and group roles (a mixin of ``Executor``).

Creates are safe like every create (journalled; after an unknown outcome, looked up before
trying again; a 409 "already a member / already exists" is looked up too). A group role has
no PATCH: changing it creates the new role, then deletes the old one (the group holds both
for a moment, never neither). Live ids of members and roles are ``<groupId>/<id>``: their
deletes need the group's id. A SCIM-managed group answers 409 to membership changes: the
error says to declare ``scim: true``, so the next plan leaves its membership alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from reconciler.api import errors as api_errors
from reconciler.api.client import ApiClient
from reconciler.api.groups import is_managed_by_scim
from reconciler.config.desired import DesiredState
from reconciler.config.models import Group, fold_name
from reconciler.core.inventory import Inventory
from reconciler.core.plan import Change
from reconciler.core.resources import Kind, ResourceKey
from reconciler.engine.ids import IdMap
from reconciler.errors import FlexctlError


class ScimManagedError(FlexctlError):
    """A membership change refused because the identity provider owns the group."""


class GroupChanges:
    client: ApiClient
    ids: IdMap
    org_id: str
    inventory: Inventory
    desired: DesiredState

    async def _safe_create(
        self,
        change: Change,
        create: Callable[[], Awaitable[str]],
        find: Callable[[], Awaitable[str | None]],
        *,
        known: tuple[str, ...] = (),
        retires: str | None = None,
    ) -> str:
        raise NotImplementedError  # Executor's

    def _after_update(self, change: Change) -> str:
        raise NotImplementedError  # Executor's

    def _grant_scope(self, essence: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
        """A grant's role, and its workspace id or (for an organisation role) organisation id."""
        workspace = essence.get("workspace")
        workspace_id = self.ids.workspace(str(workspace)) if workspace else None
        return str(essence["role"]), workspace_id, None if workspace_id else self.org_id

    def _group_doc(self, name: str) -> Group | None:
        return next((g for g in self.desired.groups if fold_name(g.name) == fold_name(name)), None)

    async def _create_group(self, change: Change) -> str:
        essence = change.desired or {}
        name = str(essence["name"])
        description = essence.get("description")

        async def create() -> str:
            made = await self.client.create_group(
                name=name,
                organization_id=self.org_id,
                description=None if description is None else str(description),
            )
            return str(made["groupId"])

        async def find() -> str | None:
            for group in await self.client.list_groups(self.org_id):
                if fold_name(str(group["name"])) == fold_name(name):
                    return str(group["groupId"])
            return None

        return await self._safe_create(change, create, find)

    async def _update_group(self, change: Change) -> str:
        assert change.id is not None
        essence = change.desired or {}
        description = essence.get("description")
        await self.client.update_group(
            change.id,
            name=str(essence["name"]),
            description=None if description is None else str(description),
            label=str(change.key),
        )
        return self._after_update(change)

    async def _add_member(self, change: Change) -> str:
        essence = change.desired or {}
        group = str(essence["group"])
        group_id = self.ids.group(group)
        user_id = self.ids.user(str(essence["user"]))

        async def create() -> str:
            try:
                await self.client.add_group_member(group_id, user_id=user_id, label=str(change.key))
            except api_errors.ConflictError as exc:
                if is_managed_by_scim(exc):
                    raise _scim_error(group, exc) from exc
                raise
            return f"{group_id}/{user_id}"

        async def find() -> str | None:
            for member in await self.client.list_group_members(group_id):
                if str(member["userId"]) == user_id:
                    return f"{group_id}/{user_id}"
            return None

        return await self._safe_create(change, create, find)

    async def _create_group_permission(self, change: Change) -> str:
        essence = change.desired or {}
        group_id = self.ids.group(str(essence["group"]))
        role, workspace_id, org_id = self._grant_scope(essence)

        async def create() -> str:
            made = await self.client.create_group_permission(
                group_id, permission_type=role, workspace_id=workspace_id, organization_id=org_id
            )
            return f"{group_id}/{made['permissionId']}"

        async def find() -> str | None:
            for perm in await self.client.list_group_permissions(group_id):
                same_scope = perm.get("workspaceId") == workspace_id and (
                    workspace_id is not None or perm.get("organizationId") == self.org_id
                )
                if same_scope and perm.get("permissionType") == role:
                    return f"{group_id}/{perm['permissionId']}"
            return None

        return await self._safe_create(change, create, find)

    async def _update_group_permission(self, change: Change) -> str:
        """No PATCH for group roles: the new one first, then the old one goes."""
        assert change.id is not None
        old = change.id
        self.inventory.forget(old)
        new_id = await self._create_group_permission(change)
        await self._delete_group_object(Kind.GROUP_PERMISSION, old, change.key.name)
        return new_id

    async def _delete_group_object(self, kind: Kind, object_id: str, key_name: str) -> None:
        label = f"{kind.value} {key_name}"
        group = key_name
        if kind is Kind.GROUP_MEMBER:
            group = key_name.rpartition("/")[0]
        elif kind is Kind.GROUP_PERMISSION:
            group = key_name.rpartition("/group:")[2]
        try:
            if kind is Kind.GROUP:
                await self.client.delete_group(object_id, label=label)
            elif kind is Kind.GROUP_MEMBER:
                group_id, _, user_id = object_id.partition("/")
                await self.client.remove_group_member(group_id, user_id=user_id, label=label)
            else:
                group_id, _, permission_id = object_id.partition("/")
                await self.client.delete_group_permission(group_id, permission_id, label=label)
        except api_errors.ConflictError as exc:
            if is_managed_by_scim(exc):
                raise _scim_error(group, exc) from exc
            raise


def _scim_error(group: str, exc: Exception) -> ScimManagedError:
    return ScimManagedError(
        f"{exc}; group {group} is managed by SCIM: its membership comes from the identity "
        "provider. Declare scim: true in its Group document and remove its members"
    )


def group_parents(change: Change) -> list[ResourceKey]:
    """What a group change depends on: its group, and for a role its workspace."""
    essence: dict[str, Any] = dict(change.desired or {})
    parents = [ResourceKey(Kind.GROUP, str(essence.get("group", "")))]
    if change.key.kind is Kind.GROUP_PERMISSION and essence.get("workspace"):
        parents.append(ResourceKey(Kind.WORKSPACE, str(essence["workspace"])))
    return parents
