"""Recovery of data-plane creates and rotations a killed run left unfinished, and of names
with more than one live data plane.

The journal's begin record of a data plane holds the intent, on disk before the create was
sent: the live ids of that name before it (``known``) and, for a rotation, the old id
(``retires``). A live data plane of that name that is neither known nor in the inventory was
made by the interrupted run. Its credentials were shown once, to that run:

- the sink holds its id: it was delivered; it is adopted (and, for a rotation, the old one is
  marked retiring, replaced by it);
- otherwise nobody holds its credentials: it is discarded (deleted by the plan, sink
  untouched) and, for a rotation, the rotation is planned again.

Only what the journal proves this tool created is ever discarded. When the sink cannot be
read the run stops, naming the ids, before changing anything. A name with several live data
planes in the inventory (an older flexctl's half-done rotation) keeps the one the sink holds
and retires the others; when the sink holds none of them the run stops naming every id and
what the sink holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from reconciler.config.desired import DesiredState, dataplane_key
from reconciler.config.models import DataPlane
from reconciler.core.inventory import Inventory
from reconciler.core.resources import Kind, Resource, ResourceKey
from reconciler.engine.store import JournalRecord
from reconciler.errors import RefusedError, SinkError

#: Reads what a data plane's sink holds: (its description, the stored data-plane id or None).
ReadSink = Callable[[DataPlane], tuple[str, str | None]]

DISCARD_NOTE = (
    "made by an interrupted apply and never delivered: nobody holds its credentials, so it is "
    "deleted (the sink keeps what it holds)"
)


@dataclass
class Recovery:
    discard: dict[str, str] = field(default_factory=dict)
    #: Data-plane keys whose interrupted rotation is planned again.
    rotate: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)


def recover(
    desired: DesiredState,
    intents: Mapping[ResourceKey, JournalRecord],
    live: tuple[Resource, ...],
    inventory: Inventory,
    read_sink: ReadSink,
) -> Recovery:
    """Decide, adopt into ``inventory`` (in memory) and say what to discard and rotate."""
    out = Recovery()
    by_key: dict[str, list[Resource]] = {}
    for obj in live:
        if obj.key.kind is Kind.DATAPLANE:
            by_key.setdefault(obj.key.name.lower(), []).append(obj)
    live_ids = {r.id for r in live}
    for entry in inventory.retiring():
        if entry.id not in live_ids:
            inventory.forget(entry.id)  # the second step's delete went through
    docs = {dataplane_key(dp).lower(): dp for dp in desired.dataplanes}
    for key, intent in sorted(intents.items(), key=lambda kv: kv[0].sort_key()):
        doc = docs.get(key.name.lower())
        if key.kind is not Kind.DATAPLANE or doc is None:
            continue
        candidates = by_key.get(key.name.lower(), [])
        appeared = [
            r for r in candidates if r.id not in intent.known and inventory.get(r.id or "") is None
        ]
        old = inventory.get(intent.retires) if intent.retires is not None else None
        # A rotation that never delivered: its old data plane is live and not yet retiring.
        unfinished_rotation = old is not None and old.retiring is None and old.id in live_ids
        if not appeared:
            if unfinished_rotation:
                out.rotate.add(dataplane_key(doc))
            continue
        where, held = _read(read_sink, doc, [str(r.id) for r in appeared])
        for obj in appeared:
            if held is not None and obj.id == held:
                inventory.record(key, held, essence=obj.essence, protect=doc.protect)
                if intent.retires is not None:
                    inventory.retire(intent.retires, replaced_by=held)
                out.warnings.append(
                    f"dataplane {key.name}: {held}, made and delivered by an interrupted apply "
                    f"({where} holds it), is adopted"
                )
            else:
                out.discard[str(obj.id)] = DISCARD_NOTE
        if held not in {r.id for r in appeared} and unfinished_rotation:
            out.rotate.add(dataplane_key(doc))
    _settle_duplicates(docs, by_key, inventory, read_sink, out)
    return out


def _settle_duplicates(
    docs: Mapping[str, DataPlane],
    by_key: Mapping[str, list[Resource]],
    inventory: Inventory,
    read_sink: ReadSink,
    out: Recovery,
) -> None:
    for folded, doc in sorted(docs.items()):
        key = ResourceKey(Kind.DATAPLANE, dataplane_key(doc))
        current = {e.id for e in inventory.current(key)}
        owned = [
            str(r.id) for r in by_key.get(folded, []) if r.id in current and r.id not in out.discard
        ]
        if len(owned) < 2:
            continue
        where, held = _read(read_sink, doc, owned)
        if held not in owned:
            raise RefusedError(
                f"dataplane {key.name} has {len(owned)} live data planes ({', '.join(owned)}) and "
                f"{where} holds {held or 'no credentials'}: flexctl cannot tell which one the "
                "cluster uses; delete the ones no cluster uses in Airbyte, then run again"
            )
        for other in owned:
            if other != held:
                inventory.retire(other, replaced_by=held)
                out.warnings.append(
                    f"dataplane {key.name}: {where} holds {held}; {other} is retiring"
                )


def _read(read_sink: ReadSink, doc: DataPlane, ids: list[str]) -> tuple[str, str | None]:
    try:
        return read_sink(doc)
    except SinkError as exc:
        raise RefusedError(
            f"dataplane {dataplane_key(doc)}: live data planes {', '.join(ids)} need a decision "
            f"and the sink cannot be read ({exc}); nothing was changed: fix the sink, run again"
        ) from exc
