"""deploy/ passes the same schema check as rendered output, and keeps its promises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from reconciler.render.kube_schema import validate_manifest
from tests.render.conftest import ROOT

DEPLOY = ROOT / "deploy"


def _documents() -> list[tuple[Path, dict[str, Any]]]:
    yaml = YAML(typ="safe", pure=True)
    return [
        (path, doc)
        for path in sorted(DEPLOY.glob("*.yaml"))
        for doc in yaml.load_all(path.read_text())
        if doc
    ]


def test_every_deploy_manifest_is_valid() -> None:
    documents = _documents()
    assert len(documents) >= 8
    for path, doc in documents:
        if path.name == "kustomization.yaml":
            # Not a rendered kustomization (its schema is flexctl's fields only): the real
            # kustomize reads it strictly in tests/deploy/test_kustomize.py.
            continue
        assert validate_manifest(doc) == [], path.name


def test_cronjob_runs_the_reconcile_once_without_overlap() -> None:
    cronjob = next(doc for _, doc in _documents() if doc["kind"] == "CronJob")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["args"] == [
        "reconcile",
        "--repo",
        "$(REPO)",
        "--ref",
        "main",
        "--once",
        "--mode",
        "heal",
        "--state-dir",
        "/state",
    ]
    env = {e["name"]: e["valueFrom"] for e in container["env"] if "valueFrom" in e}
    for name in ("AIRBYTE_CLIENT_ID", "AIRBYTE_CLIENT_SECRET"):
        assert env[name]["secretKeyRef"]["key"] == name
    # Credentials without a URL are an error (issue 12): the job names its control plane.
    url = env["AIRBYTE_API_URL"]["configMapKeyRef"]
    config = next(doc for _, doc in _documents() if doc["kind"] == "ConfigMap")
    assert config["metadata"]["name"] == url["name"]
    assert config["data"][url["key"]] == "https://api.airbyte.com/v1"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "persistentVolumeClaim" in volumes["state"]


def test_kustomization_lists_every_manifest() -> None:
    yaml = YAML(typ="safe", pure=True)
    kustomization = yaml.load((DEPLOY / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    assert listed == {p.name for p in DEPLOY.glob("*.yaml")} - {"kustomization.yaml"}
