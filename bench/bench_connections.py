"""Benchmark: a no-op plan over 1,000 connections across 100 workspaces with a hashing policy.

The embedded control plane runs on a real socket with ``--latency-ms`` per request (default
20 ms, a WAN stand-in). Steps: apply 100 workspaces (each with PII rules and a hashing policy),
add 10 UI-made connections to each (``ControlPlane.add_connection``), apply (one PATCH per
connection: the hashing mappers), then a no-op plan. Prints, for the no-op plan, the
``GET /connections`` requests it made against ceil(N/100), the plan's wall time and API calls;
and the requests of one sequential listing (read-ahead 1), which is ceil(N/100) pages plus the
short (here empty) page that ends it.

    .venv/bin/python bench/bench_connections.py [--workspaces 100] [--per-workspace 10]

Never part of the test run; prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_plan import ORG_ID, ORGANIZATION, remote_context

from reconciler.api.client import ApiClient
from reconciler.config.loader import load_directory
from reconciler.controlplane import ControlPlane, FaultConfig
from reconciler.engine.apply import apply_prepared
from reconciler.engine.session import RunContext, connect, prepare
from reconciler.statedir import StateDir

STREAMS = [
    {
        "name": "users",
        "syncMode": "incremental_deduped_history",
        "cursorField": ["updated_at"],
        "primaryKey": [["id"]],
        "mappers": [
            {
                "type": "field-renaming",
                "mapperConfiguration": {"originalFieldName": "fname", "newFieldName": "first"},
            }
        ],
    },
    {"name": "orders"},
]


def write_config(root: Path, workspaces: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "organization.yaml").write_text(ORGANIZATION)
    docs = [
        f"apiVersion: flexctl/v1\nkind: Workspace\nname: ws-{i:04d}\nregion: EU\n"
        "pii: [{stream: users, fields: [email, phone]}]\nhashing: {method: SHA-256}\n"
        for i in range(workspaces)
    ]
    (root / "workspaces.yaml").write_text("---\n".join(docs))


async def run_once(config: Path, ctx: RunContext, *, apply: bool) -> dict[str, float]:
    desired = load_directory(config)
    started = time.perf_counter()
    async with connect(desired, ctx) as conn:
        prepared = await prepare(conn, desired, ctx)
        out: dict[str, float] = {
            "plan_s": time.perf_counter() - started,
            "calls": conn.client.calls.api,
            "list_requests": conn.client.calls.by_endpoint.get("GET /connections", 0),
            "changes": len(prepared.plan.actionable),
        }
        if apply and prepared.plan.has_changes:
            applied = time.perf_counter()
            result = await apply_prepared(conn, desired, prepared, ctx, max_deletes=0)
            out["apply_s"] = time.perf_counter() - applied
            out["failed"] = len(result.failed)
    return out


async def sequential_pages(base: str, client_id: str, secret: str) -> tuple[int, int]:
    async with ApiClient(base, client_id=client_id, client_secret=secret) as client:
        found = await client.list_connections(read_ahead=1)
        return len(found), client.calls.by_endpoint["GET /connections"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=100)
    parser.add_argument("--per-workspace", type=int, default=10)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    total = args.workspaces * args.per_workspace
    with tempfile.TemporaryDirectory(prefix="flexctl-bench-conn-") as tmp:
        work = Path(tmp)
        config = work / "config"
        write_config(config, args.workspaces)
        state = StateDir(work / "state").ensure()
        plane = ControlPlane(work / "cp.db", organization_id=ORG_ID)
        creds = plane.bootstrap(work / "cp.json")
        with plane.running() as root:
            base = f"{root}/api/public/v1"
            ctx = remote_context(base, creds, state=state, config=config)
            asyncio.run(run_once(config, ctx, apply=True))  # the workspaces
            for i in range(args.workspaces):
                for j in range(args.per_workspace):
                    plane.add_connection(f"ws-{i:04d}", f"conn-{i:04d}-{j:02d}", STREAMS)
            plane.set_faults(FaultConfig(latency_ms=args.latency_ms))
            hashed = asyncio.run(run_once(config, ctx, apply=True))
            noop = asyncio.run(run_once(config, ctx, apply=False))
            listed, sequential = asyncio.run(
                sequential_pages(base, creds.client_id, creds.client_secret)
            )
            plane.set_faults(None)
        plane.close()
    pages = math.ceil(total / 100)
    print(
        f"{total} connections in {args.workspaces} workspaces, {args.latency_ms:g} ms per request\n"
        f"apply of the policy: {int(hashed['changes'])} connection updates in "
        f"{hashed.get('apply_s', 0):.2f} s ({int(hashed.get('failed', 0))} failed)\n"
        f"no-op plan: {int(noop['changes'])} changes, {noop['plan_s']:.2f} s, "
        f"{int(noop['calls'])} API calls, GET /connections requests: "
        f"{int(noop['list_requests'])} (ceil(N/100) = {pages} pages hold the data; the rest is "
        "the read-ahead window past the end)\n"
        f"sequential listing (read-ahead 1): {listed} connections in {sequential} requests "
        f"(ceil(N/100) = {pages} + the page that ends the list)"
    )


if __name__ == "__main__":
    main()
