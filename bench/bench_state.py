"""Benchmark: what a state backend adds to an apply of N creates and to a no-op plan.

For each backend -- ``local`` (the state directory), ``s3`` (moto's standalone server on
loopback) and ``git`` (a ref in a local bare repository) -- a fresh control plane is served
in its own process (``flexctl controlplane serve``), then, each as a whole ``flexctl`` process:

1. ``apply`` of a config of ``--size`` workspaces (default 100) plus a region and a data plane:
   every create is journalled in the backend, the inventory saved there, the lease held;
2. ``--runs`` no-op ``plan``s per backend, interleaved (local, s3, git, local, ...) so load on
   the machine hits every backend alike; median and min, and the median added over local.

    .venv/bin/python bench/bench_state.py                 # 100 creates, 7 plans each
    .venv/bin/python bench/bench_state.py --size 100 --runs 9

Never part of the test run; prints figures, asserts nothing (goal: < 0.3 s added to a no-op
plan).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_plan import ORG_ID, write_config

from reconciler.controlplane import ControlPlane

FLEXCTL = [sys.executable, "-m", "reconciler"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early: {proc.args}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"no answer from {url}")


def start_moto(work: Path) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    port = free_port()
    binary = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    log = (work / "moto.log").open("wb")
    proc = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log)
    wait_http(f"http://127.0.0.1:{port}/", proc)
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    return proc, env


def serve(work: Path) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """A fresh control plane in its own process; the API variables for flexctl."""
    db = work / "cp.db"
    creds = ControlPlane(db, organization_id=ORG_ID).bootstrap(work / "cp-admin-credentials.json")
    port = free_port()
    log = (work / "serve.log").open("wb")
    proc = subprocess.Popen(
        [*FLEXCTL, "controlplane", "serve", "--db", str(db), "--port", str(port),
         "--organization-id", ORG_ID, "--state-dir", str(work / "cp")],
        stdout=log, stderr=log,
    )  # fmt: skip
    wait_http(f"http://127.0.0.1:{port}/api/public/v1/health", proc)
    return proc, {
        "AIRBYTE_API_URL": f"http://127.0.0.1:{port}/api/public/v1",
        "AIRBYTE_CLIENT_ID": creds.client_id,
        "AIRBYTE_CLIENT_SECRET": creds.client_secret,
    }


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-state-"))
    moto, aws = start_moto(work)
    procs = [moto]
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("FLEXCTL_", "CI"))}
    base_env |= aws
    os.environ.update(aws)  # for the bucket made here
    import boto3

    boto3.client("s3", endpoint_url=aws["AWS_ENDPOINT_URL"], region_name="us-east-1").create_bucket(
        Bucket="bench-state"
    )
    subprocess.run(["git", "init", "-q", "--bare", str(work / "state.git")], check=True)
    backends = {
        "local": "local",
        "s3": "s3://bench-state/flex",
        "git": f"git+file://{work / 'state.git'}#refs/flexctl/state",
    }
    config = work / "config"
    write_config(config, args.size)
    commands: dict[str, tuple[list[str], dict[str, str]]] = {}
    try:
        for name, url in backends.items():
            home = work / name
            home.mkdir()
            server, api = serve(home)
            procs.append(server)
            env = base_env | api
            common = ["--state-dir", str(home / "state"), "--state", url]
            seconds = timed(
                [*FLEXCTL, "apply", str(config), "--yes", "--allow-local-credentials", *common],
                env,
            )
            print(f"apply of {args.size} workspaces + region + data plane, {name}: {seconds:.2f} s")
            commands[name] = ([*FLEXCTL, "plan", str(config), *common], env)
        times: dict[str, list[float]] = {name: [] for name in backends}
        for _ in range(args.runs):
            for name, (argv, env) in commands.items():
                times[name].append(timed(argv, env))
        local = statistics.median(times["local"])
        for name, values in times.items():
            median = statistics.median(values)
            print(
                f"no-op plan, {name:5}: median {median:.3f} s, min {min(values):.3f} s, "
                f"max {max(values):.3f} s, added over local {median - local:+.3f} s "
                f"({args.runs} runs)"
            )
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
