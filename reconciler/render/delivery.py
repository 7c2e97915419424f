"""Where the clusters read the rendered folders from, when flexctl commits them to Git
(``--to-git URL --branch B --to-git-path P``), and the objects that point each cluster there.

Pure. With a delivery target:

- Flux: ``gitrepository.yaml`` (a ``GitRepository`` on that URL and branch) and ``sync.yaml``
  (a Flux ``Kustomization`` applying ``./<P>/<folder>`` from it), both listed in the folder's
  ``kustomization.yaml``: applied once by hand (``kubectl apply -k``), Flux keeps the folder
  and these two objects in step with the branch from then on, as ``flux bootstrap`` does.
- Argo CD: the Application has three ``sources``: the chart with its values file taken from
  the branch (``$values/<P>/<folder>/values.yaml``), the branch as that ``values`` ref, and the
  folder itself (Namespace, ExternalSecret through its kustomization).

The URL written into manifests never holds credentials: its user-info is dropped (the
clusters authenticate with their own secret, ``spec.secretRef`` / an Argo CD repository).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from reconciler.config.desired import DesiredState
from reconciler.config.models import DataPlane
from reconciler.render.manifests import managed_meta
from reconciler.render.names import gitops_name
from reconciler.render.yamlout import manifest

GIT_REPOSITORY_FILE = "gitrepository.yaml"
SYNC_FILE = "sync.yaml"

# Greedy to the last "@": a password pasted unencoded may hold "/", ":" or "@" (reconciler.redact).
_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<info>\S*)@")
_SCP = re.compile(r"^(?P<user>[A-Za-z0-9._-]+)@(?P<host>[^:/]+):(?P<path>[^/].*)$")


@dataclass(frozen=True)
class GitDelivery:
    #: The repository as the clusters reach it, without credentials.
    url: str
    branch: str
    #: Folder of the data-plane folders in the repository ("" for its root).
    path: str = ""

    def folder_path(self, folder: str) -> str:
        """The data-plane folder's path in the repository, as Flux and Argo CD spell it."""
        prefix = self.path.strip("/")
        return f"{prefix}/{folder}" if prefix else folder


def public_url(url: str) -> str:
    """``url`` as a cluster reads it, without credentials: a token must not be committed into
    a manifest. HTTP(S) loses its user-info; SSH keeps the user name (``git``, no secret) and
    loses a password; scp-like ``git@host:org/repo`` becomes ``ssh://git@host/org/repo``
    (Flux takes only URLs)."""
    if url.startswith("/"):
        return PurePosixPath(url).as_uri()  # a local bare repository (tests, a shared disk)
    scp = _SCP.match(url)
    if scp is not None and "://" not in url:
        return f"ssh://{scp['user']}@{scp['host']}/{scp['path']}"
    found = _USERINFO.match(url)
    if found is None:
        return url
    user = found["info"].split(":", 1)[0]
    keep = f"{user}@" if found["scheme"].lower() == "ssh://" and user else ""
    return found["scheme"] + keep + url[found.end() :]


def git_repository(desired: DesiredState, dataplane: DataPlane, target: GitDelivery) -> Any:
    return manifest(
        "source.toolkit.fluxcd.io/v1",
        "GitRepository",
        _meta(desired, dataplane, "-fleet"),
        spec={"interval": "1m", "url": target.url, "ref": {"branch": target.branch}},
    )


def flux_sync(desired: DesiredState, dataplane: DataPlane, target: GitDelivery, folder: str) -> Any:
    return manifest(
        "kustomize.toolkit.fluxcd.io/v1",
        "Kustomization",
        _meta(desired, dataplane, "-fleet"),
        spec={
            "interval": "10m",
            "path": f"./{target.folder_path(folder)}",
            "prune": True,
            "sourceRef": {"kind": "GitRepository", "name": f"{gitops_name(dataplane)}-fleet"},
        },
    )


def argo_sources(
    chart_source: dict[str, Any], target: GitDelivery, folder: str
) -> list[dict[str, Any]]:
    """The Application's ``sources`` instead of its one chart ``source``: values from the
    branch, not inline (the branch is what was reviewed and committed)."""
    helm = {k: v for k, v in chart_source.get("helm", {}).items() if k != "valuesObject"}
    helm["valueFiles"] = [f"$values/{target.folder_path(folder)}/values.yaml"]
    return [
        {**{k: v for k, v in chart_source.items() if k != "helm"}, "helm": helm},
        {"repoURL": target.url, "targetRevision": target.branch, "ref": "values"},
        {
            "repoURL": target.url,
            "targetRevision": target.branch,
            "path": target.folder_path(folder),
        },
    ]


def _meta(desired: DesiredState, dataplane: DataPlane, suffix: str) -> dict[str, Any]:
    return managed_meta(f"{gitops_name(dataplane)}{suffix}", desired.organization.gitops.namespace)
