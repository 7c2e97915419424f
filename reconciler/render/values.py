"""values.yaml for one data plane: every key flexctl relies on named explicitly, then the
document's own overrides merged on top.

What is rendered follows notes §10: ``airbyteUrl`` without a trailing slash; one Secret
(``names.secret_name``) named by the top-level ``secretName`` and by every section, with
the three ``dataPlane`` secret names equal; ``storage.type`` lower-case with its block and
all four buckets; ``secretsManager.type`` upper-case with its block, the organisation's;
a ServiceAccount name unique per release. Pure; checks live in ``render.check``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.config.desired import DesiredState
from reconciler.config.models import (
    AwsSecretManager,
    AzureKeyVault,
    DataPlane,
    GoogleSecretManager,
    SecretsManager,
    Storage,
    StorageType,
    Vault,
)
from reconciler.render.launcher import gcs_credentials_path, launcher_values, required_entries
from reconciler.render.names import (
    CLIENT_ID_KEY,
    CLIENT_SECRET_KEY,
    secret_name,
    service_account_name,
)
from reconciler.render.secretspec import (
    SECRETS_MANAGER_BLOCKS,
    SECRETS_MANAGER_SECRET_KEYS,
    STORAGE_SECRET_KEYS,
    secret_spec,
    secrets_manager_for,
)
from reconciler.render.yamlout import sorted_tree

#: ``storage.bucket.*`` key -> ``Buckets`` field; chart 1.8 reads the first four.
BUCKET_FIELDS = {
    "log": "log",
    "state": "state",
    "workloadOutput": "workload_output",
    "activityPayload": "activity_payload",
    "auditLogging": "audit_logging",
}
BUCKETS = ("log", "state", "workloadOutput", "activityPayload")


def base_values(
    desired: DesiredState, dataplane: DataPlane, *, buckets: Sequence[str] = BUCKETS
) -> dict[str, Any]:
    """What flexctl renders before overrides, with the ``buckets`` the chart version reads.
    Storage must be resolvable (checked first)."""
    secret = secret_name(dataplane)
    storage = desired.storage_for(dataplane)
    manager = secrets_manager_for(desired, dataplane)
    values: dict[str, Any] = {
        "airbyteUrl": desired.organization.airbyte_url.rstrip("/"),
        "secretName": secret,
        "serviceAccount": {"name": service_account_name(dataplane)},
        "dataPlane": {
            "secretName": secret,
            "clientIdSecretName": secret,
            "clientIdSecretKey": CLIENT_ID_KEY,
            "clientSecretSecretName": secret,
            "clientSecretSecretKey": CLIENT_SECRET_KEY,
        },
        "secretsManager": secrets_manager_values(manager, secret),
    }
    if storage is not None:
        values["storage"] = storage_values(storage, secret, buckets=buckets)
    spec = secret_spec(desired, dataplane)
    return merge(values, launcher_values(storage, manager, spec))


def merged_values(
    desired: DesiredState, dataplane: DataPlane, *, buckets: Sequence[str] = BUCKETS
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(base, merged): what flexctl renders, and that with the document's overrides on top
    (flexctl's named list entries kept, ``render.launcher``), keys sorted."""
    base = base_values(desired, dataplane, buckets=buckets)
    return base, sorted_tree(required_entries(merge(base, dataplane.values), base))


def storage_values(
    storage: Storage, secret: str, *, buckets: Sequence[str] = BUCKETS
) -> dict[str, Any]:
    block: dict[str, Any] = dict(STORAGE_SECRET_KEYS[storage.type])
    if storage.type is StorageType.S3:
        assert storage.s3 is not None
        block |= {"region": storage.s3.region, "authenticationType": storage.s3.authentication_type}
    elif storage.type is StorageType.MINIO:
        assert storage.minio is not None
        block |= {
            "endpoint": storage.minio.endpoint,
            "s3PathStyleAccess": storage.minio.s3_path_style_access,
        }
    elif storage.type is StorageType.GCS:
        # The file GOOGLE_APPLICATION_CREDENTIALS names (render.launcher); gcs.projectId is
        # not read by the chart (notes §3): not rendered.
        block["credentialsJsonPath"] = gcs_credentials_path()
    return {
        "secretName": secret,
        "type": storage.type.value,
        "bucket": {name: getattr(storage.buckets, BUCKET_FIELDS[name]) for name in buckets},
        storage.type.value: block,
    }


def secrets_manager_values(manager: SecretsManager, secret: str) -> dict[str, Any]:
    block: dict[str, Any] = dict(SECRETS_MANAGER_SECRET_KEYS[manager.type])
    match (
        manager.aws_secret_manager,
        manager.google_secret_manager,
        manager.azure_key_vault,
        manager.vault,
    ):
        case AwsSecretManager() as aws, _, _, _:
            # authenticationType is not read by 1.8.1 (notes §5.6); kmsArn, not `kms`.
            block |= {
                "region": aws.region,
                "kmsArn": aws.kms_arn or "",
                "tags": [{"key": k, "value": v} for k, v in sorted(aws.tags.items())],
            }
        case _, GoogleSecretManager() as google, _, _:
            block |= {"projectId": google.project_id, "region": google.region or ""}
        case _, _, AzureKeyVault() as azure, _:
            block |= {"tenantId": azure.tenant_id, "vaultUrl": azure.vault_url}
        case _, _, _, Vault() as vault:
            block |= {"address": vault.address, "prefix": vault.prefix}
    return {
        "secretName": secret,
        "type": manager.type.value,
        SECRETS_MANAGER_BLOCKS[manager.type]: block,
    }


def merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's merge: maps merge key by key, anything else replaces. A ``null`` is kept: Helm
    reads it as "remove this chart default", so it must reach values.yaml."""
    out = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out
