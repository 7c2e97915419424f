"""``flexctl import``: write YAML documents for what exists live, so it can be adopted.

The Organization comes from the existing config (CONFIG, default .): it holds what the API
cannot tell (secrets manager, storage, URLs); it is written again with its access list as
it is live. Everything else is read from the control plane in one refresh and written
under ``--out``, one file per object: ``--out`` becomes a complete config directory on
which a plan is empty. What the API cannot say is written as a placeholder to edit:
a data plane's target cluster, and webhook URLs (secrets: written as ``{env: ...}``
references, never as values).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.cli.common import (
    add_config_argument,
    add_embedded_argument,
    add_state_dir_argument,
    add_timeout_argument,
    announce_target,
)
from reconciler.cli.loading import add_repo_arguments, load_config
from reconciler.cli.main import EXIT_OK
from reconciler.cli.run import context, run_async
from reconciler.config.models import NOTIFICATION_EVENTS, Organization, slugify
from reconciler.config.yamlio import dump_yaml
from reconciler.core.live_resources import LiveSnapshot
from reconciler.engine.live import Refresh, fetch_live
from reconciler.engine.session import connect
from reconciler.errors import FlexctlError

MODELINE = "# yaml-language-server: $schema=https://flexctl.invalid/schemas/flexctl.schema.json\n"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("import", help="write YAML for what exists live (adoption)")
    add_config_argument(parser)
    add_state_dir_argument(parser)
    add_embedded_argument(parser)
    add_timeout_argument(parser)
    add_repo_arguments(parser)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("imported"),
        help="directory to write documents into (default: ./imported)",
    )
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="EMAIL",
        help="also import this user's permissions (repeatable); users named in "
        "the config's access lists are always included",
    )
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    loaded = load_config(args)
    desired = loaded.desired
    ctx = context(args, loaded)
    grants = [*desired.organization.access, *(g for ws in desired.workspaces for g in ws.access)]
    users = {g.user for g in grants if g.user is not None}
    users |= {u.lower() for u in args.user}

    async def go() -> Refresh:
        async with connect(desired, ctx) as conn:
            announce_target(conn.target)
            with ctx.refreshing():
                return await fetch_live(
                    conn.client, organization_id=conn.organization_id, users=users, groups=True
                )

    refresh = run_async(go())
    snapshot = refresh.snapshot
    if refresh.unattributed:
        # Another organisation's workspaces look the same in GET /workspaces: never import one.
        names = ", ".join(sorted(str(w["name"]) for w in refresh.unattributed)[:10])
        print(
            f"warning: {len(refresh.unattributed)} visible workspace(s) not imported: nothing "
            f"proves they belong to organisation {desired.organization.organization_id} (the "
            f"application's user is in several organisations): {names}",
            file=sys.stderr,
        )
    documents = documents_for(snapshot)
    documents.update(group_documents(snapshot))
    documents["organization.yaml"] = organization_document(desired.organization, snapshot)
    written = write_documents(args.out, documents, force=args.force)
    print(
        f"Imported {written} document(s) into {args.out}; edit the CHANGE-ME placeholders, "
        "then `flexctl plan` should show no changes."
    )
    return EXIT_OK


def documents_for(snapshot: LiveSnapshot) -> dict[str, dict[str, Any]]:
    """Relative path -> document, for every live region, data plane and workspace."""
    docs: dict[str, dict[str, Any]] = {}
    region_names = {str(r["regionId"]): str(r["name"]) for r in snapshot.regions}
    for region in snapshot.regions:
        docs[f"regions/{_file(region['name'])}.yaml"] = {
            "apiVersion": "flexctl/v1",
            "kind": "Region",
            "name": region["name"],
            "enabled": bool(region.get("enabled", True)),
            "jurisdiction": "CHANGE-ME",
        }
    for dp in snapshot.dataplanes:
        region_name = region_names.get(str(dp["regionId"]))
        if region_name is None:
            continue
        docs[f"dataplanes/{_file(region_name)}--{_file(dp['name'])}.yaml"] = {
            "apiVersion": "flexctl/v1",
            "kind": "DataPlane",
            "name": dp["name"],
            "region": region_name,
            "enabled": bool(dp.get("enabled", True)),
            "cluster": {
                "kubeContext": "CHANGE-ME",
                "namespace": "airbyte-data-plane",
                "releaseName": _file(dp["name"]),
            },
        }
    emails = {str(u["id"]): str(u["email"]).lower() for u in snapshot.users}
    access: dict[str, list[dict[str, str]]] = {}
    for perm in snapshot.permissions:
        if perm.get("scope") == "workspace" and perm["userId"] in emails:
            access.setdefault(str(perm["scopeId"]), []).append(
                {"user": emails[perm["userId"]], "role": str(perm["permissionType"])}
            )
    for ws in snapshot.workspaces:
        doc: dict[str, Any] = {
            "apiVersion": "flexctl/v1",
            "kind": "Workspace",
            "name": ws["name"],
            "region": _region_name(str(ws.get("dataResidency", "auto")), snapshot),
            "notifications": _notifications(ws),
        }
        grants = sorted(access.get(str(ws["workspaceId"]), []), key=lambda g: g["user"])
        if grants:
            doc["access"] = grants
        docs[f"workspaces/{slugify(str(ws['name']))}.yaml"] = doc
    return docs


def group_documents(snapshot: LiveSnapshot) -> dict[str, dict[str, Any]]:
    """Relative path -> Group document, for every live group: members by e-mail, roles in the
    document itself (the Workspace documents stay as they are). Whether a group is SCIM-managed
    cannot be read (the API does not say): mark such a group ``scim: true`` by hand."""
    workspaces = {str(w["workspaceId"]): str(w["name"]) for w in snapshot.workspaces}
    docs: dict[str, dict[str, Any]] = {}
    for group in snapshot.groups:
        group_id = str(group["groupId"])
        doc: dict[str, Any] = {"apiVersion": "flexctl/v1", "kind": "Group", "name": group["name"]}
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
        docs[f"groups/{slugify(str(group['name']))}.yaml"] = doc
    return docs


def organization_document(org: Organization, snapshot: LiveSnapshot) -> dict[str, Any]:
    """The config's Organization, with its access list as it is live."""
    doc: dict[str, Any] = org.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    doc.update(apiVersion="flexctl/v1", kind="Organization")
    emails = {str(u["id"]): str(u["email"]).lower() for u in snapshot.users}
    grants = sorted(
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
    doc.pop("access", None)
    if grants:
        doc["access"] = grants
    return doc


def _region_name(residency: str, snapshot: LiveSnapshot) -> str:
    for name in [*(str(r["name"]) for r in snapshot.regions), *snapshot.managed_regions]:
        if name.lower() == residency.lower():
            return name
    return residency


def _notifications(ws: Mapping[str, Any]) -> dict[str, Any]:
    config = ws.get("notifications") or {}
    out: dict[str, Any] = {}
    for event in NOTIFICATION_EVENTS:
        item = config.get(event) or {}
        email = item.get("email")
        enabled = bool(email.get("enabled")) if email is not None else event != "success"
        entry: dict[str, Any] = {"email": {"enabled": enabled}}
        hook = item.get("webhook") or {}
        if hook.get("enabled") or hook.get("url"):
            var = re.sub(r"[^A-Z0-9]", "_", f"WEBHOOK_{ws['name']}_{event}".upper())
            entry["webhook"] = {"enabled": bool(hook.get("enabled")), "url": {"env": var}}
        if enabled or "webhook" in entry:
            out[event] = entry
    return out


def _file(name: object) -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", str(name))


def write_documents(out: Path, documents: dict[str, dict[str, Any]], *, force: bool) -> int:
    existing = [p for p in documents if (out / p).exists()]
    if existing and not force:
        raise FlexctlError(
            f"{out / existing[0]} already exists (and {len(existing) - 1} more); "
            "pass --force to overwrite"
        )
    for rel, doc in sorted(documents.items()):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(MODELINE + dump_yaml(doc), encoding="utf-8")
    return len(documents)
