"""Issue 16 item 1: groups as code. Create, update and delete groups, memberships and group
roles (behind the prune policy and --prune), an admin reachable only through a group counted
by the lock-out guard, a SCIM-managed group whose membership is never changed, and the plan
saying so."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from reconciler.core.output import render
from reconciler.errors import RefusedError

from .harness import ORG_ID, World, edit, lines

GROUP = """\
apiVersion: flexctl/v1
kind: Group
name: data-eng
description: Data engineers
members:
  - analyst@acme.example
  - auditor@acme.example
roles:
  - workspace: us-analytics
    role: workspace_editor
"""


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def headers(plan) -> list[str]:  # type: ignore[no-untyped-def]
    return [line for line in lines(render(plan, "text")) if line[:1] in "+~-±" and line]


def write(world: World, name: str, text: str) -> Path:
    path = world.config / "groups" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


async def live_groups(world: World) -> dict[str, Any]:
    """name -> {description, members, roles} as the API reads them back."""
    async with world.api() as client:
        out: dict[str, Any] = {}
        for group in await client.list_groups(ORG_ID):
            members = await client.list_group_members(group["groupId"])
            perms = await client.list_group_permissions(group["groupId"])
            out[group["name"]] = {
                "description": group.get("description"),
                "members": sorted(m["userEmail"] for m in members),
                "roles": sorted(
                    (p["permissionType"], "ws" if p.get("workspaceId") else "org") for p in perms
                ),
            }
        return out


def prune_on(world: World, *kinds: str) -> None:
    for kind in kinds:
        edit(world.config / "organization.yaml", f"  {kind}: false", f"  {kind}: true")


def test_create_update_and_delete_a_group(applied: World) -> None:
    world = applied
    group = write(world, "data-eng.yaml", GROUP)
    edit(
        world.config / "organization.yaml",
        "access:\n",
        "access:\n  - group: data-eng\n    role: organization_reader\n",
    )
    plan = run(world.prepare()).plan
    assert headers(plan) == [
        "+ group data-eng",
        "+ add analyst@acme.example to group data-eng",
        "+ add auditor@acme.example to group data-eng",
        "+ grant group data-eng organization_reader in organization",
        "+ grant group data-eng workspace_editor in workspace us-analytics",
    ]
    run(world.converge())
    assert run(world.prepare()).plan.changes == ()
    assert run(live_groups(world))["data-eng"] == {
        "description": "Data engineers",
        "members": ["analyst@acme.example", "auditor@acme.example"],
        "roles": [("organization_reader", "org"), ("workspace_editor", "ws")],
    }

    world.add_users("newcomer@acme.example")
    edit(group, "Data engineers", "Data engineering, US")
    edit(group, "  - auditor@acme.example\n", "  - newcomer@acme.example\n")
    edit(group, "role: workspace_editor", "role: workspace_admin")
    plan = run(world.prepare(prune=True)).plan
    off = (
        "pruning of groupmembers is off (organization prune policy); to delete, set "
        "prune.permissions: true in the Organization"
    )
    assert headers(plan) == [
        "~ group data-eng",
        "+ add newcomer@acme.example to group data-eng",
        "~ group data-eng: workspace_editor → workspace_admin in workspace us-analytics",
        f"- remove auditor@acme.example from group data-eng (blocked: {off})",
    ]
    prune_on(world, "permissions")
    run(world.converge(prune=True))
    assert run(world.prepare(prune=True)).plan.changes == ()
    assert run(live_groups(world))["data-eng"] == {
        "description": "Data engineering, US",
        "members": ["analyst@acme.example", "newcomer@acme.example"],
        "roles": [("organization_reader", "org"), ("workspace_admin", "ws")],
    }

    group.unlink()
    edit(
        world.config / "organization.yaml",
        "  - group: data-eng\n    role: organization_reader\n",
        "",
    )
    plan = run(world.prepare(prune=True)).plan
    # Its members and roles go with it: one delete, behind the groups prune policy.
    assert headers(plan) == [
        "- group data-eng (blocked: pruning of groups is off (organization prune policy); to "
        "delete, set prune.groups: true in the Organization)"
    ]
    prune_on(world, "groups")
    assert headers(run(world.prepare(prune=True)).plan) == ["- group data-eng"]
    run(world.converge(prune=True))
    assert sorted(run(live_groups(world))) == ["data-eng-us"]  # the example's own group
    assert run(world.prepare(prune=True)).plan.changes == ()


def test_a_group_member_who_has_not_signed_in_waits(applied: World) -> None:
    world = applied
    write(world, "data-eng.yaml", GROUP.replace("auditor@", "auditr@"))
    plan = run(world.prepare()).plan
    assert [(p.subject, p.reason) for p in plan.pending] == [
        (
            "add auditr@acme.example to group data-eng",
            "no such user yet: the membership waits until they sign in "
            "(did you mean auditor@acme.example?)",
        )
    ]
    run(world.converge())
    assert run(world.prepare()).plan.changes == ()


ADMINS = """\
apiVersion: flexctl/v1
kind: Group
name: platform
members: [platform-admin@acme.example]
roles:
  - role: organization_admin
"""


def state_of(world: World) -> list[str]:
    """The database without its tokens (every run logs in)."""
    return [row for row in world.plane.store.dump() if not row.startswith('INSERT INTO "tokens"')]


def test_an_admin_reachable_only_through_a_group_counts(applied: World) -> None:
    world = applied
    world.own_user = None  # a remote control plane: the application's user is not known
    org = world.config / "organization.yaml"
    edit(
        org,
        "user: platform-admin@acme.example\n    role: organization_admin",
        "user: platform-admin@acme.example\n    role: organization_editor",
    )
    # Without the group, the demotion leaves no admin: refused.
    with pytest.raises(RefusedError):
        run(world.apply())
    group = write(world, "platform.yaml", ADMINS)
    run(world.converge())  # the admin role now reaches platform-admin through the group
    assert run(world.prepare()).plan.changes == ()

    # Taking the group's role away now would leave nobody: refused, nothing changed.
    edit(group, "role: organization_admin", "role: organization_reader")
    before = state_of(world)
    with pytest.raises(RefusedError) as refused:
        run(world.apply())
    assert "without an organization_admin" in str(refused.value)
    # Emptying the group is the same.
    edit(group, "role: organization_reader", "role: organization_admin")
    edit(group, "members: [platform-admin@acme.example]", "members: []")
    prune_on(world, "permissions")
    with pytest.raises(RefusedError):
        run(world.apply(prune=True))
    assert state_of(world) == before


OKTA = """\
apiVersion: flexctl/v1
kind: Group
name: okta-admins
scim: true
roles:
  - role: organization_reader
  - workspace: us-analytics
    role: workspace_admin
"""


def members_table(world: World) -> list[tuple[str, str]]:
    with world.plane.store.read() as db:
        return [tuple(r) for r in db.execute("SELECT group_id, user_id FROM group_members")]


def test_a_scim_groups_roles_are_managed_and_its_membership_never(applied: World) -> None:
    world = applied
    write(world, "okta.yaml", OKTA)
    prune_on(world, "permissions", "groups")
    plan = run(world.prepare(prune=True)).plan
    assert headers(plan) == []
    assert plan.warnings == (
        "group okta-admins is managed by SCIM and does not exist yet: its roles wait until the "
        "identity provider creates it",
    )
    world.plane.add_group(
        "okta-admins", members=("analyst@acme.example", "auditor@acme.example"), scim=True
    )
    members = members_table(world)
    plan = run(world.prepare(prune=True)).plan
    assert headers(plan) == [
        "+ grant group okta-admins organization_reader in organization",
        "+ grant group okta-admins workspace_admin in workspace us-analytics",
    ]
    assert plan.warnings == (
        "group okta-admins is managed by SCIM: flexctl manages its roles, never its membership "
        "(2 members, from the identity provider)",
    )
    run(world.converge(prune=True))
    assert run(world.prepare(prune=True)).plan.changes == ()
    assert members_table(world) == members
    roles = run(live_groups(world))["okta-admins"]["roles"]
    assert roles == [("organization_reader", "org"), ("workspace_admin", "ws")]

    # Its roles are flexctl's: a removed one is revoked (the membership is still left alone).
    edit(world.config / "groups/okta.yaml", "  - role: organization_reader\n", "")
    assert headers(run(world.prepare(prune=True)).plan) == [
        "- revoke group okta-admins in organization"
    ]
    run(world.converge(prune=True))
    assert members_table(world) == members


def test_a_scim_group_declared_without_scim_fails_with_the_fix(applied: World) -> None:
    world = applied
    world.plane.add_group("okta-admins", members=("analyst@acme.example",), scim=True)
    write(
        world,
        "okta.yaml",
        "apiVersion: flexctl/v1\nkind: Group\nname: okta-admins\n"
        "members: [analyst@acme.example, auditor@acme.example]\n",
    )
    members = members_table(world)
    result = run(world.apply())
    assert not result.ok
    [error] = [o.error for o in result.failed]
    assert error is not None and error.endswith(
        "group okta-admins is managed by SCIM: its membership comes from the identity provider. "
        "Declare scim: true in its Group document and remove its members"
    )
    assert members_table(world) == members


def test_a_renamed_workspace_keeps_its_group_roles(applied: World) -> None:
    world = applied
    path = world.config / "workspaces/analytics.yaml"
    edit(path, "name: us-analytics\n", "name: us-insights\npreviousNames: [us-analytics]\n")
    plan = run(world.prepare(prune=True)).plan
    # The example's group holds workspace_editor there: named under the new name, unchanged.
    assert [(c.action.value, str(c.key)) for c in plan.changes] == [
        ("update", "workspace us-insights")
    ]
    run(world.converge(prune=True))
    assert run(world.prepare(prune=True)).plan.changes == ()
    roles = run(live_groups(world))["data-eng-us"]["roles"]
    assert roles == [("organization_reader", "org"), ("workspace_editor", "ws")]
