"""The real chart, rendered by the real Helm, from what flexctl renders.

``render_release`` runs ``helm template`` (one process) on a data plane's values, taken from
where the GitOps engine takes them (Argo CD: the Application's ``valuesObject``; Flux and
none: ``values.yaml``), against the published package in ``../shared/reference``.
``Release`` reads the output like the cluster would: the launcher's environment with each
``configMapKeyRef`` resolved, its ``secretKeyRef``s and secret volumes, and what the
launcher hands to job pods (secret names/keys in its environment).

``provided_secret`` is the Secret the cluster will hold: the ExternalSecret's target when
flexctl renders one, else the Secret the sinks write (``sinks.secretdata``).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from ruamel.yaml import YAML

from reconciler.config.desired import DesiredState
from reconciler.config.models import DataPlane, GitOpsEngine
from reconciler.render.names import folder_name
from reconciler.sinks.base import DataplaneCredentials
from reconciler.sinks.secretdata import SecretContext, secret_data, secret_manifest
from tests.render.conftest import CHART_REFERENCE

PACKAGES = CHART_REFERENCE / "packages"
_YAML = YAML(typ="safe", pure=True)


def chart_package(version: str) -> Path:
    """The published package for ``version``: the same one, else the newest of its minor."""
    exact = PACKAGES / f"airbyte-data-plane-{version}.tgz"
    if exact.is_file():
        return exact
    minor = ".".join(version.split(".")[:2])
    found = sorted(PACKAGES.glob(f"airbyte-data-plane-{minor}.*.tgz"))
    if not found:
        pytest.skip(f"SKIPPED LOUDLY: no chart package for {version} in {PACKAGES}")
    return found[-1]


@dataclass(frozen=True)
class EnvVar:
    """One launcher variable: a plain value, a Secret key, or a field of the pod."""

    value: str | None = None
    secret: tuple[str, str] | None = None
    field_path: str | None = None


@dataclass
class Release:
    objects: list[dict[str, Any]]
    deployment: dict[str, Any] = field(init=False)
    env: dict[str, EnvVar] = field(init=False)

    def __post_init__(self) -> None:
        self.deployment = self.one("Deployment")
        configmaps = {o["metadata"]["name"]: o.get("data") or {} for o in self.all("ConfigMap")}
        self.env = {}
        for item in self.container.get("env") or []:
            self.env[item["name"]] = _env_var(item, configmaps)

    def all(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o.get("kind") == kind]

    def one(self, kind: str) -> dict[str, Any]:
        found = self.all(kind)
        assert len(found) == 1, f"{len(found)} {kind} objects"
        return found[0]

    @property
    def pod(self) -> dict[str, Any]:
        return dict(self.deployment["spec"]["template"]["spec"])

    @property
    def container(self) -> dict[str, Any]:
        containers = self.deployment["spec"]["template"]["spec"]["containers"]
        assert len(containers) == 1
        return dict(containers[0])

    def value(self, name: str) -> str | None:
        var = self.env.get(name)
        return None if var is None else var.value

    def secret_refs(self) -> dict[str, tuple[str, str]]:
        """Launcher variable -> (Secret, key) it reads through a secretKeyRef."""
        return {name: var.secret for name, var in self.env.items() if var.secret is not None}

    def secret_volumes(self) -> dict[str, tuple[str, list[str] | None]]:
        """Volume name -> (Secret, the keys it projects, or None for all of them)."""
        out: dict[str, tuple[str, list[str] | None]] = {}
        for volume in self.pod.get("volumes") or []:
            secret = volume.get("secret")
            if secret is not None:
                items = secret.get("items")
                keys = None if items is None else [item["key"] for item in items]
                out[volume["name"]] = (secret["secretName"], keys)
        return out

    def mounts(self) -> dict[str, str]:
        """Volume name -> mount path in the launcher container."""
        return {m["name"]: m["mountPath"] for m in self.container.get("volumeMounts") or []}


def _env_var(item: Mapping[str, Any], configmaps: Mapping[str, Mapping[str, str]]) -> EnvVar:
    if "value" in item:
        return EnvVar(value=str(item["value"]))
    source = item.get("valueFrom") or {}
    if "configMapKeyRef" in source:
        ref = source["configMapKeyRef"]
        return EnvVar(value=str(configmaps[ref["name"]][ref["key"]]))
    if "secretKeyRef" in source:
        ref = source["secretKeyRef"]
        return EnvVar(secret=(ref["name"], ref["key"]))
    if "fieldRef" in source:
        return EnvVar(field_path=source["fieldRef"]["fieldPath"])
    raise AssertionError(f"unexpected env source {item}")


def engine_values(files: Mapping[str, str], desired: DesiredState, dataplane: DataPlane) -> Any:
    """The values the data plane's GitOps engine hands to Helm."""
    folder = folder_name(dataplane)
    if desired.organization.gitops.engine is GitOpsEngine.ARGOCD:
        app = _YAML.load(files[f"{folder}/application.yaml"])
        return app["spec"]["source"]["helm"]["valuesObject"]
    return _YAML.load(files[f"{folder}/values.yaml"])


def render_release(
    helm: Path, values: Any, *, dataplane: DataPlane, tmp: Path, chart: Path
) -> Release:
    values_file = tmp / f"{folder_name(dataplane)}.values.json"
    values_file.write_text(json.dumps(values, indent=1, sort_keys=True))
    home = tmp / "helm-home"
    env = {
        "HOME": str(home),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
        "PATH": "/usr/bin:/bin",
    }
    cluster = dataplane.cluster
    done = subprocess.run(
        [
            str(helm),
            "template",
            cluster.release_name,
            str(chart),
            "--namespace",
            cluster.namespace,
            "--values",
            str(values_file),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, f"helm template failed:\n{done.stderr}"
    # PyYAML's C loader: Helm's output is large and ruamel's pure loader is slow on it.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return Release([doc for doc in yaml.load_all(done.stdout, Loader=loader) if doc])


@dataclass(frozen=True)
class ProvidedSecret:
    name: str
    namespace: str
    keys: frozenset[str]
    #: key -> value when flexctl's sink writes the Secret (None: ESO builds it from a store).
    data: Mapping[str, str] | None


def provided_secret(
    files: Mapping[str, str],
    desired: DesiredState,
    dataplane: DataPlane,
    *,
    env: Mapping[str, str],
    config_dir: Path,
) -> ProvidedSecret:
    folder = folder_name(dataplane)
    external = files.get(f"{folder}/externalsecret.yaml")
    if external is not None:
        doc = _YAML.load(external)
        target = doc["spec"]["target"]
        template = (target.get("template") or {}).get("data")
        keys = set(template) if template else {d["secretKey"] for d in doc["spec"]["data"]}
        return ProvidedSecret(
            target["name"], doc["metadata"]["namespace"], frozenset(keys), data=None
        )
    ctx = SecretContext(desired=desired, dataplane=dataplane, env=env, config_dir=config_dir)
    creds = DataplaneCredentials("dp-id", "client-id-canary", "client-secret-canary")
    data, problems = secret_data(ctx, creds)
    assert problems == []
    manifest = secret_manifest(ctx, creds, data)
    meta = manifest["metadata"]
    return ProvidedSecret(
        meta["name"], meta["namespace"], frozenset(manifest["stringData"]), data=data
    )
