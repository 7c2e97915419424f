"""Read the live control plane: one list call per kind and page, never one GET per object.

Calls per refresh: 1 organisations + 1 regions + 1 data planes (all the organisation's regions
at once) + ceil(workspaces/100) + 1 users + 1 permissions call per managed user that exists
(the API lists another user's permissions only per user); with groups in the config or the
inventory, ceil(groups/100) + per group 1 permissions call and ceil(members/100) member pages
(the API lists them per group only); ceil(connections/100) when a declared workspace has PII
rules or a hashing policy (one list for all of them). Independent lists run concurrently;
the workspace list may be started by the caller before the rest is known (``listing``).

Workspaces are attributed before anything may adopt, change or prune them: ``GET
/workspaces`` answers every workspace the application's user can reach, in every
organisation, and its items carry no ``organizationId``. A workspace counts as the configured
organisation's when the user belongs to that organisation only, when flexctl created or
adopted it there (its id is in the inventory), or when a permission listed for that
organisation names it. Any other workspace is kept apart (``unattributed``), and a declared
workspace whose name only such a workspace has is an error, never a guess.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reconciler.api.client import ApiClient
from reconciler.api.types import WorkspaceRead
from reconciler.core.live_resources import LiveSnapshot
from reconciler.errors import FlexctlError


class AmbiguousUserError(FlexctlError):
    """Two live users' e-mails fold to one declared e-mail."""


class AttributionError(FlexctlError):
    """A declared workspace's name matches only workspaces of unproven organisation."""


@dataclass(frozen=True)
class Refresh:
    snapshot: LiveSnapshot
    #: E-mails named in the config that have no user yet (they arrive through SSO).
    unknown_users: tuple[str, ...]
    #: Workspaces visible but not proven to be the organisation's (see the module doc).
    unattributed: tuple[Any, ...] = ()
    #: Every e-mail of the organisation's users (lower case), for "did you mean".
    org_emails: tuple[str, ...] = ()


async def fetch_live(
    client: ApiClient,
    *,
    organization_id: str,
    users: Iterable[str],
    known_ids: Iterable[str] = (),
    workspace_names: Iterable[str] = (),
    connection_workspaces: Iterable[str] = (),
    groups: bool = False,
    listing: asyncio.Future[list[WorkspaceRead]] | None = None,
) -> Refresh:
    """``known_ids``: ids the inventory holds; ``workspace_names``: the declared workspaces;
    ``connection_workspaces``: folded names of those whose connections are listed;
    ``groups``: read the organisation's groups, their members and permissions too;
    ``listing``: the workspace list, already being read (``engine.session.prepare`` sends it
    before it reads the state); cancelled here if something before it fails."""
    known_ids = list(known_ids)
    if listing is None:
        # Sent now, not after the organisations and regions: it needs neither answer (one
        # round trip less). As many as the inventory holds: a list that long is read without
        # a page past its end.
        listing = asyncio.ensure_future(client.list_workspaces(expected=len(known_ids)))
    try:
        return await _fetch(
            client,
            listing,
            organization_id=organization_id,
            users=users,
            known_ids=known_ids,
            workspace_names=workspace_names,
            connection_workspaces=connection_workspaces,
            groups=groups,
        )
    finally:
        if not listing.done():  # a call before it failed: the list is not waited for
            listing.cancel()
        await asyncio.gather(listing, return_exceptions=True)


async def _fetch(
    client: ApiClient,
    listing: asyncio.Future[list[WorkspaceRead]],
    *,
    organization_id: str,
    users: Iterable[str],
    known_ids: list[str],
    workspace_names: Iterable[str],
    connection_workspaces: Iterable[str],
    groups: bool,
) -> Refresh:
    organizations, regions = await asyncio.gather(
        client.list_organizations(), client.list_regions(organization_id)
    )
    own = [r for r in regions if r.get("organizationId") == organization_id]
    # Managed regions (US, EU...) belong to the all-zero organisation: usable, never ours.
    managed = {
        str(r["name"]): str(r["regionId"])
        for r in regions
        if r.get("organizationId") != organization_id
    }

    async def dataplanes() -> list[Any]:
        if not own:
            return []
        return list(await client.list_dataplanes([str(r["regionId"]) for r in own]))

    wanted = sorted({u.lower() for u in users})

    async def org_users() -> list[Any]:
        if not wanted:
            return []
        return list(await client.list_users(organization_id))

    async def org_groups() -> list[Any]:
        return list(await client.list_groups(organization_id)) if groups else []

    dps, workspaces, user_list, group_list = await asyncio.gather(
        dataplanes(), listing, org_users(), org_groups()
    )
    members, group_permissions = await _group_contents(client, group_list)
    by_email = _users_by_email(user_list, wanted, organization_id=organization_id)
    present = [by_email[e] for e in wanted if e in by_email]
    permission_lists = await asyncio.gather(
        *(
            client.list_permissions(user_id=str(u["id"]), organization_id=organization_id)
            for u in present
        )
    )
    permissions = [p for plist in permission_lists for p in plist]
    others = [o for o in organizations if o.get("organizationId") != organization_id]
    ours, foreign = list(workspaces), []
    if others or len(organizations) != 1:
        proven = set(known_ids) | {
            str(p["scopeId"]) for p in permissions if p.get("scope") == "workspace"
        }
        ours = [w for w in workspaces if w["workspaceId"] in proven]
        foreign = [w for w in workspaces if w["workspaceId"] not in proven]
        _refuse_unproven(
            foreign, ours, workspace_names, organization_id=organization_id, orgs=organizations
        )
    wanted_ws = set(connection_workspaces)
    connections = await _connections(
        client, [str(w["workspaceId"]) for w in ours if str(w["name"]).casefold() in wanted_ws]
    )
    snapshot = LiveSnapshot(
        organization_id=organization_id,
        regions=tuple(own),
        dataplanes=tuple(dps),
        workspaces=tuple(ours),
        users=tuple(present),
        permissions=tuple(permissions),
        connections=tuple(connections),
        managed_regions=managed,
        groups=tuple(group_list),
        group_members=tuple(members),
        group_permissions=tuple(group_permissions),
    )
    return Refresh(
        snapshot=snapshot,
        unknown_users=tuple(e for e in wanted if e not in by_email),
        unattributed=tuple(foreign),
        org_emails=tuple(sorted(by_email)),
    )


#: Up to this many workspaces are named in the list's ``workspaceIds`` filter; more would make
#: a long URL, so every readable connection is listed (the same pages) and filtered here.
MAX_WORKSPACE_FILTER = 50


async def _connections(client: ApiClient, workspace_ids: list[str]) -> list[Any]:
    """One paginated list of the connections of ``workspace_ids``, never a GET per connection."""
    if not workspace_ids:
        return []
    if len(workspace_ids) <= MAX_WORKSPACE_FILTER:
        return list(await client.list_connections(sorted(workspace_ids)))
    wanted = set(workspace_ids)
    return [c for c in await client.list_connections() if c["workspaceId"] in wanted]


async def _group_contents(client: ApiClient, group_list: list[Any]) -> tuple[list[Any], list[Any]]:
    """Every group's members and permissions (the API lists them per group only)."""
    ids = [str(g["groupId"]) for g in group_list]
    member_lists, permission_lists = await asyncio.gather(
        asyncio.gather(*(client.list_group_members(i) for i in ids)),
        asyncio.gather(*(client.list_group_permissions(i) for i in ids)),
    )
    members = [m for page in member_lists for m in page]
    permissions = [p for page in permission_lists for p in page]
    return members, permissions


def _users_by_email(
    user_list: list[Any], wanted: Iterable[str], *, organization_id: str
) -> dict[str, Any]:
    """The organisation's users by lower-cased e-mail.

    flexctl folds the case of declared e-mails; the server stores and matches them exactly
    (``GET /users?emails=`` is case-sensitive). Two live users whose e-mails differ only in
    case are therefore two accounts one declared e-mail could mean: refused, naming both ids,
    when a declared e-mail is one of them (never guessed)."""
    groups: dict[str, list[Any]] = {}
    for user in user_list:
        groups.setdefault(str(user["email"]).lower(), []).append(user)
    ambiguous = sorted(e for e in set(wanted) if len(groups.get(e, ())) > 1)
    if ambiguous:
        found = "; ".join(
            f"{email!r} matches "
            + " and ".join(f"{str(u['email'])!r} (user {u['id']})" for u in groups[email])
            for email in ambiguous
        )
        raise AmbiguousUserError(
            f"GET /users?organizationId={organization_id}: {found}. Airbyte compares e-mails "
            "exactly and flexctl compares them without case, so it cannot tell which account "
            "the config means. Remove or rename the account that should not be there (in "
            "Airbyte, Settings -> Members), then run again; nothing was changed"
        )
    return {email: users[0] for email, users in groups.items()}


def _refuse_unproven(
    foreign: list[Any],
    ours: list[Any],
    names: Iterable[str],
    *,
    organization_id: str,
    orgs: list[Any],
) -> None:
    attributed = {str(w["name"]).casefold() for w in ours}
    declared = {n.casefold(): n for n in names}
    clashes = sorted(
        (declared[str(w["name"]).casefold()], str(w["workspaceId"]))
        for w in foreign
        if str(w["name"]).casefold() in declared and str(w["name"]).casefold() not in attributed
    )
    if not clashes:
        return
    listed = ", ".join(
        f"{o.get('organizationName', '?')} ({o.get('organizationId', '?')})" for o in orgs
    )
    found = "; ".join(f"workspace '{name}' is live as {ws_id}" for name, ws_id in clashes)
    raise AttributionError(
        f"{found}, but GET /workspaces lists every organisation's workspaces without saying "
        f"whose they are, and the application's user belongs to {len(orgs)} organisation(s): "
        f"{listed}. Nothing proves these are organisation {organization_id}'s (flexctl did not "
        "create or adopt them there), so flexctl will not adopt, change or prune them. Use an "
        f"application whose user belongs to organisation {organization_id} only, or rename "
        "the declared workspace"
    )
