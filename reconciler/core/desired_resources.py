"""Desired state -> resources: what the config says, in the comparable form of ``core.resources``.

Pure: secret references (webhook URLs) are resolved through an injected function, checked
against ``config.webhooks`` (a reference's value was never validated), and only their digest
enters the essence. Notifications are always written in full (every event,
both channels), so live and desired compare without relying on server defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from reconciler.config.desired import DesiredState
from reconciler.config.models import (
    NOTIFICATION_EVENTS,
    Notification,
    SecretRef,
    Workspace,
    fold_name,
)
from reconciler.config.references import event_attribute, value_problem, webhook_where
from reconciler.config.webhooks import webhook_url_problem
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
from reconciler.errors import SecretResolutionError

#: Resolves a secret reference; ``where`` names the document and field for error messages.
Resolver = Callable[[SecretRef, str], str]


@dataclass(frozen=True)
class DesiredResources:
    resources: tuple[Resource, ...]
    #: Every user e-mail named in an access list or as a group member (lower-case), for the
    #: one users lookup.
    users: frozenset[str]
    #: Folded names of the declared groups whose membership flexctl manages (not SCIM).
    groups: frozenset[str] = frozenset()
    #: Folded names of the declared SCIM-managed groups (roles managed, membership never).
    scim_groups: frozenset[str] = frozenset()


def desired_resources(desired: DesiredState, resolve: Resolver) -> DesiredResources:
    out: list[Resource] = []
    users: set[str] = set()
    notifications: dict[tuple[DeclaredNotification, ...], dict[str, JSON]] = {}
    for region in desired.regions:
        out.append(
            Resource(
                key=region_key(region.name),
                essence={"name": region.name, "enabled": region.enabled},
                protect=region.protect,
                previous_names=tuple(region.previous_names),
            )
        )
    for dp in desired.dataplanes:
        out.append(
            Resource(
                key=dataplane_key(dp.region, dp.name),
                essence={"name": dp.name, "region": dp.region.lower(), "enabled": dp.enabled},
                protect=dp.protect,
                # ``REGION/NAME`` each: a bare previous name is in the data plane's region.
                previous_names=tuple(
                    p if "/" in p else f"{dp.region}/{p}" for p in dp.previous_names
                ),
            )
        )
    for ws in desired.workspaces:
        out.append(
            resource(
                workspace_key(ws.name),
                {
                    "name": ws.name,
                    # Read back as dataResidency, the region name lower-cased.
                    "region": ws.region.lower(),
                    # Equal settings, one dict for every workspace that declares them.
                    "notifications": desired_notifications(ws, resolve, notifications),
                },
                protect=ws.protect,
                previous_names=tuple(ws.previous_names),
            )
        )
        for grant in ws.access:
            if grant.user is None:
                continue  # a group's role: group_resources
            users.add(grant.user)
            out.append(_permission(grant.user, grant.role.value, workspace=ws.name))
    for org_grant in desired.organization.access:
        if org_grant.user is not None:
            users.add(org_grant.user)
            out.append(_permission(org_grant.user, org_grant.role.value, workspace=None))
    out.extend(group_resources(desired))
    users |= {m for g in desired.groups if not g.scim for m in g.members}
    return DesiredResources(
        resources=tuple(out),
        users=frozenset(users),
        groups=frozenset(fold_name(g.name) for g in desired.groups if not g.scim),
        scim_groups=frozenset(fold_name(g.name) for g in desired.groups if g.scim),
    )


def group_resources(desired: DesiredState) -> list[Resource]:
    """Groups, their members and their roles (from the Group documents and ``group:``
    entries of access lists). A SCIM-managed group is not a resource of its own: the identity
    provider makes it, names it and fills it; only its roles are flexctl's."""
    names = {fold_name(g.name): g.name for g in desired.groups}
    out: list[Resource] = []
    for group in desired.groups:
        if group.scim:
            continue
        out.append(
            Resource(
                key=group_key(group.name),
                essence={"name": group.name, "description": group.description},
                protect=group.protect,
            )
        )
        for email in sorted(set(group.members)):
            out.append(
                Resource(
                    key=group_member_key(group.name, email),
                    essence={"group": group.name, "user": email},
                )
            )
    grants = [(g.name, r.workspace, r.role.value) for g in desired.groups for r in g.roles]
    grants += [
        (names.get(fold_name(a.group), a.group), ws.name, a.role.value)
        for ws in desired.workspaces
        for a in ws.access
        if a.group is not None
    ]
    grants += [
        (names.get(fold_name(a.group), a.group), None, a.role.value)
        for a in desired.organization.access
        if a.group is not None
    ]
    for group_name, workspace, role in grants:
        out.append(
            Resource(
                key=group_permission_key(group_name, workspace=workspace),
                essence=group_permission_essence(group_name, workspace=workspace, role=role),
            )
        )
    return out


def group_permission_essence(group: str, *, workspace: str | None, role: str) -> dict[str, JSON]:
    return {
        "group": group,
        "scope": "workspace" if workspace is not None else "organization",
        "workspace": workspace,
        "role": role,
    }


def _permission(email: str, role: str, *, workspace: str | None) -> Resource:
    return Resource(
        key=permission_key(email=email, workspace=workspace),
        essence={
            "user": email.lower(),
            "scope": "workspace" if workspace is not None else "organization",
            "workspace": workspace,
            "role": role,
        },
    )


@dataclass(frozen=True)
class DeclaredNotification:
    """One event's notification as the config declares it, with its webhook URL resolved."""

    email: bool
    webhook: bool
    url: str | None = field(default=None, repr=False)


def declared_notifications(ws: Workspace, resolve: Resolver) -> dict[str, DeclaredNotification]:
    """Every event, undeclared ones off: the one reading of a workspace's notifications that
    both the essence (compared) and the API payload (sent) are built from."""
    result: dict[str, DeclaredNotification] = {}
    for event, attribute in _EVENT_ATTRIBUTES:
        declared: Notification | None = getattr(ws.notifications, attribute)
        if declared is None:
            result[event] = _OFF  # most events of most workspaces: one value for all
            continue
        webhook = declared.webhook
        url: str | None = None
        if webhook is not None and webhook.url is not None:
            where = webhook_where(ws.name, event)
            url = resolve(webhook.url, where)
            # Checked where it is resolved: the value of a reference was never validated.
            problem = webhook_url_problem(url)
            if problem is not None:
                raise SecretResolutionError(value_problem(where, webhook.url, problem))
        result[event] = DeclaredNotification(
            email=bool(declared.email and declared.email.enabled),
            webhook=bool(webhook and webhook.enabled),
            url=url,
        )
    return result


_OFF = DeclaredNotification(email=False, webhook=False)
#: Each event and its attribute of ``Notifications``, looked up once, not per workspace.
_EVENT_ATTRIBUTES = tuple((event, event_attribute(event)) for event in NOTIFICATION_EVENTS)


def desired_notifications(
    ws: Workspace,
    resolve: Resolver,
    made: dict[tuple[DeclaredNotification, ...], dict[str, JSON]] | None = None,
) -> dict[str, JSON]:
    """``made``: the essences made so far by declared settings, one dict for all the
    workspaces that declare the same (``desired_resources`` keeps it for one run)."""
    declared = declared_notifications(ws, resolve)
    key = tuple(declared.values())
    if made is not None and (known := made.get(key)) is not None:
        return known
    essence: dict[str, JSON] = {
        event: {
            "email": n.email,
            "webhook": n.webhook,
            "webhookUrl": sensitive_digest(n.url) if n.url is not None else None,
        }
        for event, n in declared.items()
    }
    if made is not None:
        made[key] = essence
    return essence
