"""Issue 13.1: a user in two organisations sees both organisations' workspaces in
``GET /workspaces``, with no ``organizationId`` on them. flexctl must never adopt, change or
prune another organisation's workspace: it attributes first, and refuses what it cannot prove."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.engine.live import AttributionError

from .harness import EXAMPLE_USERS, ORG_ID, World

ADMIN = "admin@flexctl.local"


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def second_organisation(world: World, *workspaces: str) -> str:
    """Another organisation the application's own user administers, with workspaces."""
    other = world.plane.add_organization("globex")
    world.plane.add_user(ADMIN, organization_id=other, role="organization_admin")

    async def create() -> None:
        async with world.api() as api:
            for name in workspaces:
                await api.create_workspace(
                    name=name, region_id=None, organization_id=other, notifications=None
                )

    run(create())
    return other


def test_same_named_workspace_of_another_organisation_is_refused_not_adopted(
    world: World,
) -> None:
    world.add_users(*EXAMPLE_USERS)
    other = second_organisation(world, "US-Analytics")
    with pytest.raises(AttributionError) as caught:
        run(world.prepare())
    message = str(caught.value)
    assert "workspace 'us-analytics' is live as " in message
    assert f"globex ({other})" in message and ORG_ID in message
    assert "will not adopt, change or prune" in message


def test_managed_workspaces_stay_attributed_and_foreign_ones_are_left_alone(
    world: World,
) -> None:
    world.add_users(*EXAMPLE_USERS)
    run(world.converge())
    # Same name as a managed workspace, and one the config does not know.
    second_organisation(world, "us-analytics", "globex-private")
    edit_prune = world.config / "organization.yaml"
    edit_prune.write_text(
        edit_prune.read_text().replace("  workspaces: false", "  workspaces: true")
    )
    plan = run(world.prepare(prune=True)).plan
    assert plan.changes == ()
    result = run(world.apply(prune=True))
    assert result.ok and result.outcomes == ()

    async def names() -> list[str]:
        async with world.api() as api:
            return sorted(w["name"] for w in await api.list_workspaces())

    assert names_of(run(names())) == ["globex-private", "us-analytics", "us-analytics"]


def names_of(names: list[str]) -> list[str]:
    return [n for n in names if n in {"globex-private", "us-analytics"}]
