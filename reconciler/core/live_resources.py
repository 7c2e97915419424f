"""Live API objects -> resources: the normalisation rules, one line of why each.

Input is what the list endpoints return (already fetched by ``engine.live``); output is the
same comparable form ``core.desired_resources`` produces. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.config.models import NOTIFICATION_EVENTS
from reconciler.core.resources import (
    JSON,
    Resource,
    dataplane_key,
    group_key,
    group_member_key,
    group_permission_key,
    permission_key,
    region_key,
    resource,
    sensitive_digest,
    workspace_key,
)
from reconciler.sharing import Shared

Payload = Mapping[str, Any]


@dataclass(frozen=True)
class LiveSnapshot:
    """Everything one refresh read, already filtered to the organisation."""

    organization_id: str
    regions: Sequence[Payload] = ()
    dataplanes: Sequence[Payload] = ()
    workspaces: Sequence[Payload] = ()
    users: Sequence[Payload] = ()
    #: Permissions of the users flexctl looked at (list items: scope + scopeId).
    permissions: Sequence[Payload] = ()
    #: Connections of the workspaces with PII rules or a hashing policy (``core.hashing``).
    connections: Sequence[Payload] = ()
    #: Ids of regions visible but owned by another organisation (managed US/EU...): name -> id.
    managed_regions: Mapping[str, str] = field(default_factory=dict)
    #: The organisation's groups, every group's members and permissions (``groupId`` each).
    groups: Sequence[Payload] = ()
    group_members: Sequence[Payload] = ()
    group_permissions: Sequence[Payload] = ()


def live_resources(snapshot: LiveSnapshot) -> tuple[Resource, ...]:
    out: list[Resource] = []
    region_names: dict[str, str] = {}
    for region in snapshot.regions:
        region_names[region["regionId"]] = region["name"]
        # Rule: ids, organizationId and timestamps are server-owned; only name and enabled are ours.
        out.append(
            Resource(
                key=region_key(region["name"]),
                essence={"name": region["name"], "enabled": bool(region.get("enabled", True))},
                id=region["regionId"],
            )
        )
    for dp in snapshot.dataplanes:
        region_name = region_names.get(dp["regionId"])
        if region_name is None:
            continue  # Rule: a data plane of a region outside the organisation is not ours to see.
        out.append(
            Resource(
                key=dataplane_key(region_name, dp["name"]),
                # Rule: the region is compared by name (lower-cased like dataResidency), not id.
                essence={
                    "name": dp["name"],
                    "region": region_name.lower(),
                    "enabled": bool(dp.get("enabled", True)),
                },
                id=dp["dataplaneId"],
            )
        )
    workspace_names: dict[str, str] = {}
    notifications = _LiveNotifications()
    for ws in snapshot.workspaces:
        workspace_names[ws["workspaceId"]] = ws["name"]
        essence = workspace_essence(ws, notifications)
        out.append(resource(workspace_key(ws["name"]), essence, id=ws["workspaceId"]))
    emails = {u["id"]: str(u["email"]).lower() for u in snapshot.users}
    for perm in snapshot.permissions:
        email = emails.get(perm["userId"])
        scope = perm.get("scope")
        if email is None:
            continue
        if scope == "workspace":
            ws_name = workspace_names.get(perm["scopeId"])
            if ws_name is None:
                continue  # Rule: a permission on a workspace we cannot see is not ours.
            key = permission_key(email=email, workspace=ws_name)
        elif scope == "organization" and perm["scopeId"] == snapshot.organization_id:
            ws_name = None
            key = permission_key(email=email, workspace=None)
        else:
            continue  # Rule: other organisations and instance-wide roles are out of scope.
        out.append(
            Resource(
                key=key,
                essence={
                    "user": email,
                    "scope": scope,
                    "workspace": ws_name,
                    "role": perm["permissionType"],
                },
                id=perm["permissionId"],
            )
        )
    out.extend(_group_resources(snapshot, workspace_names))
    return tuple(out)


def _group_resources(snapshot: LiveSnapshot, workspace_names: Mapping[str, str]) -> list[Resource]:
    out: list[Resource] = []
    names: dict[str, str] = {}
    for group in snapshot.groups:
        names[group["groupId"]] = group["name"]
        out.append(
            Resource(
                key=group_key(group["name"]),
                # Rule: memberCount is derived (members are resources of their own).
                essence={"name": group["name"], "description": group.get("description")},
                id=group["groupId"],
            )
        )
    for member in snapshot.group_members:
        group_name = names.get(member["groupId"])
        if group_name is None:
            continue
        email = str(member["userEmail"]).lower()
        out.append(
            Resource(
                key=group_member_key(group_name, email),
                essence={"group": group_name, "user": email},
                # Rule: removing a member takes the user id, not the membership id.
                id=f"{member['groupId']}/{member['userId']}",
            )
        )
    for perm in snapshot.group_permissions:
        group_name = names.get(perm["groupId"])
        if group_name is None:
            continue
        workspace: str | None = None
        if perm.get("workspaceId") is not None:
            workspace = workspace_names.get(perm["workspaceId"])
            if workspace is None:
                continue  # Rule: a workspace we cannot see is not ours.
        elif perm.get("organizationId") != snapshot.organization_id:
            continue
        out.append(
            Resource(
                key=group_permission_key(group_name, workspace=workspace),
                essence={
                    "group": group_name,
                    "scope": "workspace" if workspace is not None else "organization",
                    "workspace": workspace,
                    "role": perm["permissionType"],
                },
                # Rule: deleting one takes the group's id too.
                id=f"{perm['groupId']}/{perm['permissionId']}",
            )
        )
    return out


class _LiveNotifications:
    """``live_notifications`` once per distinct object (equal settings are one object in a
    workspace list, ``api.workspaces``), its answers shared (``Shared``): the essences of
    100,000 workspaces hold a few notification dicts, not 700,000."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[object, dict[str, JSON]]] = {}
        self._shared = Shared()

    def __call__(self, config: Mapping[str, Any]) -> dict[str, JSON]:
        known = self._by_id.get(id(config))
        if known is not None and known[0] is config:
            return known[1]
        result: dict[str, JSON] = self._shared(live_notifications(config))
        self._by_id[id(config)] = (config, result)  # the config held: its id stays its own
        return result


def workspace_essence(
    ws: Payload, notifications: Callable[[Mapping[str, Any]], dict[str, JSON]] | None = None
) -> dict[str, JSON]:
    return {
        "name": ws["name"],
        # Rule: written as regionId, read back as dataResidency (lower-cased name):
        # compare lower-cased names on both sides.
        "region": str(ws.get("dataResidency", "")).lower(),
        "notifications": (notifications or live_notifications)(ws.get("notifications") or {}),
    }


def live_notifications(config: Mapping[str, Any]) -> dict[str, JSON]:
    result: dict[str, JSON] = {}
    for event in NOTIFICATION_EVENTS:
        item = config.get(event) or {}
        email = item.get("email")
        webhook = item.get("webhook") or {}
        url = webhook.get("url")
        result[event] = {
            # Rule: an omitted email block means the server default, enabled for all but success.
            "email": bool(email.get("enabled")) if email is not None else event != "success",
            "webhook": bool(webhook.get("enabled", False)),
            # Rule: webhook URLs carry tokens; only their digest is ever compared or shown.
            "webhookUrl": sensitive_digest(url) if url else None,
        }
    return result
