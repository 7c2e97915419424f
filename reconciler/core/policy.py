"""Safety rails checked before any change is applied. Pure: plan and facts in, refusals out.

- More deletes than ``--max-deletes``: refused (raise the cap to go on).
- A plan that deletes every managed object of a kind (two or more): refused; an empty or
  almost-empty config is far more often a mistake (wrong directory, bad merge) than intent.
- Access: never leave the organisation without an organization_admin, never remove or
  demote the permissions of the application's own user (flexctl would lock itself out).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from reconciler.core.plan import Action, Change, Plan
from reconciler.core.resources import Kind, Resource

#: Kinds that grant access: deleting every one of them is no sign of an emptied config.
_GRANTS = (Kind.PERMISSION, Kind.GROUP_MEMBER, Kind.GROUP_PERMISSION)

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
        if kind not in _GRANTS and count >= 2 and count >= managed_per_kind[kind]:
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
    groups_before, groups_after = _group_admins(changes, live)
    before = before or groups_before
    if before and not admins and not groups_after:
        refusals.append(
            Refusal(
                "the plan would leave the organization without an organization_admin; keep at "
                "least one in the Organization access list"
            )
        )
    return refusals


def _group_admins(changes: Sequence[Change], live: Sequence[Resource]) -> tuple[bool, bool]:
    """(before, after): some group with at least one member holds organization_admin.

    An admin reachable only through a group is an admin (the server's role checks read a
    user's own permissions and those of its groups). After the plan: roles created, changed
    or deleted, members added or removed, groups deleted."""
    members: dict[str, set[str]] = {}
    admin_roles: dict[str, str] = {}  # role id (or new:key) -> group
    for r in live:
        group = str(r.essence.get("group", "")).casefold()
        if r.key.kind is Kind.GROUP_MEMBER and r.id:
            members.setdefault(group, set()).add(r.id)
        elif r.key.kind is Kind.GROUP_PERMISSION and r.id and _org_admin(r.essence):
            admin_roles[r.id] = group
    before = any(members.get(g) for g in admin_roles.values())
    gone_groups = set()
    for change in changes:
        essence = change.desired or {}
        group = str(essence.get("group", "")).casefold()
        if change.key.kind is Kind.GROUP and change.action is Action.DELETE:
            gone_groups.add(
                next(
                    (str(r.essence["name"]).casefold() for r in live if r.id == change.id),
                    change.key.name.casefold(),
                )
            )
        elif change.key.kind is Kind.GROUP_MEMBER:
            if change.action is Action.DELETE:
                for ids in members.values():
                    ids.discard(change.id or "")
            else:
                members.setdefault(group, set()).add(f"new:{change.key.name}")
        elif change.key.kind is Kind.GROUP_PERMISSION:
            admin_roles.pop(change.id or "", None)
            if change.action is not Action.DELETE and _org_admin(essence):
                admin_roles[f"new:{change.key.name}"] = group
    after = any(members.get(g) for g in admin_roles.values() if g not in gone_groups)
    return before, after


def _org_admin(essence: Mapping[str, object]) -> bool:
    return essence.get("scope") == "organization" and essence.get("role") == "organization_admin"
