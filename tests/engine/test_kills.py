"""Issue 17 items 1-2 and issue 11 item 4: SIGKILL at each moment of a data-plane create and
of a rotation (the journal write, the create answer in flight, delivered but not journalled,
journalled but not checkpointed), then recovery: never two live data planes of one name,
never one without stored working credentials, only what the journal proves created deleted.
And a small seeded torture run across first creates and rotations."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.engine.store import load_inventory

from .harness import EXAMPLE_USERS, World
from .killrun import MOMENTS
from .torture import (
    KILLED,
    Census,
    census,
    kill_apply,
    leaked,
    live_dataplanes,
    settle,
    torture,
)

US_DP = "aws-us-east-1/us-east-1-primary"


def clean(found: Census) -> tuple[int, int, int, int]:
    return (
        found.duplicates,
        found.orphans,
        found.without_credentials,
        found.second_plan_changes,
    )


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_first_create_killed_recovers(world: World, moment: str) -> None:
    world.add_users(*EXAMPLE_USERS)
    assert kill_apply(world, moment, 1) == KILLED
    asyncio.run(settle(world))
    assert clean(asyncio.run(census(world))) == (0, 0, 0, 0)
    assert leaked(world) == []


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_rotation_killed_recovers_keeping_the_old_one_until_it_is_replaced(
    applied: World, moment: str
) -> None:
    old = asyncio.run(live_dataplanes(applied))[US_DP]
    assert kill_apply(applied, moment, 1, (US_DP,)) == KILLED
    # The next apply carries the rotation on: a new data plane, delivered, the old retiring.
    asyncio.run(applied.converge())
    both = asyncio.run(live_dataplanes(applied))[US_DP]
    assert len(both) == 2 and old[0] in both
    entry = load_inventory(applied.state).get(old[0])
    assert entry is not None and entry.retiring is not None
    assert entry.retiring.replaced_by in both and entry.retiring.replaced_by != old[0]
    asyncio.run(settle(applied))
    assert asyncio.run(live_dataplanes(applied))[US_DP] == [entry.retiring.replaced_by]
    assert clean(asyncio.run(census(applied))) == (0, 0, 0, 0)
    assert leaked(applied) == []


def test_a_first_create_killed_twice_in_flight_recovers(world: World) -> None:
    world.add_users(*EXAMPLE_USERS)
    assert kill_apply(world, "created", 1) == KILLED
    assert kill_apply(world, "created", 1) == KILLED
    asyncio.run(settle(world))
    assert clean(asyncio.run(census(world))) == (0, 0, 0, 0)


def test_seeded_torture_ten_kills(world: World) -> None:
    world.add_users(*EXAMPLE_USERS)
    found = asyncio.run(torture(world, seed=17, kills=10))
    assert found.kills == 10, found.trials
    assert clean(found) == (0, 0, 0, 0), found.trials
    assert leaked(world) == []
