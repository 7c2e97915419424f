"""Two CI runners and one shared state: the embedded control plane served on a socket in its
own process, the example config with its data planes' credentials in AWS Secrets Manager
(moto on loopback), and runners that each have their own, initially empty, state directory.

``Runner.run`` calls ``flexctl`` in a fresh interpreter (the way CI does, and so it can be
killed); ``Runner.start`` returns the process without waiting.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from reconciler.controlplane import ControlPlane
from tests.engine.harness import (
    CANARY_WEBHOOK,
    EXAMPLE_USERS,
    ORG_ID,
    WEBHOOK_ENV,
    copy_example,
    edit,
)
from tests.servers.procs import Server, free_port, start

REPO = Path(__file__).resolve().parents[2]
DATAPLANE_FILES = ("dataplanes/aws-us-east-1.yaml", "dataplanes/aws-ap-southeast-2.yaml")


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


@dataclass
class Shared:
    """One control plane, one config, one state URL; runners are made on demand."""

    root: Path
    state_url: str
    server: Server
    env: dict[str, str]
    #: Everything every command printed, for the secret scans.
    printed: list[str] = field(default_factory=list)

    @property
    def config(self) -> Path:
        return self.root / "config"

    def runner(self, name: str) -> Runner:
        return Runner(self, self.root / name)

    def api_creds(self) -> dict[str, str]:
        return {
            "url": self.env["AIRBYTE_API_URL"],
            "client_id": self.env["AIRBYTE_CLIENT_ID"],
            "client_secret": self.env["AIRBYTE_CLIENT_SECRET"],
        }

    def http(self) -> httpx.Client:
        """A client of the served control plane, for changes made outside Git."""
        creds = self.api_creds()
        token = httpx.post(
            f"{creds['url']}/applications/token",
            json={"client_id": creds["client_id"], "client_secret": creds["client_secret"]},
        ).json()["access_token"]
        return httpx.Client(base_url=creds["url"], headers={"Authorization": f"Bearer {token}"})

    def live(self, kind: str) -> list[dict[str, object]]:
        """Every live object of one kind: workspaces, regions or dataplanes."""
        with self.http() as http:
            if kind == "workspaces":
                return list(http.get("/workspaces", params={"limit": 100}).json()["data"])
            regions = http.get("/regions", params={"organizationId": ORG_ID}).json()
            if kind == "regions":
                return list(regions)
            found: list[dict[str, object]] = []
            for region in regions:
                if region.get("organizationId") != ORG_ID:
                    continue
                answer = http.get("/dataplanes", params={"regionIds": region["regionId"]})
                assert answer.is_success, answer.text
                found += answer.json()
            return found


@dataclass
class Runner:
    shared: Shared
    state_dir: Path

    def argv(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "reconciler",
            *args,
            "--state-dir",
            str(self.state_dir),
            "--state",
            self.shared.state_url,
        ]

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.argv(*args),
            cwd=self.shared.root,
            env=self.shared.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str) -> Result:
        proc = self.start(*args)
        out, err = proc.communicate(timeout=120)
        self.shared.printed += [out, err]
        return Result(proc.returncode, out, err)

    def plan(self, *args: str) -> Result:
        return self.run("plan", "config", *args)

    def apply(self, *args: str) -> Result:
        return self.run("apply", "config", "--yes", *args)


def use_secrets_manager(config: Path) -> None:
    """Both data planes' credentials go to AWS Secrets Manager: the store every runner sees."""
    for name in DATAPLANE_FILES:
        edit(
            config / name,
            "credentials:\n  type: file\n",
            "credentials:\n  type: aws-secrets-manager\n  awsSecretsManager:\n"
            "    region: us-east-1\n"
            "  store: {name: aws-secrets, kind: ClusterSecretStore}\n",
        )


def serve_control_plane(root: Path) -> tuple[Server, dict[str, str]]:
    """``flexctl controlplane serve`` in its own process; the example's users signed in."""
    db = root / "controlplane" / "cp.db"
    db.parent.mkdir(parents=True)
    base = [sys.executable, "-m", "reconciler", "controlplane"]
    common = ["--db", str(db), "--organization-id", ORG_ID, "--state-dir", str(root / "cp")]
    with ControlPlane(db, organization_id=ORG_ID) as plane:  # users arrive through SSO
        plane.bootstrap(db.with_name("cp-admin-credentials.json"))
        for email in EXAMPLE_USERS:
            plane.add_user(email)
    port = free_port()
    server = start(
        [*base, "serve", *common, "--port", str(port)],
        url=f"http://127.0.0.1:{port}",
        probe="/api/public/v1/health",
        log=root / "controlplane" / "serve.log",
    )
    credentials = db.with_name("cp-admin-credentials.json")
    deadline = time.monotonic() + 20
    while True:
        try:
            creds = json.loads(credentials.read_text())
            if creds["url"].endswith(f":{port}/api/public/v1"):
                break
        except (OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"no admin credentials at {credentials}")
        time.sleep(0.05)
    return server, {
        "AIRBYTE_API_URL": creds["url"],
        "AIRBYTE_CLIENT_ID": creds["client_id"],
        "AIRBYTE_CLIENT_SECRET": creds["client_secret"],
    }


def make_shared(root: Path, state_url: str) -> Shared:
    copy_example(root / "config")
    use_secrets_manager(root / "config")
    server, api_env = serve_control_plane(root)
    # The data planes (and `flexctl verify`) reach the served control plane.
    edit(
        root / "config" / "organization.yaml",
        "airbyteUrl: https://airbyte.acme.example",
        f"airbyteUrl: {server.url}",
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("FLEXCTL_", "AIRBYTE_"))},
        **api_env,
        WEBHOOK_ENV: CANARY_WEBHOOK,
        "PYTHONPATH": str(REPO),
    }
    env.pop("CI", None)
    return Shared(root=root, state_url=state_url, server=server, env=env)
