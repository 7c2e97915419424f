"""The server's redundant-permission rule applied to a plan (see ``config.roles``).

``validate`` already refuses a config whose workspace grant its own organisation grant covers;
what only the live state shows is a user whose organisation role the config does not manage
(given in the UI, or by SSO) already covering a workspace role the config grants. Sending that
create makes the real server answer 500, so the change is blocked with the reason instead. An
organisation role that is raised says which workspace roles the server deletes with it.
Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from reconciler.config.roles import covers
from reconciler.core.plan import Action, Change
from reconciler.core.resources import Kind, Resource


def _org_roles(resources: Iterable[Resource]) -> dict[str, str]:
    return {
        str(r.essence["user"]).lower(): str(r.essence["role"])
        for r in resources
        if r.key.kind is Kind.PERMISSION and r.essence.get("scope") == "organization"
    }


def apply_redundancy_rule(
    changes: list[Change], *, desired: Iterable[Resource], live: Iterable[Resource]
) -> list[Change]:
    live = list(live)
    wanted_org = _org_roles(desired)
    live_org = _org_roles(live)
    live_ws: dict[str, list[tuple[str, str]]] = {}
    for r in live:
        if r.key.kind is Kind.PERMISSION and r.essence.get("scope") == "workspace":
            user = str(r.essence["user"]).lower()
            live_ws.setdefault(user, []).append(
                (str(r.essence["workspace"]), str(r.essence["role"]))
            )
    out: list[Change] = []
    for change in changes:
        essence = change.desired or {}
        if (
            change.key.kind is not Kind.PERMISSION
            or change.action not in (Action.CREATE, Action.UPDATE)
            or change.blocked is not None
        ):
            out.append(change)
            continue
        user = str(essence.get("user", "")).lower()
        role = str(essence.get("role", ""))
        if essence.get("scope") == "workspace":
            org_role = wanted_org.get(user, live_org.get(user))
            if user not in wanted_org and covers(org_role, role):
                change = dataclasses.replace(
                    change,
                    blocked=(
                        f"{user} already has {org_role} on the organisation (not managed by "
                        f"this config), which covers {role}: the server refuses a redundant "
                        "workspace permission; drop this grant, or declare the user's "
                        "organisation role in the Organization document"
                    ),
                )
        elif essence.get("scope") == "organization":
            gone = sorted(
                f"{ws} ({ws_role})"
                for ws, ws_role in live_ws.get(user, [])
                if covers(role, ws_role)
            )
            if gone:
                note = (
                    f"the server deletes {user}'s workspace roles that {role} covers: "
                    + ", ".join(gone)
                )
                change = dataclasses.replace(change, notes=(*change.notes, note))
        out.append(change)
    return out
