"""deploy/ as a cluster gets it: ``kubectl kustomize deploy/`` (the real kubectl), every object
schema-checked, and the CronJob's promises: the control plane, the shared state, git
credentials from Secrets, requests, a read-only root and a non-root user.

The HTTPS token wiring is proven end to end: ``flexctl reconcile`` runs with the git
environment the CronJob sets (the token as the Secret would give it) against a private
repository served over smart HTTP that answers 401 without the token.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.render.kube_schema import validate_manifest
from tests.gitops.gitrepos import Remote
from tests.servers.githttp import private_git

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
EXAMPLE = ROOT / "examples" / "flex-config"
CANARY = "ghp_canaryToken0123456789abcdef"


@pytest.fixture(scope="module")
def built(kubectl: Path) -> list[dict[str, Any]]:
    done = subprocess.run(
        [str(kubectl), "kustomize", str(DEPLOY)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return [doc for doc in YAML(typ="safe", pure=True).load_all(done.stdout) if doc]


def one(built: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (found,) = [doc for doc in built if doc["kind"] == kind]
    return found


def container(built: list[dict[str, Any]]) -> dict[str, Any]:
    pod = one(built, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (first,) = pod["containers"]
    return dict(first)


def pod_spec(built: list[dict[str, Any]]) -> dict[str, Any]:
    return dict(one(built, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"])


def test_the_kustomization_builds_and_every_object_passes_the_schema_check(
    built: list[dict[str, Any]],
) -> None:
    assert sorted(doc["kind"] for doc in built) == [
        "ClusterRole",
        "ClusterRoleBinding",
        "ConfigMap",
        "CronJob",
        "Namespace",
        "PersistentVolumeClaim",
        "ServiceAccount",
    ]
    for doc in built:
        assert validate_manifest(doc) == [], doc["kind"]


def test_the_image_is_the_one_the_kustomization_pins(built: list[dict[str, Any]]) -> None:
    kustomization = YAML(typ="safe", pure=True).load((DEPLOY / "kustomization.yaml").read_text())
    (image,) = kustomization["images"]
    assert container(built)["image"] == f"{image['newName']}:{image['newTag']}"
    assert image["newTag"] != "latest"


def test_the_job_runs_non_root_on_a_read_only_root_with_requests(
    built: list[dict[str, Any]],
) -> None:
    pod = pod_spec(built)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001  # the image's USER
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    box = container(built)
    security = box["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert set(box["resources"]["requests"]) == {"cpu", "memory"}
    assert "memory" in box["resources"]["limits"]
    # The only writable places: the state volume and /tmp (HOME: git and ssh write there).
    volumes = {v["name"]: v for v in pod["volumes"]}
    writable = {m["mountPath"] for m in box["volumeMounts"] if not m.get("readOnly")}
    assert writable == {"/state", "/tmp"}
    assert "emptyDir" in volumes["tmp"]
    env = {e["name"]: e for e in box["env"]}
    assert env["HOME"]["value"] == "/tmp"
    for mount in box["volumeMounts"]:
        if "secret" in volumes[mount["name"]]:
            assert mount.get("readOnly") is True, mount


def test_control_plane_and_shared_state_come_from_the_config_map(
    built: list[dict[str, Any]],
) -> None:
    data = one(built, "ConfigMap")["data"]
    env = {e["name"]: e for e in container(built)["env"]}
    for name in ("AIRBYTE_API_URL", "FLEXCTL_STATE", "REPO"):
        assert env[name]["valueFrom"]["configMapKeyRef"]["key"] == name
        assert data[name]
    assert re.fullmatch(r"(s3://|git\+).+", data["FLEXCTL_STATE"])
    # No credential in the ConfigMap: secrets come from Secrets only.
    assert not [k for k in data if re.search("TOKEN|SECRET|PASSWORD|KEY", k)]
    for name in ("AIRBYTE_CLIENT_ID", "AIRBYTE_CLIENT_SECRET", "GIT_TOKEN"):
        assert "secretKeyRef" in env[name]["valueFrom"], name


def test_ssh_uses_the_mounted_key_and_known_hosts_and_refuses_unknown_hosts(
    built: list[dict[str, Any]],
) -> None:
    env = {e["name"]: e.get("value") for e in container(built)["env"]}
    words = shlex.split(env["GIT_SSH_COMMAND"])
    assert words[:3] == ["ssh", "-i", "/etc/flexctl/ssh/ssh-privatekey"]
    # ssh itself reads the options (``-G`` prints the configuration it would use; it leaves
    # out an identity file that does not exist, as the key does not here).
    done = subprocess.run(
        [*words, "-G", "git.example.com"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    config = set(done.stdout.splitlines())
    assert {
        "userknownhostsfile /etc/flexctl/ssh/known_hosts",
        "stricthostkeychecking true",
        "batchmode yes",
        "identitiesonly yes",
    } <= config
    pod = pod_spec(built)
    volume = next(v for v in pod["volumes"] if v["name"] == "git-ssh")
    mount = next(m for m in container(built)["volumeMounts"] if m["name"] == "git-ssh")
    assert mount == {"name": "git-ssh", "mountPath": "/etc/flexctl/ssh", "readOnly": True}
    secret = volume["secret"]
    assert {i["path"] for i in secret["items"]} == {"ssh-privatekey", "known_hosts"}
    assert secret["defaultMode"] == 0o440
    assert secret["optional"] is True


def git_env(built: list[dict[str, Any]], secrets: dict[str, str]) -> dict[str, str]:
    """The GIT_* variables of the container as the kubelet would set them."""
    env: dict[str, str] = {}
    for entry in container(built)["env"]:
        if not entry["name"].startswith("GIT_"):
            continue
        if "value" in entry:
            env[entry["name"]] = entry["value"]
        else:
            ref = entry["valueFrom"]["secretKeyRef"]
            value = secrets.get(f"{ref['name']}/{ref['key']}")
            if value is not None:
                env[entry["name"]] = value
    return env


def reconcile(
    built: list[dict[str, Any]], url: str, tmp_path: Path, secrets: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    args = [a.replace("$(REPO)", url) for a in container(built)["args"]]
    state = tmp_path / "state"
    args[args.index("--state-dir") + 1] = str(state)
    home = tmp_path / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "US_ANALYTICS_SLACK_WEBHOOK": "https://hooks.example.invalid/x",
        **git_env(built, secrets),
    }
    # --mode report and the embedded control plane: this test is about reading the repository.
    args[args.index("heal")] = "report"
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args, "--embedded"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )


def files_text(root: Path) -> str:
    return "".join(p.read_bytes().decode(errors="replace") for p in root.rglob("*") if p.is_file())


def test_the_https_token_from_the_secret_reads_a_private_repository(
    built: list[dict[str, Any]], tmp_path: Path
) -> None:
    remote = Remote(tmp_path / "origin")
    example = {str(p.relative_to(EXAMPLE)): p.read_text() for p in EXAMPLE.rglob("*.yaml")}
    sha = remote.commit(example, "the example config")
    remote.push("main")
    remote.close()
    served_root = tmp_path / "served"
    served_root.mkdir()
    os.rename(remote.bare_path, served_root / "config.git")
    with private_git(served_root, CANARY) as server:
        done = reconcile(built, server.url("config"), tmp_path, {"flexctl-git/token": CANARY})
        assert done.returncode == 2, done.stdout + done.stderr  # drift: nothing applied yet
        assert f" drift at {sha[:12]}:" in done.stdout
        assert any(authorised for _, _, authorised in server.seen)
        printed = done.stdout + done.stderr + files_text(tmp_path / "state")
        assert CANARY not in printed
        assert CANARY not in files_text(tmp_path / "home")

        # Without the Secret the helper has no token: the server refuses, the cycle fails.
        refused = reconcile(built, server.url("config"), tmp_path / "second", {})
        assert refused.returncode == 1
        assert "cannot fetch" in refused.stdout + refused.stderr
