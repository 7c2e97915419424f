"""Issue 10 end to end: runners with their own empty state directories share one backend
(s3 on moto, a git ref in a bare repository) against one served control plane.

- a fresh runner plans exactly what the runner that applied would plan: drift labels,
  blocked deletes, protection, no phantom rotations;
- two applies started at the same moment create each object once;
- an apply killed mid-way is finished from the other runner, with no duplicate and no data
  plane without stored credentials.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.harness import CANARY_WEBHOOK, ORG_ID, edit
from tests.servers.conftest_plugin import unique_name

from .conftest import bare_repo
from .shared import Runner, Shared, make_shared

KINDS = ("workspaces", "regions", "dataplanes")


@pytest.fixture(params=["s3", "git"])
def shared(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Shared]:
    request.getfixturevalue("aws_env")  # the credential sink is AWS Secrets Manager on moto
    if request.param == "s3":
        import boto3

        bucket = unique_name("e2e-state")
        boto3.client("s3").create_bucket(Bucket=bucket)
        url = f"s3://{bucket}/flex"
    else:
        url = f"git+file://{bare_repo(tmp_path / 'state.git')}#refs/flexctl/state"
    world = make_shared(tmp_path, url)
    world.env.update({k: v for k, v in os.environ.items() if k.startswith("AWS_")})
    try:
        yield world
    finally:
        world.server.stop()
    scan = "\n".join(world.printed)
    assert world.env["AIRBYTE_CLIENT_SECRET"] not in scan
    assert CANARY_WEBHOOK not in scan


def _no_duplicates(shared: Shared) -> None:
    for kind in KINDS:
        names = Counter(str(o["name"]) for o in shared.live(kind))
        assert [n for n, c in names.items() if c > 1] == [], kind


def test_a_fresh_runner_plans_what_the_applying_runner_plans(shared: Shared) -> None:
    merge, pr = shared.runner("merge-runner"), shared.runner("pr-runner")
    marketing = shared.config / "workspaces/marketing-eu.yaml"
    edit(marketing, "region: EU\n", "region: EU\nprotect: true\n")
    first = merge.apply()
    assert first.code == 0, first.err
    assert "State: " in first.err and "(shared)" in first.err
    # Its audit document, written behind the apply, holds a record for every change applied.
    applied = re.search(r"Apply complete: (\d+) applied", first.out)
    assert applied is not None, first.out
    shown = pr.run("state", "show", "--output", "json")
    assert shown.code == 0, shown.err
    assert [run["records"] for run in json.loads(shown.out)["audit"]] == [int(applied[1])]

    # A fresh runner: nothing to do, and no data plane looks like a blocked rotation.
    fresh = pr.plan("--detailed-exitcode")
    assert fresh.code == 0, fresh.out + fresh.err
    assert "rotation" not in fresh.out

    # Drift made outside Git, a protected workspace removed from Git, and an unprotected
    # one removed too (prune on for workspaces).
    with shared.http() as http:
        region = next(
            r
            for r in http.get("/regions", params={"organizationId": ORG_ID}).json()
            if r["name"] == "aws-us-east-1"
        )
        assert http.patch(f"/regions/{region['regionId']}", json={"enabled": False}).is_success
    (shared.config / "workspaces/marketing-eu.yaml").unlink()
    edit(shared.config / "organization.yaml", "  workspaces: false", "  workspaces: true")

    here = merge.plan("--prune")
    there = pr.plan("--prune")
    assert here.code == there.code == 0, there.err
    assert there.out == here.out
    assert "~ region aws-us-east-1 (drift: changed outside Git)" in there.out.splitlines()
    assert any(
        line.startswith("- workspace marketing-eu (blocked: protected (protect: true)")
        for line in there.out.splitlines()
    ), there.out
    markdown = pr.plan("--prune", "--output", "markdown")
    assert markdown.out == merge.plan("--prune", "--output", "markdown").out
    assert "drift" in markdown.out.lower()

    # The PR runner's apply heals the drift and says the protected delete was not done (exit
    # 1); the merge runner then sees the same plan: only the blocked delete is left.
    healed = pr.apply("--prune")
    assert healed.code == 1, healed.out + healed.err
    assert "Not done:" in healed.out and "marketing-eu" in healed.out.split("Not done:")[1]
    after = merge.plan("--prune")
    assert after.out == pr.plan("--prune").out
    assert "aws-us-east-1" not in after.out.split("Control plane:")[-1].split("\n", 1)[1]
    released = pr.apply("--prune", "--unprotect", "workspace/marketing-eu")
    assert released.code == 0, released.out + released.err
    again = merge.plan("--prune", "--detailed-exitcode")
    assert again.code == 0, again.out
    assert "marketing-eu" not in {str(w["name"]) for w in shared.live("workspaces")}
    _no_duplicates(shared)


@pytest.mark.parametrize("shared", ["git"], indirect=True)
def test_two_applies_at_the_same_moment_create_each_object_once(shared: Shared) -> None:
    a, b = shared.runner("runner-a"), shared.runner("runner-b")
    procs = [a.start("apply", "config", "--yes"), b.start("apply", "config", "--yes")]
    results = [(*p.communicate(timeout=180), p.returncode) for p in procs]
    shared.printed += [text for out, err, _ in results for text in (out, err)]
    codes = sorted(code for _, _, code in results)
    # One applies; the other either refused on the lease (naming its holder) or found
    # nothing left to do after waiting for it.
    assert codes[0] == 0, results
    loser = [r for r in results if r[2] != 0]
    for _, err, _ in loser:
        assert "lock" in err.lower() or "lease" in err.lower(), err
    _no_duplicates(shared)
    for runner in (a, b):
        plan = runner.plan("--detailed-exitcode")
        assert plan.code == 0, plan.out + plan.err
    assert len(shared.live("dataplanes")) == 2


@pytest.mark.parametrize(("shared", "after"), [("s3", 0.4), ("git", 1.5)], indirect=["shared"])
def test_an_apply_killed_mid_way_is_finished_from_the_other_runner(
    shared: Shared, after: float
) -> None:
    a, b = shared.runner("runner-a"), shared.runner("runner-b")
    victim = a.start("apply", "config", "--yes")
    _kill_after_first_write(shared, victim, after)
    finish = b.apply("--lock-timeout", "0")
    if finish.code != 0:
        # the killed apply's lease has not expired: the message names it; take it over
        assert "lease" in finish.err.lower() or "lock" in finish.err.lower(), finish.err
        lease_id = _lease_id(b)
        assert b.run("state", "unlock", lease_id).code == 0
        finish = b.apply()
    assert finish.code == 0, finish.out + finish.err
    _no_duplicates(shared)
    assert len(shared.live("dataplanes")) == 2
    plan = a.plan("--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err
    verify = b.run("verify", "config")
    assert verify.code == 0, verify.out + verify.err


def _kill_after_first_write(shared: Shared, proc: subprocess.Popen[str], after: float) -> None:
    """SIGKILL ``proc`` ``after`` seconds after the control plane saw its first write."""
    deadline = time.monotonic() + 60
    while not any(str(r["name"]).startswith("aws-") for r in shared.live("regions")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(after)
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate()
    shared.printed += [out, err]


def _lease_id(runner: Runner) -> str:
    shown = runner.run("state", "show", "--output", "json")
    assert shown.code == 0, shown.err
    lease = json.loads(shown.out)["lease"]
    assert lease is not None
    return str(lease["id"])
