"""Safety rails checked before any change is applied. Pure: plan and facts in, refusals out.

- More deletes than ``--max-deletes``: refused (raise the cap to go on).
- A plan that deletes every managed object of a kind (two or more): refused; an empty or
  almost-empty config is far more often a mistake (wrong directory, bad merge) than intent.
- Access: never leave the organisation without an organization_admin, never remove or
  demote the permissions of the application's own user (flexctl would lock itself out).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reconciler.core.plan import Action, Change, Plan
from reconciler.core.resources import Kind, Resource

#: Deletes one plan may hold (``--max-deletes``); the plan shows the refusal, apply enforces it.
DEFAULT_MAX_DELETES = 5


@dataclass(frozen=True)
class Refusal:
    reason: str


def check(
    plan: Plan,
    *,
    live: Sequence[Resource],
    managed_ids: Iterable[str],
    max_deletes: int,
    own_user_email: str | None,
) -> list[Refusal]:
    refusals: list[Refusal] = []
    deletes = [c for c in plan.actionable if c.action is Action.DELETE]
    if len(deletes) > max_deletes:
        refusals.append(
            Refusal(
                f"the plan deletes {len(deletes)} objects, more than --max-deletes {max_deletes}; "
                "review the plan and raise the cap if this is intended"
            )
        )
    managed = set(managed_ids)
    managed_per_kind = Counter(r.key.kind for r in live if r.id in managed)
    # Ending a rotation deletes an old data plane its replacement stands in for: not a loss.
    deleted_per_kind = Counter(c.key.kind for c in deletes if not c.retire)
    for kind, count in sorted(deleted_per_kind.items()):
        if kind is not Kind.PERMISSION and count >= 2 and count >= managed_per_kind[kind]:
            refusals.append(
                Refusal(
                    f"the plan deletes every managed {kind.value} ({count}); an empty or almost "
                    "empty config is refused: delete them in smaller steps if this is intended"
                )
            )
    refusals.extend(_access_guards(plan.actionable, live, own_user_email))
    return refusals


def _access_guards(
    changes: Sequence[Change], live: Sequence[Resource], own_user_email: str | None
) -> list[Refusal]:
    refusals: list[Refusal] = []
    perms = {r.id: r for r in live if r.key.kind is Kind.PERMISSION}
    admins = {
        r.id
        for r in perms.values()
        if r.essence.get("scope") == "organization"
        and r.essence.get("role") == "organization_admin"
    }
    before = bool(admins)
    for change in changes:
        if change.key.kind is not Kind.PERMISSION:
            continue
        current = perms.get(change.id) if change.id else None
        role_after = (
            (change.desired or {}).get("role") if change.action is not Action.DELETE else None
        )
        if current is not None and change.id in admins and role_after != "organization_admin":
            admins.discard(change.id)
        if role_after == "organization_admin" and (change.desired or {}).get("scope") == (
            "organization"
        ):
            # A grant or a promotion: handing the role over to another user is fine.
            admins.add(change.id or f"new:{change.key.name}")
        if (
            own_user_email
            and current is not None
            and current.essence.get("user") == own_user_email.lower()
            and change.action in (Action.DELETE, Action.UPDATE)
        ):
            refusals.append(
                Refusal(
                    f"{change.key}: refusing to {change.action.value} the permissions of the "
                    f"application's own user {own_user_email} (flexctl would lock itself out)"
                )
            )
    if before and not admins:
        refusals.append(
            Refusal(
                "the plan would leave the organization without an organization_admin; keep at "
                "least one in the Organization access list"
            )
        )
    return refusals
