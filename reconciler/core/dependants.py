"""What a workspace delete takes with it: the server deletes a workspace's connections,
sources and destinations with it, so a delete in the plan says how many ("deletes 12
connections, 3 sources, 2 destinations"), for the reviewer who would not see them otherwise.

Pure: the lists are read by ``engine.dependants`` (one paginated list per kind per run, only
when the plan deletes a workspace); this module counts them onto the changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from reconciler.core.plan import Action, Change, Plan
from reconciler.core.resources import Kind

#: What goes with a deleted workspace, in the order a plan names them.
DEPENDANTS = ("connections", "sources", "destinations")


def doomed_workspaces(plan: Plan) -> list[str]:
    """Ids of the workspaces the plan deletes (blocked deletes too: a reviewer weighs them)."""
    return sorted(
        str(c.id)
        for c in plan.changes
        if c.action is Action.DELETE and c.key.kind is Kind.WORKSPACE and c.id is not None
    )


def with_dependants(plan: Plan, lists: Mapping[str, Sequence[Mapping[str, Any]]]) -> Plan:
    """``plan`` with each workspace delete counting what goes with it (``lists``: kind -> the
    objects listed, each with its ``workspaceId``)."""
    counts = {kind: Counter(str(o.get("workspaceId")) for o in lists[kind]) for kind in lists}

    def counted(change: Change) -> Change:
        if change.action is not Action.DELETE or change.key.kind is not Kind.WORKSPACE:
            return change
        found = {kind: counts[kind][str(change.id)] for kind in DEPENDANTS if kind in counts}
        return replace(change, deletes_with=found)

    return replace(plan, changes=tuple(counted(c) for c in plan.changes))


def dependants_text(deletes_with: Mapping[str, int]) -> str:
    """``deletes 12 connections, 3 sources, 2 destinations``."""
    parts = [
        f"{deletes_with[kind]:,} {kind if deletes_with[kind] != 1 else kind[:-1]}"
        for kind in DEPENDANTS
        if kind in deletes_with
    ]
    return "deletes " + ", ".join(parts)
