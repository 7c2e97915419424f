"""Grants to users who do not exist yet: taken out of the desired resources and kept in the
plan as ``Pending`` values, each with the closest e-mail of the organisation's users.

Users arrive through SSO and flexctl never creates one, so such a grant waits; but a typo
(``@acme.exmaple``) waits forever, which is why the plan names the likely intended user.
Pure: resources and e-mails in, values out.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import replace

from reconciler.core.desired_resources import DesiredResources
from reconciler.core.plan import Pending
from reconciler.core.resources import Kind, Resource

#: What waits for a user: a grant, a group membership.
_FOR_USERS = (Kind.PERMISSION, Kind.GROUP_MEMBER)
#: How alike two e-mails must be (difflib ratio) for "did you mean": a letter or two apart.
CUTOFF = 0.85


def split_pending(
    wanted: DesiredResources, *, unknown: Iterable[str], org_emails: Iterable[str]
) -> tuple[DesiredResources, tuple[Pending, ...]]:
    """The resources flexctl can create now, and the grants that wait for their user."""
    missing = {u.lower() for u in unknown}
    known = sorted({e.lower() for e in org_emails})
    kept: list[Resource] = []
    pending: list[Pending] = []
    for res in wanted.resources:
        user = str(res.essence.get("user", "")).lower()
        if res.key.kind not in _FOR_USERS or user not in missing:
            kept.append(res)
            continue
        close = difflib.get_close_matches(user, known, n=1, cutoff=CUTOFF)
        workspace = res.essence.get("workspace")
        member = res.key.kind is Kind.GROUP_MEMBER
        pending.append(
            Pending(
                key=res.key,
                user=user,
                role="member" if member else str(res.essence.get("role")),
                workspace=str(workspace) if workspace is not None else None,
                did_you_mean=close[0] if close else None,
                group=str(res.essence["group"]) if member else None,
            )
        )
    pending.sort(key=lambda p: (p.user, p.key.name.lower()))
    return replace(wanted, resources=tuple(kept)), tuple(pending)
