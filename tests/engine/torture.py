"""Kill applies at chosen or random moments of data-plane creates and rotations, let the next
runs recover, and count what issue 17 says must never happen. Shared by the suite's seeded
torture test and ``bench/bench_kills.py`` (the same at 100+ kills).

Census after recovery: duplicates (more than one live data plane of a declared name),
orphans (live data planes of the organisation the inventory does not hold), data planes
without working stored credentials (the sink holds another id, nothing, or credentials the
control plane refuses), and the changes of the plan that follows (must be none).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.engine.session import sinks_for
from reconciler.engine.store import load_inventory
from reconciler.engine.verify import check_all, record_verified

from .harness import CANARY_WEBHOOK, ORG_ID, World
from .killrun import MOMENTS

REPO = Path(__file__).resolve().parents[2]
KILLED = -9
#: What every killed child printed, for the canary scan.
OUTPUTS: list[str] = []


@dataclass
class Census:
    duplicates: int = 0
    orphans: int = 0
    without_credentials: int = 0
    second_plan_changes: int = 0
    kills: int = 0
    trials: list[str] = field(default_factory=list)

    def add(self, other: Census) -> None:
        self.duplicates += other.duplicates
        self.orphans += other.orphans
        self.without_credentials += other.without_credentials
        self.second_plan_changes += other.second_plan_changes


def kill_apply(world: World, moment: str, nth: int, rotate: tuple[str, ...] = ()) -> int:
    """Run one apply in a child process that SIGKILLs itself; its return code."""
    env = {**os.environ, **world.env}
    env.pop("CI", None)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.engine.killrun",
            str(world.config),
            str(world.state.root),
            moment,
            str(nth),
            *rotate,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode in (0, KILLED), proc.stderr
    OUTPUTS.extend((proc.stdout, proc.stderr))
    return proc.returncode


def leaked(world: World) -> list[str]:
    """Files of the state (bar the sinks and the control plane's database) and child outputs
    holding a stored client secret or the webhook canary."""
    secrets = [CANARY_WEBHOOK]
    for path in sorted(world.state.path("credentials").glob("*.yaml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "DATAPLANE_CLIENT_SECRET:" in line:
                secrets.append(line.split(":", 1)[1].strip().strip('"'))
    assert len(secrets) > 1
    found = []
    for path in sorted(world.state.root.rglob("*")):
        if not path.is_file() or {"credentials", "controlplane"} & set(path.parts):
            continue
        data = path.read_bytes()
        found += [str(path) for s in secrets if s.encode() in data]
    found += [f"child output {i}" for i, out in enumerate(OUTPUTS) for s in secrets if s in out]
    return found


async def live_dataplanes(world: World) -> dict[str, list[str]]:
    async with world.api() as client:
        regions = {
            r["regionId"]: r["name"]
            for r in await client.list_regions(ORG_ID)
            if r["organizationId"] == ORG_ID
        }
        found: dict[str, list[str]] = {}
        for dp in await client.list_dataplanes(list(regions)):
            key = f"{regions[dp['regionId']]}/{dp['name']}"
            found.setdefault(key, []).append(str(dp["dataplaneId"]))
        return found


async def settle(world: World) -> None:
    """What a person (or CI) does next: apply, verify, apply (ends rotations)."""
    await world.converge()
    async with world.connection() as conn:
        verdicts = await check_all(conn, world.desired(), world.ctx())
    record_verified(world.ctx(), verdicts)
    await world.converge()


async def census(world: World) -> Census:
    found = Census()
    desired = world.desired()
    live = await live_dataplanes(world)
    inventory = load_inventory(world.state)
    for ids in live.values():
        found.orphans += sum(1 for i in ids if inventory.get(i) is None)
    async with world.connection() as conn:
        for dp in desired.dataplanes:
            key = f"{dp.region}/{dp.name}"
            ids = live.get(key, [])
            found.duplicates += max(0, len(ids) - 1)
            creds = sinks_for(desired, world.ctx())(dp).read()
            works = (
                creds is not None
                and ids == [creds.dataplane_id]
                and await conn.client.dataplane_token(
                    conn.dataplane_token_url,
                    client_id=creds.client_id,
                    client_secret=creds.client_secret,
                )
            )
            found.without_credentials += 0 if works else 1
    found.second_plan_changes = len((await world.prepare()).plan.changes)
    return found


def add_dataplane(world: World, name: str) -> str:
    """Declare one more data plane in aws-us-east-1 (own release name); its key."""
    source = (world.config / "dataplanes/aws-us-east-1.yaml").read_text(encoding="utf-8")
    text = source.replace("name: us-east-1-primary", f"name: {name}", 1).replace(
        "releaseName: airbyte-dataplane", f"releaseName: {name}", 1
    )
    (world.config / f"dataplanes/{name}.yaml").write_text(text, encoding="utf-8")
    return f"aws-us-east-1/{name}"


async def torture(world: World, *, seed: int, kills: int) -> Census:
    """``kills`` killed applies, first creates and rotations mixed, each followed by
    recovery and a census; the totals."""
    rng = random.Random(seed)
    total = Census()
    keys = [f"{dp.region}/{dp.name}" for dp in world.desired().dataplanes]
    first = True
    number = 0
    while total.kills < kills:
        number += 1
        moment = rng.choice(MOMENTS)
        if first:
            op, rotate, nth = "first creates", (), rng.choice((1, 2))
        elif rng.random() < 0.3:
            keys.append(add_dataplane(world, f"extra-{number}"))
            op, rotate, nth = "create", (), 1
        else:
            key = rng.choice(keys)
            op, rotate, nth = f"rotate {key}", (key,), 1
        code = kill_apply(world, moment, nth, rotate)
        first = False
        if code == KILLED:
            total.kills += 1
        total.trials.append(f"{op} killed at {moment}#{nth}: {'killed' if code else 'ran'}")
        await settle(world)
        total.add(await census(world))
    return total
