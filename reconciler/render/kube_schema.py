"""Schema checks for every Kubernetes manifest flexctl writes (rendered folders, sink
Secrets, ``deploy/``).

Core kinds (Namespace, Secret, CronJob, RBAC, PVC ...) are checked against the
Kubernetes OpenAPI schemas shipped by ``kubernetes-validate``, in strict mode (unknown
fields are errors). The custom resources (ExternalSecret, HelmRelease, HelmRepository,
Argo CD Application, Flux GitRepository and Kustomization) and the kustomization have no
schema there: ``data/schemas/`` holds
small JSON Schemas of exactly the fields flexctl emits (closed objects, so a misspelt field
fails), checked with ``jsonschema``. Pure.

Both libraries are imported on the first check, not with this module: the sinks import it
(the file sink checks the Secret it writes), so a ``plan``, which never writes one, would
otherwise pay for jsonschema, referencing and kubernetes-validate at every start.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

#: The Kubernetes minor version whose schemas core kinds are checked against.
KUBERNETES_VERSION = "1.30"

_CUSTOM = {
    ("external-secrets.io/v1", "ExternalSecret"): "externalsecret",
    ("helm.toolkit.fluxcd.io/v2", "HelmRelease"): "helmrelease",
    ("source.toolkit.fluxcd.io/v1", "HelmRepository"): "helmrepository",
    ("argoproj.io/v1alpha1", "Application"): "application",
    ("kustomize.config.k8s.io/v1beta1", "Kustomization"): "kustomization",
    ("source.toolkit.fluxcd.io/v1", "GitRepository"): "gitrepository",
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"): "fluxkustomization",
}


def _schema_text(name: str) -> Any:
    path = resources.files("reconciler.render").joinpath(f"data/schemas/{name}.json")
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def _validator(name: str) -> Any:
    import jsonschema  # type: ignore[import-untyped,unused-ignore]
    from referencing import Registry, Resource

    registry: Registry[Any] = Registry().with_resource(
        "flexctl:meta", Resource.from_contents(_schema_text("_meta"))
    )
    schema = _schema_text(name)
    return jsonschema.Draft202012Validator(schema, registry=registry)


def validate_manifest(document: Mapping[str, Any]) -> list[str]:
    """Problems with one manifest, as ``kind/name: field: message`` strings (empty: valid)."""
    api_version = document.get("apiVersion")
    kind = document.get("kind")
    metadata = document.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    label = f"{kind}/{name}" if name else str(kind)
    custom = _CUSTOM.get((str(api_version), str(kind)))
    if custom is not None:
        errors = sorted(_validator(custom).iter_errors(dict(document)), key=lambda e: list(e.path))
        return [f"{label}: {_where(e.absolute_path)}{e.message}" for e in errors]
    import kubernetes_validate

    try:
        kubernetes_validate.validate(dict(document), KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return [f"{label}: no schema for apiVersion {api_version!r} kind {kind!r}"]
    except kubernetes_validate.ValidationError as e:
        return [f"{label}: {_where(e.absolute_path)}{e.message}"]
    return []


def _where(path: Any) -> str:
    parts = [str(p) for p in path]
    return f"{'.'.join(parts)}: " if parts else ""
