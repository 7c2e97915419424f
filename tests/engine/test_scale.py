"""Issue 7: a no-op plan at 1,000 workspaces with 5 users each costs a fixed, small number
of API calls: one list per kind (workspaces paged by 100) and one permissions call per
distinct user, never one call per workspace or per grant. A count, not a timing."""

from __future__ import annotations

import asyncio
import json
import math
import uuid

from reconciler.engine.session import prepare

from .harness import EXAMPLE_USERS, ORG_ID, World

WORKSPACES = 1_000
USERS_PER_WORKSPACE = 5
POOL = [f"user{n:02d}@scale.example" for n in range(20)]
ALL_OFF = {
    event: {"email": {"enabled": False}, "webhook": {"enabled": False}}
    for event in (
        "failure",
        "success",
        "connectionUpdate",
        "connectionUpdateActionRequired",
        "syncDisabled",
        "syncDisabledWarning",
    )
}


def members(n: int) -> list[str]:
    return [POOL[(n + 4 * k) % len(POOL)] for k in range(USERS_PER_WORKSPACE)]


def write_config(world: World) -> None:
    docs = []
    for n in range(WORKSPACES):
        access = "".join(f"  - user: {email}\n    role: workspace_reader\n" for email in members(n))
        docs.append(
            f"apiVersion: flexctl/v1\nkind: Workspace\nname: scale-{n:04d}\nregion: EU\n"
            f"classification: internal\naccess:\n{access}"
        )
    (world.config / "workspaces" / "scale.yaml").write_text("---\n".join(docs), encoding="utf-8")


def insert_live(world: World) -> None:
    """The same workspaces and grants, written straight into the control plane's store."""
    user_ids = {email: world.plane.add_user(email) for email in POOL}
    with world.plane.store.write() as db:
        eu = db.execute("SELECT id FROM regions WHERE name = 'EU'").fetchone()["id"]
        notifications = json.dumps(ALL_OFF)
        for n in range(WORKSPACES):
            ws_id = str(uuid.uuid4())
            db.execute(
                "INSERT INTO workspaces (id, organization_id, region_id, name, notifications,"
                " created_us, updated_us) VALUES (?, ?, ?, ?, ?, 1, 1)",
                (ws_id, ORG_ID, eu, f"scale-{n:04d}", notifications),
            )
            for email in members(n):
                db.execute(
                    "INSERT INTO permissions VALUES (?, ?, 'workspace_reader', ?, NULL, 1)",
                    (str(uuid.uuid4()), user_ids[email], ws_id),
                )


def test_no_op_plan_at_1000_workspaces_counts_calls_per_endpoint(world: World) -> None:
    world.add_users(*EXAMPLE_USERS)
    asyncio.run(world.converge())
    insert_live(world)
    write_config(world)
    desired = world.desired()

    async def plan_calls() -> tuple[object, dict[str, int], int, int]:
        async with world.connection() as conn:
            prepared = await prepare(conn, desired, world.ctx())
            calls = conn.client.calls
            return prepared.plan, dict(calls.by_endpoint), calls.api, conn.client.max_concurrency

    plan, calls, api, window = asyncio.run(plan_calls())
    assert plan.changes == ()  # type: ignore[attr-defined]
    # Adopted on first sight: still no change, the objects match the config.
    workspaces = WORKSPACES + 3
    distinct_users = len(POOL) + len(EXAMPLE_USERS) + 1  # + the application's own user
    # Workspaces are paged by 100 until a short page; after a full first page the client reads
    # a window of pages at its own concurrency, so up to window - 1 requests past the end (the
    # price of paying WAN latency once per window).
    pages = math.floor(workspaces / 100) + 1
    assert pages <= calls.pop("GET /workspaces") <= pages + window - 1
    assert calls == {
        "POST /applications/token": 1,
        "GET /organizations": 1,  # to attribute workspaces (issue 13.1)
        "GET /regions": 1,
        "GET /dataplanes": 1,
        "GET /users": 1,
        "GET /permissions": distinct_users,
        "GET /connections": 1,  # one list for us-analytics, the example's hashing policy
        # The example's one group: the groups page, its members, its roles.
        "GET /groups": 1,
        "GET /groups/{groupId}/members": 1,
        "GET /groups/{groupId}/permissions": 1,
    }
    assert pages + 8 + distinct_users <= api <= pages + 7 + window + distinct_users
    assert plan.unchanged["permission"] == WORKSPACES * USERS_PER_WORKSPACE + 7  # type: ignore[attr-defined]
