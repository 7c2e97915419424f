"""Checks on what render is about to write for one data plane, as positioned diagnostics.

Three layers, all reported together:

* the document: chart version supported (1.8.x, not the broken 1.8.0), release name within
  Helm's limit, storage resolvable, credential delivery not owned twice;
* the overrides (``DataPlane.values``): every key is one the chart reads, with the right
  type (Helm silently ignores typos: this chart has no values schema), and no literal
  secret (it would land in Git);
* the merged values: the invariants flexctl's output relies on still hold after the
  overrides (one Secret, its keys, storage/secrets-manager type and block, identical
  secrets manager, URL without trailing slash).

Pure: values in, diagnostics out.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.config.desired import DesiredState, dataplane_key
from reconciler.config.diagnostics import Diagnostic
from reconciler.config.models import DataPlane, SecretsManagerType, SinkType, StorageType
from reconciler.render import chartversions
from reconciler.render.chartkeys import ChartKeys
from reconciler.render.launcher import dig
from reconciler.render.names import (
    CLIENT_ID_KEY,
    CLIENT_SECRET_KEY,
    HELM_RELEASE_NAME_MAX,
)
from reconciler.render.problems import org_problem, problem
from reconciler.render.secretspec import (
    SECRETS_MANAGER_BLOCKS,
    SECRETS_MANAGER_SECRET_KEYS,
    STORAGE_SECRET_KEYS,
    SecretSpec,
)

_PY_TYPES = {"boolean": "a boolean", "integer": "an integer", "list": "a list", "map": "a map"}


def check_document(desired: DesiredState, dataplane: DataPlane) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    version = dataplane.chart_version
    line = chartversions.line_of(version)
    if line is None:
        out.append(
            problem(
                desired,
                dataplane,
                ("chartVersion",),
                f"chart airbyte-data-plane {version} is not supported: flexctl renders values "
                f"for {chartversions.SUPPORTED_TEXT}",
            )
        )
    elif version in chartversions.BROKEN:
        out.append(
            problem(
                desired,
                dataplane,
                ("chartVersion",),
                f"chart airbyte-data-plane {version} {chartversions.BROKEN[version]}",
            )
        )
    else:
        out += _check_chart_source(desired, dataplane, line)
    if len(dataplane.cluster.release_name) > HELM_RELEASE_NAME_MAX:
        out.append(
            problem(
                desired,
                dataplane,
                ("cluster", "releaseName"),
                f"release name {dataplane.cluster.release_name!r} is longer than Helm's "
                f"limit of {HELM_RELEASE_NAME_MAX} characters",
            )
        )
    if desired.storage_for(dataplane) is None:
        out.append(
            problem(
                desired,
                dataplane,
                ("storage",),
                "no storage: set 'storage' here or 'defaultStorage' in the Organization",
            )
        )
    external = desired.organization.external_secrets
    if external is not None and desired.credentials_for(dataplane).type is SinkType.KUBERNETES:
        out.append(
            problem(
                desired,
                dataplane,
                ("credentials", "type"),
                f"the kubernetes sink and the ExternalSecret from store {external.store_name!r} "
                "would both own the data plane's Secret; use the 'file' or 'env-file' sink "
                "and put the credentials in the store",
            )
        )
    return out


def _check_chart_source(
    desired: DesiredState, dataplane: DataPlane, line: chartversions.ChartLine
) -> list[Diagnostic]:
    """The repository publishes the version; the storage has every bucket the line reads."""
    out: list[Diagnostic] = []
    version = dataplane.chart_version
    configured = desired.organization.gitops.helm_repository
    publisher = chartversions.wrong_repository(version, configured)
    if publisher is not None:
        out.append(
            org_problem(
                desired,
                ("gitops", "helmRepository"),
                f"DataPlane {dataplane_key(dataplane)}: chart airbyte-data-plane {version} is "
                f"published in {publisher}, not in {configured}; leave helmRepository unset "
                "(flexctl picks the repository of each version) or name a mirror holding it",
            )
        )
    storage = desired.storage_for(dataplane)
    if storage is None or "auditLogging" not in line.buckets:
        return out
    if storage.buckets.audit_logging is None:
        message = (
            f"chart airbyte-data-plane {version} writes audit logs to a bucket of your own: "
            "set buckets.auditLogging"
        )
        if dataplane.storage is not None:
            out.append(problem(desired, dataplane, ("storage", "buckets"), message))
        else:
            out.append(
                org_problem(
                    desired,
                    ("defaultStorage", "buckets"),
                    f"DataPlane {dataplane_key(dataplane)}: {message} in defaultStorage",
                )
            )
    return out


# --------------------------------------------------------------------------- overrides


def check_overrides(
    desired: DesiredState, dataplane: DataPlane, keys: ChartKeys
) -> list[Diagnostic]:
    return [
        problem(desired, dataplane, ("values", *path), message)
        for path, message in _walk(dataplane.values, (), keys)
    ]


def _walk(
    node: Mapping[Any, Any], path: tuple[str, ...], keys: ChartKeys
) -> Iterator[tuple[tuple[str, ...], str]]:
    for raw_key in node:
        value = node[raw_key]
        key = str(raw_key)
        here = (*path, key)
        dotted = ".".join(here)
        info = keys.info(here)
        if info is not None:
            if value is None:
                continue  # null removes a chart default: always allowed
            if not _type_ok(info.type, value):
                yield here, f"values.{dotted} must be {_describe(info.type)}, not {_kind(value)}"
            elif info.sensitive and value != "":
                yield (
                    here,
                    (
                        f"values.{dotted} would put a secret in Git; flexctl delivers it through "
                        "the data plane's Secret (set the reference in the document instead)"
                    ),
                )
        elif keys.is_map(here):
            if value is None:
                continue
            if not isinstance(value, Mapping):
                children = ", ".join(keys.children(here)[:4])
                yield (
                    here,
                    (
                        f"values.{dotted} must be a map (the chart reads {children}, ...), "
                        f"not {_kind(value)}"
                    ),
                )
            else:
                yield from _walk(value, here, keys)
        elif keys.unread_use(here) is not None or keys.leads_to_unread(here):
            yield from _unread(value, here, keys)
        else:
            yield here, _unknown(here, keys)


def _unread(
    value: Any, path: tuple[str, ...], keys: ChartKeys
) -> Iterator[tuple[tuple[str, ...], str]]:
    """A key values.yaml declares that no template reads; into a map of such keys (such as
    ``metrics.otel``) down to the declared ones, each with the key that does work."""
    use = keys.unread_use(path)
    if use is None and isinstance(value, Mapping):
        for raw_key, child in value.items():
            here = (*path, str(raw_key))
            if keys.unread_use(here) is not None or keys.leads_to_unread(here):
                yield from _unread(child, here, keys)
            else:
                yield here, _unknown(here, keys)
        return
    dotted = ".".join(path)
    instead = f"; use '{use}'" if use else ""
    yield (
        path,
        f"values.{dotted}: chart airbyte-data-plane {keys.version} declares it in values.yaml "
        f"but no template reads it (Helm would silently ignore it){instead}"
        + _elsewhere(path, keys),
    )


def _unknown(path: tuple[str, ...], keys: ChartKeys) -> str:
    dotted = ".".join(path)
    siblings = keys.children(path[:-1])
    close = difflib.get_close_matches(path[-1], siblings, n=1, cutoff=0.6)
    hint = f"; did you mean '{'.'.join((*path[:-1], close[0]))}'?" if close else ""
    where = f" under '{'.'.join(path[:-1])}'" if path[:-1] else ""
    return (
        f"values.{dotted}: chart airbyte-data-plane {keys.version} has no such key{where} "
        f"(Helm would silently ignore it){hint}" + _elsewhere(path, keys)
    )


def _elsewhere(path: tuple[str, ...], keys: ChartKeys) -> str:
    readers = chartversions.readers(path, besides=keys.version)
    if not readers:
        return ""
    return f"; read by chart {', '.join(readers)}"


def _type_ok(expected: str, value: Any) -> bool:
    match expected:
        case "boolean":
            return isinstance(value, bool)
        case "integer":
            return isinstance(value, int) and not isinstance(value, bool)
        case "list":
            return isinstance(value, list)
        case "map":
            return isinstance(value, Mapping)
        case _:
            return isinstance(value, str | int | float | bool)


def _describe(type_: str) -> str:
    return _PY_TYPES.get(type_, "a string or number")


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a map"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {value!r}"
    return f"{type(value).__name__} {value!r}"


# --------------------------------------------------------------------------- merged values


def check_merged(
    desired: DesiredState,
    dataplane: DataPlane,
    *,
    merged: Mapping[str, Any],
    base: Mapping[str, Any],
    spec: SecretSpec,
    keys: ChartKeys,
) -> list[Diagnostic]:
    found: list[tuple[tuple[str, ...], str]] = []
    found += _check_url(merged)
    found += _check_dataplane_secret(merged, spec)
    found += _check_storage(merged, spec, buckets=keys.children(("storage", "bucket")))
    found += _check_secrets_manager(merged, base, spec)
    if merged.get("edition") == "enterprise":
        found.append(
            (
                ("edition",),
                "edition 'enterprise' reads AIRBYTE_LICENSE_KEY from Secret "
                f"{spec.name!r}, which flexctl does not deliver yet",
            )
        )
    return [problem(desired, dataplane, ("values", *path), msg) for path, msg in found]


Found = list[tuple[tuple[str, ...], str]]


def _resolved_secret(merged: Mapping[str, Any], section: str) -> Any:
    # Chart resolution: section secretName -> top-level secretName -> the chart's own Secret.
    return (
        dig(merged, section, "secretName")
        or merged.get("secretName")
        or "<release>-airbyte-data-plane-secrets"
    )


def _check_url(merged: Mapping[str, Any]) -> Found:
    url = merged.get("airbyteUrl")
    if not isinstance(url, str) or not url:
        return [(("airbyteUrl",), "airbyteUrl must be set (the control plane's URL)")]
    if url.endswith("/"):
        return [(("airbyteUrl",), "airbyteUrl must not end with '/' (the chart appends '/api')")]
    return []


def _check_secret_refs(
    merged: Mapping[str, Any], spec: SecretSpec, section: str, refs: Mapping[tuple[str, ...], str]
) -> Found:
    out: Found = []
    name = _resolved_secret(merged, section)
    if name != spec.name:
        out.append(
            (
                (section, "secretName"),
                f"{section} reads Secret {name!r}, but the data plane's Secret is {spec.name!r}",
            )
        )
    for path, default in refs.items():
        key = dig(merged, *path) or default
        if key not in spec.keys:
            out.append(
                (
                    path,
                    f"{'.'.join(path)} names key {key!r}, which Secret {spec.name!r} does not "
                    f"hold (it holds {', '.join(spec.keys)})",
                )
            )
    return out


def _check_dataplane_secret(merged: Mapping[str, Any], spec: SecretSpec) -> Found:
    out = _check_secret_refs(
        merged,
        spec,
        "dataPlane",
        {
            ("dataPlane", "clientIdSecretKey"): CLIENT_ID_KEY,
            ("dataPlane", "clientSecretSecretKey"): CLIENT_SECRET_KEY,
        },
    )
    main = _resolved_secret(merged, "dataPlane")
    for field in ("clientIdSecretName", "clientSecretSecretName"):
        other = dig(merged, "dataPlane", field) or main
        if other != main:
            out.append(
                (
                    ("dataPlane", field),
                    f"dataPlane.{field} ({other!r}) must equal dataPlane.secretName ({main!r}): "
                    "the launcher reads one, its job pods the other",
                )
            )
    return out


def _check_storage(merged: Mapping[str, Any], spec: SecretSpec, *, buckets: list[str]) -> Found:
    storage_type = dig(merged, "storage", "type")
    allowed = [t.value for t in StorageType]
    if storage_type not in allowed:
        return [
            (
                ("storage", "type"),
                f"storage.type {storage_type!r} must be one of {', '.join(allowed)} (lower-case)",
            )
        ]
    out: Found = []
    if not isinstance(dig(merged, "storage", storage_type), Mapping):
        # The chart fails to render (nil pointer) without the block (notes §7).
        return [
            (
                ("storage", "type"),
                f"storage.type {storage_type!r} needs a '{storage_type}' block; the document's "
                "storage decides the type, set it there instead",
            )
        ]
    for bucket in buckets:
        if not dig(merged, "storage", "bucket", bucket):
            out.append((("storage", "bucket", bucket), f"storage.bucket.{bucket} must be set"))
    refs: dict[tuple[str, ...], str] = {
        ("storage", storage_type, name): key
        for name, key in STORAGE_SECRET_KEYS[StorageType(storage_type)].items()
    }
    return out + _check_secret_refs(merged, spec, "storage", refs)


def _check_secrets_manager(
    merged: Mapping[str, Any], base: Mapping[str, Any], spec: SecretSpec
) -> Found:
    manager_type = dig(merged, "secretsManager", "type")
    allowed = [t.value for t in SecretsManagerType]
    if manager_type not in allowed:
        return [
            (
                ("secretsManager", "type"),
                f"secretsManager.type {manager_type!r} must be one of {', '.join(allowed)} "
                "(upper-case)",
            )
        ]
    block_name = SECRETS_MANAGER_BLOCKS[SecretsManagerType(manager_type)]
    if dig(merged, "secretsManager") != base["secretsManager"]:
        return [
            (
                ("secretsManager",),
                "secretsManager must be identical to the organisation's (the control plane "
                "writes connector secrets there); change it in the Organization document",
            )
        ]
    refs: dict[tuple[str, ...], str] = {
        ("secretsManager", block_name, name): key
        for name, key in SECRETS_MANAGER_SECRET_KEYS[SecretsManagerType(manager_type)].items()
    }
    return _check_secret_refs(merged, spec, "secretsManager", refs)
