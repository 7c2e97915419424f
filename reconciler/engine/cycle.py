"""One reconcile cycle for ``flexctl reconcile``: load a commit, plan, and report or heal.

``build_cycle(args, mode)`` returns the function the loop (``gitops.loop``) calls with each
fetched commit. In ``report`` mode nothing is changed; in ``heal`` mode the plan is applied
with deletes as the organisation's prune policy allows (the scheduled job's ``--prune`` is
implicit; the policy is the gate). ``args.stop`` (set by SIGTERM) is honoured between
apply phases: the change in flight finishes, nothing new starts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from reconciler.config.desired import DesiredState
from reconciler.config.loader import load_sources
from reconciler.config.parsecache import cache_from_env
from reconciler.config.sources import SourceFile
from reconciler.core.plan import Change, Plan
from reconciler.engine.apply import apply_prepared
from reconciler.engine.executor import Outcome
from reconciler.engine.session import Connection, RunContext, connect, prepare
from reconciler.errors import FlexctlError, RefusedError
from reconciler.gitops.hydrate import hydrate_desired, make_target
from reconciler.gitops.objects import ObjectLists, ObjectReport
from reconciler.gitops.outcome import CycleResult
from reconciler.gitops.repo import CommitInfo
from reconciler.render.preflight import preflight
from reconciler.state import StateBackend, open_backend, select_state_url
from reconciler.statedir import StateDir

#: Deletes one heal cycle may make; more is refused and reported, never done silently.
HEAL_MAX_DELETES = 5

CycleFunction = Callable[[CommitInfo, list[SourceFile]], CycleResult]


def build_cycle(args: argparse.Namespace, mode: str) -> CycleFunction:
    state = StateDir(Path(args.state_dir)).ensure()
    stop: threading.Event = getattr(args, "stop", None) or threading.Event()
    max_deletes = int(getattr(args, "max_deletes", HEAL_MAX_DELETES) or HEAL_MAX_DELETES)

    backends: dict[str, StateBackend] = {}
    target = make_target(
        getattr(args, "to_git", None),
        getattr(args, "branch", None),
        str(getattr(args, "to_git_path", "") or ""),
    )

    def cycle(commit: CommitInfo, files: list[SourceFile]) -> CycleResult:
        origin = f"{commit.short_sha}:{getattr(args, 'path', '') or '.'}"
        desired = load_sources(files, origin=origin, cache=cache_from_env(os.environ))
        # What render would refuse fails the cycle before anything is contacted, as in apply.
        preflight(desired, manifests=mode == "heal")
        configured = desired.organization.state
        url = select_state_url(
            flag=getattr(args, "state", None),
            env=os.environ,
            configured=configured.url if configured else None,
        )
        if str(url) not in backends:
            backends[str(url)] = open_backend(url, state_dir=state.root, env=os.environ)
        ctx = RunContext(
            state=StateDir(state.root, backend=backends[str(url)]),
            env=dict(os.environ),
            base_dir=Path.cwd(),
            source=commit.as_json(),
            stop=stop,
            embedded=bool(getattr(args, "embedded", False)),
            allow_local_credentials=bool(getattr(args, "allow_local_credentials", False)),
        )
        result = asyncio.run(_run(desired, ctx, heal=mode == "heal", max_deletes=max_deletes))
        if target is None or not _clusters_ready(result):
            return result  # only a converged organisation is what the clusters should run
        hydrated = hydrate_desired(
            target,
            desired,
            source=commit.as_json(),
            cache_dir=state.subdir("git"),
            plan_digest=result.plan_digest,
        )
        note = f"hydrated {hydrated.commit[:12]}" if hydrated.commit else "hydration up to date"
        return replace(result, message="; ".join(filter(None, [result.message, note])))

    return cycle


async def _run(
    desired: DesiredState, ctx: RunContext, *, heal: bool, max_deletes: int
) -> CycleResult:
    digests: list[str] = []
    async with connect(desired, ctx) as conn:
        try:
            result = await _cycle(
                conn, desired, ctx, heal=heal, max_deletes=max_deletes, digests=digests
            )
        except FlexctlError as error:
            error.api_errors = dict(conn.client.calls.errors)  # the loop's metrics count them
            raise
        return replace(
            result,
            target=dict(conn.target),
            plan_digest=next(iter(digests), None),
            api_errors=dict(conn.client.calls.errors),
        )


async def _cycle(
    conn: Connection,
    desired: DesiredState,
    ctx: RunContext,
    *,
    heal: bool,
    max_deletes: int,
    digests: list[str],
) -> CycleResult:
    prepared = await prepare(conn, desired, ctx, prune=heal, max_deletes=max_deletes)
    plan = prepared.plan
    digests.append(plan.digest())  # named in a hydration commit
    drift = len(plan.drift())
    changes = len(plan.actionable)
    found = report_objects(plan)
    waiting = _waiting(plan)
    if not plan.out_of_sync:
        return CycleResult(
            "in-sync",
            drift_count=drift,
            change_count=0,
            message=_warnings(plan.warnings),
            objects=found,
        )
    if not heal or not plan.has_changes:
        return CycleResult(
            "drift",
            drift_count=drift,
            change_count=changes,
            message="; ".join(
                filter(None, [f"{changes} change(s) pending" if changes else "", waiting])
            ),
            objects=found,
        )
    try:
        result = await apply_prepared(conn, desired, prepared, ctx, max_deletes=max_deletes)
    except RefusedError as e:
        # Nothing was applied: every change is still pending, and the reason is the message.
        return CycleResult(
            "failed", drift_count=drift, change_count=changes, message=str(e), objects=found
        )
    applied = sum(1 for o in result.outcomes if o.ok)
    objects = report_objects(plan, result.outcomes)
    if result.failed:
        first = result.failed[0].error or "unknown error"
        return CycleResult(
            "failed",
            drift_count=drift,
            change_count=changes,
            applied_count=applied,
            message=f"{len(result.failed)} change(s) failed; first: {first}",
            objects=objects,
        )
    if objects.pending:  # stopped (SIGTERM) between changes: the rest is for the next cycle
        return CycleResult(
            "drift",
            drift_count=drift,
            change_count=changes,
            applied_count=applied,
            message=f"stopped with {len(objects.pending)} change(s) not applied",
            objects=objects,
        )
    if waiting:
        # Healed what it could; what waits for a flag is still drift, by name.
        return CycleResult(
            "drift",
            drift_count=drift,
            change_count=changes,
            applied_count=applied,
            message=waiting,
            objects=objects,
        )
    return CycleResult(
        "healed", drift_count=drift, change_count=changes, applied_count=applied, objects=objects
    )


#: Kinds that grant access: none of them changes what a data plane runs.
_ACCESS_KINDS = frozenset({"permission", "group", "groupmember", "grouppermission"})


def _clusters_ready(result: CycleResult) -> bool:
    """Converged as far as the clusters see: what is left (a grant waiting for its user, a
    delete held back) changes no data plane the rendered folders point at."""
    if result.result in ("healed", "in-sync"):
        return True
    left = result.objects
    return (
        result.result == "drift"
        and not left.pending
        and not left.failed
        and all(o.kind in _ACCESS_KINDS or o.action == "delete" for o in left.blocked)
    )


def _waiting(plan: Plan) -> str:
    """What heal cannot do by itself, by name: blocked changes (a data plane without
    credentials, a delete the prune policy holds back), grants waiting for their user, and
    the guards' refusals."""
    said = [
        f"{c.key}: {c.notes[0] if c.notes and c.drift else c.action}: {c.blocked}"
        for c in plan.held
    ]
    said += [f"{p.subject}: {p.reason}" for p in plan.pending]
    said += [f"refused: {r}" for r in plan.refusals]
    return "; ".join(said)


def report_objects(plan: Plan, outcomes: Sequence[Outcome] | None = None) -> ObjectLists:
    """The plan's objects by state. Without ``outcomes`` (nothing applied) every actionable
    change is pending; with them, a change is pending only when it was not attempted."""
    done = {o.change.key for o in outcomes or ()}
    failed = [o for o in outcomes or () if not o.ok]
    return ObjectLists(
        drifted=tuple(_report(c, _fields(c)) for c in plan.drift()),
        pending=tuple(_report(c, _fields(c)) for c in plan.actionable if c.key not in done),
        blocked=tuple(_report(c, c.blocked or "") for c in plan.blocked)
        + tuple(
            ObjectReport(kind=p.key.kind.value, key=p.key.name, action="create", detail=p.reason)
            for p in plan.pending
        ),
        failed=tuple(_report(o.change, o.error or "unknown error") for o in failed),
    )


def _report(change: Change, detail: str) -> ObjectReport:
    return ObjectReport(
        kind=change.key.kind.value, key=change.key.name, action=change.action.value, detail=detail
    )


def _fields(change: Change) -> str:
    # Paths only: a field's value may be a secret digest or simply too long for a chat line.
    return ", ".join(f.path for f in change.fields)


def _warnings(warnings: tuple[str, ...]) -> str:
    return f"{len(warnings)} warning(s)" if warnings else ""
