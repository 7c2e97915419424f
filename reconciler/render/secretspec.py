"""The Secret a data plane's chart release reads: its name, namespace and every key in it.

One Secret per data plane holds the data plane's own client id/secret and every credential
the storage and secrets-manager sections name (notes §4, §10). Render uses this to write the
``*SecretKey`` values and the ExternalSecret; the sinks use it to write the Secret itself.
Keys that must exist but carry nothing (instance profiles, ambient identity) are empty:
the chart's secretKeyRefs are not optional, a missing key stops the pod (notes §7).

Pure: references are listed here, resolved only by the sinks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reconciler.config.desired import DesiredState
from reconciler.config.models import (
    CredentialSink,
    DataPlane,
    SecretRef,
    SecretsManager,
    SecretsManagerType,
    SinkType,
    Storage,
    StorageType,
    fill_template,
)
from reconciler.render.names import (
    CLIENT_ID_KEY,
    CLIENT_SECRET_KEY,
    GCS_CREDENTIALS_FILE_KEY,
    remote_key,
    secret_name,
)

Source = Literal["client_id", "client_secret", "reference", "empty"]


@dataclass(frozen=True)
class SecretEntry:
    key: str
    source: Source
    #: Set when ``source == "reference"``: the document's ``{env:}``/``{file:}`` reference.
    ref: SecretRef | None = None
    #: The document field this key stands for, for messages (``storage.s3.accessKeyId``).
    field: str = ""


@dataclass(frozen=True)
class SecretSpec:
    name: str
    namespace: str
    entries: tuple[SecretEntry, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(entry.key for entry in self.entries)


#: values.yaml ``*SecretKey`` name -> Secret key, per storage type (notes §4).
STORAGE_SECRET_KEYS: dict[StorageType, dict[str, str]] = {
    StorageType.S3: {
        "accessKeyIdSecretKey": "AWS_ACCESS_KEY_ID",
        "secretAccessKeySecretKey": "AWS_SECRET_ACCESS_KEY",
    },
    StorageType.MINIO: {
        "accessKeyIdSecretKey": "AWS_ACCESS_KEY_ID",
        "secretAccessKeySecretKey": "AWS_SECRET_ACCESS_KEY",
    },
    StorageType.GCS: {"credentialsJsonSecretKey": "GOOGLE_APPLICATION_CREDENTIALS_JSON"},
    StorageType.AZURE: {"connectionStringSecretKey": "AZURE_STORAGE_CONNECTION_STRING"},
}

#: values.yaml block of each secrets-manager type.
SECRETS_MANAGER_BLOCKS: dict[SecretsManagerType, str] = {
    SecretsManagerType.AWS_SECRET_MANAGER: "awsSecretManager",
    SecretsManagerType.GOOGLE_SECRET_MANAGER: "googleSecretManager",
    SecretsManagerType.AZURE_KEY_VAULT: "azureKeyVault",
    SecretsManagerType.VAULT: "vault",
}

SECRETS_MANAGER_SECRET_KEYS: dict[SecretsManagerType, dict[str, str]] = {
    SecretsManagerType.AWS_SECRET_MANAGER: {
        "accessKeyIdSecretKey": "AWS_SECRET_MANAGER_ACCESS_KEY_ID",
        "secretAccessKeySecretKey": "AWS_SECRET_MANAGER_SECRET_ACCESS_KEY",
    },
    SecretsManagerType.GOOGLE_SECRET_MANAGER: {
        "credentialsSecretKey": "SECRET_STORE_GCP_CREDENTIALS",
    },
    SecretsManagerType.AZURE_KEY_VAULT: {
        "clientIdSecretKey": "AB_AZURE_KEY_VAULT_CLIENT_ID",
        "clientSecretSecretKey": "AB_AZURE_KEY_VAULT_CLIENT_SECRET",
    },
    SecretsManagerType.VAULT: {"authTokenSecretKey": "VAULT_AUTH_TOKEN"},
}

#: ``*SecretKey`` name -> the document field holding the reference for it.
_REF_FIELDS = {
    "accessKeyIdSecretKey": "access_key_id",
    "secretAccessKeySecretKey": "secret_access_key",
    "credentialsJsonSecretKey": "credentials_json",
    "connectionStringSecretKey": "connection_string",
    "credentialsSecretKey": "credentials",
    "clientIdSecretKey": "client_id",
    "clientSecretSecretKey": "client_secret",
    "authTokenSecretKey": "auth_token",
}


@dataclass(frozen=True)
class ExternalSource:
    """Where the rendered ExternalSecret reads the data plane's keys (one property each)."""

    store_name: str
    store_kind: str
    #: The remote key: the sink's path (secrets-manager sink) or ``<keyPrefix>/<region>/<dp>``.
    key: str
    refresh_interval: str
    #: What the store must be, in words, when the sink writes there; None: a person stores it.
    store_note: str | None = None


def sink_path(template: str, dataplane: DataPlane) -> str:
    """A sink path template with ``{region}`` and ``{dataplane}`` filled in."""
    return fill_template(template, region=dataplane.region, dataplane=dataplane.name)


def external_source(desired: DesiredState, dataplane: DataPlane) -> ExternalSource | None:
    """The ExternalSecret's source; None when no ExternalSecret is rendered (kubernetes sink,
    or a local sink without an Organization ``externalSecrets`` store)."""
    sink = desired.credentials_for(dataplane)
    external = desired.organization.external_secrets
    refresh = external.refresh_interval if external is not None else "1h"
    if sink.type.secrets_manager:
        if sink.store is not None:
            name, kind = sink.store.name, sink.store.kind
        elif external is not None:
            name, kind = external.store_name, external.store_kind
        else:
            name, kind = f"flexctl-{sink.type.value}", "ClusterSecretStore"
        key, note = _sink_location(sink, dataplane)
        return ExternalSource(name, kind, key, refresh, store_note=note)
    if external is None or sink.type is SinkType.KUBERNETES:
        return None
    key = remote_key(external, dataplane)
    return ExternalSource(external.store_name, external.store_kind, key, refresh)


def _sink_location(sink: CredentialSink, dataplane: DataPlane) -> tuple[str, str]:
    if sink.vault is not None:
        vault = sink.vault
        return sink_path(vault.path, dataplane), (
            f"the `vault` provider with `server: {vault.address}`, `path: {vault.mount}`, "
            "`version: v2`" + (f", `namespace: {vault.namespace}`" if vault.namespace else "")
        )
    if sink.gcp_secret_manager is not None:
        gcp = sink.gcp_secret_manager
        return sink_path(gcp.secret_id, dataplane), (
            f"the `gcpsm` provider with `projectID: {gcp.project}`"
        )
    if sink.azure_key_vault is not None:
        azure = sink.azure_key_vault
        return sink_path(azure.name, dataplane), (
            f"the `azurekv` provider with `vaultUrl: {azure.vault_url}`"
        )
    assert sink.aws_secrets_manager is not None
    aws = sink.aws_secrets_manager
    return sink_path(aws.name, dataplane), (
        f"the `aws` provider with `service: SecretsManager`, `region: {aws.region}`"
    )


def secrets_manager_for(desired: DesiredState, dataplane: DataPlane) -> SecretsManager:
    """The data plane's secrets manager: always the organisation's (a seed requirement)."""
    return dataplane.secrets_manager or desired.organization.secrets_manager


def secret_spec(desired: DesiredState, dataplane: DataPlane) -> SecretSpec:
    entries = [
        SecretEntry(CLIENT_ID_KEY, "client_id", field="credentials"),
        SecretEntry(CLIENT_SECRET_KEY, "client_secret", field="credentials"),
    ]
    storage = desired.storage_for(dataplane)
    if storage is not None:
        entries.extend(_storage_entries(storage))
    entries.extend(_secrets_manager_entries(secrets_manager_for(desired, dataplane)))
    return SecretSpec(
        name=secret_name(dataplane),
        namespace=dataplane.cluster.namespace,
        entries=tuple(entries),
    )


def _storage_entries(storage: Storage) -> list[SecretEntry]:
    block = getattr(storage, storage.type.value)
    ambient = getattr(block, "authentication_type", "credentials") == "instanceProfile"
    where = f"storage.{storage.type.value}"
    entries = [
        _entry(key, block, _REF_FIELDS[name], where, ambient=ambient)
        for name, key in STORAGE_SECRET_KEYS[storage.type].items()
    ]
    if storage.type is StorageType.GCS:
        # The same key file again, as the file GOOGLE_APPLICATION_CREDENTIALS names (item 6):
        # nothing in the platform reads GOOGLE_APPLICATION_CREDENTIALS_JSON.
        entries.append(
            _entry(GCS_CREDENTIALS_FILE_KEY, block, "credentials_json", where, ambient=False)
        )
    return entries


def _secrets_manager_entries(manager: SecretsManager) -> list[SecretEntry]:
    block_name = SECRETS_MANAGER_BLOCKS[manager.type]
    block = getattr(manager, _snake(block_name))
    ambient = getattr(block, "authentication_type", "credentials") == "instanceProfile"
    return [
        _entry(key, block, _REF_FIELDS[name], f"secretsManager.{block_name}", ambient=ambient)
        for name, key in SECRETS_MANAGER_SECRET_KEYS[manager.type].items()
    ]


def _entry(key: str, block: object, attr: str, where: str, *, ambient: bool) -> SecretEntry:
    ref = getattr(block, attr, None)
    field = f"{where}.{_camel(attr)}"
    if ambient or ref is None:
        return SecretEntry(key, "empty", field=field)
    assert isinstance(ref, SecretRef)
    return SecretEntry(key, "reference", ref=ref, field=field)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
