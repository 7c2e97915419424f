"""Renames: a desired workspace whose ``previousNames`` names a live workspace is that
workspace, renamed in place (a PATCH of the name), never a delete and a create, which would
take its connections, sources and destinations with it.

Before matching, the live workspace and the permissions on it are re-keyed under the new
name, so identity, drift and prune see one object whose name field changes. Where several
live workspaces answer to the previous names, the inventory's decides; without it, nothing is
guessed (the ambiguity surfaces in ``diff.match``). Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from reconciler.core.inventory import Inventory
from reconciler.core.resources import Kind, Resource, permission_key, workspace_key


def renames(
    desired: Sequence[Resource], live: Sequence[Resource], inventory: Inventory
) -> dict[str, str]:
    """Live workspace id -> its new (declared) name."""
    live_ws = [r for r in live if r.key.kind is Kind.WORKSPACE]
    names = {r.key.name.lower() for r in live_ws}
    out: dict[str, str] = {}
    for want in desired:
        if want.key.kind is not Kind.WORKSPACE or not want.previous_names:
            continue
        if want.key.name.lower() in names:
            continue  # the new name is live already: nothing to rename
        old = {n.lower() for n in want.previous_names}
        candidates = [r for r in live_ws if r.key.name.lower() in old and r.id not in out]
        owned = [r for r in candidates if inventory.get(r.id or "") is not None]
        pool = owned or candidates
        if len(pool) == 1 and pool[0].id is not None:
            out[pool[0].id] = want.key.name
    return out


def rekey(live: Sequence[Resource], moved: dict[str, str]) -> tuple[Resource, ...]:
    """Live resources as they will be named once the renames are applied (essences unchanged
    for the workspace itself, so its name shows as the field that changes)."""
    if not moved:
        return tuple(live)
    new_by_old = {r.key.name.lower(): moved[r.id] for r in live if r.id in moved}
    out: list[Resource] = []
    for r in live:
        if r.id in moved:
            out.append(dataclasses.replace(r, key=workspace_key(moved[r.id])))
        elif r.key.kind is Kind.PERMISSION and str(r.essence.get("workspace") or "").lower() in (
            new_by_old
        ):
            new = new_by_old[str(r.essence["workspace"]).lower()]
            essence = {**r.essence, "workspace": new}
            key = permission_key(email=str(r.essence["user"]), workspace=new)
            out.append(dataclasses.replace(r, key=key, essence=essence))
        else:
            out.append(r)
    return tuple(out)
