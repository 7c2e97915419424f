"""SCIM-managed groups in a plan: what flexctl leaves to the identity provider, and says so.

A group declared ``scim: true`` is made, named and filled by the identity provider; flexctl
manages its roles only. When it does not exist yet, its roles wait (nothing to attach them
to): dropped from the desired resources with a plan warning, like a grant to a user who has
not signed in. When it exists, the plan says that its membership is not flexctl's. Pure.
"""

from __future__ import annotations

from dataclasses import replace

from reconciler.config.models import fold_name
from reconciler.core.desired_resources import DesiredResources
from reconciler.core.live_resources import LiveSnapshot
from reconciler.core.resources import Kind

GROUP_KINDS = frozenset({Kind.GROUP, Kind.GROUP_MEMBER, Kind.GROUP_PERMISSION})


def settle_scim_groups(
    wanted: DesiredResources, snapshot: LiveSnapshot
) -> tuple[DesiredResources, list[str]]:
    """``wanted`` without the roles of SCIM groups that do not exist yet, and one line per
    declared SCIM group for the plan."""
    if not wanted.scim_groups:
        return wanted, []
    live = {fold_name(str(g["name"])): str(g["groupId"]) for g in snapshot.groups}
    counts: dict[str, int] = {}
    for member in snapshot.group_members:
        counts[str(member["groupId"])] = counts.get(str(member["groupId"]), 0) + 1
    notes: list[str] = []
    kept = []
    for res in wanted.resources:
        group = fold_name(str(res.essence.get("group", "")))
        waits = res.key.kind is Kind.GROUP_PERMISSION and group in wanted.scim_groups
        if waits and group not in live:
            continue
        kept.append(res)
    names = {
        fold_name(str(r.essence["group"])): str(r.essence["group"])
        for r in wanted.resources
        if r.key.kind is Kind.GROUP_PERMISSION
    }
    for group in sorted(wanted.scim_groups):
        name = names.get(group, group)
        if group not in live:
            notes.append(
                f"group {name} is managed by SCIM and does not exist yet: its roles wait until "
                "the identity provider creates it"
            )
            continue
        members = counts.get(live[group], 0)
        notes.append(
            f"group {name} is managed by SCIM: flexctl manages its roles, never its membership "
            f"({members} member{'' if members == 1 else 's'}, from the identity provider)"
        )
    return replace(wanted, resources=tuple(kept)), notes
