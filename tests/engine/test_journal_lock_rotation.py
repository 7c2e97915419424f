"""Issue 4: creates journalled but never finished are adopted (regions, workspaces) or
rotated (data planes) on the next run, never duplicated; one apply at a time, with a clear
message, and a dead owner's record taken over with a note; rotation of a data plane whose
stored credentials are gone."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import time

import pytest

from reconciler.core.output import render
from reconciler.core.resources import dataplane_key, region_key, workspace_key
from reconciler.engine.lock import apply_lock
from reconciler.engine.session import sinks_for
from reconciler.engine.store import Journal, load_inventory
from reconciler.errors import RefusedError, StateError

from .harness import ORG_ID, World, lines, summary
from .torture import live_dataplanes as dataplanes

US_DP = "aws-us-east-1/us-east-1-primary"


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def journal(world: World) -> Journal:
    return Journal(world.state.path("journal.jsonl"))


def stored_id(world: World, key: str) -> str | None:
    desired = world.desired()
    dp = next(d for d in desired.dataplanes if f"{d.region}/{d.name}" == key)
    creds = sinks_for(desired, world.ctx())(dp).read()
    return creds.dataplane_id if creds else None


def test_unfinished_region_and_workspace_creates_are_adopted_not_duplicated(
    world: World,
) -> None:
    journal(world).begin(region_key("aws-us-east-1"))
    journal(world).begin(workspace_key("marketing-eu"))

    async def created_outside() -> tuple[str, str]:
        async with world.api() as client:
            region = await client.create_region(
                name="aws-us-east-1", organization_id=ORG_ID, enabled=True
            )
            regions = await client.list_regions(ORG_ID)
            eu = next(r["regionId"] for r in regions if r["name"] == "EU")
            ws = await client.create_workspace(
                name="marketing-eu", region_id=eu, organization_id=ORG_ID, notifications=None
            )
            return region["regionId"], ws["workspaceId"]

    region_id, workspace_id = run(created_outside())
    prepared = run(world.prepare())
    assert prepared.unfinished == ("region aws-us-east-1", "workspace marketing-eu")
    assert (
        "an earlier apply did not finish creating region aws-us-east-1; looked up by name"
        in prepared.plan.warnings
    )
    kinds = {(a, k) for a, k, _ in summary(prepared.plan)}
    assert ("create", "region aws-us-east-1") not in kinds
    assert ("create", "workspace marketing-eu") not in kinds
    # marketing-eu was created with server-default notifications: adopted, then updated.
    assert ("update", "workspace marketing-eu") in kinds
    run(world.converge())
    inventory = load_inventory(world.state)
    assert inventory.get(region_id) is not None
    assert inventory.get(workspace_id) is not None
    assert not world.state.path("journal.jsonl").exists()
    assert run(world.prepare()).plan.changes == ()
    assert run(world.prepare()).unfinished == ()
    assert sorted(run(dataplanes(world))) == [
        "aws-ap-southeast-2/ap-southeast-2-primary",
        US_DP,
    ]


def test_unfinished_dataplane_create_is_rotated_never_duplicated(world: World) -> None:
    run(world.converge())
    old = run(dataplanes(world))[US_DP]
    # A later run lost the data plane and its credentials mid-create: the journal says begun,
    # the control plane holds one without stored credentials.
    world.state.path("credentials", "aws-us-east-1--us-east-1-primary.yaml").unlink()

    async def recreate() -> str:
        async with world.api() as client:
            await client.delete_dataplane(old[0])
            regions = await client.list_regions(ORG_ID)
            rid = next(r["regionId"] for r in regions if r["name"] == "aws-us-east-1")
            made = await client.create_dataplane(
                region_id=rid, name="us-east-1-primary", enabled=True
            )
            return str(made["dataplaneId"])

    orphan = run(recreate())
    journal(world).begin(dataplane_key("aws-us-east-1", "us-east-1-primary"))
    plan = run(world.prepare()).plan
    # The journal proves the interrupted run made it, and nobody holds its credentials: it is
    # discarded (deleted, unblocked) and the data plane created again.
    assert [(a, k, b) for a, k, b in summary(plan) if "dataplane" in k] == [
        ("create", f"dataplane {US_DP}", ""),
        ("delete", f"dataplane {US_DP}", ""),
    ]
    run(world.converge())
    now = run(dataplanes(world))[US_DP]
    assert len(now) == 1
    assert now[0] != orphan
    assert stored_id(world, US_DP) == now[0]
    assert run(world.prepare()).plan.changes == ()


def test_a_finished_create_not_yet_checkpointed_is_folded_back_from_the_journal(
    world: World,
) -> None:
    async def created() -> str:
        async with world.api() as client:
            made = await client.create_region(
                name="aws-us-east-1", organization_id=ORG_ID, enabled=True
            )
            return str(made["regionId"])

    region_id = run(created())
    journal(world).begin(region_key("aws-us-east-1"))
    journal(world).done(
        region_key("aws-us-east-1"), region_id, {"name": "aws-us-east-1", "enabled": True}
    )
    prepared = run(world.prepare())
    assert prepared.unfinished == ()
    assert prepared.inventory.get(region_id) is not None
    assert ("create", "region aws-us-east-1", "") not in summary(prepared.plan)
    change = [c for c in prepared.plan.changes if str(c.key) == "region aws-us-east-1"]
    assert change == []


def test_a_second_apply_while_the_lock_is_held_fails_with_owner_and_age(world: World) -> None:
    with (
        apply_lock(world.state, command="apply (held by the test)"),
        pytest.raises(StateError) as busy,
    ):
        run(world.apply())
    message = str(busy.value)
    expected = (
        f"another apply holds {world.state.path('apply.lock')}: pid {os.getpid()} on "
        f"{socket.gethostname()}, running `apply (held by the test)` for 0m00s"
    )
    assert message == expected
    assert run(world.prepare()).plan.counts()["create"] == 10  # nothing was applied


def test_a_dead_owners_record_is_taken_over_with_a_note(world: World) -> None:
    world.state.path("apply.owner.json").write_text(
        json.dumps(
            {
                "pid": 4_000_000,
                "host": "ci-runner-7",
                "started": time.time() - 125.2,
                "command": "apply",
            }
        )
    )
    result = run(world.converge())
    assert result.lock_note is not None
    assert re.fullmatch(
        r"the previous apply \(pid 4000000 on ci-runner-7, started 2m0[5-9]s ago\) died "
        r"without releasing its lock; taken over",
        result.lock_note,
    )
    assert not world.state.path("apply.owner.json").exists()
    assert run(world.converge()).lock_note is None


def test_missing_credentials_block_until_rotate_then_rotation_replaces_the_dataplane(
    world: World,
) -> None:
    run(world.converge())
    old = run(dataplanes(world))[US_DP]
    world.state.path("credentials", "aws-us-east-1--us-east-1-primary.yaml").unlink()
    plan = run(world.prepare()).plan
    blocked = f"run with --rotate {US_DP}"
    assert summary(plan) == [("rotate", f"dataplane {US_DP}", blocked)]
    assert not plan.has_changes
    assert lines(render(plan, "text"))[:4] == [
        f"± dataplane {US_DP} (rotate) (drift: no stored credentials) (blocked: {blocked})",
        f'    id: "{old[0]}"',
        "    # no stored credentials for this data plane",
        "    # first step of a rotation: a new data plane of this name is created in the same "
        "region and its credentials are delivered to the sink (an ExternalSecret or Kubernetes "
        f"Secret updates in place); the old data plane {old[0]} is kept as retiring, so its "
        "credentials keep working until a later apply deletes it, once `flexctl verify` has "
        "seen the new credentials accepted (or with --finish-rotation); the old credentials "
        "stop working when the old data plane is deleted",
    ]
    assert run(world.apply()).outcomes == ()
    assert stored_id(world, US_DP) is None
    result = run(world.converge(rotate=frozenset({US_DP})))
    assert [(o.change.action.value, str(o.change.key)) for o in result.outcomes] == [
        ("rotate", f"dataplane {US_DP}")
    ]
    both = run(dataplanes(world))[US_DP]
    assert len(both) == 2 and old[0] in both
    new = next(i for i in both if i != old[0])
    assert stored_id(world, US_DP) == new
    retiring = load_inventory(world.state).get(old[0])
    assert retiring is not None and retiring.retiring is not None
    assert retiring.retiring.replaced_by == new
    run(world.converge(finish_rotation=frozenset({US_DP})))
    assert run(dataplanes(world))[US_DP] == [new]
    inventory = load_inventory(world.state)
    assert inventory.get(old[0]) is None
    assert inventory.get(new) is not None
    assert run(world.prepare()).plan.changes == ()


def test_a_plan_made_before_another_apply_finished_is_refused_under_the_lock(
    world: World,
) -> None:
    """Two applies: B plans, A applies everything, then B takes the lock. B's plan is
    stale (it would create the workspaces and data planes again): refused, nothing done."""
    from reconciler.engine.apply import apply_prepared
    from reconciler.engine.session import prepare

    async def race() -> None:
        desired = world.desired()
        async with world.connection() as conn:
            stale = await prepare(conn, desired, world.ctx())
            await world.converge()  # A, start to finish
            with pytest.raises(RefusedError) as refused:
                await apply_prepared(conn, desired, stale, world.ctx(), max_deletes=5)
            assert str(refused.value) == (
                "another apply changed the state directory since this plan was made; "
                "make a new plan"
            )

    run(race())
    assert len(run(dataplanes(world))[US_DP]) == 1
    assert run(world.prepare()).plan.changes == ()


def test_many_unfinished_creates_are_one_warning() -> None:
    from reconciler.engine.session import UNFINISHED_NAMED, unfinished_warnings

    keys = [workspace_key(f"ws-{n:04d}") for n in range(1200)]
    few = unfinished_warnings(keys[:UNFINISHED_NAMED], None)
    assert len(few) == UNFINISHED_NAMED
    assert few[0] == "an earlier apply did not finish creating workspace ws-0000; looked up by name"
    (many,) = unfinished_warnings(keys, None)
    assert many == (
        "an earlier apply did not finish creating 1,200 resources (workspace ws-0000, "
        "workspace ws-0001, workspace ws-0002 and 1,197 more); each is looked up by name"
    )
    assert unfinished_warnings([], "alice on host") == []


HOLDER = """
import sys, time
from pathlib import Path
from reconciler.engine.lock import apply_lock
from reconciler.statedir import StateDir
with apply_lock(StateDir(Path(sys.argv[1])), command="apply (another process)"):
    print("held", flush=True)
    time.sleep(120)
"""


def test_a_plan_while_another_process_holds_the_lock_says_so(world: World) -> None:
    """A plan made while an apply runs in another process (its creates journalled, not yet
    confirmed) names that apply once; with the lock free, its holder killed, or held by this
    process (an apply prepares under its own), it does not."""
    import subprocess
    import sys

    run(world.converge())
    for n in range(8):
        journal(world).begin(workspace_key(f"in-flight-{n}"))

    def about_the_lock() -> list[str]:
        return [w for w in run(world.prepare()).plan.warnings if "holds the state" in w]

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(world.state.root)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        warnings = run(world.prepare()).plan.warnings
        about = [w for w in warnings if "did not finish creating" in w or "holds the state" in w]
        assert len(about) == 2
        (unfinished,) = [w for w in about if "did not finish" in w]
        (held,) = [w for w in about if "holds the state" in w]
        assert unfinished.startswith("an earlier apply did not finish creating 8 resources")
        assert held.startswith(f"an apply holds the state lock now (pid {holder.pid} on ")
        assert "`apply (another process)`" in held and "plan again when it has finished" in held
    finally:
        holder.kill()  # SIGKILL: its owner record stays behind, naming a dead pid
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    assert world.state.path("apply.owner.json").exists()
    assert about_the_lock() == []
    with apply_lock(world.state, command="apply (this process)"):
        assert about_the_lock() == []
    assert about_the_lock() == []
