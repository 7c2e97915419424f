"""The keys the ``airbyte-data-plane`` chart reads, and the generator of that list.

Helm does no validation for this chart (it ships no ``values.schema.json``): a misspelt
override is silently ignored. ``data/chart-<version>-keys.json`` lists every key path the
chart reads with its type, so render can reject what Helm would drop. The file is derived,
never hand-edited:

    python -m reconciler.render.gen_chartkeys \\
        --values ../shared/reference/airbyte-data-plane-chart/values.yaml \\
        --config ../shared/reference/airbyte-data-plane-chart/config.yaml \\
        --out reconciler/render/data/chart-1.8.1-keys.json

from the chart's ``values.yaml`` (every key, including the ones accepted but unused),
its ``config.yaml`` (the key -> env map the templates are generated from; ``sensitive``
marks inline secrets) and ``DOCUMENTED_KEYS``: the keys notes §3 documents that values.yaml
only has commented out (``storage.s3.*``, ``*SecretKey``, top-level ``secretName`` ...).
``tests/render/test_chartkeys.py`` re-derives the file from the reference chart and fails
when they differ. Types: ``scalar`` (any string/number/bool: the chart quotes it into an
env var), ``boolean``, ``integer``, ``list`` and ``map`` (free-form: any sub-keys).

Pure (the command line is ``render.gen_chartkeys``); must not import httpx, git or kubernetes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ruamel.yaml import YAML

CHART_VERSION = "1.8.1"

#: Keys notes §3 documents as read by the templates but absent (or commented out) in
#: values.yaml and config.yaml; mostly the ``*SecretKey`` coordinates.
DOCUMENTED_KEYS: dict[str, str] = {
    "secretName": "scalar",
    "storage.s3.accessKeyIdSecretKey": "scalar",
    "storage.s3.secretAccessKeySecretKey": "scalar",
    "storage.gcs.credentialsJsonSecretKey": "scalar",
    "storage.azure.connectionStringSecretKey": "scalar",
    "storage.minio.accessKeyIdSecretKey": "scalar",
    "storage.minio.secretAccessKeySecretKey": "scalar",
    "secretsManager.secretName": "scalar",
    "secretsManager.awsSecretManager.accessKeyIdSecretKey": "scalar",
    "secretsManager.awsSecretManager.secretAccessKeySecretKey": "scalar",
    "secretsManager.awsSecretManager.tags": "list",
    "secretsManager.googleSecretManager.credentialsSecretKey": "scalar",
    "secretsManager.azureKeyVault.clientIdSecretKey": "scalar",
    "secretsManager.azureKeyVault.clientSecretSecretKey": "scalar",
    "secretsManager.vault.authTokenSecretKey": "scalar",
}

#: Free-form values: Kubernetes objects or user maps the chart passes through whole.
FREEFORM: dict[str, str] = {
    "imagePullSecrets": "list",
    "serviceAccount.annotations": "map",
    "jobs.kube.annotations": "map",
    "jobs.kube.labels": "map",
    "jobs.kube.nodeSelector": "map",
    "jobs.kube.tolerations": "list",
    "jobs.resources.requests": "map",
    "jobs.resources.limits": "map",
    "metrics.otel.resourceAttributes": "map",
    "workloadLauncher.nodeSelector": "map",
    "workloadLauncher.tolerations": "list",
    "workloadLauncher.affinity": "map",
    "workloadLauncher.resources": "map",
    "workloadLauncher.podAnnotations": "map",
    "workloadLauncher.podLabels": "map",
    "workloadLauncher.podSecurityContext": "map",
    "workloadLauncher.securityContext": "map",
    "workloadLauncher.livenessProbe": "map",
    "workloadLauncher.readinessProbe": "map",
    "workloadLauncher.extraEnv": "list",
    "workloadLauncher.volumes": "list",
    "workloadLauncher.volumeMounts": "list",
}

TYPES = ("scalar", "boolean", "integer", "list", "map")


@dataclass(frozen=True)
class KeyInfo:
    type: str
    sensitive: bool = False


@dataclass(frozen=True)
class ChartKeys:
    """Lookup over the derived key list: leaf types and the maps that lead to them."""

    version: str
    keys: Mapping[str, KeyInfo]

    def info(self, path: Sequence[str]) -> KeyInfo | None:
        return self.keys.get(".".join(path))

    def children(self, path: Sequence[str]) -> list[str]:
        """Keys the chart reads directly under ``path`` (a map): for 'did you mean'."""
        depth = len(path)
        prefix = tuple(path)
        found = {
            parts[depth]
            for parts in (key.split(".") for key in self.keys)
            if len(parts) > depth and tuple(parts[:depth]) == prefix
        }
        return sorted(found)

    def is_map(self, path: Sequence[str]) -> bool:
        return bool(self.children(path))


@cache
def load(version: str = CHART_VERSION) -> ChartKeys:
    text = resources.files("reconciler.render").joinpath(f"data/chart-{version}-keys.json")
    raw = json.loads(text.read_text(encoding="utf-8"))
    keys = {
        path: KeyInfo(type=item["type"], sensitive=bool(item.get("sensitive", False)))
        for path, item in raw["keys"].items()
    }
    return ChartKeys(version=raw["version"], keys=keys)


# --------------------------------------------------------------------------- derivation


def derive(values_text: str, config_text: str, *, version: str = CHART_VERSION) -> dict[str, Any]:
    """The JSON document for ``data/chart-<version>-keys.json`` (deterministic)."""
    yaml = YAML(typ="safe", pure=True)
    values = yaml.load(values_text) or {}
    config = yaml.load(config_text) or {}
    found: dict[str, dict[str, Any]] = {}
    _walk_values(values, (), found)
    for path, info in _config_keys(config).items():
        entry = found.setdefault(path, {"type": info["type"], "origin": "config.yaml"})
        if info.get("sensitive"):
            entry["sensitive"] = True
    for path, type_ in (DOCUMENTED_KEYS | FREEFORM).items():
        found[path] = {**found.get(path, {"origin": "notes"}), "type": type_}
    # An empty map in values.yaml (``cpu: {}``) whose sub-keys the chart reads is a parent,
    # not a free-form map; likewise keys below a free-form map are covered by it.
    paths = set(found)
    for path in sorted(paths):
        is_parent = path not in FREEFORM and any(o.startswith(path + ".") for o in paths)
        under_freeform = any(path.startswith(f + ".") for f in FREEFORM)
        if is_parent or under_freeform:
            del found[path]
    return {
        "chart": "airbyte-data-plane",
        "version": version,
        "generatedBy": "python -m reconciler.render.gen_chartkeys (do not edit by hand)",
        "keys": {path: found[path] for path in sorted(found)},
    }


def _walk_values(node: Any, path: tuple[str, ...], out: dict[str, dict[str, Any]]) -> None:
    dotted = ".".join(path)
    if path and dotted in FREEFORM:
        out[dotted] = {"type": FREEFORM[dotted], "origin": "values.yaml"}
        return
    if isinstance(node, dict) and (node or not path):
        for key, child in node.items():
            _walk_values(child, (*path, str(key)), out)
        return
    out[dotted] = {"type": _type_of(node), "origin": "values.yaml"}


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "map"
    return "scalar"


def _config_keys(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Keys config.yaml reads from ``.Values``: computed entries (``valueFrom``, a fixed
    ``value``, a ``valueExp`` that does not read the key itself) are not user settings."""
    out: dict[str, dict[str, Any]] = {}
    for section, body in config.items():
        base = str(body.get("keyBasePath", section))
        for item in body.get("config", []):
            path = item["key"] if base == "." else f"{base}.{item['key']}"
            if "valueFrom" in item or "value" in item:
                continue
            if "valueExp" in item and f".Values.{path}" not in str(item["valueExp"]):
                continue
            out[path] = {"type": "scalar", "sensitive": bool(item.get("sensitive", False))}
    return out


def dumps(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
