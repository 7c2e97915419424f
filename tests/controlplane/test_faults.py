"""Fault injection: refusals before anything runs, lost answers after a commit, latency,
reproducibility with a seed, on the in-process transport and on a real socket."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from reconciler.controlplane import ControlPlane, DroppedConnection, FaultConfig
from tests.controlplane.conftest import Plane, connect, table_counts
from tests.controlplane.spec import check_problem

pytestmark = pytest.mark.anyio


async def _names(plane: Plane) -> list[str]:
    async with connect(plane.cp, plane.creds) as api:
        return [w["name"] for w in (await api.get("workspaces")).json()["data"]]


async def test_refusals_answer_before_anything_runs(plane: Plane) -> None:
    async with connect(plane.cp, plane.creds) as api:
        before = table_counts(plane.cp)
        plane.cp.set_faults(FaultConfig(rate_429=1.0))
        r = await api.post("workspaces", json={"name": "w"})
        assert r.status_code == 429
        assert r.json() == {"message": "You are being rate limited."}
        assert "retry-after" not in r.headers
        plane.cp.set_faults(FaultConfig(rate_500=1.0))
        r = await api.post("workspaces", json={"name": "w"})
        assert r.status_code == 500
        check_problem(r.json(), "UnexpectedProblemResponse")
        plane.cp.set_faults(FaultConfig(rate_503=1.0))
        r = await api.get("workspaces")
        assert r.status_code == 503
        check_problem(r.json(), "ServiceUnavailableProblemResponse")
        r = await api.client.get("http://embedded/_embedded/dataplanes/status", headers=api.auth)
        assert r.status_code == 200  # the embedded status view sees no faults
        assert table_counts(plane.cp) == before
        plane.cp.set_faults(None)
    assert await _names(plane) == []


async def test_lost_answer_500_after_commit(plane: Plane) -> None:
    async with connect(plane.cp, plane.creds) as api:
        plane.cp.set_faults(FaultConfig(lost_write_rate=1.0, lost_write_mode="500"))
        r = await api.post("workspaces", json={"name": "committed"})
        assert r.status_code == 500
        check_problem(r.json(), "UnexpectedProblemResponse")
        assert (await api.get("workspaces")).status_code == 200  # reads are not writes
        r = await api.post("workspaces", json={"name": ""})
        assert r.status_code == 400  # only successful writes lose their answer
        plane.cp.set_faults(None)
    assert await _names(plane) == ["committed"]


async def test_dropped_connection_in_process_is_a_transport_error(plane: Plane) -> None:
    async with connect(plane.cp, plane.creds) as api:
        plane.cp.set_faults(FaultConfig(lost_write_rate=1.0, lost_write_mode="drop"))
        with pytest.raises(httpx.TransportError) as info:
            await api.post("workspaces", json={"name": "committed"})
        assert isinstance(info.value, DroppedConnection)
        # token requests are never lost: clients can always log in again
        r = await api.client.post(
            "applications/token",
            json={"client_id": plane.creds.client_id, "client_secret": plane.creds.client_secret},
        )
        assert r.status_code == 200
        plane.cp.set_faults(None)
    assert await _names(plane) == ["committed"]


async def test_dropped_connection_on_a_socket_is_a_transport_error(plane: Plane) -> None:
    with plane.cp.running() as root:
        async with connect(plane.cp, plane.creds, base_url=root + "/v1") as api:
            plane.cp.set_faults(FaultConfig(lost_write_rate=1.0, lost_write_mode="drop"))
            with pytest.raises(httpx.RemoteProtocolError):
                await api.post("workspaces", json={"name": "committed"})
            plane.cp.set_faults(None)
            r = await api.get("workspaces")
            assert [w["name"] for w in r.json()["data"]] == ["committed"]


async def test_mixed_mode_and_rates_are_reproducible_with_a_seed(tmp_path: Path) -> None:
    async def run(db: Path) -> list[str]:
        cp = ControlPlane(db)
        creds = cp.bootstrap(db.with_suffix(".json"))
        outcomes = []
        async with connect(cp, creds) as api:
            cp.set_faults(FaultConfig(seed=7, rate_429=0.2, rate_503=0.1, lost_write_rate=0.5))
            for i in range(40):
                try:
                    r = await api.post("workspaces", json={"name": f"w{i}"})
                    outcomes.append(str(r.status_code))
                except httpx.TransportError:
                    outcomes.append("drop")
        cp.close()
        return outcomes

    first = await run(tmp_path / "a.db")
    assert first == await run(tmp_path / "b.db")
    assert {"200", "429", "503", "500", "drop"} <= set(first)


async def test_latency_is_added_to_every_request(plane: Plane) -> None:
    async with connect(plane.cp, plane.creds) as api:
        plane.cp.set_faults(FaultConfig(latency_ms=30))
        started = time.perf_counter()
        for _ in range(3):
            assert (await api.get("workspaces")).status_code == 200
        assert time.perf_counter() - started >= 0.09


def test_fault_config_rejects_nonsense() -> None:
    for bad in ({"rate_429": 1.5}, {"rate_429": 0.6, "rate_500": 0.6}, {"latency_ms": -1}):
        with pytest.raises(ValueError):
            FaultConfig(**bad)  # type: ignore[arg-type]
