"""The connection part of a plan: hashing changes (``core.hashing``) and the residency audit
(``core.residency``) over the connections one refresh listed.

Owns the order (hashing first, then the audit of the connections as the plan leaves them) and
where findings go: plan warnings by default, refusals with ``residency.enforce: true`` (so
``plan`` exits 1 and apply refuses), and the plan's ``residencyFindings`` either way.
"""

from __future__ import annotations

from dataclasses import replace

from reconciler.config.desired import DesiredState
from reconciler.core.hashing import hashing_changes
from reconciler.core.inventory import Inventory
from reconciler.core.live_resources import LiveSnapshot
from reconciler.core.plan import Change, Plan
from reconciler.core.residency import audit, audited
from reconciler.core.resources import Kind


def connection_workspaces(desired: DesiredState, inventory: Inventory) -> set[str]:
    """Folded names of the workspaces whose connections a run must list: those with a hashing
    policy or audited PII rules, and those where flexctl still owns mappers (a policy removed
    must still remove them)."""
    audit_for = {ws.name.casefold() for ws in audited(desired.organization, desired.workspaces)}
    owned = {
        str((e.last_applied or {}).get("workspace", "")).casefold()
        for e in inventory
        if e.key.kind is Kind.CONNECTION
    }
    return owned | {
        ws.name.casefold()
        for ws in desired.workspaces
        if ws.hashing is not None or (ws.pii and ws.name.casefold() in audit_for)
    }


def with_connections(
    plan: Plan, desired: DesiredState, snapshot: LiveSnapshot, inventory: Inventory
) -> Plan:
    names = {str(w["workspaceId"]): str(w["name"]) for w in snapshot.workspaces}
    hashing = hashing_changes(desired.workspaces, snapshot.connections, names, inventory)
    findings = audit(
        audited(desired.organization, desired.workspaces),
        snapshot.connections,
        names,
        hashing.changes,
    )
    enforce = desired.organization.residency.enforce
    messages = tuple(f.message() for f in findings)
    unchanged = dict(plan.unchanged)
    if hashing.unchanged:
        unchanged["connection"] = unchanged.get("connection", 0) + hashing.unchanged
    return replace(
        plan,
        changes=tuple(sorted((*plan.changes, *hashing.changes), key=Change.sort_key)),
        unchanged=unchanged,
        warnings=plan.warnings + (() if enforce else messages),
        refusals=plan.refusals + (messages if enforce else ()),
        findings=tuple(f.as_json(severity="error" if enforce else "warning") for f in findings),
    )
