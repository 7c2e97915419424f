"""Names shared by render and the credential sinks, so values.yaml and the Secret never disagree.

Every name derived from a data plane lives here: the folder it renders into, the Secret the
chart reads its credentials from (and the keys in it), the ServiceAccount, the GitOps object
names and the remote key an ExternalSecret reads. Pure: no I/O.
"""

from __future__ import annotations

from reconciler.config.models import DataPlane, ExternalSecretsConfig, dataplane_stem

#: Keys of the data plane's own credentials in its Secret: the chart's defaults (notes §3),
#: named explicitly in values.yaml all the same.
CLIENT_ID_KEY = "DATAPLANE_CLIENT_ID"
CLIENT_SECRET_KEY = "DATAPLANE_CLIENT_SECRET"  # noqa: S105 (a key name, not a secret)

#: GCS (issue 13 item 6): the chart points GOOGLE_APPLICATION_CREDENTIALS at a file, and job
#: pods get it by mounting the whole Secret named by workloads.containerOrchestrator.secretName
#: at its secretMountPath. The Secret carries the key file under this key; the launcher pod
#: mounts the same key at the same path (workloadLauncher.volumes), so the file exists in both.
GCS_CREDENTIALS_FILE_KEY = "gcp.json"
GCS_CREDENTIALS_DIR = "/secrets/gcp-creds"
GCS_CREDENTIALS_VOLUME = "gcs-credentials"

#: Chart name and the Helm limit on release names (Helm refuses longer ones).
CHART_NAME = "airbyte-data-plane"
HELM_RELEASE_NAME_MAX = 53

#: Annotation carrying the data plane id on every Secret flexctl writes (not a secret).
DATAPLANE_ID_ANNOTATION = "flexctl.io/dataplane-id"
MANAGED_BY_LABEL = ("app.kubernetes.io/managed-by", "flexctl")


def folder_name(dataplane: DataPlane) -> str:
    """Folder under ``--out`` and file stem in the state directory: ``<region>--<dataplane>``
    (injective, see ``config.models.dataplane_stem``)."""
    return dataplane_stem(dataplane.region, dataplane.name)


def secret_name(dataplane: DataPlane) -> str:
    """The one Secret every section of values.yaml names.

    Release-prefixed so two releases in one namespace do not share it, and never
    ``<release>-airbyte-data-plane-secrets``, which the chart itself owns (notes §4).
    """
    return f"{dataplane.cluster.release_name}-credentials"


def service_account_name(dataplane: DataPlane) -> str:
    """Unique per release: the chart's default SA/Role/RoleBinding names collide (notes §2)."""
    return f"{dataplane.cluster.release_name}-workload-launcher"


def gitops_name(dataplane: DataPlane) -> str:
    """Name of the HelmRelease / Application: unique per data plane in the GitOps namespace."""
    return f"{dataplane.region.lower()}-{dataplane.name}"


def values_configmap_name(dataplane: DataPlane) -> str:
    return f"{gitops_name(dataplane)}-values"


def helm_repository_name(dataplane: DataPlane) -> str:
    # One per data plane: two Flux Kustomizations owning one shared object would fight over it.
    return f"{gitops_name(dataplane)}-charts"


def remote_key(external: ExternalSecretsConfig, dataplane: DataPlane) -> str:
    """Where the ExternalSecret reads this data plane's keys: ``<prefix>/<region>/<dataplane>``."""
    return f"{external.key_prefix.rstrip('/')}/{dataplane.region}/{dataplane.name}"
