"""Benchmark: apply of N workspace creates, against sequential and against a bare httpx client.

Each run starts a fresh control plane in its own process (``flexctl controlplane serve
--latency-ms 20``: every request waits 20 ms in the server, standing in for a WAN) and one
client process, so client and server never share an interpreter or a GIL. Client modes:

* ``flexctl``: plan + apply of a config of N workspaces (``bench_scale.fresh_apply``) at the
  default concurrency (16); timed is the apply phase only;
* ``sequential``: the same at concurrency 1 (``--sequential-max`` caps its N: at 20 ms a
  request, 10,000 creates one at a time take over 3 minutes);
* ``bare``: httpx alone POSTing the same bodies (built by flexctl's own payload code before
  the clock starts) at the same concurrency, one token, no journal, no retries.

Figures per mode, medians of ``--runs`` runs (modes interleaved within a run, so the
machine's load falls on all alike): creates per second, client CPU per create (the client
process's own user + system time over the timed phase, every thread), server CPU per create
(``/proc/<pid>/stat`` over the whole client run; the plan of a fresh control plane is a few
requests), and the ratios flexctl/bare (CPU) and flexctl/sequential (rate).

    .venv/bin/python bench/bench_apply.py --sizes 1000 10000 --runs 3
    .venv/bin/python bench/bench_apply.py --sizes 1000 --runs 5 --modes flexctl bare

Never part of the test run; prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from bench_plan import ORG_ID, process_cpu
from bench_scale import client_env, fresh_apply, fresh_config

from reconciler.config.loader import load_directory
from reconciler.controlplane import ControlPlane
from reconciler.engine.payloads import notifications_payload

MODES = ("flexctl", "bare", "sequential")
CONCURRENCY = 16
SERVE = (sys.executable, "-m", "reconciler", "controlplane", "serve")
CLIENT = (sys.executable, __file__, "client")


# ------------------------------------------------------------------ client side (subprocess)


def bare_bodies(size: int, root: Path, region_ids: dict[str, str]) -> list[dict[str, Any]]:
    """The bodies flexctl's executor sends for a fresh config of ``size`` workspaces."""
    desired = load_directory(fresh_config(root, size))

    def no_secrets(ref: Any, where: str) -> str:
        raise AssertionError(f"{where}: the bench config holds no secret reference")

    return [
        {
            "name": ws.name,
            "regionId": region_ids[ws.region.lower()],
            "organizationId": ORG_ID,
            "notifications": notifications_payload(ws, no_secrets),
        }
        for ws in desired.workspaces
    ]


async def bare_apply(size: int, env: dict[str, str], concurrency: int) -> dict[str, float]:
    """httpx alone: one token, then the same POSTs at the same concurrency."""
    async with httpx.AsyncClient(base_url=env["AIRBYTE_API_URL"] + "/", timeout=60) as http:
        grant = {
            "grant_type": "client_credentials",
            "client_id": env["AIRBYTE_CLIENT_ID"],
            "client_secret": env["AIRBYTE_CLIENT_SECRET"],
        }
        token = (await http.post("applications/token", json=grant)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        # The region flexctl's config declares, as its apply creates it (not timed).
        made = await http.post(
            "regions",
            json={"name": "aws-us-east-1", "organizationId": ORG_ID, "enabled": True},
            headers=headers,
        )
        if made.status_code != 409:  # 409: made by an earlier run against this server
            made.raise_for_status()
        listed = await http.get("regions", params={"organizationId": ORG_ID}, headers=headers)
        region_ids = {str(r["name"]).lower(): str(r["regionId"]) for r in listed.json()}
        with tempfile.TemporaryDirectory(prefix="flexctl-bare-") as tmp:
            bodies = bare_bodies(size, Path(tmp) / "config", region_ids)
        gate = asyncio.Semaphore(concurrency)
        failed = 0

        async def post(body: dict[str, Any]) -> None:
            nonlocal failed
            async with gate:
                response = await http.post("workspaces", json=body, headers=headers)
            if response.is_success:
                response.json()
            else:
                failed += 1

        cpu, started = process_cpu(), time.perf_counter()
        await asyncio.gather(*(post(b) for b in bodies))
        return {
            "changes": len(bodies),
            "apply_s": time.perf_counter() - started,
            "apply_cpu_s": process_cpu() - cpu,
            "apply_failed": failed,
        }


def run_client(mode: str, size: int, concurrency: int) -> None:
    env = client_env(os.environ["AIRBYTE_API_URL"])
    if mode == "bare":
        result = asyncio.run(bare_apply(size, env, concurrency))
    else:
        result = fresh_apply(size, env, concurrency=concurrency)
    print(json.dumps(result))


# ------------------------------------------------------------------ driver


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(mode: str, size: int, latency_ms: float, work: Path) -> dict[str, float]:
    """A fresh control plane served in its own process, one client process against it."""
    db = work / f"{mode}-{size}.db"
    plane = ControlPlane(db, organization_id=ORG_ID)
    creds = plane.bootstrap(work / f"{mode}-{size}.json")
    plane.close()
    port = free_port()
    server = subprocess.Popen(
        [*SERVE, "--db", str(db), "--port", str(port), "--latency-ms", str(latency_ms)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, server)
        env = {
            **os.environ,
            "AIRBYTE_API_URL": f"http://127.0.0.1:{port}/api/public/v1",
            "AIRBYTE_CLIENT_ID": creds.client_id,
            "AIRBYTE_CLIENT_SECRET": creds.client_secret,
        }
        concurrency = 1 if mode == "sequential" else CONCURRENCY
        cpu = server_cpu(server.pid)
        answer = subprocess.run(
            [*CLIENT, "--mode", mode, "--size", str(size), "--concurrency", str(concurrency)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        result: dict[str, float] = json.loads(answer.stdout.strip().splitlines()[-1])
        result["server_cpu_s"] = server_cpu(server.pid) - cpu
        return result
    finally:
        server.terminate()
        server.wait(timeout=30)
        db.unlink(missing_ok=True)


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the control plane exited with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the control plane did not start in 30 s")


def report(size: int, runs: dict[str, list[dict[str, float]]]) -> None:
    def med(mode: str, figure: str) -> float:
        return statistics.median(figure_of(r, figure) for r in runs[mode])

    def figure_of(r: dict[str, float], figure: str) -> float:
        if figure == "rate":
            return r["changes"] / r["apply_s"]
        if figure == "client_ms":
            return 1000 * r["apply_cpu_s"] / r["changes"]
        return 1000 * r["server_cpu_s"] / r["changes"]

    for mode, results in runs.items():
        failed = sum(int(r.get("apply_failed", 0)) for r in results)
        rates = ", ".join(f"{figure_of(r, 'rate'):.0f}" for r in results)
        print(
            f"N={size:>6} {mode:<10} {int(results[0]['changes']):>6} creates: "
            f"{med(mode, 'rate'):6.0f}/s (runs: {rates}), client CPU "
            f"{med(mode, 'client_ms'):5.2f} ms/create, server CPU "
            f"{med(mode, 'server_ms'):5.2f} ms/create, {failed} failed"
        )
    if "flexctl" in runs and "bare" in runs:
        ratios = [
            figure_of(f, "client_ms") / figure_of(b, "client_ms")
            for f, b in zip(runs["flexctl"], runs["bare"], strict=True)
        ]
        print(
            f"N={size:>6} client CPU flexctl/bare: {statistics.median(ratios):.2f}x "
            f"(paired runs: {', '.join(f'{r:.2f}' for r in ratios)}); rate flexctl/bare "
            f"{med('flexctl', 'rate') / med('bare', 'rate'):.2f}x"
        )
    if "flexctl" in runs and "sequential" in runs:
        print(
            f"N={size:>6} rate flexctl/sequential: "
            f"{med('flexctl', 'rate') / med('sequential', 'rate'):.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="step")
    c = sub.add_parser("client", help="one client run (the driver starts it)")
    c.add_argument("--mode", choices=MODES, required=True)
    c.add_argument("--size", type=int, required=True)
    c.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3, help="runs per mode and size (median)")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--sequential-max", type=int, default=1000, metavar="N")
    args = parser.parse_args()
    if args.step == "client":
        run_client(args.mode, args.size, args.concurrency)
        return
    print(f"added latency per request: {args.latency_ms} ms; concurrency {CONCURRENCY}")
    with tempfile.TemporaryDirectory(prefix="flexctl-bench-apply-") as tmp:
        for size in args.sizes:
            runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in args.modes}
            for _ in range(args.runs):
                for mode in args.modes:
                    n = min(size, args.sequential_max) if mode == "sequential" else size
                    runs[mode].append(one_run(mode, n, args.latency_ms, Path(tmp)))
            report(size, runs)


if __name__ == "__main__":
    main()
