"""Issue 15.1: live workspaces match declared ones under the rule validate uses for
uniqueness (``fold_name``: NFKC + case folding), not under ``str.lower``."""

from __future__ import annotations

import asyncio

from .harness import ORG_ID, World, summary


def test_a_declared_name_matches_the_live_one_it_folds_to(applied: World) -> None:
    world = applied

    async def made_by_hand() -> str:
        async with world.api() as client:
            regions = await client.list_regions(ORG_ID)
            eu = next(r for r in regions if r["name"] == "EU")
            ws = await client.create_workspace(
                name="Straße Team",
                region_id=eu["regionId"],
                organization_id=ORG_ID,
                notifications={},
            )
            return str(ws["workspaceId"])

    live_id = asyncio.run(made_by_hand())
    # "STRASSE TEAM".lower() is "strasse team", "Straße Team".lower() is "straße team": only
    # case folding makes them one name, as validate already treats them.
    (world.config / "workspaces/strasse.yaml").write_text(
        "apiVersion: flexctl/v1\nkind: Workspace\nname: STRASSE TEAM\nregion: EU\n",
        encoding="utf-8",
    )
    plan = asyncio.run(world.prepare()).plan
    assert summary(plan) == [("update", "workspace STRASSE TEAM", "")]
    assert plan.changes[0].id == live_id
    asyncio.run(world.converge())
    assert asyncio.run(world.prepare()).plan.changes == ()


def test_a_workspace_named_with_a_space_and_capitals_is_created_and_stays_put(
    applied: World,
) -> None:
    world = applied
    (world.config / "workspaces/de-finance.yaml").write_text(
        "apiVersion: flexctl/v1\nkind: Workspace\nname: DE Finance\nregion: EU\n"
        "access:\n  - {user: analyst@acme.example, role: workspace_reader}\n",
        encoding="utf-8",
    )
    plan = asyncio.run(world.prepare()).plan
    assert summary(plan) == [
        ("create", "workspace DE Finance", ""),
        ("create", "permission workspace:DE Finance/analyst@acme.example", ""),
    ]
    asyncio.run(world.converge())

    async def names() -> list[str]:
        async with world.api() as client:
            return sorted(str(w["name"]) for w in await client.list_workspaces())

    assert "DE Finance" in asyncio.run(names())
    assert asyncio.run(world.prepare()).plan.changes == ()
