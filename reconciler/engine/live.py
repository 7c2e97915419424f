"""Read the live control plane: one list call per kind and page, never one GET per object.

Calls per refresh: 1 regions + 1 data planes (all the organisation's regions at once)
+ ceil(workspaces/100) + 1 users + 1 permissions call per managed user that exists
(the API lists another user's permissions only per user). Independent lists run concurrently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reconciler.api.client import ApiClient
from reconciler.core.live_resources import LiveSnapshot


@dataclass(frozen=True)
class Refresh:
    snapshot: LiveSnapshot
    #: E-mails named in the config that have no user yet (they arrive through SSO).
    unknown_users: tuple[str, ...]


async def fetch_live(client: ApiClient, *, organization_id: str, users: Iterable[str]) -> Refresh:
    regions = await client.list_regions(organization_id)
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

    dps, workspaces, user_list = await asyncio.gather(
        dataplanes(), client.list_workspaces(), org_users()
    )
    by_email = {str(u["email"]).lower(): u for u in user_list}
    present = [by_email[e] for e in wanted if e in by_email]
    permission_lists = await asyncio.gather(
        *(
            client.list_permissions(user_id=str(u["id"]), organization_id=organization_id)
            for u in present
        )
    )
    permissions = [p for plist in permission_lists for p in plist]
    snapshot = LiveSnapshot(
        organization_id=organization_id,
        regions=tuple(own),
        dataplanes=tuple(dps),
        workspaces=tuple(workspaces),
        users=tuple(present),
        permissions=tuple(permissions),
        managed_regions=managed,
    )
    return Refresh(snapshot=snapshot, unknown_users=tuple(e for e in wanted if e not in by_email))
