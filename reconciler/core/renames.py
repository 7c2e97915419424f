"""Renames: a desired region, data plane or workspace whose ``previousNames`` names a live
object is that object, renamed in place (a PATCH of the name, the id kept), never a delete and
a create. A deleted workspace takes its connections, sources and destinations with it; a
deleted data plane takes its credentials (the cluster would need a new Secret); a deleted
region takes its data planes.

Before matching, the live objects are re-keyed under their new names, so identity, drift and
prune see one object whose name field changes: regions first (their data planes move under the
new region name, keeping the old one in their essence so the plan shows the data plane's
region changing: its sink path and rendered folder move with it; their workspaces' region is
read back under the new name, so that is no change), then data planes (``REGION/NAME``
previous names, the region read through the region renames), then workspaces and the
permissions on them. Where several live objects answer to the previous names, the inventory's
decides; without it, nothing is guessed (the ambiguity surfaces in ``diff.match``).

The API cannot move a data plane to another region (``regionId`` is not patchable): a previous
name in another region is a *move*, planned as a create and a delete, and said so.

Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from reconciler.config.models import fold_name
from reconciler.core.inventory import Inventory
from reconciler.core.plan import Action, Change
from reconciler.core.resources import (
    Kind,
    Resource,
    ResourceKey,
    dataplane_key,
    group_permission_key,
    permission_key,
    region_key,
)


@dataclass(frozen=True)
class Renames:
    #: Live id -> its new (declared) key name, for every kind renamed in place.
    by_id: Mapping[str, str] = field(default_factory=dict)
    #: Declared data-plane key -> the live data plane in another region it replaces
    #: (``previousNames``): no rename possible, so a create and a delete.
    moves: Mapping[str, Resource] = field(default_factory=dict)
    #: Live data-plane id -> its key before: every data plane named anew (its own rename or
    #: its region's), whose credentials' sink may move.
    renamed_planes: Mapping[str, str] = field(default_factory=dict)

    def __contains__(self, object_id: object) -> bool:
        return object_id in self.by_id


def follow_renames(
    desired: Sequence[Resource], live: Sequence[Resource], inventory: Inventory
) -> tuple[Renames, tuple[Resource, ...]]:
    """The renames ``desired`` asks for, and ``live`` as it will be named once applied."""
    if not any(want.previous_names for want in desired):
        return Renames(), tuple(live)  # no previous name declared: nothing is renamed
    before = {r.id: r.key.name for r in _kind(live, Kind.DATAPLANE) if r.id is not None}
    regions = _pick(Kind.REGION, desired, live, inventory, _previous)
    live = _rekey_regions(live, regions)
    # A region's previous names name that region: ``aws-us/east-a`` of a data plane in
    # ``aws-us-east`` (previously ``aws-us``) is in its own region, renamed or not yet.
    old_region = {
        fold_name(old): want.key.name
        for want in _kind(desired, Kind.REGION)
        for old in want.previous_names
    }

    def region_of(previous: str) -> str:
        region, _, name = previous.partition("/")
        return fold_name(f"{old_region.get(fold_name(region), region)}/{name}")

    def same_region(want: Resource) -> set[str]:
        here = fold_name(want.key.name.split("/", 1)[0])
        return {p for p in map(region_of, want.previous_names) if p.split("/", 1)[0] == here}

    planes = _pick(Kind.DATAPLANE, desired, live, inventory, same_region)
    moves = _moves(desired, live, region_of, planes)
    live = tuple(
        dataclasses.replace(r, key=ResourceKey(Kind.DATAPLANE, planes[r.id]))
        if r.id in planes
        else r
        for r in live
    )
    workspaces = _pick(Kind.WORKSPACE, desired, live, inventory, _previous)
    live = _rekey_workspaces(live, workspaces)
    renamed_planes = {
        r.id: before[r.id]
        for r in _kind(live, Kind.DATAPLANE)
        if r.id is not None and before.get(r.id, r.key.name) != r.key.name
    }
    renames = Renames(
        by_id={**regions, **planes, **workspaces}, moves=moves, renamed_planes=renamed_planes
    )
    return renames, live


def _kind(resources: Sequence[Resource], kind: Kind) -> list[Resource]:
    return [r for r in resources if r.key.kind is kind]


def _previous(want: Resource) -> set[str]:
    return {fold_name(n) for n in want.previous_names}


def _pick(
    kind: Kind,
    desired: Sequence[Resource],
    live: Sequence[Resource],
    inventory: Inventory,
    old_names: Callable[[Resource], set[str]],
) -> dict[str, str]:
    """Live id -> new key name, for the desired objects of ``kind`` that rename one."""
    live_of_kind = _kind(live, kind)
    names = {fold_name(r.key.name) for r in live_of_kind}
    out: dict[str, str] = {}
    for want in _kind(desired, kind):
        if not want.previous_names or fold_name(want.key.name) in names:
            continue  # no previous names, or the new name is live already: nothing to rename
        old = old_names(want)
        candidates = [r for r in live_of_kind if fold_name(r.key.name) in old and r.id not in out]
        owned = [r for r in candidates if inventory.get(r.id or "") is not None]
        pool = owned or candidates
        if len(pool) == 1 and pool[0].id is not None:
            out[pool[0].id] = want.key.name
    return out


def _moves(
    desired: Sequence[Resource],
    live: Sequence[Resource],
    region_of: Callable[[str], str],
    planes: Mapping[str, str],
) -> dict[str, Resource]:
    live_planes = {
        fold_name(r.key.name): r for r in _kind(live, Kind.DATAPLANE) if r.id not in planes
    }
    renamed = set(planes.values())
    out: dict[str, Resource] = {}
    for want in _kind(desired, Kind.DATAPLANE):
        if want.key.name in renamed or fold_name(want.key.name) in live_planes:
            continue
        here = fold_name(want.key.name.split("/", 1)[0])
        for previous in map(region_of, want.previous_names):
            found = live_planes.get(previous)
            if found is not None and previous.split("/", 1)[0] != here:
                out[want.key.name] = found
                break
    return out


def _new_by_old(live: Sequence[Resource], moved: Mapping[str, str]) -> dict[str, str]:
    """Old (live) name, lower-cased -> new name, of the renamed objects."""
    return {fold_name(r.key.name): moved[r.id] for r in live if r.id is not None and r.id in moved}


def _rekey_regions(live: Sequence[Resource], moved: Mapping[str, str]) -> tuple[Resource, ...]:
    if not moved:
        return tuple(live)
    new_by_old = _new_by_old(live, moved)
    out: list[Resource] = []
    for r in live:
        if (renamed := moved.get(r.id or "")) is not None:
            out.append(dataclasses.replace(r, key=region_key(renamed)))
        elif r.key.kind is Kind.DATAPLANE:
            region, _, name = r.key.name.partition("/")
            new = new_by_old.get(fold_name(region))
            # The essence keeps the old region: the plan shows the data plane's region change
            # (its credentials' sink path and rendered folder move with it).
            out.append(r if new is None else dataclasses.replace(r, key=dataplane_key(new, name)))
        elif r.key.kind is Kind.WORKSPACE and str(r.essence.get("region")) in new_by_old:
            # Read back as dataResidency, the region's name: the new name once renamed.
            region = new_by_old[str(r.essence["region"])].lower()
            out.append(dataclasses.replace(r, essence={**r.essence, "region": region}))
        else:
            out.append(r)
    return tuple(out)


def _rekey_workspaces(live: Sequence[Resource], moved: Mapping[str, str]) -> tuple[Resource, ...]:
    """Essences unchanged for the workspace itself, so its name shows as the field that
    changes; the permissions on it are named under the new name (nothing to change there)."""
    if not moved:
        return tuple(live)
    new_by_old = _new_by_old(live, moved)
    out: list[Resource] = []
    for r in live:
        workspace = fold_name(str(r.essence.get("workspace") or ""))
        if (renamed := moved.get(r.id or "")) is not None:
            out.append(dataclasses.replace(r, key=ResourceKey(Kind.WORKSPACE, renamed)))
        elif r.key.kind in _ON_WORKSPACE and workspace in new_by_old:
            new = new_by_old[workspace]
            essence = {**r.essence, "workspace": new}
            out.append(dataclasses.replace(r, key=_scoped_key(essence), essence=essence))
        else:
            out.append(r)
    return tuple(out)


#: What lives on a workspace and is named after it: a user's and a group's roles.
_ON_WORKSPACE = (Kind.PERMISSION, Kind.GROUP_PERMISSION)


def _scoped_key(essence: Mapping[str, object]) -> ResourceKey:
    workspace = str(essence["workspace"])
    if "group" in essence:
        return group_permission_key(str(essence["group"]), workspace=workspace)
    return permission_key(email=str(essence["user"]), workspace=workspace)


_KEPT = {
    Kind.REGION: "the id and its data planes are kept",
    Kind.DATAPLANE: "the id and its credentials are kept",
    Kind.WORKSPACE: "the id, its permissions, connections, sources and destinations are kept",
}


def rename_notes(
    changes: Sequence[Change], renames: Renames, credential_moves: Mapping[str, str]
) -> list[Change]:
    """What each rename keeps, where credentials move, and what a move to another region
    costs instead (the API cannot do it), on the changes it concerns."""
    moved_from = {r.id: key for key, r in renames.moves.items()}
    out: list[Change] = []
    for change in changes:
        notes: list[str] = []
        if change.action is Action.UPDATE and change.id in renames.by_id:
            kept = _KEPT.get(change.key.kind, "the id is kept")
            notes.append(f"renamed in place (PATCH of the name): {kept}")
        elif change.action is Action.UPDATE and change.id in renames.renamed_planes:
            notes.append(
                "its region is renamed: the data plane keeps its id and credentials (nothing "
                "is sent for it)"
            )
        if change.action is Action.UPDATE and change.key.name in credential_moves:
            notes.append(f"its credentials move {credential_moves[change.key.name]}")
        old = renames.moves.get(change.key.name)
        if change.action is Action.CREATE and old is not None:
            notes.append(
                f"previously {old.key.name} (previousNames), in another region: the API cannot "
                "move a data plane to another region, so this is a new data plane with new "
                "credentials; the cluster must get the new Secret (re-render and roll out the "
                f"release), and {old.key.name} is deleted (with --prune)"
            )
        new = moved_from.get(change.id or "")
        if change.action is Action.DELETE and new is not None:
            notes.append(
                f"replaced by {new} (previousNames; a data plane cannot change region): the "
                "cluster running with its credentials stops syncing once it is deleted"
            )
        out.append(replace(change, notes=(*change.notes, *notes)) if notes else change)
    return out


def follow_in_inventory(inventory: Inventory, kind: Kind, old: str, new: str) -> None:
    """After ``kind`` ``old`` was renamed to ``new``: the entries that name it follow (a
    workspace's permissions; a region's workspaces, read back under the region's new name)."""
    folded = fold_name(old)
    for entry in list(inventory):
        last = dict(entry.last_applied or {})
        if kind is Kind.WORKSPACE and entry.key.kind in _ON_WORKSPACE:
            if fold_name(str(last.get("workspace") or "")) != folded:
                continue
            essence = {**last, "workspace": new}
            key = _scoped_key(essence)
        elif kind is Kind.REGION and entry.key.kind is Kind.WORKSPACE:
            if fold_name(str(last.get("region") or "")) != folded:
                continue
            key, essence = entry.key, {**last, "region": new.lower()}
        else:
            continue
        inventory.record(key, entry.id, essence=essence, not_applied=entry.not_applied)
