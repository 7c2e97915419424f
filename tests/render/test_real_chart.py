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
    # Workload Identity in mind: no key (warned about, see test_shared_namespace_and_advice).
    "gcs-no-key": {"type": "gcs", "gcs": {"projectId": "acme"}},
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
    chart: str = "1.8.1"


#: The 2.x lines run these (Case fields) on top of the 1.8.1 matrix.
CHART_CASES: dict[str, dict[str, Any]] = {
    "s3-aws": {},
    "gcs-google": {"storage": "gcs", "secrets_manager": "google-key"},
    "azure-argocd": {
        "storage": "azure",
        "secrets_manager": "azure-client-secret",
        "engine": "argocd",
    },
    "minio-vault-external": {
        "storage": "minio",
        "secrets_manager": "vault-token",
        "delivery": "external",
    },
    "instance-profile-shared": {
        "storage": "s3-instance-profile",
        "secrets_manager": "aws-instance-profile",
        "two_in_namespace": True,
    },
}

CASES: dict[str, Case] = {
    # gcs-no-key is the warned-about broken case (no key file): not a working release.
    **{f"storage-{name}": Case(storage=name) for name in STORAGES if name != "gcs-no-key"},
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
    "overrides-of-lists": Case(
        storage="gcs",
        overrides={
            "workloadLauncher": {
                "extraEnv": [{"name": "HTTP_PROXY", "value": "http://proxy:3128"}],
                "volumes": [{"name": "scratch", "emptyDir": {}}],
                "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}],
            }
        },
    ),
    "two-in-one-namespace": Case(two_in_namespace=True, storage="gcs"),
    # Each packaged 2.x line, across the storage and secrets-manager families.
    **{
        f"chart-{version}-{name}": Case(chart=version, **kwargs)
        for version in ("2.0.1", "2.1.1", "2.2.0")
        for name, kwargs in CHART_CASES.items()
    },
    "two-in-one-namespace-argocd": Case(
        two_in_namespace=True, engine="argocd", delivery="external", storage="s3-instance-profile"
    ),
}


def _buckets(case: Case) -> dict[str, str]:
    if case.chart.startswith("1."):
        return BUCKETS
    return {**BUCKETS, "auditLogging": "acme-audit"}  # read (and required) from chart 2.0


def _dataplane(name: str, case: Case) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": "flexctl/v1",
        "kind": "DataPlane",
        "name": name,
        "region": "aws-eu",
        "cluster": {"kubeContext": "prod-eu", "namespace": "airbyte", "releaseName": name},
        "chartVersion": case.chart,
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
        "defaultStorage": {"buckets": _buckets(case), **STORAGES[case.storage]},
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
        _gcs_key_file_exists_in_both_pods(r)
        _job_pods_get_the_secrets_manager_credentials(r)


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
        if variable.endswith(("_REF_NAME", "_SECRET_NAME")) and var.value:
            assert var.value == r.secret.name, variable
        paired = value(variable.removesuffix("KEY") + "NAME")  # a key of no Secret is unused
        if variable.endswith(("_REF_KEY", "_SECRET_KEY")) and var.value and paired:
            assert var.value in r.secret.keys, variable


def _gcs_key_file_exists_in_both_pods(r: Rendered) -> None:
    """GCS (item 6): the file GOOGLE_APPLICATION_CREDENTIALS names is the key file, in the
    launcher (its own mount) and in job pods (the Secret mounted whole)."""
    storage = r.desired.storage_for(r.dataplane)
    assert storage is not None
    if storage.type is not StorageType.GCS:
        return
    value = r.release.value
    path = value("GOOGLE_APPLICATION_CREDENTIALS")
    assert path is not None
    folder, _, file = path.rpartition("/")
    assert file in r.secret.keys, f"Secret {r.secret.name} has no key {file}"
    if r.secret.data is not None:
        assert json.loads(r.secret.data[file]) == json.loads(ENV["GCS_JSON"])
    # Job pods: the orchestrator's Secret mounted whole at its mount path.
    assert value("CONTAINER_ORCHESTRATOR_SECRET_NAME") == r.secret.name
    assert value("CONTAINER_ORCHESTRATOR_SECRET_MOUNT_PATH") == folder
    # The launcher: a secret volume projecting that key, mounted at the folder.
    volumes = r.release.secret_volumes()
    mounted = [name for name, at in r.release.mounts().items() if at == folder]
    assert mounted, f"the launcher mounts nothing at {folder}"
    [volume] = mounted
    name, keys = volumes[volume]
    assert name == r.secret.name and (keys is None or file in keys)


#: What the launcher reads to hand job pods each secrets-manager credential (its
#: application.yml, ``airbyte.secret.store.*``): variable -> the Secret key it must name.
JOB_POD_VARIABLES = {
    SecretsManagerType.AWS_SECRET_MANAGER: {
        "AWS_SECRET_MANAGER_ACCESS_KEY_ID_REF_KEY": "AWS_SECRET_MANAGER_ACCESS_KEY_ID",
        "AWS_SECRET_MANAGER_SECRET_ACCESS_KEY_REF_KEY": "AWS_SECRET_MANAGER_SECRET_ACCESS_KEY",
    },
    SecretsManagerType.GOOGLE_SECRET_MANAGER: {
        "SECRET_STORE_GCP_SECRET_KEY": "SECRET_STORE_GCP_CREDENTIALS",
    },
    SecretsManagerType.AZURE_KEY_VAULT: {
        "AB_AZURE_KEY_VAULT_CLIENT_ID_REF_REF_KEY": "AB_AZURE_KEY_VAULT_CLIENT_ID",
        "AB_AZURE_KEY_VAULT_CLIENT_SECRET_REF_REF_KEY": "AB_AZURE_KEY_VAULT_CLIENT_SECRET",
    },
    SecretsManagerType.VAULT: {"VAULT_AUTH_TOKEN_REF_KEY": "VAULT_AUTH_TOKEN"},
}
#: ... and the variables naming the Secret.
JOB_POD_SECRET_NAMES = {
    SecretsManagerType.AWS_SECRET_MANAGER: (
        "AWS_SECRET_MANAGER_ACCESS_KEY_ID_REF_NAME",
        "AWS_SECRET_MANAGER_SECRET_ACCESS_KEY_REF_NAME",
    ),
    SecretsManagerType.GOOGLE_SECRET_MANAGER: ("SECRET_STORE_GCP_SECRET_NAME",),
    SecretsManagerType.AZURE_KEY_VAULT: (
        "AB_AZURE_KEY_VAULT_CLIENT_ID_REF_NAME",
        "AB_AZURE_KEY_VAULT_CLIENT_SECRET_REF_REF_NAME",
    ),
    SecretsManagerType.VAULT: ("VAULT_AUTH_TOKEN_REF_NAME",),
}
#: Secret key -> the reference a case's config gives it.
CANARY_OF = {
    "AWS_SECRET_MANAGER_ACCESS_KEY_ID": "ASM_KEY",
    "AWS_SECRET_MANAGER_SECRET_ACCESS_KEY": "ASM_SECRET",
    "SECRET_STORE_GCP_CREDENTIALS": "GSM_JSON",
    "AB_AZURE_KEY_VAULT_CLIENT_ID": "AKV_ID",
    "AB_AZURE_KEY_VAULT_CLIENT_SECRET": "AKV_SECRET",
    "VAULT_AUTH_TOKEN": "VAULT_TOKEN",
}


def _job_pods_get_the_secrets_manager_credentials(r: Rendered) -> None:
    """Key-based authentication (item 8): job pods are handed each credential's Secret name
    and key; ambient identity (instance profile, no credentials): nothing is handed on."""
    manager = secrets_manager_for(r.desired, r.dataplane)
    block = getattr(manager, _BLOCK_ATTR[manager.type])
    keyed = getattr(block, "authentication_type", "credentials") == "credentials" and any(
        getattr(block, f, None) is not None
        for f in ("access_key_id", "credentials", "client_id", "auth_token")
    )
    value = r.release.value
    for variable in JOB_POD_SECRET_NAMES[manager.type]:
        assert value(variable) == (r.secret.name if keyed else None), variable
    for variable, key in JOB_POD_VARIABLES[manager.type].items():
        assert value(variable) == (key if keyed else None), variable
        if keyed:
            assert key in r.secret.keys
            if r.secret.data is not None:
                assert r.secret.data[key] == ENV[CANARY_OF[key]]


_BLOCK_ATTR = {
    SecretsManagerType.AWS_SECRET_MANAGER: "aws_secret_manager",
    SecretsManagerType.GOOGLE_SECRET_MANAGER: "google_secret_manager",
    SecretsManagerType.AZURE_KEY_VAULT: "azure_key_vault",
    SecretsManagerType.VAULT: "vault",
}


def _configured_as_the_config_says(r: Rendered) -> None:
    value = r.release.value
    label = r.release.deployment["metadata"]["labels"]["helm.sh/chart"]
    assert label == f"airbyte-data-plane-{r.dataplane.chart_version}"  # the package asked for
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
    if not r.dataplane.chart_version.startswith("1."):
        assert value("STORAGE_BUCKET_AUDIT_LOGGING") == buckets.audit_logging
    if storage.type is StorageType.S3:
        assert storage.s3 is not None
        assert value("AWS_DEFAULT_REGION") == storage.s3.region
        assert value("AWS_AUTHENTICATION_TYPE") == storage.s3.authentication_type
    elif storage.type is StorageType.MINIO:
        assert storage.minio is not None
        assert value("MINIO_ENDPOINT") == storage.minio.endpoint
        # The chart's name for it (the launcher's application.yml names S3_PATH_STYLE_ACCESS).
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


def test_lists_in_overrides_keep_flexctls_entries(helm: Path, tmp_path: Path) -> None:
    """An override's extraEnv / volumes / volumeMounts replace Helm's lists whole: flexctl's
    entries (the GCS key file, the job-pod references) are added back, the user's kept."""
    [r] = render_case(CASES["overrides-of-lists"], tmp_path, helm)
    assert r.release.value("HTTP_PROXY") == "http://proxy:3128"
    assert r.release.mounts()["scratch"] == "/scratch"
    assert r.release.mounts()["gcs-credentials"] == "/secrets/gcp-creds"
    assert r.release.value("AWS_SECRET_MANAGER_ACCESS_KEY_ID_REF_NAME") == r.secret.name


def test_the_rendered_values_say_why_flexctl_adds_launcher_entries(tmp_path: Path) -> None:
    config = write_case(Case(storage="gcs", engine="argocd"), tmp_path)
    files = render_all(load_directory(config))
    folder = "aws-eu--primary"
    values = files[f"{folder}/values.yaml"].splitlines()
    env = values.index("  extraEnv:")
    assert values[env - 3].startswith("  # Added by flexctl: the launcher hands job pods")
    assert values[values.index("  volumes:") - 2].startswith("  # Added by flexctl: GOOGLE_APP")
    app = files[f"{folder}/application.yaml"].splitlines()
    env = app.index("          extraEnv:")
    assert app[env - 3].startswith("          # Added by flexctl: the launcher hands job pods")
