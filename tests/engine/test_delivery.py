"""Credentials of data planes created in the same phase are delivered concurrently: every
one must be stored, for its own id (regression: two deliveries at once shared one YAML
emitter and crashed apply with the secrets of the new data planes lost)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator

import pytest

from reconciler.engine.session import sinks_for

from .harness import ORG_ID, World, edit

EXTRA = 10


@pytest.fixture
def busy_thread_switching() -> Iterator[None]:
    # Switch threads as often as possible so that unserialised sink I/O interleaves.
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def test_concurrent_deliveries_all_land(world: World, busy_thread_switching: None) -> None:
    source = (world.config / "dataplanes/aws-us-east-1.yaml").read_text(encoding="utf-8")
    for n in range(EXTRA):
        (world.config / f"dataplanes/extra-{n}.yaml").write_text(
            source.replace("name: us-east-1-primary", f"name: extra-{n}").replace(
                "releaseName: airbyte-dataplane", f"releaseName: extra-{n}"
            ),
            encoding="utf-8",
        )
    result = asyncio.run(world.converge())
    assert sum(o.change.key.kind.value == "dataplane" for o in result.outcomes) == EXTRA + 2

    async def live_ids() -> dict[str, str]:
        async with world.api() as client:
            regions = {r["regionId"]: r["name"] for r in await client.list_regions(ORG_ID)}
            own = [rid for rid, name in regions.items() if name.startswith("aws-")]
            return {
                f"{regions[d['regionId']]}/{d['name']}": d["dataplaneId"]
                for d in await client.list_dataplanes(own)
            }

    desired = world.desired()
    make = sinks_for(desired, world.ctx())
    stored = {}
    for dp in desired.dataplanes:
        creds = make(dp).read()
        assert creds is not None
        stored[f"{dp.region}/{dp.name}"] = creds.dataplane_id
    assert stored == asyncio.run(live_ids())


def test_sink_secrets_resolve_from_the_runs_environment_and_config_dir(world: World) -> None:
    """The data plane's other secrets (storage keys) come from the RunContext, like every
    other reference: its env mapping and the config directory, not the process's."""
    edit(
        world.config / "dataplanes/aws-us-east-1.yaml",
        "    region: us-east-1\n    authenticationType: instanceProfile",
        "    region: us-east-1\n    authenticationType: credentials\n"
        "    accessKeyId: {env: US_EAST_1_ACCESS_KEY_ID}\n"
        "    secretAccessKey: {file: secrets/us-east-1-secret-access-key}",
    )
    (world.config / "secrets").mkdir()
    (world.config / "secrets/us-east-1-secret-access-key").write_text("sak-canary-5150\n")
    world.env["US_EAST_1_ACCESS_KEY_ID"] = "AKIACANARY0000000001"
    assert "US_EAST_1_ACCESS_KEY_ID" not in os.environ
    asyncio.run(world.converge())
    stored = world.state.path("credentials", "aws-us-east-1--us-east-1-primary.yaml").read_text()
    assert "AKIACANARY0000000001" in stored
    assert "sak-canary-5150" in stored
