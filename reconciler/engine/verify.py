"""Verify delivered data-plane credentials: what ``flexctl verify`` checks, without printing.

For each declared data plane: its own live id (the inventory's current entry for its key, else
the single live data plane of that name; a retiring one never counts), the credentials its
sink holds (every sink kind, through ``sinks.sink_for``), that the stored id is that data
plane's own, and a token for them from ``<airbyteUrl>/api/v1/dataplanes/token``, exactly as the
chart's launcher asks. A rotation whose new credentials are accepted is recorded as verified in
the inventory (under the apply lock): the next apply deletes the old data plane.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from reconciler.config.desired import DesiredState, dataplane_key
from reconciler.config.models import DataPlane
from reconciler.core.inventory import Inventory
from reconciler.core.resources import Kind, ResourceKey
from reconciler.engine.lock import apply_lock
from reconciler.engine.session import Connection, RunContext, read_state, sinks_for
from reconciler.engine.store import InventoryStore, Journal
from reconciler.errors import FlexctlError
from reconciler.state import backend_of

OK = "ok"
#: A data plane adopted as it runs (``credentials: {adopt: existing}``): nothing to check.
NOT_HELD = "not held"


@dataclass(frozen=True)
class Verdict:
    dataplane: str
    #: ok | not held | missing credentials | wrong data plane | rejected | not created | error
    status: str
    detail: str = ""
    last_seen: str = ""
    #: The live id the credentials were checked for (ok only).
    dataplane_id: str = ""


async def live_dataplanes(conn: Connection) -> dict[str, list[str]]:
    """``region/name`` (folded) -> live data-plane ids, for the organisation's regions."""
    regions = {
        str(r["regionId"]): str(r["name"])
        for r in await conn.client.list_regions(conn.organization_id)
        if r.get("organizationId") == conn.organization_id
    }
    found: dict[str, list[str]] = {}
    for dp in await conn.client.list_dataplanes(sorted(regions)):
        key = f"{regions.get(str(dp['regionId']), '?')}/{dp['name']}".lower()
        found.setdefault(key, []).append(str(dp["dataplaneId"]))
    return found


def own_ids(key: str, live: list[str], inventory: Inventory) -> list[str]:
    """The live ids that are the declared data plane (not one being rotated away)."""
    ref = ResourceKey(Kind.DATAPLANE, key)
    current = {e.id for e in inventory.current(ref)}
    retiring = {e.id for e in inventory.by_key(ref) if e.retiring is not None}
    owned = [i for i in live if i in current]
    return owned or [i for i in live if i not in retiring]


async def check_all(conn: Connection, desired: DesiredState, ctx: RunContext) -> list[Verdict]:
    inventory, _unfinished, _revision = read_state(ctx)
    live = await live_dataplanes(conn)
    make_sink = sinks_for(desired, ctx)

    async def check(dp: DataPlane) -> Verdict:
        key = dataplane_key(dp)
        ids = own_ids(key, live.get(key.lower(), []), inventory)
        sink = make_sink(dp)
        try:
            creds = await asyncio.to_thread(sink.read)
            if len(ids) != 1:
                what = "no live data plane" if not ids else f"{len(ids)} live: {', '.join(ids)}"
                held = creds.dataplane_id if creds else "nothing"
                return Verdict(key, "not created", f"{what}; {sink.describe()} holds {held}")
            if creds is None and dp.adopts_existing:
                return Verdict(
                    key,
                    NOT_HELD,
                    "running with credentials flexctl does not hold (credentials.adopt: "
                    f"existing); `flexctl apply --rotate {key}` when you want them managed",
                )
            if creds is None:
                return Verdict(key, "missing credentials", f"nothing stored in {sink.describe()}")
            if creds.dataplane_id != ids[0]:
                return Verdict(
                    key,
                    "wrong data plane",
                    f"{sink.describe()} holds the credentials of dataplane "
                    f"{creds.dataplane_id or '(no id)'}, not of {ids[0]}",
                )
            accepted = await conn.client.dataplane_token(
                conn.dataplane_token_url,
                client_id=creds.client_id,
                client_secret=creds.client_secret,
            )
        except FlexctlError as exc:
            return Verdict(key, "error", str(exc))
        if not accepted:
            return Verdict(key, "rejected", "the control plane refused the stored credentials")
        return Verdict(key, OK, f"dataplane {ids[0]}", dataplane_id=ids[0])

    return list(await asyncio.gather(*(check(dp) for dp in desired.dataplanes)))


def record_verified(ctx: RunContext, verdicts: list[Verdict]) -> list[str]:
    """Mark rotations whose new data plane verified; one line per rotation now finishable."""
    accepted = {v.dataplane_id for v in verdicts if v.status == OK}
    inventory, _unfinished, _revision = read_state(ctx)
    waiting = [
        e
        for e in inventory.retiring()
        if e.retiring is not None and e.retiring.replaced_by in accepted and not e.retiring.verified
    ]
    if not waiting:
        return []
    backend = backend_of(ctx.state)
    with apply_lock(ctx.state, command="verify", env=ctx.env, wait=ctx.lock_timeout):
        store = InventoryStore(backend)
        current = store.load()
        Journal(backend).replay(current)
        marked = [e for v in sorted(accepted) for e in current.mark_verified(v)]
        store.save(current)
    return [
        f"rotation of dataplane {e.key.name}: the new credentials are accepted; the next apply "
        f"deletes the old data plane {e.id} (its credentials stop working then)"
        for e in sorted(marked, key=lambda e: e.key.name)
    ]
