"""What ``flexctl import`` writes: a document per live object, from one refresh, with every
value the API cannot tell (or that import guessed) as a placeholder under a ``# CHANGE-ME:
why`` comment (``config.placeholders``), so nothing is guessed silently and ``validate``
lists what is left to fill in at ``file:line:col``.

Running data planes are written with ``credentials: {adopt: existing}``: their credentials
cannot be read back, so the plan notes it instead of planning a rotation. An object the
existing config declares (``import`` run on a config) keeps what its document says beyond
the API's fields: nothing to guess there.

Pure: a ``LiveSnapshot`` in, documents (plain values and comments by key path) out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.config.desired import DesiredState, KeyPath
from reconciler.config.models import (
    API_VERSION,
    NOTIFICATION_EVENTS,
    RELEASE_NAME_MAX,
    DataPlane,
    DocumentBase,
    Organization,
    Region,
    Workspace,
    fold_name,
    slugify,
)
from reconciler.config.placeholders import guess, unknown
from reconciler.config.references import event_attribute
from reconciler.core.live_resources import LiveSnapshot

#: What the chart's documented install uses: a guess, marked as one.
GUESSED_NAMESPACE = "airbyte-data-plane"
#: flexctl's default chart version: the running one is not in the API, so also a guess.
CHART_VERSION = str(DataPlane.model_fields["chart_version"].default)


@dataclass(frozen=True)
class ImportedDocument:
    data: dict[str, Any]
    #: Key path -> comment written above that key.
    comments: Mapping[KeyPath, str] = field(default_factory=dict)


def documents_for(
    snapshot: LiveSnapshot, declared: DesiredState | None = None
) -> dict[str, ImportedDocument]:
    """Relative path -> document, for every live region, data plane and workspace; those
    ``declared`` has keep their documents' own fields."""
    docs: dict[str, ImportedDocument] = {}
    regions = {fold_name(r.name): r for r in declared.regions} if declared else {}
    dataplanes = (
        {fold_name(f"{d.region}/{d.name}"): d for d in declared.dataplanes} if declared else {}
    )
    workspaces = {fold_name(w.name): w for w in declared.workspaces} if declared else {}
    region_names = {str(r["regionId"]): str(r["name"]) for r in snapshot.regions}
    for region in snapshot.regions:
        mine = regions.get(fold_name(str(region["name"])))
        docs[f"regions/{_file(region['name'])}.yaml"] = (
            _kept(mine, name=region["name"], enabled=bool(region.get("enabled", True)))
            if mine is not None
            else _region(region)
        )
    for dp in snapshot.dataplanes:
        region_name = region_names.get(str(dp["regionId"]))
        if region_name is not None:
            path = f"dataplanes/{_file(region_name)}--{_file(dp['name'])}.yaml"
            known = dataplanes.get(fold_name(f"{region_name}/{dp['name']}"))
            docs[path] = (
                _kept(
                    known,
                    name=dp["name"],
                    region=region_name,
                    enabled=bool(dp.get("enabled", True)),
                )
                if known is not None
                else _dataplane(dp, region_name)
            )
    grants = _workspace_grants(snapshot)
    taken: set[str] = set()
    for ws in sorted(snapshot.workspaces, key=lambda w: (fold_name(str(w["name"])), w["name"])):
        declared_ws = workspaces.get(fold_name(str(ws["name"])))
        slug = declared_ws.safe_name if declared_ws else slugify(str(ws["name"]))
        own = slug
        number = 2
        while own in taken:
            own = f"{slug[: 60 - len(str(number))]}-{number}"
            number += 1
        taken.add(own)
        doc = _workspace(ws, snapshot, grants.get(str(ws["workspaceId"]), []), declared_ws)
        if own != slug:
            # Two names share a slug: the second gets its own, or validate refuses both.
            doc.data["slug"] = own
        docs[f"workspaces/{own}.yaml"] = doc
    return docs


def _kept(document: Region | DataPlane, **live: Any) -> ImportedDocument:
    """A declared document as written (defaults left out), with the API's fields as live."""
    return ImportedDocument(data={**_dump(document), **live})


def _dump(document: DocumentBase) -> dict[str, Any]:
    return document.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def _region(region: Mapping[str, Any]) -> ImportedDocument:
    return ImportedDocument(
        data={
            "apiVersion": API_VERSION,
            "kind": "Region",
            "name": region["name"],
            "enabled": bool(region.get("enabled", True)),
            "jurisdiction": unknown(),
        },
        comments={
            ("jurisdiction",): "CHANGE-ME: the legal jurisdiction of this region's "
            "infrastructure (US, AU, EU, ...); the API does not know it",
        },
    )


def _dataplane(dp: Mapping[str, Any], region: str) -> ImportedDocument:
    release = slugify(str(dp["name"]))[:RELEASE_NAME_MAX].rstrip("-")
    return ImportedDocument(
        data={
            "apiVersion": API_VERSION,
            "kind": "DataPlane",
            "name": dp["name"],
            "region": region,
            "enabled": bool(dp.get("enabled", True)),
            "cluster": {
                "kubeContext": unknown(),
                "namespace": guess(GUESSED_NAMESPACE),
                "releaseName": guess(release),
            },
            "chartVersion": guess(CHART_VERSION),
            "credentials": {"adopt": "existing"},
        },
        comments={
            ("cluster", "kubeContext"): "CHANGE-ME: the kube context of the cluster this data "
            "plane runs in; the API does not know it",
            ("cluster", "namespace"): "CHANGE-ME: guessed (the chart's usual namespace): "
            "the namespace it is installed in",
            ("cluster", "releaseName"): "CHANGE-ME: guessed from the data plane's name: the "
            "Helm release it is installed as",
            ("chartVersion",): "CHANGE-ME: guessed (flexctl's default): the "
            "airbyte-data-plane chart version it runs",
            ("credentials",): "Running with credentials flexctl does not hold (the API never "
            "returns them): plan notes it and rotates nothing. When you want flexctl to "
            f"manage them: flexctl apply --rotate {region}/{dp['name']} (then verify), and "
            "replace this block with the sink that should hold them (or remove it for the "
            "Organization's default).",
        },
    )


def _workspace(
    ws: Mapping[str, Any],
    snapshot: LiveSnapshot,
    grants: list[dict[str, str]],
    declared: Workspace | None,
) -> ImportedDocument:
    notifications, comments = _notifications(ws, declared)
    data: dict[str, Any] = _dump(declared) if declared is not None else {}
    data.pop("access", None)
    data.update(
        {
            "apiVersion": API_VERSION,
            "kind": "Workspace",
            "name": ws["name"],
            "region": _region_name(str(ws.get("dataResidency", "auto")), snapshot),
            "notifications": notifications,
        }
    )
    if declared is not None and declared.region.lower() == "auto":
        data["region"] = declared.region  # auto lives wherever the server put it
    if grants:
        data["access"] = sorted(grants, key=lambda g: g["user"])
    return ImportedDocument(data=data, comments=comments)


def _workspace_grants(snapshot: LiveSnapshot) -> dict[str, list[dict[str, str]]]:
    emails = _emails(snapshot)
    access: dict[str, list[dict[str, str]]] = {}
    for perm in snapshot.permissions:
        if perm.get("scope") == "workspace" and str(perm["userId"]) in emails:
            access.setdefault(str(perm["scopeId"]), []).append(
                {"user": emails[str(perm["userId"])], "role": str(perm["permissionType"])}
            )
    return access


def group_documents(snapshot: LiveSnapshot) -> dict[str, ImportedDocument]:
    """Relative path -> Group document, for every live group: members by e-mail, roles in the
    document itself (the Workspace documents stay as they are). Whether a group is SCIM-managed
    cannot be read (the API does not say): mark such a group ``scim: true`` by hand."""
    workspaces = {str(w["workspaceId"]): str(w["name"]) for w in snapshot.workspaces}
    docs: dict[str, ImportedDocument] = {}
    for group in snapshot.groups:
        group_id = str(group["groupId"])
        doc: dict[str, Any] = {"apiVersion": API_VERSION, "kind": "Group", "name": group["name"]}
        if group.get("description") is not None:
            doc["description"] = group["description"]
        members = sorted(
            str(m["userEmail"]).lower() for m in snapshot.group_members if m["groupId"] == group_id
        )
        if members:
            doc["members"] = members
        roles: list[dict[str, str]] = []
        for perm in snapshot.group_permissions:
            if perm["groupId"] != group_id:
                continue
            if perm.get("workspaceId") is not None:
                if str(perm["workspaceId"]) in workspaces:
                    roles.append(
                        {
                            "workspace": workspaces[str(perm["workspaceId"])],
                            "role": str(perm["permissionType"]),
                        }
                    )
            elif perm.get("organizationId") == snapshot.organization_id:
                roles.append({"role": str(perm["permissionType"])})
        if roles:
            doc["roles"] = sorted(roles, key=lambda r: (r.get("workspace", ""), r["role"]))
        docs[f"groups/{slugify(str(group['name']))}.yaml"] = ImportedDocument(data=doc)
    return docs


def organization_grants(snapshot: LiveSnapshot) -> list[dict[str, str]]:
    """The organisation roles of the users the refresh read, as an access list."""
    emails = _emails(snapshot)
    return sorted(
        (
            {"user": emails[str(p["userId"])], "role": str(p["permissionType"])}
            for p in snapshot.permissions
            if p.get("scope") == "organization"
            and p.get("scopeId") == snapshot.organization_id
            and str(p["userId"]) in emails
            # Plain membership comes from SSO; listing it would make flexctl manage it.
            and p.get("permissionType") != "organization_member"
        ),
        key=lambda g: g["user"],
    )


def organization_from_config(org: Organization, snapshot: LiveSnapshot) -> ImportedDocument:
    """The config's Organization, with its access list as it is live."""
    doc: dict[str, Any] = org.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    doc.update(apiVersion=API_VERSION, kind="Organization")
    doc.pop("access", None)
    grants = organization_grants(snapshot)
    if grants:
        doc["access"] = grants
    return ImportedDocument(data=doc)


def new_organization(snapshot: LiveSnapshot, *, name: str, api_url: str | None) -> ImportedDocument:
    """An Organization from the API alone (no config yet): its id and access list are known;
    ``airbyteUrl``, the secrets manager and the data planes' storage are placeholders."""
    data: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "Organization",
        "name": slugify(name) if name else "organization",
        "organizationId": snapshot.organization_id,
    }
    comments: dict[KeyPath, str] = {}
    root = api_url.split("/api/")[0].rstrip("/") if api_url else None
    if root:
        data["airbyteUrl"] = guess(root)
        comments[("airbyteUrl",)] = (
            "CHANGE-ME: guessed from the public API's URL: the URL the data planes reach the "
            "control plane at (chart value airbyteUrl, no trailing '/')"
        )
    else:
        data["airbyteUrl"] = unknown()
        comments[("airbyteUrl",)] = (
            "CHANGE-ME: the URL the data planes reach the control plane at (chart value "
            "airbyteUrl, no trailing '/'); the API does not say it"
        )
    if api_url:
        data["controlPlane"] = {"url": api_url}
        comments[("controlPlane",)] = (
            "Credentials come from AIRBYTE_CLIENT_ID and AIRBYTE_CLIENT_SECRET (or add "
            "clientId/clientSecret references here)"
        )
    data["secretsManager"] = unknown()
    comments[("secretsManager",)] = (
        "CHANGE-ME: where connector secrets live, shared by the control plane and every data "
        "plane: {type: AWS_SECRET_MANAGER, awsSecretManager: {region: ...}} (or "
        "GOOGLE_SECRET_MANAGER, AZURE_KEY_VAULT, VAULT with its block); the API does not say it"
    )
    if snapshot.dataplanes:
        data["defaultStorage"] = unknown()
        comments[("defaultStorage",)] = (
            "CHANGE-ME: the data planes' log and state storage: {type: s3, buckets: {log, "
            "state, workloadOutput, activityPayload}, s3: {region: ...}}; the API does not "
            "say it (or give each data plane its own storage block)"
        )
    grants = organization_grants(snapshot)
    if grants:
        data["access"] = grants
    return ImportedDocument(data=data, comments=comments)


def _emails(snapshot: LiveSnapshot) -> dict[str, str]:
    return {str(u["id"]): str(u["email"]).lower() for u in snapshot.users}


def _region_name(residency: str, snapshot: LiveSnapshot) -> str:
    for name in [*(str(r["name"]) for r in snapshot.regions), *snapshot.managed_regions]:
        if name.lower() == residency.lower():
            return name
    return residency


def _notifications(
    ws: Mapping[str, Any], declared: Workspace | None
) -> tuple[dict[str, Any], dict[KeyPath, str]]:
    config = ws.get("notifications") or {}
    out: dict[str, Any] = {}
    comments: dict[KeyPath, str] = {}
    for event in NOTIFICATION_EVENTS:
        item = config.get(event) or {}
        email = item.get("email")
        enabled = bool(email.get("enabled")) if email is not None else event != "success"
        entry: dict[str, Any] = {"email": {"enabled": enabled}}
        hook = item.get("webhook") or {}
        if hook.get("enabled") or hook.get("url"):
            known = _declared_url(declared, event)
            var = webhook_variable(str(ws["name"]), event)
            url = known or {"env": var}
            entry["webhook"] = {"enabled": bool(hook.get("enabled")), "url": url}
            if known is None:
                comments[("notifications", event, "webhook")] = (
                    f"The webhook URL is a secret: set {var} to it where flexctl runs"
                )
        if enabled or "webhook" in entry:
            out[event] = entry
    return out, comments


def _declared_url(declared: Workspace | None, event: str) -> dict[str, Any] | None:
    """The reference the config gives an event's webhook URL, if it does."""
    if declared is None:
        return None
    notification = getattr(declared.notifications, event_attribute(event))
    hook = notification.webhook if notification is not None else None
    if hook is None or hook.url is None:
        return None
    dumped: dict[str, Any] = hook.url.model_dump(mode="json", exclude_none=True)
    return dumped


def webhook_variable(workspace: str, event: str) -> str:
    """The environment variable import names a workspace's webhook URL after."""
    return re.sub(r"[^A-Z0-9]", "_", f"WEBHOOK_{workspace}_{event}".upper())


def _file(name: object) -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", str(name))
