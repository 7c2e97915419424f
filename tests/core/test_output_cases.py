"""Hand-made plans for the renderer tests, and the golden-file check.

Not a test module: it holds no tests, only the shared inputs (pytest collects it harmlessly).
Regenerate golden files with ``UPDATE_GOLDEN=1 pytest tests/core``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from reconciler.config.models import NOTIFICATION_EVENTS
from reconciler.core.plan import Action, Change, FieldChange, Pending, Plan
from reconciler.core.resources import (
    JSON,
    dataplane_key,
    permission_key,
    region_key,
    sensitive_digest,
    workspace_key,
)

GOLDEN = Path(__file__).parent / "golden"

#: A webhook URL that must never leak; the plan only ever holds its digest.
CANARY = "https://hooks.example.com/T000/B000/canary-token-do-not-print"
CANARY_DIGEST = sensitive_digest(CANARY)
OTHER_DIGEST = sensitive_digest("https://hooks.example.com/previous")

SOURCE = {
    "repo": "acme/flex-config",
    "ref": "refs/pull/42/merge",
    "commit": "0123456789abcdef0123456789abcdef01234567",
}


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8", newline="")
        return
    assert path.exists(), f"{path} missing: run with UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs: UPDATE_GOLDEN=1 to accept"


def notifications(**on: dict[str, JSON]) -> dict[str, JSON]:
    off: dict[str, JSON] = {"email": False, "webhook": False, "webhookUrl": None}
    return {event: {**off, **on.get(event, {})} for event in NOTIFICATION_EVENTS}


def workspace_essence(name: str, region: str, **on: dict[str, JSON]) -> dict[str, JSON]:
    return {"name": name, "region": region, "notifications": notifications(**on)}


def permission_essence(user: str, role: str, workspace: str | None) -> dict[str, JSON]:
    scope = "workspace" if workspace is not None else "organization"
    return {"user": user, "scope": scope, "workspace": workspace, "role": role}


def _grant(user: str, role: str, workspace: str | None) -> Change:
    return Change(
        action=Action.CREATE,
        key=permission_key(email=user, workspace=workspace),
        desired=permission_essence(user, role, workspace),
    )


def _regrant(user: str, old: str, new: str, workspace: str | None, *, drift: bool) -> Change:
    return Change(
        action=Action.UPDATE,
        key=permission_key(email=user, workspace=workspace),
        id=f"perm-{user.split('@')[0]}",
        fields=(FieldChange("role", old, new),),
        desired=permission_essence(user, new, workspace),
        drift=drift,
    )


def full_changes() -> list[Change]:
    """Every action, drift, adoption, blocked, rotation, both permission scopes, secrets."""
    changes = [
        Change(
            Action.CREATE,
            region_key("aws-us-east-1"),
            desired={"name": "aws-us-east-1", "enabled": True},
        ),
        Change(
            Action.UPDATE,
            region_key("eu-west"),
            id="rg-eu-0001",
            fields=(FieldChange("enabled", False, True),),
            desired={"name": "eu-west", "enabled": True},
            adopt=True,
        ),
        Change(
            Action.CREATE,
            dataplane_key("aws-us-east-1", "main"),
            desired={"name": "main", "region": "aws-us-east-1", "enabled": True},
        ),
        Change(
            Action.ROTATE,
            dataplane_key("aws-us-east-1", "legacy"),
            id="dp-legacy-0002",
            desired={"name": "legacy", "region": "aws-us-east-1", "enabled": True},
            blocked="run with --rotate aws-us-east-1/legacy",
            notes=(
                "no stored credentials for this data plane: create a new one, deliver its "
                "credentials, then delete the old one",
            ),
        ),
        Change(
            Action.ROTATE,
            dataplane_key("eu-west", "primary"),
            id="dp-eu-0003",
            desired={"name": "primary", "region": "eu-west", "enabled": True},
        ),
        Change(
            Action.CREATE,
            workspace_key("us-analytics"),
            desired=workspace_essence(
                "us-analytics",
                "aws-us-east-1",
                failure={"email": True, "webhook": True, "webhookUrl": CANARY_DIGEST},
                syncDisabled={"email": True},
            ),
        ),
        Change(
            Action.UPDATE,
            workspace_key("eu-marketing"),
            id="ws-eu-0004",
            fields=(
                FieldChange("notifications.failure.webhookUrl", OTHER_DIGEST, CANARY_DIGEST),
                FieldChange("notifications.success.webhookUrl", None, CANARY_DIGEST),
                FieldChange("region", "eu", "eu-west"),
            ),
            desired=workspace_essence("eu-marketing", "eu-west"),
            drift=True,
        ),
        Change(
            Action.CREATE,
            workspace_key("finance"),
            desired=workspace_essence("finance", "eu-west"),
            drift=True,
            notes=("deleted outside flexctl; will be created again",),
        ),
        _grant("ana@example.com", "workspace_editor", "us-analytics"),
        _grant("ops@example.com", "organization_admin", None),
        _regrant(
            "bob@example.com", "workspace_reader", "workspace_editor", "us-analytics", drift=False
        ),
        _regrant(
            "carol@example.com", "organization_member", "organization_admin", None, drift=True
        ),
        Change(
            Action.DELETE,
            permission_key(email="dave@example.com", workspace="us-analytics"),
            id="perm-dave",
        ),
        Change(
            Action.DELETE,
            permission_key(email="eve@example.com", workspace=None),
            id="perm-eve",
            blocked="pruning of permissions is off (organization prune policy)",
        ),
        Change(Action.DELETE, workspace_key("old-sandbox"), id="ws-old-0005"),
        Change(
            Action.DELETE,
            dataplane_key("aws-us-east-1", "old"),
            id="dp-old-0006",
            blocked="pruning of dataplanes is off (organization prune policy)",
        ),
        Change(
            Action.DELETE,
            region_key("legacy-region"),
            id="rg-legacy-0007",
            blocked="protected (protect: true); release it with --unprotect",
            notes=("deleting a region also deletes its data planes",),
        ),
    ]
    return sorted(changes, key=Change.sort_key)


def full_plan() -> Plan:
    return Plan(
        changes=tuple(full_changes()),
        config_digest="c" * 64,
        live_digest="d" * 64,
        unchanged={"workspace": 3, "region": 1, "permission": 10},
        warnings=(
            "DataPlane aws-us-east-1/main: credentials sink secret/flex/main is not writable yet",
            f"Workspace eu-marketing: webhook {CANARY_DIGEST} is shared with another workspace",
        ),
        source=SOURCE,
        api_calls=7,
        target={
            "controlPlane": "remote",
            "url": "https://api.airbyte.com/v1",
            "urlFrom": "AIRBYTE_API_URL",
            "organizationId": "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f",
        },
        options={
            "prune": True,
            "maxDeletes": 5,
            "rotate": ["aws-us-east-1/us-east-1-primary"],
            "finishRotation": [],
            "unprotect": ["workspace/old-team"],
            "allowLocalCredentials": False,
            "embedded": False,
        },
        config={
            "repo": "https://***@github.com/acme/flex-config.git",
            "ref": "main",
            "commit": "a" * 40,
            "subdir": "config",
        },
        state={"url": "s3://acme-flexctl/prod", "dir": "/work/.flexctl"},
    )


def empty_plan() -> Plan:
    return Plan(
        changes=(),
        config_digest="c" * 64,
        live_digest="d" * 64,
        unchanged={"region": 2, "workspace": 5},
        source={"path": "config/"},
        api_calls=1,
        target={
            "controlPlane": "embedded",
            "stateDir": ".flexctl",
            "why": "no controlPlane.url, no AIRBYTE_API_URL",
            "organizationId": "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f",
        },
    )


def blocked_only_plan() -> Plan:
    change = Change(
        Action.DELETE,
        workspace_key("scratch"),
        id="ws-scratch",
        blocked="pruning of workspaces is off (organization prune policy); to delete, set "
        "prune.workspaces: true in the Organization and run with --prune",
    )
    return Plan(
        changes=(change,),
        config_digest="c" * 64,
        live_digest="d" * 64,
        unchanged={"workspace": 4},
        api_calls=3,
        # What is not done, besides the blocked delete: a typo'd user, and a guard's refusal.
        pending=(
            Pending(
                key=permission_key(email="ana@acme.exmaple", workspace="eu-marketing"),
                user="ana@acme.exmaple",
                role="workspace_reader",
                workspace="eu-marketing",
                did_you_mean="ana@acme.example",
            ),
            Pending(
                key=permission_key(email="new-hire@acme.example", workspace=None),
                user="new-hire@acme.example",
                role="organization_reader",
            ),
        ),
        refusals=(
            "the plan would leave the organization without an organization_admin; keep at "
            "least one in the Organization access list",
        ),
    )


def large_plan(count: int) -> Plan:
    """``count`` changes: mostly workspace creates, a delete every tenth (sorted last)."""
    changes: list[Change] = []
    for i in range(count):
        name = f"ws-{i:05d}"
        if i % 10 == 0:
            changes.append(Change(Action.DELETE, workspace_key(name), id=f"id-{i:05d}"))
        else:
            changes.append(
                Change(
                    Action.CREATE,
                    workspace_key(name),
                    desired=workspace_essence(name, "eu-west", failure={"email": True}),
                )
            )
    return Plan(
        changes=tuple(sorted(changes, key=Change.sort_key)),
        config_digest="c" * 64,
        live_digest="d" * 64,
        source=SOURCE,
        api_calls=4,
    )


@dataclass(frozen=True)
class Doc:
    """Stands in for ``gitops.changes.DocumentChange``."""

    kind: str
    name: str
    status: str
    path: str


DOCUMENTS = (
    Doc("Region", "aws-us-east-1", "added", "regions/aws-us-east-1.yaml"),
    Doc("DataPlane", "aws-us-east-1/main", "added", "regions/aws-us-east-1.yaml"),
    Doc("Workspace", "us-analytics", "changed", "workspaces/us.yaml"),
    Doc("Workspace", "old-sandbox", "removed", "workspaces/sandbox.yaml"),
)
UNEXPLAINED = (("Region", "eu-west"), ("Workspace", "eu-marketing"))
