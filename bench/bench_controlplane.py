"""Requests per second of the embedded control plane on a real socket.

uvicorn runs the app in a background thread on 127.0.0.1 (a random free port); an httpx client
with ``--concurrency`` requests in flight measures list and create throughput. ``--latency-ms``
adds per-request latency (fault injection) to stand in for a WAN.

    .venv/bin/python bench/bench_controlplane.py [--requests 2000] [--concurrency 16]
    .venv/bin/python bench/bench_controlplane.py --pages 100000   # page latency by offset

``--pages N`` writes N workspaces straight into the database, then reads a page of 100
(``GET /workspaces?limit=100&offset=X``, one request at a time) at offsets 0, N/2 and N - 100
and prints the median and worst latency of each (random access: an index serves the order and
nothing sorts the whole table, but the rows before the offset are counted), then reads the whole
list in order as a client does, where each page seeks from the previous page's mark
(``controlplane.pagemarks``): a page at the end must cost about as much as the first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from reconciler.controlplane import ControlPlane, FaultConfig


async def _measure(
    name: str, count: int, concurrency: int, call: Callable[[int], Awaitable[httpx.Response]]
) -> None:
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one(i: int) -> None:
        async with gate:
            started = time.perf_counter()
            response = await call(i)
            latencies.append(time.perf_counter() - started)
            if response.status_code >= 300:
                raise RuntimeError(f"{name}: {response.status_code} {response.text}")

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(count)))
    elapsed = time.perf_counter() - started
    p50 = statistics.median(latencies) * 1000
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    print(
        f"{name:<34} {count:>6} req  {count / elapsed:>8.0f} req/s  "
        f"p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
    )


async def _run(root: str, cp: ControlPlane, args: argparse.Namespace) -> None:
    creds = cp.bootstrap(Path(cp.db_path).with_suffix(".json"), url=root + "/api/public/v1")
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    async with httpx.AsyncClient(base_url=creds.url + "/", limits=limits, timeout=60) as client:
        token = (
            await client.post(
                "applications/token",
                json={"client_id": creds.client_id, "client_secret": creds.client_secret},
            )
        ).json()
        client.headers["Authorization"] = f"Bearer {token['access_token']}"
        org = creds.organization_id
        for i in range(100):  # something to list
            await client.post("workspaces", json={"name": f"seed-{i:03d}"})
        n, c = args.requests, args.concurrency
        await _measure(
            "GET /workspaces?limit=100",
            n,
            c,
            lambda i: client.get("workspaces", params={"limit": 100}),
        )
        await _measure(
            "GET /workspaces?limit=20",
            n,
            c,
            lambda i: client.get("workspaces", params={"limit": 20}),
        )
        await _measure(
            "GET /regions?organizationId=",
            n,
            c,
            lambda i: client.get("regions", params={"organizationId": org}),
        )
        await _measure(
            "POST /workspaces",
            n,
            c,
            lambda i: client.post("workspaces", json={"name": f"bench-{i}"}),
        )
        await _measure(
            "POST /regions",
            n,
            c,
            lambda i: client.post("regions", json={"name": f"r-{i}", "organizationId": org}),
        )


def _seed_workspaces(cp: ControlPlane, org: str, count: int) -> None:
    with cp.store.write() as db:
        region = db.execute("SELECT id FROM regions WHERE name = 'EU'").fetchone()["id"]
        db.executemany(
            "INSERT INTO workspaces (id, organization_id, region_id, name, notifications,"
            " created_us, updated_us) VALUES (?, ?, ?, ?, '{}', 1, 1)",
            ((str(uuid.uuid4()), org, region, f"ws-{i:06d}") for i in range(count)),
        )


async def _pages(root: str, cp: ControlPlane, count: int, repeat: int) -> None:
    creds = cp.bootstrap(Path(cp.db_path).with_suffix(".json"), url=root + "/api/public/v1")
    _seed_workspaces(cp, creds.organization_id, count)
    async with httpx.AsyncClient(base_url=creds.url + "/", timeout=60) as client:
        token = (
            await client.post(
                "applications/token",
                json={"client_id": creds.client_id, "client_secret": creds.client_secret},
            )
        ).json()
        client.headers["Authorization"] = f"Bearer {token['access_token']}"
        for offset in (0, count // 2, max(0, count - 100)):
            latencies = []
            for _ in range(repeat):
                started = time.perf_counter()
                answer = await client.get("workspaces", params={"limit": 100, "offset": offset})
                latencies.append((time.perf_counter() - started) * 1000)
                if answer.status_code != 200 or len(json.loads(answer.text)["data"]) != 100:
                    raise RuntimeError(f"offset {offset}: {answer.status_code} {answer.text}")
            print(
                f"GET /workspaces?limit=100&offset={offset:<7} of {count}: "
                f"median {statistics.median(latencies):6.1f} ms, max {max(latencies):6.1f} ms"
                " (random access: counts from the nearest page mark)"
            )
        await _in_order(client, count)


async def _in_order(client: httpx.AsyncClient, count: int) -> None:
    """The whole list a page at a time, in order, as a client reads it (pages seek from the
    previous page's mark): each page's latency, by where it is in the list."""
    latencies: list[float] = []
    started = time.perf_counter()
    for offset in range(0, count, 100):
        began = time.perf_counter()
        answer = await client.get("workspaces", params={"limit": 100, "offset": offset})
        latencies.append((time.perf_counter() - began) * 1000)
        if answer.status_code != 200 or len(json.loads(answer.text)["data"]) != 100:
            raise RuntimeError(f"offset {offset}: {answer.status_code} {answer.text}")
    total = time.perf_counter() - started
    tenth = max(1, len(latencies) // 10)
    for label, part in (
        ("first", latencies[:tenth]),
        ("middle", latencies[len(latencies) // 2 - tenth // 2 :][:tenth]),
        ("last", latencies[-tenth:]),
    ):
        print(
            f"in order, {label} {len(part)} pages: median {statistics.median(part):6.1f} ms,"
            f" max {max(part):6.1f} ms"
        )
    print(f"in order: {len(latencies)} pages of {count} in {total:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--pages", type=int, default=0, metavar="N")
    parser.add_argument("--repeat", type=int, default=20, help="requests per offset (--pages)")
    args = parser.parse_args()
    if args.pages:
        with tempfile.TemporaryDirectory() as tmp:
            cp = ControlPlane(Path(tmp) / "controlplane.db")
            with cp, cp.running() as root:
                asyncio.run(_pages(root, cp, args.pages, args.repeat))
        return
    faults = FaultConfig(latency_ms=args.latency_ms) if args.latency_ms else None
    with tempfile.TemporaryDirectory() as tmp:
        cp = ControlPlane(Path(tmp) / "controlplane.db", faults=faults)
        with cp, cp.running() as root:
            print(
                f"embedded control plane at {root}; {args.requests} requests per case, "
                f"{args.concurrency} in flight, added latency {args.latency_ms} ms"
            )
            asyncio.run(_run(root, cp, args))


if __name__ == "__main__":
    main()
