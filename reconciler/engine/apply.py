"""Apply a prepared plan: guards, lock, executor, adoption, inventory checkpoint, journal.

``apply_prepared`` is what ``flexctl apply``, ``apply plan.json`` and the reconcile loop's
heal mode call. It refuses (RefusedError) before touching anything when a safety rail
says no, and returns the outcomes of every change it attempted.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from reconciler.config.desired import DesiredState
from reconciler.core import policy
from reconciler.core.dependants import dependants_text
from reconciler.core.diff import match
from reconciler.core.plan import Change, Plan
from reconciler.engine.audit import AuditLog, current_actor
from reconciler.engine.executor import Executor, Hook, Outcome
from reconciler.engine.lock import apply_lock
from reconciler.engine.session import Connection, Prepared, RunContext, sinks_for
from reconciler.engine.store import InventoryStore, Journal
from reconciler.errors import RefusedError, StateError
from reconciler.state import backend_of


@dataclass(frozen=True)
class ApplyResult:
    outcomes: tuple[Outcome, ...]
    adopted: int
    lock_note: str | None = None

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)


def refusals(prepared: Prepared, conn: Connection, *, max_deletes: int) -> list[str]:
    """The guards' refusals, and the residency audit's errors (``residency.enforce``)."""
    return [
        r.reason
        for r in policy.check(
            prepared.plan,
            live=prepared.live,
            managed_ids=[e.id for e in prepared.inventory],
            max_deletes=max_deletes,
            own_user_email=conn.own_user_email,
        )
    ] + [str(f["message"]) for f in prepared.plan.findings if f.get("severity") == "error"]


def check_saved_plan(saved: Plan, fresh: Plan) -> None:
    """A saved plan applies only to the config and live state it was made from."""
    problems = []
    if saved.config_digest != fresh.config_digest:
        problems.append(
            "the config changed since the plan was made "
            f"(digest {saved.config_digest[:12]} → {fresh.config_digest[:12]})"
        )
    if saved.live_digest != fresh.live_digest:
        problems.append("the live state changed since the plan was made")
    if not problems and _dependants(saved) != _dependants(fresh):
        problems.append(
            "what goes with a deleted workspace changed since the plan was made "
            f"({_dependants(saved)} → {_dependants(fresh)})"
        )
    if not problems and _changes(saved) != _changes(fresh):
        # Same config and live state, yet other changes: the options are the plan's own
        # (cli.saved), so the state directory it was planned against (inventory, protections,
        # rotations) differs. What would be applied is not what was reviewed.
        problems.append(
            "apply would make changes the saved plan does not show (is this the state "
            "directory the plan was made with?)"
        )
    if saved.target and _where(saved.target) != _where(fresh.target):
        problems.append(
            f"the plan was made against {_where(saved.target)}, this run talks to "
            f"{_where(fresh.target)}"
        )
    commit = saved.source.get("sha")
    if commit and fresh.source.get("sha") and commit != fresh.source.get("sha"):
        problems.append(
            f"the plan was made for commit {commit[:12]}, not {fresh.source['sha'][:12]}"
        )
    if problems:
        raise RefusedError(
            "refusing the saved plan: " + "; ".join(problems) + ". Make a new plan and review it."
        )


def _where(target: Mapping[str, str]) -> str:
    """A control plane's identity, without the state directory's spelling (relative paths)."""
    if target.get("controlPlane") == "embedded":
        return f"the embedded control plane (organization {target.get('organizationId')})"
    return f"{target.get('url')} (organization {target.get('organizationId')})"


def _refuse_if_state_moved(prepared: Prepared, store: InventoryStore, journal: Journal) -> None:
    """The plan was made outside the lock: if another apply ran meanwhile (from this machine
    or any other sharing the backend), the plan is stale (it would create again what that
    apply created, and names are not unique)."""
    current = store.load()
    journal.replay(current)
    revision = f"{store.revision}/{journal.revision}"
    moved = (
        revision != prepared.state_revision
        if prepared.state_revision is not None
        else current.as_json() != prepared.inventory.as_json()
    )
    if moved:
        where = f" (state {store.backend.url})" if store.backend.shared else ""
        raise RefusedError(
            "another apply changed the state directory since this plan was made; make a new plan"
            + where
        )


def _changes(plan: Plan) -> str:
    """The changes as saved JSON holds them (a saved plan went through JSON once), without
    what goes with a workspace delete (compared on its own, ``_dependants``)."""
    return json.dumps(
        [replace(c, deletes_with=None).as_json() for c in plan.changes], sort_keys=True
    )


def _dependants(plan: Plan) -> str:
    """``workspace NAME: deletes ...`` per counted workspace delete."""
    return "; ".join(
        f"{c.key}: {dependants_text(c.deletes_with)}"
        for c in plan.changes
        if c.deletes_with is not None
    )


async def apply_prepared(
    conn: Connection,
    desired: DesiredState,
    prepared: Prepared,
    ctx: RunContext,
    *,
    max_deletes: int,
    progress: Callable[[Change, str], None] | None = None,
    hook: Hook | None = None,
) -> ApplyResult:
    refused = refusals(prepared, conn, max_deletes=max_deletes)
    if refused:
        raise RefusedError("apply refused:\n  " + "\n  ".join(refused))
    inventory = prepared.inventory
    backend = backend_of(ctx.state)
    store, journal = InventoryStore(backend), Journal(backend)
    with apply_lock(ctx.state, command="apply", env=ctx.env, wait=ctx.lock_timeout) as note:
        _refuse_if_state_moved(prepared, store, journal)
        adopted = 0
        # Adoption: live objects matching declared ones join the inventory, unchanged.
        for m in match(prepared.desired_resources.resources, prepared.live, inventory):
            if m.desired is not None and m.live is not None and m.live.id is not None:
                if inventory.get(m.live.id) is None:
                    adopted += 1
                    inventory.record(
                        m.desired.key, m.live.id, essence=m.live.essence, protect=m.desired.protect
                    )
                elif m.desired.protect:
                    entry = inventory.get(m.live.id)
                    inventory.record(
                        m.desired.key,
                        m.live.id,
                        essence=entry.last_applied if entry else None,
                        protect=True,
                    )
        audit = AuditLog(
            backend,
            actor=current_actor(ctx.env),
            config_digest=desired.digest,
            source=ctx.source,
        )
        executor = Executor(
            client=conn.client,
            desired=desired,
            snapshot=prepared.snapshot,
            inventory=inventory,
            journal=journal,
            audit=audit,
            sink_for=sinks_for(desired, ctx),
            resolve=ctx.resolver(),
            progress=progress,
            stop=ctx.stop,
            checkpoint=lambda: store.save(inventory),
            hook=hook,
        )
        try:
            outcomes = await executor.run(prepared.plan)
        except BaseException:
            # What the failed run did is audited all the same; its own error is the one raised.
            with contextlib.suppress(StateError):
                audit.flush()
            raise
        store.save(inventory)
        if all(o.ok for o in outcomes):
            journal.clear()
        audit.flush()  # after the inventory and the journal: an audit failure loses no state
    return ApplyResult(outcomes=tuple(outcomes), adopted=adopted, lock_note=note)
