"""The real server's permission rules (issue 13.3), emulated by the embedded control plane,
and what flexctl does about them: a workspace grant an unmanaged organisation role covers is
blocked with its reason (never sent: the server answers 500), organisation roles change
before workspace roles, and a raised organisation role says which workspace roles go."""

from __future__ import annotations

from .harness import ORG_ID, World, edit, summary
from .test_access import run

ANALYST = "analyst@acme.example"


async def _org_permission(world: World, email: str) -> tuple[str, str, str]:
    async with world.api() as api:
        [user] = await api.list_users(ORG_ID, emails=[email])
        perms = await api.list_permissions(user_id=user["id"], organization_id=ORG_ID)
    [org] = [p for p in perms if p["scope"] == "organization"]
    return user["id"], org["permissionId"], org["permissionType"]


def test_grant_covered_by_an_unmanaged_organisation_role_is_blocked(applied: World) -> None:
    world = applied
    _, perm_id, _ = run(_org_permission(world, ANALYST))

    async def raise_outside_git() -> None:
        async with world.api() as api:
            await api.update_permission(perm_id, permission_type="organization_editor")

    run(raise_outside_git())  # the server deletes analyst's workspace roles it now covers
    plan = run(world.prepare()).plan
    # (The unmanaged organization_editor itself is a revoke, blocked by the prune policy.)
    blocked = [(a, k, why) for a, k, why in summary(plan) if why and a == "create"]
    assert [(a, k) for a, k, _ in blocked] == [
        ("create", f"permission workspace:marketing-eu/{ANALYST}"),
        ("create", f"permission workspace:us-analytics/{ANALYST}"),
    ]
    assert all("organization_editor on the organisation (not managed" in w for *_, w in blocked)
    result = run(world.apply())
    assert result.ok and result.outcomes == ()


def test_organisation_role_is_lowered_before_the_workspace_grant_it_covered(
    applied: World,
) -> None:
    world = applied
    edit(
        world.config / "organization.yaml",
        "  - user: auditor@acme.example\n    role: organization_reader",
        "  - user: auditor@acme.example\n    role: organization_member",
    )
    edit(
        world.config / "workspaces/analytics.yaml",
        f"  - user: {ANALYST}\n    role: workspace_runner",
        f"  - user: {ANALYST}\n    role: workspace_runner\n"
        "  - user: auditor@acme.example\n    role: workspace_reader",
    )
    # organization_reader covers workspace_reader: sent first, the grant would be refused.
    run(world.converge())
    assert run(world.prepare()).plan.changes == ()
    assert run(_org_permission(world, "auditor@acme.example"))[2] == "organization_member"


def test_raised_organisation_role_names_the_workspace_roles_the_server_deletes(
    applied: World,
) -> None:
    world = applied
    edit(
        world.config / "organization.yaml",
        "  - user: auditor@acme.example\n    role: organization_reader",
        "  - user: auditor@acme.example\n    role: organization_reader\n"
        f"  - user: {ANALYST}\n    role: organization_editor",
    )
    for name, role in (("analytics", "workspace_runner"), ("marketing-eu", "workspace_reader")):
        edit(world.config / f"workspaces/{name}.yaml", f"  - user: {ANALYST}\n    role: {role}", "")
    plan = run(world.prepare(prune=True)).plan
    [raised] = [c for c in plan.changes if str(c.key) == f"permission organization/{ANALYST}"]
    assert raised.notes[-1] == (
        f"the server deletes {ANALYST}'s workspace roles that organization_editor covers: "
        "marketing-eu (workspace_reader), us-analytics (workspace_runner)"
    )
    run(world.converge(prune=True))
    # The server removed the covered roles itself: nothing left to revoke, nothing drifts.
    assert run(world.prepare(prune=True)).plan.changes == ()


def test_phases_put_organisation_roles_before_workspace_roles_and_revoke_them_after() -> None:
    from reconciler.core.plan import Action, Change, Plan
    from reconciler.core.resources import Kind, ResourceKey
    from reconciler.engine.executor import phases

    def perm(action: Action, name: str) -> Change:
        return Change(action=action, key=ResourceKey(Kind.PERMISSION, name), id="x")

    changes = (
        perm(Action.CREATE, "workspace:a/u@x.example"),
        perm(Action.UPDATE, "organization/u@x.example"),
        perm(Action.DELETE, "organization/v@x.example"),
        perm(Action.DELETE, "workspace:a/v@x.example"),
    )
    plan = Plan(
        changes=tuple(sorted(changes, key=Change.sort_key)), config_digest="", live_digest=""
    )
    assert [[c.key.name for c in group] for group in phases(plan)] == [
        ["organization/u@x.example"],
        ["workspace:a/u@x.example"],
        ["workspace:a/v@x.example"],
        ["organization/v@x.example"],
    ]
