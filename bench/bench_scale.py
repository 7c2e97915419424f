"""Scale benchmark pieces, each one whole process, for timing from outside (e.g. /usr/bin/time).

The control plane runs in its own process (``flexctl controlplane serve --latency-ms 20``: every
request waits 20 ms in the server, standing in for a WAN), so client and server never share an
interpreter. Steps:

    D=/tmp/scale-10k
    .venv/bin/python bench/bench_scale.py prepare --size 10000 --dir $D   # config + applied state
    .venv/bin/flexctl controlplane serve --db $D/cp.db --port 8710 --latency-ms 20 &
    export AIRBYTE_API_URL=http://127.0.0.1:8710/api/public/v1 $(cat $D/env)
    .venv/bin/flexctl plan $D/config --state-dir $D/state             # the no-op plan
    .venv/bin/python bench/bench_scale.py get-each --dir $D           # one GET per workspace
    .venv/bin/flexctl validate $D/config                              # validate only
    .venv/bin/python bench/bench_scale.py apply --size 1000           # N fresh creates

``get-each`` is the baseline of a one-GET-per-object refresh (Terraform's, at its default
parallelism of 10), token request included. ``apply`` writes a config of ``--size`` workspaces
with a fresh name prefix, so every run creates them all, and prints creates per second of the
apply phase (plan excluded). Prints figures, asserts nothing; never part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_plan import ORG_ID, plan_and_apply, terraform_refresh, write_config

from reconciler.controlplane import ControlPlane
from reconciler.engine.session import RunContext
from reconciler.statedir import StateDir


def prepare(size: int, work: Path) -> None:
    """Config of ``size`` workspaces, applied (no added latency) to ``work/cp.db``."""
    config = work / "config"
    write_config(config, size)
    state = StateDir(work / "state").ensure()
    plane = ControlPlane(work / "cp.db", organization_id=ORG_ID)
    creds = plane.bootstrap(work / "cp-admin-credentials.json")
    with plane.running() as root:
        env = {
            "AIRBYTE_API_URL": f"{root}/api/public/v1",
            "AIRBYTE_CLIENT_ID": creds.client_id,
            "AIRBYTE_CLIENT_SECRET": creds.client_secret,
        }
        ctx = RunContext(state=state, env=env, source={"path": str(config)})
        started = time.perf_counter()
        result = asyncio.run(plan_and_apply(config, ctx, apply=True))
    plane.close()
    (work / "env").write_text(
        f"AIRBYTE_CLIENT_ID={creds.client_id} AIRBYTE_CLIENT_SECRET={creds.client_secret}\n"
    )
    print(f"prepared {size} workspaces in {time.perf_counter() - started:.1f} s: {result}")


def workspace_ids(work: Path) -> list[str]:
    """Ids of the live workspaces in the rig's control-plane db (read only)."""
    db = sqlite3.connect(f"file:{work / 'cp.db'}?mode=ro", uri=True)
    ids = [str(row[0]) for row in db.execute("SELECT id FROM workspaces WHERE tombstone = 0")]
    db.close()
    return ids


def get_each(work: Path, url: str) -> None:
    ids = workspace_ids(work)
    client_id, secret = os.environ["AIRBYTE_CLIENT_ID"], os.environ["AIRBYTE_CLIENT_SECRET"]
    seconds = asyncio.run(terraform_refresh(url, client_id, secret, ids))
    print(f"{len(ids)} GETs at parallelism 10: {seconds:.2f} s")


def fresh_config(root: Path, size: int) -> Path:
    """A config of ``size`` workspaces whose names no earlier run used (every one a create)."""
    write_config(root, size)
    prefix = uuid.uuid4().hex[:8]
    for path in root.glob("workspaces-*.yaml"):
        path.write_text(path.read_text().replace("name: ws-", f"name: ws-{prefix}-"))
    return root


def fresh_apply(size: int, env: dict[str, str], *, concurrency: int = 16) -> dict[str, float]:
    """Plan and apply ``size`` fresh creates against ``env``'s control plane, in this process:
    ``plan_and_apply``'s figures (``apply_s``, ``apply_cpu_s``: the apply phase alone)."""
    with tempfile.TemporaryDirectory(prefix="flexctl-apply-") as tmp:
        config = fresh_config(Path(tmp) / "config", size)
        state = StateDir(Path(tmp) / "state").ensure()
        ctx = RunContext(
            state=state, env=env, source={"path": str(config)}, max_concurrency=concurrency
        )
        return asyncio.run(plan_and_apply(config, ctx, apply=True))


def client_env(url: str) -> dict[str, str]:
    """The API URL and the admin credentials (from the environment) a client run uses."""
    return {
        "AIRBYTE_API_URL": url,
        "AIRBYTE_CLIENT_ID": os.environ["AIRBYTE_CLIENT_ID"],
        "AIRBYTE_CLIENT_SECRET": os.environ["AIRBYTE_CLIENT_SECRET"],
    }


def apply_fresh(size: int, url: str) -> None:
    result = fresh_apply(size, client_env(url))
    seconds = result.get("apply_s", 0.0)
    creates = result["changes"]
    print(
        f"apply: {int(creates)} changes in {seconds:.2f} s = {creates / seconds:.0f}/s "
        f"({int(result.get('apply_failed', 0))} failed), client CPU "
        f"{result.get('apply_cpu_s', 0.0) * 1000 / creates:.2f} ms per change; "
        f"plan {result['plan_s']:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--dir", type=Path, required=True)
    g = sub.add_parser("get-each")
    g.add_argument("--dir", type=Path, required=True)
    a = sub.add_parser("apply")
    a.add_argument("--size", type=int, default=1000)
    args = parser.parse_args()
    if args.step == "prepare":
        args.dir.mkdir(parents=True, exist_ok=True)
        os.environ.pop("AIRBYTE_API_URL", None)
        prepare(args.size, args.dir)
    elif args.step == "get-each":
        get_each(args.dir, os.environ["AIRBYTE_API_URL"])
    else:
        apply_fresh(args.size, os.environ["AIRBYTE_API_URL"])


if __name__ == "__main__":
    main()
