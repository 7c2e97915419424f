"""What the launcher pod and its job pods need that the chart does not wire (issue 13).

* GCS (item 6): the chart sets ``GOOGLE_APPLICATION_CREDENTIALS`` to a file path
  (``storage.gcs.credentialsJsonPath``) and job pods get files by mounting the whole Secret
  ``workloads.containerOrchestrator.secretName`` at ``secretMountPath``; the launcher pod
  mounts nothing. flexctl puts the key file in its Secret as ``gcp.json``, names the path,
  the Secret and the mount path explicitly, and mounts that one key into the launcher at the
  same path (``workloadLauncher.volumes`` / ``volumeMounts``): the file exists in both pods.
* Job-pod secret references (item 8): with key-based secrets-manager authentication the
  launcher hands job pods a Secret name and key for each credential, read from variables the
  chart never renders (for Azure it renders other names). flexctl adds them through
  ``workloadLauncher.extraEnv``, pointing at its Secret, and says why in a comment.

Lists in overrides replace Helm's (and flexctl's) lists whole, so ``required_entries`` adds
back flexctl's named entries an override's list left out. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.config.desired import DesiredState
from reconciler.config.diagnostics import Diagnostic
from reconciler.config.models import DataPlane, SecretsManager, Storage, StorageType
from reconciler.render.names import (
    GCS_CREDENTIALS_DIR,
    GCS_CREDENTIALS_FILE_KEY,
    GCS_CREDENTIALS_VOLUME,
)
from reconciler.render.problems import problem
from reconciler.render.secretspec import SECRETS_MANAGER_SECRET_KEYS, SecretSpec

_NAME, _KEY = "name", "key"

#: Secret key -> the launcher variables (application.yml, ``airbyte.secret.store.*``) that
#: hand job pods its Secret name and key. Azure: the launcher spells three of them with a
#: doubled ``_REF``; the regular spelling is rendered too, in case a release corrects it.
JOB_POD_REFERENCES: dict[str, dict[str, str]] = {
    "AWS_SECRET_MANAGER_ACCESS_KEY_ID": {
        "AWS_SECRET_MANAGER_ACCESS_KEY_ID_REF_NAME": _NAME,
        "AWS_SECRET_MANAGER_ACCESS_KEY_ID_REF_KEY": _KEY,
    },
    "AWS_SECRET_MANAGER_SECRET_ACCESS_KEY": {
        "AWS_SECRET_MANAGER_SECRET_ACCESS_KEY_REF_NAME": _NAME,
        "AWS_SECRET_MANAGER_SECRET_ACCESS_KEY_REF_KEY": _KEY,
    },
    "SECRET_STORE_GCP_CREDENTIALS": {
        "SECRET_STORE_GCP_SECRET_NAME": _NAME,
        "SECRET_STORE_GCP_SECRET_KEY": _KEY,
    },
    "VAULT_AUTH_TOKEN": {"VAULT_AUTH_TOKEN_REF_NAME": _NAME, "VAULT_AUTH_TOKEN_REF_KEY": _KEY},
    "AB_AZURE_KEY_VAULT_CLIENT_ID": {
        "AB_AZURE_KEY_VAULT_CLIENT_ID_REF_NAME": _NAME,
        "AB_AZURE_KEY_VAULT_CLIENT_ID_REF_KEY": _KEY,
        "AB_AZURE_KEY_VAULT_CLIENT_ID_REF_REF_KEY": _KEY,
    },
    "AB_AZURE_KEY_VAULT_CLIENT_SECRET": {
        "AB_AZURE_KEY_VAULT_CLIENT_SECRET_REF_NAME": _NAME,
        "AB_AZURE_KEY_VAULT_CLIENT_SECRET_REF_KEY": _KEY,
        "AB_AZURE_KEY_VAULT_CLIENT_SECRET_REF_REF_NAME": _NAME,
        "AB_AZURE_KEY_VAULT_CLIENT_SECRET_REF_REF_KEY": _KEY,
    },
}

#: The comment above ``workloadLauncher.extraEnv`` in the rendered values.
EXTRA_ENV_COMMENT = (
    "Added by flexctl: the launcher hands job pods the Secret name and key of each\n"
    "secrets-manager credential from these variables, and the chart renders none of them\n"
    "(for Azure it renders other names). Without them job pods get no credentials."
)

#: Lists whose entries flexctl needs, by path; an override's list is kept and flexctl's
#: entries of other names are added to it.
_NAMED_LISTS = (
    ("workloadLauncher", "extraEnv"),
    ("workloadLauncher", "volumes"),
    ("workloadLauncher", "volumeMounts"),
)


VOLUMES_COMMENT = (
    "Added by flexctl: GOOGLE_APPLICATION_CREDENTIALS names a file; job pods get it from the\n"
    "Secret mounted at workloads.containerOrchestrator.secretMountPath, the launcher from here."
)


def value_comments(merged: Mapping[str, Any]) -> dict[tuple[str, ...], str]:
    """Comments for the rendered values: why flexctl's list entries are there."""
    refs = {v for pairs in JOB_POD_REFERENCES.values() for v in pairs}
    out: dict[tuple[str, ...], str] = {}
    for name, names, text in (
        ("extraEnv", refs, EXTRA_ENV_COMMENT),
        ("volumes", {GCS_CREDENTIALS_VOLUME}, VOLUMES_COMMENT),
    ):
        entries = dig(merged, "workloadLauncher", name)
        if isinstance(entries, list) and any(
            isinstance(e, Mapping) and e.get("name") in names for e in entries
        ):
            out[("workloadLauncher", name)] = text
    return out


def gcs_credentials_path() -> str:
    return f"{GCS_CREDENTIALS_DIR}/{GCS_CREDENTIALS_FILE_KEY}"


def launcher_values(
    storage: Storage | None, manager: SecretsManager, spec: SecretSpec
) -> dict[str, Any]:
    """Values merged into the base: the GCS file contract and the job-pod references."""
    launcher: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if storage is not None and storage.type is StorageType.GCS:
        values["workloads"] = {
            "containerOrchestrator": {
                "secretName": spec.name,
                "secretMountPath": GCS_CREDENTIALS_DIR,
            }
        }
        launcher["volumes"] = [
            {
                "name": GCS_CREDENTIALS_VOLUME,
                "secret": {
                    "secretName": spec.name,
                    "items": [{"key": GCS_CREDENTIALS_FILE_KEY, "path": GCS_CREDENTIALS_FILE_KEY}],
                },
            }
        ]
        launcher["volumeMounts"] = [
            {"name": GCS_CREDENTIALS_VOLUME, "mountPath": GCS_CREDENTIALS_DIR, "readOnly": True}
        ]
    env = job_pod_references(manager, spec)
    if env:
        launcher["extraEnv"] = env
    if launcher:
        values["workloadLauncher"] = launcher
    return values


def job_pod_references(manager: SecretsManager, spec: SecretSpec) -> list[dict[str, str]]:
    """extraEnv entries for each secrets-manager credential that comes from a reference
    (key-based authentication); ambient identity needs none."""
    keyed = {e.key for e in spec.entries if e.source == "reference"}
    out: list[dict[str, str]] = []
    for key in SECRETS_MANAGER_SECRET_KEYS[manager.type].values():
        if key not in keyed:
            continue
        for variable, part in JOB_POD_REFERENCES[key].items():
            out.append({"name": variable, "value": spec.name if part == _NAME else key})
    return out


def required_entries(merged: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    """``merged`` with each of flexctl's named list entries an override's list replaced."""
    out = dict(merged)
    for path in _NAMED_LISTS:
        ours = dig(base, *path)
        theirs = dig(merged, *path)
        if not isinstance(ours, list) or not isinstance(theirs, list) or theirs is ours:
            continue
        named = {item.get("name") for item in theirs if isinstance(item, Mapping)}
        combined = [item for item in ours if item.get("name") not in named] + list(theirs)
        out = _set(out, path, combined)
    return out


def check_launcher(
    desired: DesiredState,
    dataplane: DataPlane,
    *,
    merged: Mapping[str, Any],
    storage: Storage | None,
    spec: SecretSpec,
) -> list[Diagnostic]:
    """The GCS file contract still holds after the overrides."""
    if storage is None or storage.type is not StorageType.GCS:
        return []
    wanted = {
        ("storage", "gcs", "credentialsJsonPath"): gcs_credentials_path(),
        ("workloads", "containerOrchestrator", "secretName"): spec.name,
        ("workloads", "containerOrchestrator", "secretMountPath"): GCS_CREDENTIALS_DIR,
    }
    return [
        problem(
            desired,
            dataplane,
            ("values", *path),
            f"{'.'.join(path)} must be {value!r}: with GCS storage the key file "
            f"{gcs_credentials_path()} comes from Secret {spec.name!r} (key "
            f"{GCS_CREDENTIALS_FILE_KEY}), mounted there in the launcher and in job pods",
        )
        for path, value in wanted.items()
        if dig(merged, *path) != value
    ]


def dig(values: Mapping[str, Any], *path: str) -> Any:
    """The value at ``path`` inside nested mappings, or None where the path stops."""
    node: Any = values
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _set(values: Mapping[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    out = dict(values)
    head, *rest = path
    out[head] = _set(out.get(head) or {}, tuple(rest), value) if rest else value
    return out
