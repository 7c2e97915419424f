"""Issue 17 item 13: throttled (429) reads are retried within the run's overall deadline.

Against the embedded control plane in-process, with its fault injection answering 429 to a
seeded share of requests. Time is a fake that the client's sleeps advance, so the deadline
is reached without waiting for it.
"""

from __future__ import annotations

import pytest

from reconciler.api import RateLimitedError
from reconciler.controlplane import AdminCredentials, ControlPlane, FaultConfig

from .fakeapi import run
from .test_against_embedded import connect


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_reads_converge_through_an_80_percent_429_storm(
    embedded: tuple[ControlPlane, AdminCredentials],
) -> None:
    plane, creds = embedded
    time = FakeTime()

    async def scenario() -> tuple[int, int]:
        async with connect(embedded, sleep=time.sleep, clock=time.clock) as api:
            await api.create_workspace(
                name="storm",
                region_id=None,
                organization_id=creds.organization_id,
                notifications=None,
            )
            plane.set_faults(FaultConfig(seed=7, rate_429=0.8))
            for _ in range(20):  # each read alone gave up after 6 attempts 26% of the time
                assert [w["name"] for w in await api.list_workspaces()] == ["storm"]
                assert await api.list_regions(creds.organization_id)
            return api.calls.throttled, api.calls.retries

    throttled, retries = run(scenario())
    assert throttled == retries > 40 * 2  # about four 429s per success at 80%
    assert len(set(time.sleeps)) > 1  # jittered waits


def test_a_read_throttled_past_the_deadline_fails_with_the_count(
    embedded: tuple[ControlPlane, AdminCredentials],
) -> None:
    plane, creds = embedded
    time = FakeTime()
    plane.set_faults(FaultConfig(seed=1, rate_429=1.0))

    async def scenario() -> None:
        async with connect(
            embedded, sleep=time.sleep, clock=time.clock, timeout_total=600.0
        ) as api:
            await api.list_regions(creds.organization_id)

    with pytest.raises(RateLimitedError) as caught:
        run(scenario())
    assert time.now == pytest.approx(600.0)
    message = str(caught.value)
    attempts = caught.value.attempts
    assert attempts > 6
    assert message.endswith(
        f"still throttled when the --timeout of 600 s passed; {attempts} throttled answers "
        "(429) in this run"
    )
