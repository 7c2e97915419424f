"""Issue 11 item 4 end to end on the embedded control plane served on a real socket: a
rotation is two steps. After ``apply --rotate`` both the old and the new credentials get a
token (the running cluster is never locked out); ``verify`` sees the new ones accepted; the
next apply deletes the old data plane and only then do its credentials answer 401. The plan
says so in words. Every output of the walk is scanned for both client secrets."""

from __future__ import annotations

import logging
import re

import httpx
import pytest

from reconciler.config.loader import load_directory
from reconciler.sinks import DataplaneCredentials, sink_for
from reconciler.statedir import StateDir

from ..engine.harness import CANARY_WEBHOOK, EXAMPLE_USERS
from .conftest import Cli, Served
from .test_secrets import files_under, leaks, log_text

US = "aws-us-east-1/us-east-1-primary"


def stored(cli: Cli) -> DataplaneCredentials:
    desired = load_directory(cli.config)
    dp = next(d for d in desired.dataplanes if f"{d.region}/{d.name}" == US)
    creds = sink_for(desired, dp, state_dir=StateDir(cli.state), config_dir=cli.config).read()
    assert creds is not None
    return creds


def token_status(served: Served, creds: DataplaneCredentials) -> int:
    answer = httpx.post(
        f"{served.root}/api/v1/dataplanes/token",
        json={"client_id": creds.client_id, "client_secret": creds.client_secret},
    )
    return answer.status_code


def test_rotation_keeps_the_old_credentials_working_until_the_new_ones_verify(
    cli: Cli, served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for email in EXAMPLE_USERS:
        served.plane.add_user(email)
    assert cli("apply", "config", "--yes").code == 0
    old = stored(cli)
    assert token_status(served, old) == 200

    nope = cli("plan", "config", "--rotate", "aws-us-east-1/us-east-1-primry")
    assert nope.code == 1
    assert nope.err == (
        "error: --rotate aws-us-east-1/us-east-1-primry: no declared data plane has that "
        f"REGION/NAME; did you mean {US}?\n"
    )
    plan = cli("plan", "config", "--rotate", US, "--detailed-exitcode")
    assert plan.code == 2
    words = " ".join(plan.out.split())
    assert f"± dataplane {US} (rotate)" in words
    assert "its credentials are delivered to the sink" in words
    assert f"the old data plane {old.dataplane_id} is kept as retiring" in words
    assert "the old credentials stop working when the old data plane is deleted" in words

    rotated = cli("apply", "config", "--yes", "--rotate", US)
    assert rotated.code == 0, rotated.err
    new = stored(cli)
    assert new.dataplane_id != old.dataplane_id
    # Step one done: both work, so the cluster can pick the new Secret up at its own pace.
    assert (token_status(served, old), token_status(served, new)) == (200, 200)
    waiting = cli("plan", "config", "--detailed-exitcode")
    assert waiting.code == 0  # nothing to do until verify: not drift
    assert re.search(
        rf"- dataplane {re.escape(US)} \(blocked: waiting for `flexctl verify` to see the new "
        rf"credentials accepted, or --finish-rotation {re.escape(US)}\)",
        waiting.out,
    )
    # Another apply does not end it early.
    assert cli("apply", "config", "--yes").code == 0
    assert token_status(served, old) == 200

    verified = cli("verify", "config")
    assert verified.code == 0
    assert (
        f"rotation of dataplane {US}: the new credentials are accepted; the next apply deletes "
        f"the old data plane {old.dataplane_id} (its credentials stop working then)"
    ) in verified.out
    finish = cli("plan", "config", "--detailed-exitcode")
    assert finish.code == 2
    assert f"second step of the rotation: the old data plane {old.dataplane_id} is deleted" in (
        " ".join(finish.out.split())
    )
    assert cli("apply", "config", "--yes").code == 0
    assert (token_status(served, old), token_status(served, new)) == (401, 200)
    assert cli("plan", "config", "--detailed-exitcode").code == 0
    assert cli("verify", "config").code == 0

    texts = {f"printed[{i}]": text for i, text in enumerate(cli.printed)}
    texts["log records"] = log_text(caplog.records)
    files = {
        n: d
        for n, d in files_under(cli.state).items()
        if "/credentials/" not in n and "/controlplane/" not in n
    }
    for secret in (old.client_secret, new.client_secret, CANARY_WEBHOOK):
        assert leaks(secret, texts=texts, files=files) == []
