"""Benchmark: no-op plan and apply against the embedded control plane on a real socket.

Stands in for a control plane across a WAN: every request gets ``--latency-ms`` added
(default 20 ms). For each size N (default 100, 1,000, 10,000 workspaces):

1. apply N workspace creates (and one region + one data plane) with the default
   concurrency -- the measured "apply" time;
2. a no-op plan: wall time and API calls (goal: 10,000 in under 5 s with at most
   1 + ceil(N/100) + a few calls);
3. a Terraform-style refresh of the same objects: one GET per object with Terraform's
   default parallelism of 10 -- and the ratio to flexctl's list-based refresh.

``--serial-apply N`` also applies N creates one request at a time (concurrency 1) and
prints the speed-up of the concurrent apply (goal: at least 8x for 1,000).

    .venv/bin/python bench/bench_plan.py                # 100, 1000, 10000
    .venv/bin/python bench/bench_plan.py --sizes 1000 --serial-apply 1000

Never part of the test run; prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import resource
import tempfile
import time
from pathlib import Path

import httpx

from reconciler.config.loader import load_directory
from reconciler.controlplane import AdminCredentials, ControlPlane, FaultConfig
from reconciler.engine.apply import apply_prepared
from reconciler.engine.session import RunContext, connect, prepare
from reconciler.statedir import StateDir

ORG_ID = "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f"

ORGANIZATION = f"""\
apiVersion: flexctl/v1
kind: Organization
name: bench
organizationId: {ORG_ID}
airbyteUrl: https://airbyte.bench.example
secretsManager:
  type: AWS_SECRET_MANAGER
  awsSecretManager: {{region: us-east-1, authenticationType: instanceProfile}}
defaultStorage:
  type: s3
  buckets: {{log: b, state: b, workloadOutput: b, activityPayload: b}}
  s3: {{region: us-east-1, authenticationType: instanceProfile}}
---
apiVersion: flexctl/v1
kind: Region
name: aws-us-east-1
jurisdiction: US
---
apiVersion: flexctl/v1
kind: DataPlane
name: primary
region: aws-us-east-1
cluster: {{kubeContext: bench, namespace: airbyte, releaseName: primary}}
"""


def write_config(root: Path, workspaces: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "organization.yaml").write_text(ORGANIZATION)
    per_file = 100
    for start in range(0, workspaces, per_file):
        docs = []
        for i in range(start, min(start + per_file, workspaces)):
            region = "aws-us-east-1" if i % 2 else "EU"
            docs.append(
                f"apiVersion: flexctl/v1\nkind: Workspace\nname: ws-{i:05d}\nregion: {region}\n"
                "notifications:\n  failure: {email: {enabled: true}}\n"
            )
        (root / f"workspaces-{start:05d}.yaml").write_text("---\n".join(docs))


async def plan_and_apply(config: Path, ctx: RunContext, *, apply: bool) -> dict[str, float]:
    desired = load_directory(config)
    started = time.perf_counter()
    async with connect(desired, ctx) as conn:
        prepared = await prepare(conn, desired, ctx)
        planned = time.perf_counter()
        calls = conn.client.calls.api
        result: dict[str, float] = {
            "plan_s": planned - started,
            "plan_calls": calls,
            "changes": len(prepared.plan.actionable),
        }
        if apply and prepared.plan.has_changes:
            cpu = process_cpu()
            outcome = await apply_prepared(conn, desired, prepared, ctx, max_deletes=0)
            result["apply_s"] = time.perf_counter() - planned
            result["apply_cpu_s"] = process_cpu() - cpu
            result["apply_failed"] = len(outcome.failed)
            result["apply_calls"] = conn.client.calls.api - calls
    return result


def process_cpu() -> float:
    """CPU seconds (user + system, every thread) this process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def terraform_refresh(base: str, client_id: str, secret: str, ids: list[str]) -> float:
    """One GET per workspace, 10 at a time (Terraform's default -parallelism)."""
    async with httpx.AsyncClient(timeout=60) as http:
        token = (
            await http.post(
                f"{base}/applications/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": secret,
                },
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        sem = asyncio.Semaphore(10)

        async def get(workspace_id: str) -> None:
            async with sem:
                response = await http.get(f"{base}/workspaces/{workspace_id}", headers=headers)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(get(i) for i in ids))
        return time.perf_counter() - started


def remote_context(
    base: str, creds: AdminCredentials, *, state: StateDir, config: Path
) -> RunContext:
    """A run against the control plane at ``base`` with its admin credentials."""
    env = {
        "AIRBYTE_API_URL": base,
        "AIRBYTE_CLIENT_ID": creds.client_id,
        "AIRBYTE_CLIENT_SECRET": creds.client_secret,
    }
    return RunContext(state=state, env=env, source={"path": str(config)})


def run_size(size: int, latency_ms: float, work: Path) -> None:
    config = work / f"config-{size}"
    write_config(config, size)
    state = StateDir(work / f"state-{size}").ensure()
    plane = ControlPlane(work / f"cp-{size}.db", organization_id=ORG_ID)
    creds = plane.bootstrap(work / f"cp-{size}.json")
    with plane.running() as root:
        base = f"{root}/api/public/v1"
        ctx = remote_context(base, creds, state=state, config=config)
        plane.set_faults(FaultConfig(latency_ms=latency_ms))
        applied = asyncio.run(plan_and_apply(config, ctx, apply=True))
        noop = asyncio.run(plan_and_apply(config, ctx, apply=False))
        ids = _workspace_ids(plane)
        tf = asyncio.run(terraform_refresh(base, creds.client_id, creds.client_secret, ids))
        plane.set_faults(None)
    plane.close()
    goal_calls = 1 + math.ceil(size / 100)
    print(
        f"N={size:>6}  apply {int(applied['changes'])} creates: {applied.get('apply_s', 0):6.2f} s "
        f"({int(applied.get('apply_calls', 0))} calls, "
        f"{int(applied.get('apply_failed', 0))} failed)"
        f" | no-op plan: {noop['plan_s']:5.2f} s, {int(noop['plan_calls'])} API calls "
        f"(1+ceil(N/100) = {goal_calls}), {int(noop['changes'])} changes"
        f" | one-GET-per-object refresh: {tf:6.2f} s ({len(ids)} GETs) -> "
        f"{tf / noop['plan_s']:5.1f}x slower than flexctl's plan"
    )


def _workspace_ids(plane: ControlPlane) -> list[str]:
    with plane.store.read() as db:
        return [str(row[0]) for row in db.execute("SELECT id FROM workspaces")]


def serial_vs_concurrent(count: int, latency_ms: float, work: Path) -> None:
    timings = {}
    for concurrency in (1, 16):
        config = work / f"serial-config-{concurrency}"
        write_config(config, count)
        state = StateDir(work / f"serial-state-{concurrency}").ensure()
        plane = ControlPlane(work / f"serial-{concurrency}.db", organization_id=ORG_ID)
        creds = plane.bootstrap(work / f"serial-{concurrency}.json")
        with plane.running() as root:
            env = {
                "AIRBYTE_API_URL": f"{root}/api/public/v1",
                "AIRBYTE_CLIENT_ID": creds.client_id,
                "AIRBYTE_CLIENT_SECRET": creds.client_secret,
            }
            ctx = RunContext(state=state, env=env, max_concurrency=concurrency)
            plane.set_faults(FaultConfig(latency_ms=latency_ms))
            result = asyncio.run(plan_and_apply(config, ctx, apply=True))
        plane.close()
        timings[concurrency] = result["apply_s"]
        print(f"apply {count} creates, concurrency {concurrency:>2}: {result['apply_s']:6.2f} s")
    print(f"speed-up of concurrent apply: {timings[1] / timings[16]:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--serial-apply", type=int, default=0, metavar="N")
    args = parser.parse_args()
    os.environ.pop("AIRBYTE_API_URL", None)
    with tempfile.TemporaryDirectory(prefix="flexctl-bench-") as tmp:
        work = Path(tmp)
        print(f"added latency per request: {args.latency_ms} ms")
        for size in args.sizes:
            run_size(size, args.latency_ms, work)
        if args.serial_apply:
            serial_vs_concurrent(args.serial_apply, args.latency_ms, work)


if __name__ == "__main__":
    main()
