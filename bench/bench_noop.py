"""No-op plan benchmark: ``flexctl plan`` of N applied workspaces against the one-GET-per-object
refresh, both in one run, the control plane in its own process behind ``--latency-ms``.

For each size (default 1,000, 2,000 and 10,000; ``--sizes 100000`` for the big one) it reuses
the rig ``RIGS/N`` (config, applied control-plane db, state: ``bench_scale.prepare``) or
prepares it, serves ``RIGS/N/cp.db`` with ``flexctl controlplane serve --latency-ms 20`` on
``--port``, runs the no-op plan ``--runs`` times as a whole process (after one warm-up, which
writes the bytecode a wheel install has) and prints the median, min and max of its wall time,
its CPU time (user+sys, the child's own ``getrusage``), its peak RSS and the server's CPU per
plan; then the one-GET-per-object refresh
(``bench_plan.terraform_refresh``, Terraform's parallelism of 10, ``--baseline-runs`` times)
and the ratio of the medians. Goals (issue 18): at least 10x at 2,000 and 20x at 10,000;
100,000 under 15 s and 1 GB.

``--vs "COMMAND"`` also runs another flexctl (e.g. main's) in turn with this one, A B A B, and
prints the median of the pair-by-pair CPU and wall ratios, which hold when a shared machine's
speed drifts. The rigs are written to (state, server db): copy a rig made elsewhere first.

    .venv/bin/python bench/bench_noop.py --rigs /tmp/noop-rigs
    .venv/bin/python bench/bench_noop.py --rigs /tmp/noop-rigs --sizes 10000 --runs 5 \\
        --vs "/tmp/base/.venv/bin/flexctl"
    .venv/bin/python bench/bench_noop.py --rigs /tmp/noop-rigs --sizes 100000 --runs 3 \\
        --baseline-runs 1

Never part of the test run; prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shlex
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_plan import terraform_refresh
from bench_scale import prepare, workspace_ids

FLEXCTL = [str(Path(sys.executable).parent / "flexctl")]


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    rss_mb: float
    server_cpu: float
    footer: str


def server_cpu(pid: int) -> float:
    """User+sys seconds the server process has used so far (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def serving(rig: Path, port: int, latency_ms: float) -> Iterator[subprocess.Popen[bytes]]:
    """``flexctl controlplane serve`` of the rig's db in its own process, until the block ends."""
    server = subprocess.Popen(
        [
            *FLEXCTL,
            "controlplane",
            "serve",
            "--db",
            str(rig / "cp.db"),
            "--port",
            str(port),
            "--latency-ms",
            str(latency_ms),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the control plane on port {port} did not start")
            time.sleep(0.1)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


def plan_once(command: Sequence[str], rig: Path, env: dict[str, str], server: int) -> Run:
    """One ``flexctl plan`` process: wall, CPU and peak RSS from its own ``getrusage``."""
    before = server_cpu(server)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*command, "plan", str(rig / "config"), "--state-dir", str(rig / "state")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    out = proc.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    footer = out.strip().splitlines()[-1] if out.strip() else ""
    if proc.returncode != 0 or "No changes" not in footer:
        raise SystemExit(f"not a no-op plan (exit {proc.returncode}): {out[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, cpu, usage.ru_maxrss / 1024, server_cpu(server) - before, footer)


def spread(values: Sequence[float], unit: str, digits: int = 2) -> str:
    med = statistics.median(values)
    return f"{med:.{digits}f} {unit} [{min(values):.{digits}f}-{max(values):.{digits}f}]"


def describe(runs: Sequence[Run]) -> str:
    return (
        f"wall {spread([r.wall for r in runs], 's')}, "
        f"cpu {spread([r.cpu for r in runs], 's')}, "
        f"peak RSS {spread([r.rss_mb for r in runs], 'MB', 0)}, "
        f"server cpu {statistics.median(r.server_cpu for r in runs):.2f} s/plan"
    )


def bench_size(size: int, args: argparse.Namespace) -> None:
    rig = args.rigs / str(size)
    if not (rig / "env").exists():
        rig.mkdir(parents=True, exist_ok=True)
        os.environ.pop("AIRBYTE_API_URL", None)
        prepare(size, rig)
    creds = dict(pair.split("=", 1) for pair in (rig / "env").read_text().split())
    url = f"http://127.0.0.1:{args.port}/api/public/v1"
    env = {**os.environ, **creds, "AIRBYTE_API_URL": url}
    # As installed from a wheel: bytecode written once (by the warm-up), read after.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    other = shlex.split(args.vs) if args.vs else None
    with serving(rig, args.port, args.latency_ms) as server:
        plan_once(FLEXCTL, rig, env, server.pid)  # warm-up: page cache, bytecode, server
        ours: list[Run] = []
        theirs: list[Run] = []
        for _ in range(args.runs):
            ours.append(plan_once(FLEXCTL, rig, env, server.pid))
            if other:
                theirs.append(plan_once(other, rig, env, server.pid))
        ids = workspace_ids(rig)
        baseline = [
            asyncio.run(
                terraform_refresh(
                    url, creds["AIRBYTE_CLIENT_ID"], creds["AIRBYTE_CLIENT_SECRET"], ids
                )
            )
            for _ in range(args.baseline_runs)
        ]
    plan_wall = statistics.median(r.wall for r in ours)
    print(f"N={size}: {ours[-1].footer}")
    print(f"  plan x{len(ours)}: {describe(ours)}")
    if theirs:
        print(f"  vs   x{len(theirs)}: {describe(theirs)}")
        cpu = statistics.median(a.cpu / b.cpu for a, b in zip(ours, theirs, strict=True))
        wall = statistics.median(a.wall / b.wall for a, b in zip(ours, theirs, strict=True))
        print(f"  paired ratio this/vs: cpu {cpu:.2f}x, wall {wall:.2f}x")
    if baseline:  # --baseline-runs 0: the plan alone (100,000 GETs take minutes)
        get_each = statistics.median(baseline)
        print(
            f"  get-each x{len(baseline)} ({len(ids)} GETs at parallelism 10): "
            f"{spread(baseline, 's')} -> plan is {get_each / plan_wall:.1f}x faster (median walls)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 10000])
    parser.add_argument("--rigs", type=Path, required=True, help="rig per size: RIGS/N")
    parser.add_argument("--runs", type=int, default=5, help="plans per size (default 5)")
    parser.add_argument("--baseline-runs", type=int, default=1, help="get-each runs (default 1)")
    parser.add_argument("--port", type=int, default=8760)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--vs", metavar="COMMAND", help="another flexctl, run in turn with this")
    args = parser.parse_args()
    print(f"added latency per request: {args.latency_ms} ms; {args.runs} plans per size")
    for size in args.sizes:
        bench_size(size, args)


if __name__ == "__main__":
    main()
