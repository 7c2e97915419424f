"""flexctl's rendered folders, installed by the real Helm into the real chart (issue 13).

For a matrix of configs (every storage type, every secrets-manager type and auth mode, the
ExternalSecret modes, both GitOps engines, overrides, two data planes in one namespace),
``helm template`` the values each engine would hand to Helm and read the output like the
cluster would: every Secret the launcher or its job pods read resolves to a key of the Secret
flexctl provides, and the settings the launcher gets are the config's. One helm process per
data plane.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.config.desired import DesiredState
from reconciler.config.loader import load_directory
from reconciler.config.models import DataPlane, SecretsManagerType, StorageType
from reconciler.render import render_all
from reconciler.render.secretspec import secrets_manager_for
from tests.render.realchart import (
    ProvidedSecret,
    Release,
    chart_package,
    engine_values,
    provided_secret,
    render_release,
)

URL = "https://airbyte.acme.example"
BUCKETS = {
    "log": "acme-logs",
    "state": "acme-state",
    "workloadOutput": "acme-output",
    "activityPayload": "acme-activity",
}
#: Every reference a case uses, with a canary value (the sinks resolve them).
ENV = {
    "S3_KEY": "s3-key-canary",
    "S3_SECRET": "s3-secret-canary",
    "GCS_JSON": '{"type": "service_account", "canary": "gcs"}',
    "AZ_CONN": "DefaultEndpointsProtocol=https;AccountKey=canary",
    "MINIO_KEY": "minio-key-canary",
    "MINIO_SECRET": "minio-secret-canary",
    "ASM_KEY": "asm-key-canary",
    "ASM_SECRET": "asm-secret-canary",
    "GSM_JSON": '{"type": "service_account", "canary": "gsm"}',
    "AKV_ID": "akv-id-canary",
    "AKV_SECRET": "akv-secret-canary",
    "VAULT_TOKEN": "vault-token-canary",
}

STORAGES: dict[str, dict[str, Any]] = {
    "s3-keys": {
        "type": "s3",
        "s3": {
            "region": "eu-west-1",
            "accessKeyId": {"env": "S3_KEY"},
            "secretAccessKey": {"env": "S3_SECRET"},
        },
    },
    "s3-instance-profile": {
        "type": "s3",
        "s3": {"region": "us-east-2", "authenticationType": "instanceProfile"},
    },
    "gcs": {"type": "gcs", "gcs": {"projectId": "acme", "credentialsJson": {"env": "GCS_JSON"}}},
    "azure": {"type": "azure", "azure": {"connectionString": {"env": "AZ_CONN"}}},
    "minio": {
        "type": "minio",
        "minio": {
            "endpoint": "http://minio.storage.svc:9000",
            "accessKeyId": {"env": "MINIO_KEY"},
            "secretAccessKey": {"env": "MINIO_SECRET"},
        },
    },
}

SECRETS_MANAGERS: dict[str, dict[str, Any]] = {
    "aws-keys": {
        "type": "AWS_SECRET_MANAGER",
        "awsSecretManager": {
            "region": "eu-central-1",
            "kmsArn": "arn:aws:kms:eu-central-1:111122223333:key/abcd",
            "tags": {"team": "data", "env": "prod"},
            "accessKeyId": {"env": "ASM_KEY"},
            "secretAccessKey": {"env": "ASM_SECRET"},
        },
    },
    "aws-instance-profile": {
        "type": "AWS_SECRET_MANAGER",
        "awsSecretManager": {"region": "us-west-2", "authenticationType": "instanceProfile"},
    },
    "google-key": {
        "type": "GOOGLE_SECRET_MANAGER",
        "googleSecretManager": {
            "projectId": "acme-secrets",
            "region": "europe-west1",
            "credentials": {"env": "GSM_JSON"},
        },
    },
    "google-ambient": {
        "type": "GOOGLE_SECRET_MANAGER",
        "googleSecretManager": {"projectId": "acme-secrets"},
    },
    "azure-client-secret": {
        "type": "AZURE_KEY_VAULT",
        "azureKeyVault": {
            "tenantId": "00000000-1111-4222-8333-444444444444",
            "vaultUrl": "https://acme.vault.azure.net",
            "clientId": {"env": "AKV_ID"},
            "clientSecret": {"env": "AKV_SECRET"},
        },
    },
    "vault-token": {
        "type": "VAULT",
        "vault": {
            "address": "https://vault.acme.example:8200",
            "prefix": "airbyte/",
            "authToken": {"env": "VAULT_TOKEN"},
        },
    },
}

VAULT_SINK = {
    "type": "vault",
    "vault": {
        "address": "https://vault.acme.example:8200",
        "mount": "secret",
        "path": "airbyte/{region}/{dataplane}",
        "auth": {"method": "token", "token": {"env": "VAULT_TOKEN"}},
    },
    "store": {"name": "vault-airbyte", "kind": "ClusterSecretStore"},
}


@dataclass(frozen=True)
class Case:
    storage: str = "s3-keys"
    secrets_manager: str = "aws-keys"
    engine: str = "flux"
    #: "file" (the Secret comes from the sink), "external" (Organization externalSecrets,
    #: file sink), "vault-sink" (secrets-manager sink and its ExternalSecret), "kubernetes".
    delivery: str = "file"
    overrides: Mapping[str, Any] | None = None
    #: A second data plane in the same namespace.
    two_in_namespace: bool = False


CASES: dict[str, Case] = {
    **{f"storage-{name}": Case(storage=name) for name in STORAGES},
    **{f"sm-{name}": Case(secrets_manager=name) for name in SECRETS_MANAGERS},
    "gcs-with-google-secret-manager": Case(storage="gcs", secrets_manager="google-key"),
    "external-secrets": Case(delivery="external", storage="gcs", secrets_manager="vault-token"),
    "external-secrets-instance-profile": Case(
        delivery="external", storage="s3-instance-profile", secrets_manager="aws-instance-profile"
    ),
    "vault-sink": Case(delivery="vault-sink", secrets_manager="vault-token"),
    "kubernetes-sink": Case(delivery="kubernetes", storage="azure"),
    "argocd": Case(engine="argocd", storage="gcs", secrets_manager="azure-client-secret"),
    "argocd-external-secrets": Case(engine="argocd", delivery="external"),
    "gitops-none": Case(engine="none", storage="minio", secrets_manager="vault-token"),
    "overrides": Case(
        overrides={
            "logging": {"level": "debug"},
            "workloadLauncher": {"nodeSelector": {"pool": "airbyte"}, "replicaCount": 2},
            "workloads": {"resources": {"replication": {"memory": {"limit": "4Gi"}}}},
            "jobs": {"kube": {"nodeSelector": {"pool": "jobs"}}},
        }
    ),
    "two-in-one-namespace": Case(two_in_namespace=True, storage="gcs"),
    "two-in-one-namespace-argocd": Case(
        two_in_namespace=True, engine="argocd", delivery="external", storage="s3-instance-profile"
    ),
}


def _dataplane(name: str, case: Case) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": "flexctl/v1",
        "kind": "DataPlane",
        "name": name,
        "region": "aws-eu",
        "cluster": {"kubeContext": "prod-eu", "namespace": "airbyte", "releaseName": name},
    }
    if case.delivery == "vault-sink":
        doc["credentials"] = VAULT_SINK
    elif case.delivery == "kubernetes":
        doc["credentials"] = {"type": "kubernetes"}
    if case.overrides:
        doc["values"] = dict(case.overrides)
    return doc


def write_case(case: Case, root: Path) -> Path:
    org: dict[str, Any] = {
        "apiVersion": "flexctl/v1",
        "kind": "Organization",
        "name": "acme",
        "organizationId": "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f",
        "airbyteUrl": URL,
        "secretsManager": SECRETS_MANAGERS[case.secrets_manager],
        "defaultStorage": {"buckets": BUCKETS, **STORAGES[case.storage]},
        "gitops": {"engine": case.engine},
    }
    if case.delivery == "external":
        org["externalSecrets"] = {"storeName": "acme-store", "keyPrefix": "airbyte/dp"}
    docs = [
        org,
        {"apiVersion": "flexctl/v1", "kind": "Region", "name": "aws-eu", "jurisdiction": "EU"},
        _dataplane("primary", case),
    ]
    if case.two_in_namespace:
        docs.append(_dataplane("secondary", case))
    config = root / "config"
    config.mkdir()
    (config / "flexctl.yaml").write_text("\n---\n".join(json.dumps(d) for d in docs) + "\n")
    return config


@dataclass(frozen=True)
class Rendered:
    desired: DesiredState
    dataplane: DataPlane
    release: Release
    secret: ProvidedSecret


def render_case(case: Case, tmp: Path, helm: Path) -> list[Rendered]:
    config = write_case(case, tmp)
    desired = load_directory(config)
    files = render_all(desired)
    out = []
    for dataplane in sorted(desired.dataplanes, key=lambda d: d.name):
        values = engine_values(files, desired, dataplane)
        chart = chart_package(dataplane.chart_version)
        release = render_release(helm, values, dataplane=dataplane, tmp=tmp, chart=chart)
        secret = provided_secret(files, desired, dataplane, env=ENV, config_dir=config)
        out.append(Rendered(desired, dataplane, release, secret))
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_real_chart_reads_what_flexctl_renders(name: str, helm: Path, tmp_path: Path) -> None:
    for r in render_case(CASES[name], tmp_path, helm):
        _launcher_secrets_resolve(r)
        _job_pod_secrets_resolve(r)
        _configured_as_the_config_says(r)


def _launcher_secrets_resolve(r: Rendered) -> None:
    """Every secretKeyRef and secret volume of the Deployment is a key flexctl provides."""
    assert r.secret.namespace == r.dataplane.cluster.namespace
    refs = r.release.secret_refs()
    assert refs, "the launcher reads no Secret at all"
    for variable, (name, key) in refs.items():
        assert name == r.secret.name, f"{variable} reads Secret {name}"
        assert key in r.secret.keys, f"{variable} reads key {key} that {name} lacks"
    for volume, (name, keys) in r.release.secret_volumes().items():
        assert name == r.secret.name, f"volume {volume} mounts Secret {name}"
        assert set(keys or ()) <= r.secret.keys, f"volume {volume} projects {keys}"


def _job_pod_secrets_resolve(r: Rendered) -> None:
    """The Secret names and keys the launcher hands to job pods are ones flexctl provides."""
    value = r.release.value
    # The job pods' own client id/secret (orchestrator, sidecar, init call the control plane).
    for kind in ("ID", "SECRET"):
        assert value(f"DATAPLANE_CLIENT_{kind}_SECRET_NAME") == r.secret.name
        assert value(f"DATAPLANE_CLIENT_{kind}_SECRET_KEY") in r.secret.keys
    # The Secret mounted whole into job pods (CONTAINER_ORCHESTRATOR_SECRET_MOUNT_PATH).
    assert value("CONTAINER_ORCHESTRATOR_SECRET_NAME") == r.secret.name
    # Any other name/key pair the launcher passes on (secret-persistence references).
    for variable, var in r.release.env.items():
        if variable.endswith("_REF_NAME") and var.value:
            assert var.value == r.secret.name, variable


def _configured_as_the_config_says(r: Rendered) -> None:
    value = r.release.value
    assert value("AIRBYTE_URL") == URL
    assert value("INTERNAL_API_HOST") == URL
    assert value("CONTROL_PLANE_TOKEN_ENDPOINT") == f"{URL}/api/v1/dataplanes/token"
    assert value("CONTROL_PLANE_AUTH_ENDPOINT") == URL
    account = f"{r.dataplane.cluster.release_name}-workload-launcher"
    assert r.release.pod["serviceAccountName"] == account
    _storage_is_the_configs(r)
    _secrets_manager_is_the_configs(r)


def _storage_is_the_configs(r: Rendered) -> None:
    storage = r.desired.storage_for(r.dataplane)
    assert storage is not None
    value = r.release.value
    assert value("STORAGE_TYPE") == storage.type.value
    buckets = storage.buckets
    assert value("STORAGE_BUCKET_LOG") == buckets.log
    assert value("STORAGE_BUCKET_STATE") == buckets.state
    assert value("STORAGE_BUCKET_WORKLOAD_OUTPUT") == buckets.workload_output
    assert value("STORAGE_BUCKET_ACTIVITY_PAYLOAD") == buckets.activity_payload
    if storage.type is StorageType.S3:
        assert storage.s3 is not None
        assert value("AWS_DEFAULT_REGION") == storage.s3.region
        assert value("AWS_AUTHENTICATION_TYPE") == storage.s3.authentication_type
    elif storage.type is StorageType.MINIO:
        assert storage.minio is not None
        assert value("MINIO_ENDPOINT") == storage.minio.endpoint
        # The chart's name for it; the launcher reads S3_PATH_STYLE_ACCESS (a chart bug).
        assert value("S3_PATH_STYLE") == str(storage.minio.s3_path_style_access).lower()


def _secrets_manager_is_the_configs(r: Rendered) -> None:
    manager = secrets_manager_for(r.desired, r.dataplane)
    value = r.release.value
    assert value("SECRET_PERSISTENCE") == manager.type.value
    if manager.type is SecretsManagerType.AWS_SECRET_MANAGER:
        aws = manager.aws_secret_manager
        assert aws is not None
        assert value("AWS_SECRET_MANAGER_REGION") == aws.region
        assert value("AWS_KMS_KEY_ARN") == (aws.kms_arn or "")
        tags = ",".join(f"{k}={v}" for k, v in sorted(aws.tags.items()))
        assert (value("AWS_SECRET_MANAGER_SECRET_TAGS") or "") == tags
    elif manager.type is SecretsManagerType.GOOGLE_SECRET_MANAGER:
        google = manager.google_secret_manager
        assert google is not None
        assert value("SECRET_STORE_GCP_PROJECT_ID") == google.project_id
        assert value("SECRET_STORE_GCP_REGION") == (google.region or "")
    elif manager.type is SecretsManagerType.AZURE_KEY_VAULT:
        azure = manager.azure_key_vault
        assert azure is not None
        assert value("AB_AZURE_KEY_VAULT_TENANT_ID") == azure.tenant_id
        assert value("AB_AZURE_KEY_VAULT_VAULT_URL") == azure.vault_url
    elif manager.type is SecretsManagerType.VAULT:
        vault = manager.vault
        assert vault is not None
        assert value("VAULT_ADDRESS") == vault.address
        assert value("VAULT_PREFIX") == vault.prefix


def test_overrides_reach_the_chart(helm: Path, tmp_path: Path) -> None:
    [r] = render_case(CASES["overrides"], tmp_path, helm)
    assert r.release.value("LOG_LEVEL") == "debug"
    assert r.release.deployment["spec"]["replicas"] == 2
    assert r.release.pod["nodeSelector"] == {"pool": "airbyte"}
    assert r.release.value("REPLICATION_ORCHESTRATOR_MEMORY_LIMIT") == "4Gi"
    assert r.release.value("JOB_KUBE_NODE_SELECTORS") == "pool=jobs"


def test_two_releases_in_one_namespace_own_distinct_objects(helm: Path, tmp_path: Path) -> None:
    primary, secondary = render_case(CASES["two-in-one-namespace"], tmp_path, helm)
    names = [
        {(o["kind"], o["metadata"]["name"]) for o in r.release.objects}
        for r in (primary, secondary)
    ]
    assert names[0].isdisjoint(names[1])
    assert primary.secret.name != secondary.secret.name
