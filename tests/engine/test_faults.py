"""Issue 4: under injected faults (429, 500, 503, answers lost after commit, in both modes)
apply still converges, never duplicates an object and never leaves a data plane without
stored credentials. Many seeds; each seed may take several apply rounds (bounded)."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from reconciler.controlplane import FaultConfig
from reconciler.errors import FlexctlError

from .harness import EXAMPLE_USERS, ORG_ID, World

ROUNDS = 8


def faults(seed: int) -> FaultConfig:
    return FaultConfig(
        seed=seed,
        rate_429=0.1,
        rate_500=0.05,
        rate_503=0.05,
        lost_write_rate=0.35,
        lost_write_mode="500" if seed % 2 else "drop",
    )


async def converge_under_faults(world: World, seed: int) -> int:
    """Apply until a plan is empty; the number of rounds it took."""
    world.plane.set_faults(faults(seed))
    for attempt in range(1, ROUNDS + 1):
        try:
            result = await world.apply()
        except FlexctlError:
            continue  # e.g. a refresh that ran out of retries: the next round starts over
        if result.ok:
            world.plane.set_faults(None)
            if not (await world.prepare()).plan.changes:
                return attempt
            world.plane.set_faults(faults(seed + 1000 * attempt))
    raise AssertionError(f"seed {seed}: not converged after {ROUNDS} rounds")


async def live_inventory(world: World) -> dict[str, list[str]]:
    async with world.api() as client:
        regions = [r for r in await client.list_regions(ORG_ID) if r["organizationId"] == ORG_ID]
        names = {r["regionId"]: r["name"] for r in regions}
        dataplanes = await client.list_dataplanes(list(names))
        workspaces = await client.list_workspaces()
        users = await client.list_users(ORG_ID)
        perms = []
        for user in users:
            perms += [
                f"{user['email']}@{p['scopeId']}"
                for p in await client.list_permissions(user_id=user["id"], organization_id=ORG_ID)
            ]
    return {
        "region": [r["name"] for r in regions],
        "dataplane": [f"{names[d['regionId']]}/{d['name']}" for d in dataplanes],
        "dataplane-ids": [
            f"{names[d['regionId']]}/{d['name']}={d['dataplaneId']}" for d in dataplanes
        ],
        "workspace": [w["name"] for w in workspaces],
        "permission": perms,
    }


@pytest.mark.parametrize("seed", range(20))
def test_apply_converges_under_faults_without_duplicates(tmp_path: Path, seed: int) -> None:
    world = World.create(tmp_path)
    try:
        world.add_users(*EXAMPLE_USERS)
        asyncio.run(converge_under_faults(world, seed))
        live = asyncio.run(live_inventory(world))
        for kind in ("region", "dataplane", "workspace", "permission"):
            duplicates = [n for n, count in Counter(live[kind]).items() if count > 1]
            assert duplicates == [], (kind, live[kind])
        assert sorted(live["region"]) == ["aws-ap-southeast-2", "aws-us-east-1"]
        assert sorted(live["workspace"]) == ["au-analytics", "marketing-eu", "us-analytics"]
        # Every live data plane has credentials stored for exactly its id.
        desired = world.desired()
        from reconciler.engine.session import sinks_for

        make = sinks_for(desired, world.ctx())
        stored = {}
        for dp in desired.dataplanes:
            creds = make(dp).read()
            assert creds is not None, dp.name
            stored[f"{dp.region}/{dp.name}"] = creds.dataplane_id
        assert sorted(live["dataplane-ids"]) == sorted(f"{k}={v}" for k, v in stored.items())
    finally:
        world.close()
