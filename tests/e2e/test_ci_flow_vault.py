"""The documented CI flow with a secrets-manager sink, end to end (issue 11, done means).

A config repository (a bare remote) declares a data plane whose credentials go to Vault
(a real OpenBao dev server). A pull request adds it; the PR job plans it from an empty runner
(``plan --repo --ref PR --base main``); the merge job, on another empty runner, applies main
and hydrates the rendered folders into a fleet repository. Then the cluster's side, with no
person involved: a clone of the fleet branch holds the data plane's folder, whose
ExternalSecret is resolved the way the External Secrets Operator resolves it (each
``remoteRef`` read from Vault with the cluster store's read-only token), and the Secret built
that way gets a data-plane token from the control plane. The state is a git ref shared by the
runners. No output, state document or fleet file holds the client secret.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import hvac
import pytest
from ruamel.yaml import YAML

from tests.engine.harness import CANARY_WEBHOOK, WEBHOOK_ENV, copy_example, edit
from tests.gitops.gitrepos import Remote
from tests.servers.conftest_plugin import OpenBao
from tests.servers.procs import Server
from tests.servers.vaultadmin import READ_ONLY, token_with_policy
from tests.state.conftest import bare_repo
from tests.state.shared import REPO, serve_control_plane

NEW_DP = "dataplanes/aws-us-east-1.yaml"
OTHER_DP = "dataplanes/aws-ap-southeast-2.yaml"


def _vault_sink(path: Path, address: str, mount_path: str) -> None:
    edit(
        path,
        "credentials:\n  type: file\n",
        "credentials:\n  type: vault\n  vault:\n"
        f"    address: {address}\n    path: {mount_path}/{{region}}/{{dataplane}}\n"
        "    auth: {method: token, token: {env: BAO_TOKEN}}\n"
        "  store: {name: openbao, kind: ClusterSecretStore}\n",
    )


class Flow:
    def __init__(self, root: Path, openbao: OpenBao) -> None:
        self.root = root
        self.openbao = openbao
        self.server: Server
        self.server, api_env = serve_control_plane(root)
        self.config_repo = Remote(root / "config-repo")
        self.fleet = bare_repo(root / "fleet.git")
        self.state_url = f"git+file://{bare_repo(root / 'state.git')}#refs/flexctl/state"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("FLEXCTL_", "AIRBYTE_"))},
            **api_env,
            "CI": "true",  # both jobs run in CI: no fallback, no local credentials
            "BAO_TOKEN": openbao.root_token,  # the CI job's secret
            WEBHOOK_ENV: CANARY_WEBHOOK,
            "PYTHONPATH": str(REPO),
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "ci",
            "GIT_AUTHOR_EMAIL": "ci@example.invalid",
            "GIT_COMMITTER_NAME": "ci",
            "GIT_COMMITTER_EMAIL": "ci@example.invalid",
        }
        self.printed: list[str] = []

    def flexctl(self, runner: str, *args: str) -> subprocess.CompletedProcess[str]:
        """One CI job step on a runner that starts with an empty state directory."""
        state_dir = self.root / "runners" / runner
        argv = [sys.executable, "-m", "reconciler", *args, "--state-dir", str(state_dir)]
        done = subprocess.run(
            [*argv, "--state", self.state_url],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        self.printed += [done.stdout, done.stderr]
        return done


@pytest.fixture
def flow(tmp_path: Path, openbao: OpenBao) -> Iterator[Flow]:
    made = Flow(tmp_path, openbao)
    try:
        yield made
    finally:
        made.server.stop()
        made.config_repo.close()


def _eso_resolve(
    external_secret: dict[str, object], openbao: OpenBao, token: str
) -> dict[str, str]:
    """What the External Secrets Operator's Vault provider (KV v2, ``path: secret``) puts in
    the Secret: each ``data`` entry's ``remoteRef`` key/property, read with the store's token."""
    client = hvac.Client(url=openbao.url, token=token)
    spec = external_secret["spec"]
    assert isinstance(spec, dict)
    secret: dict[str, str] = {}
    for entry in spec["data"]:
        ref = entry["remoteRef"]
        answer = client.secrets.kv.v2.read_secret_version(
            path=ref["key"], mount_point="secret", raise_on_deleted_version=True
        )
        secret[entry["secretKey"]] = answer["data"]["data"][ref["property"]]
    return secret


def test_pr_plan_then_merge_apply_delivers_credentials_to_the_cluster_through_vault(
    flow: Flow,
) -> None:
    mount_path = "airbyte/dataplanes"
    work = flow.config_repo.work_path
    copy_example(work / "config")
    edit(
        work / "config" / "organization.yaml",
        "airbyteUrl: https://airbyte.acme.example",
        f"airbyteUrl: {flow.server.url}",
    )
    _vault_sink(work / "config" / OTHER_DP, flow.openbao.url, mount_path)
    new_dp = (work / "config" / NEW_DP).read_text()
    (work / "config" / NEW_DP).unlink()
    flow.config_repo.commit({}, "the platform, one data plane")
    flow.config_repo.push("main")
    repo = flow.config_repo.bare_path.as_uri()
    apply_main = ("apply", "--repo", repo, "--ref", "main", "--path", "config", "--yes",
                  "--to-git", str(flow.fleet), "--branch", "clusters")  # fmt: skip
    first = flow.flexctl("merge-0", *apply_main)
    assert first.returncode == 0, first.stdout + first.stderr

    # The pull request adds a data plane whose credentials go to Vault.
    flow.config_repo.branch("add-us-east-1")
    (work / "config" / NEW_DP).write_text(new_dp)
    _vault_sink(work / "config" / NEW_DP, flow.openbao.url, mount_path)
    flow.config_repo.commit({}, "add the us-east-1 data plane")
    flow.config_repo.push("add-us-east-1")
    pr = flow.flexctl(
        "pr", "plan", "--repo", repo, "--ref", "add-us-east-1", "--base", "main",
        "--path", "config", "--output", "markdown", "--detailed-exitcode",
    )  # fmt: skip
    assert pr.returncode == 2, pr.stdout + pr.stderr
    assert "dataplane aws-us-east-1/us-east-1-primary" in pr.stdout
    assert "config/dataplanes/aws-us-east-1.yaml" in pr.stdout  # the changed document

    # Merged: the merge job on a fresh runner applies main and hydrates the fleet branch.
    flow.config_repo.switch("main")
    flow.config_repo.work.git.merge("-q", "--ff-only", "add-us-east-1")
    flow.config_repo.push("main")
    merged = flow.flexctl("merge-1", *apply_main)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "Hydrated" in merged.stdout

    # The cluster: its GitOps engine checks out the fleet branch; the ExternalSecret in the
    # data plane's folder is resolved from Vault with the store's own read-only token.
    cluster = flow.root / "cluster"
    subprocess.run(
        ["git", "clone", "-q", "--branch", "clusters", str(flow.fleet), str(cluster)],
        check=True,
        env=flow.env,
    )
    [folder] = [p for p in cluster.rglob("externalsecret.yaml") if "us-east-1-primary" in str(p)]
    external_secret = YAML(typ="safe", pure=True).load(folder.read_text())
    store_token = token_with_policy(flow.openbao, READ_ONLY)
    secret = _eso_resolve(external_secret, flow.openbao, store_token)
    token = httpx.post(
        f"{flow.server.url}/api/v1/dataplanes/token",
        json={
            "client_id": secret["DATAPLANE_CLIENT_ID"],
            "client_secret": secret["DATAPLANE_CLIENT_SECRET"],
        },
    )
    assert token.status_code == 200, token.text
    assert token.json()["access_token"]

    # Nothing but Vault holds the client secret: outputs, state ref, fleet branch, runners.
    client_secret = secret["DATAPLANE_CLIENT_SECRET"]
    for text in flow.printed:
        assert client_secret not in text
        assert flow.env["AIRBYTE_CLIENT_SECRET"] not in text
        assert CANARY_WEBHOOK not in text
    for bare in (flow.fleet, flow.root / "state.git"):
        dump = subprocess.run(
            ["git", "-C", str(bare), "log", "--all", "-p", "--format=%H"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert dump and client_secret not in dump
    for runner in (flow.root / "runners").iterdir():
        for path in runner.rglob("*"):
            if path.is_file():
                assert client_secret.encode() not in path.read_bytes(), path
    shutil.rmtree(flow.root / "runners")  # the runners go away; the cluster keeps working
    again = httpx.post(
        f"{flow.server.url}/api/v1/dataplanes/token",
        json={
            "client_id": secret["DATAPLANE_CLIENT_ID"],
            "client_secret": secret["DATAPLANE_CLIENT_SECRET"],
        },
    )
    assert again.status_code == 200
