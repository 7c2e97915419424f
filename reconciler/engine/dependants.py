"""Reading what a workspace delete takes with it (``core.dependants``): one paginated list
per kind (connections, sources, destinations) per run, filtered to the workspaces the plan
deletes, and only when it deletes one. Nothing is fetched per workspace.
"""

from __future__ import annotations

import asyncio

from reconciler.api.client import ApiClient
from reconciler.core.dependants import doomed_workspaces, with_dependants
from reconciler.core.plan import Plan


async def count_dependants(client: ApiClient, plan: Plan) -> Plan:
    """``plan`` with its workspace deletes' connections, sources and destinations counted."""
    doomed = doomed_workspaces(plan)
    if not doomed:
        return plan
    connections, sources, destinations = await asyncio.gather(
        client.list_connections(doomed),
        client.list_sources(doomed),
        client.list_destinations(doomed),
    )
    lists = {"connections": connections, "sources": sources, "destinations": destinations}
    return with_dependants(plan, lists)
