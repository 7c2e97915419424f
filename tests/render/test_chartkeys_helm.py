"""The derived key lists against the real chart rendered by a real Helm (``helm template``).

For each packaged version, with the values flexctl renders for it (``fixtures/chart-v2``, one
data plane per line):

* the values render, with the buckets and Secret references the config says;
* every key of the list changes the rendered output when its value changes (in the context
  that makes the chart read it: its storage or secrets-manager type selected, ...), so no
  accepted key is one Helm would ignore;
* setting every key the list calls unread, all at once, changes nothing: values.yaml
  declares them, the templates do not read them.

Needs the chart packages (``../shared/reference``) and the real helm (``tests/toolcache.py``).
"""

from __future__ import annotations

import copy
import io
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.render import chartkeys, chartversions, render_all
from reconciler.render.names import folder_name
from reconciler.render.secretspec import secret_spec
from tests.render.conftest import CHART_REFERENCE, load

PACKAGES = CHART_REFERENCE / "packages"
pytestmark = pytest.mark.skipif(
    not (PACKAGES / "airbyte-data-plane-1.8.1.tgz").is_file(),
    reason="chart reference packages not present",
)
_YAML = YAML(typ="safe", pure=True)

#: Keys the chart reads only under another setting: that setting, merged in first.
CONTEXT: dict[str, dict[str, Any]] = {
    "jobs.errors.sentry.dsn": {
        "jobs": {"errors": {"reportingStrategy": "sentry", "sentry": {"dsn": ""}}}
    },
    "workloadLauncher.debug.remoteDebugPort": {"workloadLauncher": {"debug": {"enabled": True}}},
    "enterprise": {"edition": "enterprise"},
}
_STORAGE_TYPES = ("s3", "gcs", "azure", "minio")
_MANAGER_TYPES = {
    "awsSecretManager": "AWS_SECRET_MANAGER",
    "googleSecretManager": "GOOGLE_SECRET_MANAGER",
    "azureKeyVault": "AZURE_KEY_VAULT",
    "vault": "VAULT",
}
#: Read, and still without effect: the chart's ``ternary`` keeps the job pods' pull secret
#: only when it is empty (notes §7), fixed in 2.1. Asserted, so the fix is noticed.
INERT = {("1.8.1", "jobs.kube.mainContainerImagePullSecret")} | {
    ("2.0.1", "jobs.kube.mainContainerImagePullSecret")
}


def _package(version: str) -> Path:
    return PACKAGES / f"airbyte-data-plane-{version}.tgz"


@cache
def _flexctl_values(version: str) -> tuple[str, str]:
    """(values.yaml text flexctl renders for the fixture's data plane on ``version``, its
    Secret's name)."""
    desired = load("chart-v2")
    dataplane = next(dp for dp in desired.dataplanes if dp.chart_version == version)
    text = render_all(desired)[f"{folder_name(dataplane)}/values.yaml"]
    return text, secret_spec(desired, dataplane).name


def _template(helm: Path, version: str, values: dict[str, Any]) -> str:
    done = subprocess.run(
        [str(helm), "template", "rel", str(_package(version)), "-n", "ns", "-f", "-"],
        input=_dump(values),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@cache
def _baseline(helm: Path, version: str, context: str) -> str:
    return _template(helm, version, _YAML.load(context))


def _merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


def _context(dotted: str) -> dict[str, Any]:
    path = dotted.split(".")
    extra: dict[str, Any] = {}
    for prefix, setting in CONTEXT.items():
        if dotted == prefix or dotted.startswith(prefix + "."):
            _merge(extra, setting)
    if path[0] == "storage" and len(path) > 2 and path[1] in _STORAGE_TYPES:
        _merge(extra, {"storage": {"type": path[1], path[1]: {}}})
    if path[0] == "secretsManager" and len(path) > 2 and path[1] in _MANAGER_TYPES:
        _merge(extra, {"secretsManager": {"type": _MANAGER_TYPES[path[1]], path[1]: {}}})
    return extra


def _get(values: Any, path: list[str]) -> Any:
    for key in path:
        values = values.get(key) if isinstance(values, dict) else None
    return values


def _changed(current: Any, info: chartkeys.KeyInfo, name: str) -> Any:
    """A value of the key's type unlike ``current``."""
    match info.type:
        case "boolean":
            return not current
        case "integer":
            return (current or 0) + 7
        case "list":
            items = list(current or [])
            if name in (
                "tags",
                "tolerations",
                "extraEnv",
                "volumes",
                "volumeMounts",
                "imagePullSecrets",
            ):
                return [*items, {"key": "probe", "name": "probe", "value": "x"}]
            if items and isinstance(items[0], dict):
                return [*items, {"name": "probe"}]
            return [*items, "probe"]
        case "map":
            return {**(current or {}), "probe": "x"}
    if isinstance(current, bool):
        return not current
    if isinstance(current, int):
        return current + 7
    return f"{current or ''}probe-v"


def _cases() -> list[tuple[str, str]]:
    """Every key of the first and the last packaged version; of those between, the keys one
    of them lacks (the rest is the same template text: checked twice would only cost time)."""
    first, *_, last = chartversions.PACKAGED
    ends = set(chartkeys.load(first).keys) & set(chartkeys.load(last).keys)
    return [
        (version, key)
        for version in chartversions.PACKAGED
        for key in sorted(chartkeys.load(version).keys)
        if version in (first, last) or key not in ends
    ]


@pytest.mark.parametrize(("version", "dotted"), _cases())
def test_every_key_changes_the_rendered_chart(helm: Path, version: str, dotted: str) -> None:
    text, _ = _flexctl_values(version)
    values = _YAML.load(text)
    _merge(values, _context(dotted))
    context = _dump(values)
    before = _baseline(helm, version, context)
    path = dotted.split(".")
    chart_defaults = _chart_defaults(helm, version)
    current = _get(values, path)
    if current is None:
        current = _get(chart_defaults, path)
    _merge(values, _nest(path, _changed(current, chartkeys.load(version).keys[dotted], path[-1])))
    after = _template(helm, version, values)
    if (version, dotted) in INERT:
        assert after == before, f"{dotted} now has an effect in {version}: drop it from INERT"
    else:
        assert after != before, f"chart {version} ignores {dotted}, which the key list accepts"


@pytest.mark.parametrize("version", chartversions.PACKAGED)
def test_unread_keys_change_nothing(helm: Path, version: str) -> None:
    text, _ = _flexctl_values(version)
    values = _YAML.load(text)
    before = _template(helm, version, values)
    defaults = _chart_defaults(helm, version)
    unread = chartkeys.load(version).unread
    assert unread
    for dotted in unread:
        path = dotted.split(".")
        current = _get(defaults, path)
        kind = chartkeys.KeyInfo(type=_kind(current))
        _merge(values, _nest(path, _changed(current, kind, path[-1])))
    assert _template(helm, version, values) == before


@pytest.mark.parametrize("version", chartversions.PACKAGED)
def test_flexctl_values_render_with_the_buckets_and_secret_of_the_config(
    helm: Path, version: str
) -> None:
    text, secret = _flexctl_values(version)
    documents = [d for d in _YAML.load_all(_template(helm, version, _YAML.load(text))) if d]
    config = next(d for d in documents if d["kind"] == "ConfigMap")["data"]
    buckets = {k: v for k, v in config.items() if k.startswith("STORAGE_BUCKET_")}
    expected = {
        "STORAGE_BUCKET_LOG": "hooli-logs",
        "STORAGE_BUCKET_STATE": "hooli-state",
        "STORAGE_BUCKET_WORKLOAD_OUTPUT": "hooli-output",
        "STORAGE_BUCKET_ACTIVITY_PAYLOAD": "hooli-activity",
    }
    if version != "1.8.1":
        expected["STORAGE_BUCKET_AUDIT_LOGGING"] = "hooli-audit"
    assert buckets == expected
    assert config["AIRBYTE_URL"] == "https://airbyte.hooli.example"
    deployment = next(d for d in documents if d["kind"] == "Deployment")
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    refs = {
        e["valueFrom"]["secretKeyRef"]["name"]
        for e in env
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    assert refs == {secret}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "map"
    return "scalar"


def _nest(path: list[str], value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {path[-1]: value}
    for key in reversed(path[:-1]):
        out = {key: out}
    return out


def _dump(values: dict[str, Any]) -> str:
    buffer = io.StringIO()
    _YAML.dump(values, buffer)
    return buffer.getvalue()


@cache
def _chart_defaults(helm: Path, version: str) -> Any:
    done = subprocess.run(
        [str(helm), "show", "values", str(_package(version))],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return _YAML.load(done.stdout)
