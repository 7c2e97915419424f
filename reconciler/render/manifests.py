"""Kubernetes manifests rendered next to values.yaml: Namespace, ExternalSecret, the GitOps
objects (Flux HelmRepository + HelmRelease, or an Argo CD Application) and the
kustomization that makes the folder directly consumable by ``kubectl apply -k`` or a Flux
Kustomization (values.yaml and README.md are not manifests and must not be applied).

Never a secret value: the ExternalSecret names remote keys, values come from the store.
Pure: dicts in conventional key order, dumped by ``yamlout``.
"""

from __future__ import annotations

from typing import Any

from reconciler.config.desired import DesiredState
from reconciler.config.models import DataPlane, GitOpsEngine
from reconciler.render.chartversions import chart_repository
from reconciler.render.names import (
    CHART_NAME,
    MANAGED_BY_LABEL,
    gitops_name,
    helm_repository_name,
    values_configmap_name,
)
from reconciler.render.secretspec import ExternalSource, SecretSpec
from reconciler.render.yamlout import manifest

VALUES_FILE = "values.yaml"
NAMESPACE_FILE = "namespace.yaml"
EXTERNAL_SECRET_FILE = "externalsecret.yaml"  # noqa: S105 (a file name)
HELM_REPOSITORY_FILE = "helmrepository.yaml"
HELM_RELEASE_FILE = "helmrelease.yaml"
APPLICATION_FILE = "application.yaml"
KUSTOMIZATION_FILE = "kustomization.yaml"

_LABELS = {MANAGED_BY_LABEL[0]: MANAGED_BY_LABEL[1]}


def _meta(name: str, namespace: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": dict(_LABELS)}
    if namespace is not None:
        meta["namespace"] = namespace
    return meta


def managed_meta(name: str, namespace: str | None = None) -> dict[str, Any]:
    """Metadata with flexctl's managed-by label (for objects built in other modules)."""
    return _meta(name, namespace)


#: On a Namespace several data planes share (issue 13 item 10): the folder that renders it can
#: be pruned (its data plane removed) while the others still live there, so neither Flux nor
#: Argo CD may delete it.
NEVER_PRUNE = {
    "kustomize.toolkit.fluxcd.io/prune": "disabled",
    "argocd.argoproj.io/sync-options": "Prune=false",
}


def namespace(dataplane: DataPlane, *, shared: bool = False) -> dict[str, Any]:
    meta = _meta(dataplane.cluster.namespace)
    if shared:
        meta["annotations"] = dict(NEVER_PRUNE)
    return manifest("v1", "Namespace", meta)


def namespace_sharers(desired: DesiredState, dataplane: DataPlane) -> list[DataPlane]:
    """The data planes in ``dataplane``'s namespace of its cluster, the one that renders the
    Namespace first (region, then name: the order folders are rendered in)."""
    where = (dataplane.cluster.kube_context.lower(), dataplane.cluster.namespace)
    return sorted(
        (
            d
            for d in desired.dataplanes
            if (d.cluster.kube_context.lower(), d.cluster.namespace) == where
        ),
        key=lambda d: (d.region.lower(), d.name),
    )


def external_secret(spec: SecretSpec, source: ExternalSource) -> dict[str, Any]:
    """Pulls every key of the data plane's Secret from the source's remote key: where the
    secrets-manager sink wrote them, else ``<keyPrefix>/<region>/<dataplane>``.

    Keys that must exist but stay empty (instance profiles) cannot come from the store:
    they are written by a template, which then has to name the pulled keys as well.
    """
    key = source.key
    pulled = [e.key for e in spec.entries if e.source != "empty"]
    empty = [e.key for e in spec.entries if e.source == "empty"]
    target: dict[str, Any] = {"name": spec.name, "creationPolicy": "Owner"}
    if empty:
        data = {k: "{{ ." + k + " }}" for k in pulled} | {k: "" for k in empty}
        target["template"] = {"engineVersion": "v2", "type": "Opaque", "data": data}
    return manifest(
        "external-secrets.io/v1",
        "ExternalSecret",
        _meta(spec.name, spec.namespace),
        spec={
            "refreshInterval": source.refresh_interval,
            "secretStoreRef": {"name": source.store_name, "kind": source.store_kind},
            "target": target,
            "data": [
                {"secretKey": k, "remoteRef": {"key": key, "property": k}} for k in sorted(pulled)
            ],
        },
    )


def helm_repository(desired: DesiredState, dataplane: DataPlane) -> dict[str, Any]:
    gitops = desired.organization.gitops
    return manifest(
        "source.toolkit.fluxcd.io/v1",
        "HelmRepository",
        _meta(helm_repository_name(dataplane), gitops.namespace),
        spec={"interval": "1h", "url": chart_repository(desired, dataplane)},
    )


def helm_release(desired: DesiredState, dataplane: DataPlane) -> dict[str, Any]:
    gitops = desired.organization.gitops
    cluster = dataplane.cluster
    return manifest(
        "helm.toolkit.fluxcd.io/v2",
        "HelmRelease",
        _meta(gitops_name(dataplane), gitops.namespace),
        spec={
            "interval": "10m",
            "releaseName": cluster.release_name,
            "targetNamespace": cluster.namespace,
            "storageNamespace": cluster.namespace,
            "chart": {
                "spec": {
                    "chart": CHART_NAME,
                    "version": dataplane.chart_version,
                    "sourceRef": {
                        "kind": "HelmRepository",
                        "name": helm_repository_name(dataplane),
                        "namespace": gitops.namespace,
                    },
                    "interval": "1h",
                }
            },
            "install": {"createNamespace": True, "remediation": {"retries": 3}},
            "upgrade": {"remediation": {"retries": 3}},
            "valuesFrom": [
                {
                    "kind": "ConfigMap",
                    "name": values_configmap_name(dataplane),
                    "valuesKey": VALUES_FILE,
                }
            ],
        },
    )


def application(
    desired: DesiredState, dataplane: DataPlane, values: dict[str, Any]
) -> dict[str, Any]:
    """Argo CD Application; the destination cluster is the one registered under the
    data plane's kube context name (Argo CD's default naming for ``argocd cluster add``)."""
    gitops = desired.organization.gitops
    cluster = dataplane.cluster
    return manifest(
        "argoproj.io/v1alpha1",
        "Application",
        _meta(gitops_name(dataplane), gitops.namespace),
        spec={
            "project": "default",
            "source": {
                "repoURL": chart_repository(desired, dataplane),
                "chart": CHART_NAME,
                "targetRevision": dataplane.chart_version,
                "helm": {"releaseName": cluster.release_name, "valuesObject": values},
            },
            "destination": {"name": cluster.kube_context, "namespace": cluster.namespace},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["CreateNamespace=true"],
            },
        },
    )


def kustomization(
    desired: DesiredState,
    dataplane: DataPlane,
    *,
    with_external_secret: bool,
    with_namespace: bool = True,
    extra: tuple[str, ...] = (),
) -> dict[str, Any]:
    resources = [NAMESPACE_FILE] if with_namespace else []
    if with_external_secret:
        resources.append(EXTERNAL_SECRET_FILE)
    body: dict[str, Any] = {}
    if desired.organization.gitops.engine is GitOpsEngine.FLUX:
        resources += [HELM_REPOSITORY_FILE, HELM_RELEASE_FILE, *extra]
        body["configMapGenerator"] = [
            {
                "name": values_configmap_name(dataplane),
                "namespace": desired.organization.gitops.namespace,
                "files": [VALUES_FILE],
                # A fixed name so the HelmRelease can refer to it; the label makes Flux
                # upgrade the release when the values change instead of at the next interval.
                "options": {
                    "disableNameSuffixHash": True,
                    "labels": {"reconcile.fluxcd.io/watch": "Enabled", **_LABELS},
                },
            }
        ]
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
        **body,
    }
