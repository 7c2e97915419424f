"""Issue 7: access as code. Grants, role changes and revocations (behind prune.permissions
and --prune), readable plan lines, unknown users as warnings that converge once the user
exists, the lock-out guards, and permission drift healed."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.core.output import render
from reconciler.core.plan import Pending
from reconciler.core.resources import permission_key
from reconciler.errors import RefusedError

from .harness import EXAMPLE_USERS, ORG_ID, World, edit, lines, summary

ANALYST_US = "permission workspace:us-analytics/analyst@acme.example"


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def headers(plan) -> list[str]:  # type: ignore[no-untyped-def]
    return [line for line in lines(render(plan, "text")) if line[:1] in "+~-±" and line]


def test_grant_change_role_and_revoke(applied: World) -> None:
    world = applied
    world.add_users("newcomer@acme.example")
    analytics = world.config / "workspaces/analytics.yaml"
    edit(
        analytics,
        "  - user: analyst@acme.example\n    role: workspace_runner",
        "  - user: analyst@acme.example\n    role: workspace_editor\n"
        "  - user: newcomer@acme.example\n    role: workspace_reader",
    )
    plan = run(world.prepare()).plan
    assert headers(plan) == [
        "~ analyst@acme.example: workspace_runner → workspace_editor in workspace us-analytics",
        "+ grant newcomer@acme.example workspace_reader in workspace us-analytics",
    ]
    run(world.converge())
    assert run(world.prepare()).plan.changes == ()

    edit(analytics, "  - user: newcomer@acme.example\n    role: workspace_reader\n", "")
    revoke = "- revoke newcomer@acme.example in workspace us-analytics"
    off = (
        "pruning of permissions is off (organization prune policy); to delete, set "
        "prune.permissions: true in the Organization"
    )
    plan = run(world.prepare(prune=True)).plan
    assert headers(plan) == [f"{revoke} (blocked: {off})"]
    edit(world.config / "organization.yaml", "  permissions: false", "  permissions: true")
    plan = run(world.prepare(prune=False)).plan
    assert headers(plan) == [f"{revoke} (blocked: run with --prune to delete)"]
    assert run(world.apply(prune=False)).outcomes == ()
    plan = run(world.prepare(prune=True)).plan
    assert headers(plan) == [revoke]
    run(world.converge(prune=True))
    assert run(world.prepare(prune=True)).plan.changes == ()

    async def grants_of(email: str) -> list[str]:
        async with world.api() as client:
            users = await client.list_users(ORG_ID, [email])
            perms = await client.list_permissions(user_id=users[0]["id"], organization_id=ORG_ID)
            return sorted(str(p["permissionType"]) for p in perms)

    assert run(grants_of("newcomer@acme.example")) == ["organization_member"]
    assert run(grants_of("analyst@acme.example")) == [
        "organization_member",
        "workspace_editor",
        "workspace_reader",
    ]


def test_unknown_user_is_pending_then_converges_once_added(world: World) -> None:
    world.add_users(*(u for u in EXAMPLE_USERS if u != "data-eng-au@acme.example"))
    prepared = run(world.prepare())
    assert prepared.plan.warnings == ()
    assert prepared.plan.pending == (
        Pending(
            key=permission_key(email="data-eng-au@acme.example", workspace="au-analytics"),
            user="data-eng-au@acme.example",
            role="workspace_admin",
            workspace="au-analytics",
            # data-eng-us@ is one letter away: a typo is the likelier story than a newcomer.
            did_you_mean="data-eng-us@acme.example",
        ),
    )
    assert "permission workspace:au-analytics/data-eng-au@acme.example" not in {
        k for _, k, _ in summary(prepared.plan)
    }
    run(world.converge())
    again = run(world.prepare()).plan
    assert again.changes == ()
    assert len(again.pending) == 1 and again.out_of_sync
    world.add_users("data-eng-au@acme.example")
    plan = run(world.prepare()).plan
    assert plan.pending == ()
    assert headers(plan) == [
        "+ grant data-eng-au@acme.example workspace_admin in workspace au-analytics"
    ]
    run(world.converge())
    assert run(world.prepare()).plan.changes == ()


def test_a_permission_changed_through_the_api_is_drift_and_healed(applied: World) -> None:
    world = applied
    inventory = run(world.prepare()).inventory
    perm_id = next(e.id for e in inventory if str(e.key) == ANALYST_US)

    async def demote() -> None:
        async with world.api() as client:
            await client.update_permission(perm_id, permission_type="workspace_reader")

    run(demote())
    plan = run(world.prepare()).plan
    assert headers(plan) == [
        "~ analyst@acme.example: workspace_reader → workspace_runner in workspace "
        "us-analytics (drift: changed outside Git)"
    ]
    run(world.converge())
    assert run(world.prepare()).plan.changes == ()

    async def revoke() -> None:
        async with world.api() as client:
            await client.delete_permission(perm_id)

    run(revoke())
    plan = run(world.prepare()).plan
    assert headers(plan) == [
        "+ grant analyst@acme.example workspace_runner in workspace us-analytics "
        "(drift: deleted outside Git)"
    ]
    run(world.converge())
    assert run(world.prepare()).plan.changes == ()


def test_refuses_to_leave_the_organization_without_an_admin(applied: World) -> None:
    world = applied
    world.own_user = None  # a remote control plane: the application's user is not known
    edit(
        world.config / "organization.yaml",
        "user: platform-admin@acme.example\n    role: organization_admin",
        "user: platform-admin@acme.example\n    role: organization_editor",
    )
    with pytest.raises(RefusedError) as refused:
        run(world.apply())
    assert str(refused.value) == (
        "apply refused:\n  the plan would leave the organization without an organization_admin; "
        "keep at least one in the Organization access list"
    )
    assert headers(run(world.prepare()).plan) == [
        "~ platform-admin@acme.example: organization_admin → organization_editor in organization"
    ]


def test_refuses_to_revoke_the_last_admin(applied: World) -> None:
    world = applied
    world.own_user = None
    edit(world.config / "organization.yaml", "  permissions: false", "  permissions: true")
    edit(
        world.config / "organization.yaml",
        "  - user: platform-admin@acme.example\n    role: organization_admin\n",
        "",
    )
    with pytest.raises(RefusedError) as refused:
        run(world.apply(prune=True))
    assert "without an organization_admin" in str(refused.value)


@pytest.mark.parametrize(
    ("declare", "then", "prune", "action"),
    [
        # Demoting the application's own organisation role.
        (
            "  - user: admin@flexctl.local\n    role: organization_admin\n",
            "  - user: admin@flexctl.local\n    role: organization_editor\n",
            False,
            "update",
        ),
        # Removing the application's own grant from the access list.
        (
            "  - user: admin@flexctl.local\n    role: organization_admin\n",
            "",
            True,
            "delete",
        ),
    ],
    ids=["demote", "remove"],
)
def test_refuses_to_touch_the_applications_own_permissions(
    applied: World, declare: str, then: str, prune: bool, action: str
) -> None:
    world = applied
    org = world.config / "organization.yaml"
    edit(org, "  permissions: false", "  permissions: true")
    edit(org, "access:\n", "access:\n" + declare)
    run(world.converge())  # declared as it is: adopted, nothing changes
    edit(org, "access:\n" + declare, "access:\n" + then)
    with pytest.raises(RefusedError) as refused:
        run(world.apply(prune=prune))
    assert str(refused.value) == (
        f"apply refused:\n  permission organization/admin@flexctl.local: refusing to {action} "
        "the permissions of the application's own user admin@flexctl.local (flexctl would "
        "lock itself out)"
    )


def test_handing_the_admin_role_to_another_user_is_allowed(applied: World) -> None:
    world = applied
    world.own_user = None
    org = world.config / "organization.yaml"
    edit(org, "role: organization_admin", "role: organization_editor")
    edit(org, "role: organization_reader", "role: organization_admin")
    assert headers(run(world.prepare()).plan) == [
        "~ auditor@acme.example: organization_reader → organization_admin in organization",
        "~ platform-admin@acme.example: organization_admin → organization_editor in organization",
    ]
    run(world.converge())
    assert run(world.prepare()).plan.changes == ()
