"""Rotation as two steps, in the plan: which live data planes are on their way out, and the
words that say what each step does.

Step one (``--rotate REGION/NAME``, or no stored credentials) is a ROTATE change: a new data
plane in the same region, its credentials delivered to the sink, the old one kept as
``retiring`` in the inventory. Step two is a DELETE with ``retire`` set: the old data plane
goes once ``flexctl verify`` saw the new credentials accepted (``verified`` in the inventory)
or ``--finish-rotation REGION/NAME`` says so. Live data planes an interrupted run created and
nobody holds credentials for (``discard``, decided by ``engine.recovery``) go the same way,
unblocked. Neither kind ever matches its key, so a name with two live data planes during a
rotation is never ambiguous.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reconciler.core.inventory import Inventory
from reconciler.core.plan import Action, Change
from reconciler.core.resources import Kind, Resource


def split_live(
    live: Sequence[Resource], inventory: Inventory, discard: Mapping[str, str]
) -> tuple[list[Resource], list[Resource]]:
    """(live objects that match keys, data planes being retired or discarded)."""
    retiring = {e.id for e in inventory.retiring()} | set(discard)
    kept = [r for r in live if r.id not in retiring or r.key.kind is not Kind.DATAPLANE]
    gone = [r for r in live if r.id in retiring and r.key.kind is Kind.DATAPLANE]
    return kept, gone


def retire_changes(
    gone: Sequence[Resource],
    inventory: Inventory,
    *,
    discard: Mapping[str, str],
    finish: frozenset[str],
) -> list[Change]:
    out = []
    for obj in gone:
        if obj.id in discard:
            blocked, note = None, discard[str(obj.id)]
        else:
            entry = inventory.get(obj.id or "")
            assert entry is not None and entry.retiring is not None
            name = obj.key.name
            ready = entry.retiring.verified or name.lower() in finish
            blocked = (
                None
                if ready
                else (
                    "waiting for `flexctl verify` to see the new credentials accepted, or "
                    f"--finish-rotation {name}"
                )
            )
            note = (
                f"second step of the rotation: the old data plane {obj.id} is deleted; "
                f"{entry.retiring.replaced_by} replaces it and holds the stored credentials; "
                "the old credentials stop working when it is deleted"
            )
        out.append(
            Change(
                action=Action.DELETE,
                key=obj.key,
                id=obj.id,
                retire=True,
                blocked=blocked,
                notes=(note,),
            )
        )
    return out


def rotate_notes(old_id: str | None) -> tuple[str, ...]:
    return (
        "first step of a rotation: a new data plane of this name is created in the same region "
        "and its credentials are delivered to the sink (an ExternalSecret or Kubernetes Secret "
        "updates in place); the old data plane"
        + (f" {old_id}" if old_id else "")
        + " is kept as retiring, so its credentials keep working until a later apply deletes "
        "it, once `flexctl verify` has seen the new credentials accepted (or with "
        "--finish-rotation); the old credentials stop working when the old data plane is "
        "deleted",
    )
