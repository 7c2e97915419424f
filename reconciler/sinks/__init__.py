"""Credential sinks: where a data plane's one-time client id/secret (and the rest of its
Secret) are delivered, chosen per data plane by ``DataPlane.credentials.type``:

    file        0600 Secret manifest, state dir ``credentials/<region>--<dataplane>.yaml`` (default)
    kubernetes  the Secret itself, in the data plane's cluster (kube context, namespace)
    env-file    ``DATAPLANE_CLIENT_ID=...`` lines, 0600, at ``credentials.path`` in the state dir
    vault       one KV v2 secret (JSON object) in Vault / OpenBao, ``sinks.vault``
    aws-secrets-manager  one JSON SecretString in AWS Secrets Manager, ``sinks.aws_sm``
    gcp-secret-manager   one JSON secret version in Google Secret Manager, ``sinks.gcp_sm``
    azure-key-vault      one JSON secret in Azure Key Vault, ``sinks.azure_kv``

The sink is the data plane's ``credentials``, else the Organization's default
(``DesiredState.credentials_for``).

Every write is read back; every failure is a ``SinkError`` that never contains a value.
The Secret's name and keys come from ``render.names`` / ``render.secretspec``, shared with
render, so values.yaml and the Secret cannot disagree. Nothing here writes under ``--out``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from reconciler.config.desired import DesiredState, dataplane_key
from reconciler.config.models import DataPlane, SinkType
from reconciler.render.names import folder_name
from reconciler.sinks.base import CredentialSinkProtocol, DataplaneCredentials, KubeClientFactory
from reconciler.sinks.env_file import EnvFileSink
from reconciler.sinks.file import FileSink
from reconciler.sinks.secretdata import SecretContext
from reconciler.statedir import StateDir

__all__ = [
    "CredentialSinkProtocol",
    "DataplaneCredentials",
    "KubeClientFactory",
    "sink_for",
    "stored_credentials",
]

CREDENTIALS_DIR = "credentials"


def sink_for(
    desired: DesiredState,
    dataplane: DataPlane,
    *,
    state_dir: StateDir,
    kube: KubeClientFactory | None = None,
    env: Mapping[str, str] | None = None,
    config_dir: Path | None = None,
) -> CredentialSinkProtocol:
    """The sink the data plane's document asks for.

    ``env`` and ``config_dir`` resolve the document's other secret references (storage,
    secrets manager) that go into the same Secret; default: the process environment and
    the current directory. ``kube`` defaults to the kubeconfig's contexts.
    """
    ctx = SecretContext(
        desired=desired,
        dataplane=dataplane,
        env=os.environ if env is None else env,
        config_dir=config_dir or Path.cwd(),
    )
    stem = folder_name(dataplane)
    sink = desired.credentials_for(dataplane)
    if sink.type is SinkType.VAULT:
        from reconciler.sinks.managed import ManagedSink
        from reconciler.sinks.vault import VaultBackend

        assert sink.vault is not None  # the model requires it
        return ManagedSink(ctx, VaultBackend(ctx, sink.vault))
    if sink.type is SinkType.AWS_SECRETS_MANAGER:
        from reconciler.sinks.aws_sm import AwsSecretsManagerBackend
        from reconciler.sinks.managed import ManagedSink

        assert sink.aws_secrets_manager is not None  # the model requires it
        return ManagedSink(ctx, AwsSecretsManagerBackend(ctx, sink.aws_secrets_manager))
    if sink.type is SinkType.GCP_SECRET_MANAGER:
        from reconciler.sinks.gcp_sm import GcpSecretManagerBackend
        from reconciler.sinks.managed import ManagedSink

        assert sink.gcp_secret_manager is not None  # the model requires it
        return ManagedSink(ctx, GcpSecretManagerBackend(ctx, sink.gcp_secret_manager))
    if sink.type is SinkType.AZURE_KEY_VAULT:
        from reconciler.sinks.azure_kv import AzureKeyVaultBackend
        from reconciler.sinks.managed import ManagedSink

        assert sink.azure_key_vault is not None  # the model requires it
        return ManagedSink(ctx, AzureKeyVaultBackend(ctx, sink.azure_key_vault))
    if sink.type is SinkType.ENV_FILE:
        assert sink.path is not None  # the model requires it
        return EnvFileSink(ctx, state_dir.path(sink.path), state_dir=state_dir)
    if sink.type is SinkType.KUBERNETES:
        from reconciler.sinks.kube import KubeconfigClientFactory, KubernetesSink

        return KubernetesSink(
            ctx,
            factory=kube or KubeconfigClientFactory(),
            pending=state_dir.path(CREDENTIALS_DIR, f"{stem}.pending.yaml"),
            state_dir=state_dir,
        )
    return FileSink(ctx, state_dir.path(CREDENTIALS_DIR, f"{stem}.yaml"), state_dir=state_dir)


def stored_credentials(
    desired: DesiredState,
    *,
    state_dir: StateDir,
    kube: KubeClientFactory | None = None,
) -> dict[str, DataplaneCredentials | None]:
    """``dataplane_key`` -> what its sink holds (None: nothing yet), for ``flexctl verify``."""
    return {
        dataplane_key(dp): sink_for(desired, dp, state_dir=state_dir, kube=kube).read()
        for dp in sorted(desired.dataplanes, key=dataplane_key)
    }
