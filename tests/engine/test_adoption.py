"""Issue 4: objects that already exist with the declared names are adopted (their ids
recorded, nothing re-created); a data plane made outside flexctl has no stored credentials,
so it is rotated only when asked."""

from __future__ import annotations

import asyncio
from collections import Counter

from reconciler.core.output import render
from reconciler.engine.payloads import notifications_payload
from reconciler.engine.store import load_inventory

from .harness import EXAMPLE_USERS, ORG_ID, World, edit, lines, summary

US_DP = "aws-us-east-1/us-east-1-primary"


def test_objects_made_through_the_api_are_adopted_not_recreated(world: World) -> None:
    world.add_users(*EXAMPLE_USERS)
    desired = world.desired()
    us = next(w for w in desired.workspaces if w.name == "us-analytics")

    async def made_by_hand() -> dict[str, str]:
        async with world.api() as client:
            region = await client.create_region(
                name="aws-us-east-1", organization_id=ORG_ID, enabled=True
            )
            dp = await client.create_dataplane(
                region_id=region["regionId"], name="us-east-1-primary", enabled=True
            )
            ws = await client.create_workspace(
                name="us-analytics",
                region_id=region["regionId"],
                organization_id=ORG_ID,
                notifications=notifications_payload(us, world.ctx().resolver()),
            )
            users = await client.list_users(ORG_ID, ["analyst@acme.example"])
            perm = await client.create_permission(
                user_id=users[0]["id"],
                permission_type="workspace_runner",
                workspace_id=ws["workspaceId"],
            )
            return {
                "region": region["regionId"],
                "dataplane": dp["dataplaneId"],
                "workspace": ws["workspaceId"],
                "permission": perm["permissionId"],
            }

    ids = asyncio.run(made_by_hand())
    plan = asyncio.run(world.prepare()).plan
    keys = {k: (a, b) for a, k, b in summary(plan)}
    for existing in (
        "region aws-us-east-1",
        "workspace us-analytics",
        "permission workspace:us-analytics/analyst@acme.example",
    ):
        assert existing not in keys  # already as declared: nothing to do but record it
    assert keys[f"dataplane {US_DP}"] == ("rotate", f"run with --rotate {US_DP}")
    assert plan.counts() == {"create": 13, "update": 2, "delete": 0, "rotate": 0}
    result = asyncio.run(world.converge())
    # region, data plane, workspace, permission, and the org roles of auditor and platform-admin
    # (organization_member from sign-in, updated to the declared role)
    assert result.adopted == 6
    inventory = load_inventory(world.state)
    for kind in ("region", "workspace", "permission"):
        assert inventory.get(ids[kind]) is not None, kind
    assert summary(asyncio.run(world.prepare()).plan) == [
        ("rotate", f"dataplane {US_DP}", f"run with --rotate {US_DP}")
    ]
    asyncio.run(world.converge(rotate=frozenset({US_DP})))
    # The old data plane waits, retiring, until verify sees the new credentials accepted;
    # --finish-rotation ends the rotation at once.
    waiting = (
        "waiting for `flexctl verify` to see the new credentials accepted, or "
        f"--finish-rotation {US_DP}"
    )
    assert summary(asyncio.run(world.prepare()).plan) == [("delete", f"dataplane {US_DP}", waiting)]
    asyncio.run(world.converge(finish_rotation=frozenset({US_DP})))
    assert asyncio.run(world.prepare()).plan.changes == ()

    async def counts() -> Counter[str]:
        async with world.api() as client:
            regions = [
                r for r in await client.list_regions(ORG_ID) if r["organizationId"] == ORG_ID
            ]
            dps = await client.list_dataplanes([r["regionId"] for r in regions])
            names = Counter(f"region {r['name']}" for r in regions)
            names.update(f"dataplane {d['name']}" for d in dps)
            names.update(f"workspace {w['name']}" for w in await client.list_workspaces())
            return names

    assert set(asyncio.run(counts()).values()) == {1}
    assert load_inventory(world.state).get(ids["region"]) is not None


def test_a_data_plane_adopted_as_it_runs_is_noted_not_rotated(applied: World) -> None:
    """Issue 15.3: ``credentials: {adopt: existing}``: no blocked rotation and no drift, a
    note; ``--rotate`` still rotates it, into the sink the rest of the block names."""
    world = applied
    path = world.config / "dataplanes/aws-us-east-1.yaml"
    edit(path, "credentials:\n  type: file\n", "credentials:\n  adopt: existing\n  type: file\n")
    creds = world.state.root / "credentials/aws-us-east-1--us-east-1-primary.yaml"
    creds.unlink()  # as after import: flexctl holds nothing for the running data plane
    note = (
        f"dataplane {US_DP}: running with credentials flexctl does not hold; `--rotate "
        f"{US_DP}` when you want them managed"
    )
    plan = asyncio.run(world.prepare()).plan
    assert plan.changes == () and not plan.out_of_sync
    assert plan.notes == (note,)
    assert plan.as_json()["notes"] == [note]
    assert f"note: {note}" in lines(render(plan, "text"))
    assert "### Notes" in render(plan, "markdown")
    rotation = asyncio.run(world.prepare(rotate=frozenset({US_DP}))).plan
    assert summary(rotation) == [("rotate", f"dataplane {US_DP}", "")]
    assert rotation.notes == ()
    asyncio.run(world.converge(rotate=frozenset({US_DP})))
    assert creds.exists()
    assert asyncio.run(world.prepare()).plan.notes == ()
