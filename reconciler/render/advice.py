"""Warnings about values the chart accepts but does not apply as asked (issue 13 item 10).

Not errors: the release installs and the launcher runs, but part of what the values say
does not happen. Each warning names the key at its file:line:col and the workaround.

* ``imagePullSecrets``: the launcher pod gets them, job pods do not. Charts before 2.1.0 build
  ``JOB_KUBE_MAIN_CONTAINER_IMAGE_PULL_SECRET`` with ``join ","`` over the ``{name: ...}``
  maps (``map[name:regcred]``), and drop ``jobs.kube.mainContainerImagePullSecret`` when it
  is set (an inverted ``ternary``); fixed in 2.1.0 (notes §7).
* ``image.registry``: prefixed to the job images, never to the launcher's own image (the
  Deployment uses ``image.repository`` alone), in every published version.
* GCS storage without ``credentialsJson``: the chart sets ``GOOGLE_APPLICATION_CREDENTIALS`` to
  the key file's path in every version, whatever the Secret holds; with no key the file is
  missing or empty, and Google's client libraries fail on an explicit path that does not load
  instead of falling back to Workload Identity.

Pure: values in, diagnostics out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler.config.desired import DesiredState, dataplane_key
from reconciler.config.diagnostics import Diagnostic
from reconciler.config.models import DataPlane
from reconciler.render.launcher import gcs_credentials_path
from reconciler.render.problems import at, org_problem

#: The first chart version whose job pods get the imagePullSecrets by name.
PULL_SECRETS_FIXED = (2, 1)


def chart_warnings(
    desired: DesiredState, dataplane: DataPlane, merged: Mapping[str, Any]
) -> list[Diagnostic]:
    out: list[tuple[tuple[str, ...], str]] = []
    secrets = merged.get("imagePullSecrets")
    if secrets and _minor(dataplane.chart_version) < PULL_SECRETS_FIXED:
        out.append(
            (
                ("imagePullSecrets",),
                f"imagePullSecrets reach the launcher pod but not job pods: chart "
                f"{dataplane.chart_version} joins the {{name: ...}} entries into "
                "JOB_KUBE_MAIN_CONTAINER_IMAGE_PULL_SECRET as 'map[name:...]' and drops "
                "jobs.kube.mainContainerImagePullSecret (fixed in chart 2.1.0). Workaround: "
                "add the pull secret to the ServiceAccount the job pods run as "
                f"({_service_account(merged)}, `imagePullSecrets` of that ServiceAccount: "
                "create it yourself with serviceAccount.create: false), or use chart 2.1 or later",
            )
        )
    image = merged.get("image")
    image = image if isinstance(image, Mapping) else {}
    registry = image.get("registry")
    if registry:
        repository = image.get("repository") or "airbyte/workload-launcher"
        out.append(
            (
                ("image", "registry"),
                f"image.registry {registry!r} is applied to the job images, not to the "
                "launcher's own image (the chart's Deployment uses image.repository alone). "
                f"Workaround: put the registry into image.repository too "
                f"({str(registry).rstrip('/')}/{repository})",
            )
        )
    warnings = [_warning(desired, dataplane, path, message) for path, message in out]
    storage = desired.storage_for(dataplane)
    if storage is not None and storage.gcs is not None and storage.gcs.credentials_json is None:
        message = (
            f"DataPlane {dataplane_key(dataplane)}: GCS storage without credentialsJson: the "
            f"chart still points GOOGLE_APPLICATION_CREDENTIALS at {gcs_credentials_path()} in "
            "the launcher and job pods, and with no key there Google's client libraries fail "
            "instead of using Workload Identity. Give storage.gcs.credentialsJson (a "
            "service-account key reference)"
        )
        if dataplane.storage is not None:
            position = at(desired, dataplane, "storage", "gcs")
        else:
            position = org_problem(desired, ("defaultStorage", "gcs"), message).position
        warnings.append(Diagnostic(position, message, severity="warning"))
    return warnings


def _warning(
    desired: DesiredState, dataplane: DataPlane, path: tuple[str, ...], message: str
) -> Diagnostic:
    """At the override's key (the deepest one the document has)."""
    position = at(desired, dataplane, "values", *path)
    return Diagnostic(
        position, f"DataPlane {dataplane_key(dataplane)}: {message}", severity="warning"
    )


def _service_account(merged: Mapping[str, Any]) -> str:
    jobs = merged.get("jobs")
    kube = jobs.get("kube") if isinstance(jobs, Mapping) else None
    account = kube.get("serviceAccount") if isinstance(kube, Mapping) else None
    if not account:
        block = merged.get("serviceAccount")
        account = block.get("name") if isinstance(block, Mapping) else None
    return f"ServiceAccount {account!r}" if account else "the chart's ServiceAccount"


def _minor(version: str) -> tuple[int, int]:
    found = re.match(r"(\d+)\.(\d+)", version)
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)
