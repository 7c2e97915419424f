"""Every rendered values.yaml is one the chart reads as intended: known keys, right types,
one Secret named everywhere holding every key a value names, types in the right case."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.config.desired import dataplane_key
from reconciler.render import chartversions, render_all
from reconciler.render.check import _walk
from reconciler.render.names import folder_name
from reconciler.render.secretspec import secret_spec
from tests.render.conftest import CONFIGS, load

SECRET_KEY_FIELDS = {
    "dataPlane": ("clientIdSecretKey", "clientSecretSecretKey"),
    "storage.s3": ("accessKeyIdSecretKey", "secretAccessKeySecretKey"),
    "storage.minio": ("accessKeyIdSecretKey", "secretAccessKeySecretKey"),
    "storage.gcs": ("credentialsJsonSecretKey",),
    "storage.azure": ("connectionStringSecretKey",),
    "secretsManager.awsSecretManager": ("accessKeyIdSecretKey", "secretAccessKeySecretKey"),
    "secretsManager.googleSecretManager": ("credentialsSecretKey",),
    "secretsManager.azureKeyVault": ("clientIdSecretKey", "clientSecretSecretKey"),
    "secretsManager.vault": ("authTokenSecretKey",),
}


def _get(values: Mapping[str, Any], dotted: str) -> Any:
    node: Any = values
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def _cases() -> list[tuple[str, str]]:
    return [(name, dataplane_key(dp)) for name in sorted(CONFIGS) for dp in load(name).dataplanes]


@pytest.mark.parametrize(("config", "key"), _cases())
def test_values_match_chart(config: str, key: str) -> None:
    desired = load(config)
    dataplane = next(dp for dp in desired.dataplanes if dataplane_key(dp) == key)
    text = render_all(desired)[f"{folder_name(dataplane)}/values.yaml"]
    values = YAML(typ="safe", pure=True).load(text)
    spec = secret_spec(desired, dataplane)

    # Keys exist, types right (the whole file, not only the overrides).
    line = chartversions.line_of(dataplane.chart_version)
    assert line is not None
    assert list(_walk(values, (), line.keys)) == []
    # One Secret, named everywhere; the three dataPlane names equal.
    for dotted in (
        "secretName",
        "dataPlane.secretName",
        "dataPlane.clientIdSecretName",
        "dataPlane.clientSecretSecretName",
        "storage.secretName",
        "secretsManager.secretName",
    ):
        assert _get(values, dotted) == spec.name, dotted
    # Every Secret key a value names exists in the Secret.
    named = [
        _get(values, f"{block}.{field}")
        for block, fields in SECRET_KEY_FIELDS.items()
        if isinstance(_get(values, block), Mapping)
        for field in fields
    ]
    assert named and set(named) <= set(spec.keys)
    # Case of the types, their blocks, all four buckets, the URL.
    storage_type = values["storage"]["type"]
    assert storage_type == storage_type.lower() and storage_type in values["storage"]
    assert set(values["storage"]["bucket"]) == set(line.buckets)
    assert all(values["storage"]["bucket"].values())
    assert values["secretsManager"]["type"] == values["secretsManager"]["type"].upper()
    org_sm = desired.organization.secrets_manager
    assert values["secretsManager"]["type"] == org_sm.type.value
    assert not values["airbyteUrl"].endswith("/")
    assert values["serviceAccount"]["name"] == f"{dataplane.cluster.release_name}-workload-launcher"


def test_service_accounts_unique_per_release() -> None:
    names = [
        (dp.cluster.kube_context, dp.cluster.namespace, dp.cluster.release_name)
        for dp in load("eso-argocd").dataplanes
    ]
    files = render_all(load("eso-argocd"))
    accounts = {
        YAML(typ="safe", pure=True).load(text)["serviceAccount"]["name"]
        for path, text in files.items()
        if path.endswith("values.yaml")
    }
    assert len(accounts) == len(names) == 2
