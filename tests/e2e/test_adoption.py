"""Issue 15: an organisation built by hand (through the embedded control plane's API) is
brought under flexctl with ``import --all-users`` into an empty directory, a few marked edits
and an empty plan, losing nothing: every user's roles, every notification, the ``DE Finance``
workspace."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from reconciler.config.loader import load_directory

from ..engine.harness import CANARY_WEBHOOK, ORG_ID
from .conftest import Cli, Served

WEBHOOK_VAR = "WEBHOOK_DE_FINANCE_FAILURE"
USERS = ("alice@corp.example", "bob@corp.example", "carol@corp.example")


def _notifications(*, webhook: bool) -> dict[str, Any]:
    off = {"email": {"enabled": False}, "webhook": {"enabled": False}}
    body: dict[str, Any] = {
        event: dict(off)
        for event in (
            "success",
            "connectionUpdate",
            "connectionUpdateActionRequired",
            "syncDisabledWarning",
        )
    }
    body["failure"] = {
        "email": {"enabled": True},
        "webhook": {"enabled": True, "url": CANARY_WEBHOOK} if webhook else {"enabled": False},
    }
    body["syncDisabled"] = {"email": {"enabled": True}, "webhook": {"enabled": False}}
    return body


async def _build_by_hand(cli: Cli) -> None:
    """Two regions, three data planes, three workspaces, three users' roles, notifications."""
    async with cli.api() as api:
        eu = await api.create_region(name="eu-west", organization_id=ORG_ID, enabled=True)
        ap = await api.create_region(name="ap-south", organization_id=ORG_ID, enabled=True)
        for region, name in ((eu, "eu-primary"), (eu, "eu-batch"), (ap, "ap-primary")):
            await api.create_dataplane(region_id=region["regionId"], name=name, enabled=True)
        managed = {r["name"]: r["regionId"] for r in await api.list_regions(ORG_ID)}
        workspaces = {}
        for name, region_id, hook in (
            ("DE Finance", eu["regionId"], True),
            ("Marketing", managed["EU"], False),
            ("ops-apac", ap["regionId"], False),
        ):
            made = await api.create_workspace(
                name=name,
                region_id=region_id,
                organization_id=ORG_ID,
                notifications=_notifications(webhook=hook),  # type: ignore[arg-type]
            )
            workspaces[name] = made["workspaceId"]
        ids = {u["email"]: u["id"] for u in await api.list_users(ORG_ID, list(USERS))}
        for email, role in (
            ("alice@corp.example", "organization_admin"),
            ("carol@corp.example", "organization_reader"),
        ):
            member = next(
                p
                for p in await api.list_permissions(user_id=ids[email], organization_id=ORG_ID)
                if p["scope"] == "organization"
            )
            await api.update_permission(member["permissionId"], permission_type=role)
        for email, workspace, role in (
            ("bob@corp.example", "DE Finance", "workspace_admin"),
            ("bob@corp.example", "Marketing", "workspace_reader"),
            ("carol@corp.example", "ops-apac", "workspace_editor"),
            ("carol@corp.example", "DE Finance", "workspace_runner"),
        ):
            await api.create_permission(
                user_id=ids[email], permission_type=role, workspace_id=workspaces[workspace]
            )


async def _live_roles(cli: Cli) -> set[tuple[str, str, str]]:
    """(user, scope name, role) of every user's permissions, membership left out."""
    async with cli.api() as api:
        names = {w["workspaceId"]: w["name"] for w in await api.list_workspaces()}
        out = set()
        for user in await api.list_users(ORG_ID):
            for p in await api.list_permissions(user_id=user["id"], organization_id=ORG_ID):
                if p["permissionType"] == "organization_member":
                    continue
                scope = names[p["scopeId"]] if p["scope"] == "workspace" else "organization"
                out.add((str(user["email"]), str(scope), str(p["permissionType"])))
        return out


def _fill_in(root: Path) -> None:
    """What the person adopting writes where import left a CHANGE-ME."""
    fills = {
        "airbyteUrl: CHANGE-ME": "airbyteUrl: https://airbyte.corp.example",
        "secretsManager: CHANGE-ME": "secretsManager: {type: AWS_SECRET_MANAGER, "
        "awsSecretManager: {region: eu-west-1, authenticationType: instanceProfile}}",
        "defaultStorage: CHANGE-ME": "defaultStorage: {type: s3, buckets: {log: l, state: s, "
        "workloadOutput: w, activityPayload: a}, s3: {region: eu-west-1, "
        "authenticationType: instanceProfile}}",
    }
    for path in root.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        for old, new in fills.items():
            text = text.replace(old, new)
        text = text.replace("jurisdiction: CHANGE-ME", "jurisdiction: EU")
        text = text.replace("kubeContext: CHANGE-ME", f"kubeContext: ctx-{path.stem}")
        text = text.replace("CHANGE-ME:", "")  # the guesses are right: keep them
        path.write_text(text, encoding="utf-8")


def test_a_hand_built_organisation_is_adopted_without_losing_anything(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("plan", "config", "--embedded").code == 0  # bootstraps the embedded plane
    cli.add_users(*USERS)
    asyncio.run(_build_by_hand(cli))
    before = asyncio.run(_live_roles(cli))
    (cli.root / "adopted").mkdir()

    unknown = cli("import", "adopted", "--embedded", "--user", "bobb@corp.example")
    assert unknown.code == 1
    assert unknown.err == (
        "error: --user bobb@corp.example: no such user in organisation (did you mean "
        f"bob@corp.example?) {ORG_ID}; nothing was written\n"
    )
    assert list((cli.root / "adopted").iterdir()) == []

    imported = cli("import", "adopted", "--embedded", "--all-users", "--out", "adopted")
    assert imported.code == 0, imported.err
    assert imported.body.splitlines() == [
        "Imported 9 document(s) into adopted.",
        "Left to do before `flexctl plan` shows no changes:",
        "  - fill in 17 CHANGE-ME placeholder(s): `flexctl validate adopted` lists each at "
        "file:line:col (a `CHANGE-ME:` value is a guess: delete the prefix to keep it)",
        f"  - set the webhook URL variable(s) {WEBHOOK_VAR} where flexctl runs",
        "  - nothing for the 3 running data plane(s) (ap-south/ap-primary, eu-west/eu-batch, "
        "eu-west/eu-primary): written with `credentials: {adopt: existing}` (credentials "
        "cannot be read back), so the plan notes each one flexctl does not hold instead of "
        "rotating it; `flexctl apply --rotate REGION/NAME` when you want them managed",
    ]
    out = cli.root / "adopted"
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        "dataplanes/ap-south--ap-primary.yaml",
        "dataplanes/eu-west--eu-batch.yaml",
        "dataplanes/eu-west--eu-primary.yaml",
        "organization.yaml",
        "regions/ap-south.yaml",
        "regions/eu-west.yaml",
        "schemas/flexctl.schema.json",
        "workspaces/de-finance.yaml",
        "workspaces/marketing.yaml",
        "workspaces/ops-apac.yaml",
    ]
    # The modelines point at the schema in the repository, by relative path.
    assert (
        (out / "organization.yaml")
        .read_text()
        .startswith("# yaml-language-server: $schema=schemas/flexctl.schema.json\n")
    )
    assert (
        (out / "regions/eu-west.yaml")
        .read_text()
        .startswith("# yaml-language-server: $schema=../schemas/flexctl.schema.json\n")
    )
    texts = {p: p.read_text() for p in out.rglob("*.yaml")}
    assert not [p for p, text in texts.items() if CANARY_WEBHOOK in text]
    # Every placeholder sits under a comment saying why.
    for path, text in texts.items():
        lines = text.splitlines()
        for number, line in enumerate(lines):
            if "CHANGE-ME" in line and not line.lstrip().startswith("#"):
                first = number
                while lines[first - 1].lstrip().startswith("# "):
                    first -= 1  # to the top of the comment above the key
                assert lines[first].lstrip().startswith("# CHANGE-ME: "), (path, line)

    # validate reports each placeholder as "fill in", never as a schema error.
    unfilled = cli("validate", "adopted")
    assert unfilled.code == 1
    errors = unfilled.out.splitlines()
    assert errors[-1] == "17 error(s)"
    assert all(re.fullmatch(r"adopted/\S+:\d+:\d+: error: fill in .+", e) for e in errors[:-1])
    assert [e.split(": error: ")[0] for e in errors if "organization.yaml" in e] == [
        "adopted/organization.yaml:8:13",
        "adopted/organization.yaml:12:17",
        "adopted/organization.yaml:16:17",
    ]

    _fill_in(out)
    monkeypatch.setenv(WEBHOOK_VAR, CANARY_WEBHOOK)
    assert cli("validate", "adopted").code == 0
    plan = cli("plan", "adopted", "--embedded", "--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err
    assert plan.body.splitlines() == [
        "note: dataplane ap-south/ap-primary: running with credentials flexctl does not hold; "
        "`--rotate ap-south/ap-primary` when you want them managed",
        "note: dataplane eu-west/eu-batch: running with credentials flexctl does not hold; "
        "`--rotate eu-west/eu-batch` when you want them managed",
        "note: dataplane eu-west/eu-primary: running with credentials flexctl does not hold; "
        "`--rotate eu-west/eu-primary` when you want them managed",
        "",
        "No changes. Live state matches the config. (15 unchanged, 9 API calls)",
    ]
    verified = cli("verify", "adopted", "--embedded")
    assert verified.code == 0, verified.out
    assert (
        verified.body.splitlines()[-1]
        == "0 of 3 data plane(s) ok, 3 not held (adopted as they run)"
    )

    # Nothing lost: every role, every notification, the DE Finance workspace.
    desired = load_directory(out)
    declared = {(g.user, "organization", g.role.value) for g in desired.organization.access}
    declared |= {(g.user, ws.name, g.role.value) for ws in desired.workspaces for g in ws.access}
    assert declared == before
    assert {u for u, _, _ in before} >= set(USERS)
    finance = next(ws for ws in desired.workspaces if ws.name == "DE Finance")
    assert finance.region == "eu-west"
    assert finance.notifications.failure is not None
    assert finance.notifications.failure.webhook is not None
    assert finance.notifications.failure.webhook.url is not None
    assert finance.notifications.failure.webhook.url.env == WEBHOOK_VAR
    for ws in desired.workspaces:
        assert ws.notifications.failure is not None and ws.notifications.sync_disabled is not None
        assert ws.notifications.success is None  # off live, so not declared
    assert asyncio.run(_live_roles(cli)) == before


def test_import_points_the_modelines_at_a_configured_schema_url(cli: Cli) -> None:
    assert cli("plan", "config", "--embedded").code == 0
    url = "https://schemas.corp.example/flexctl.schema.json"
    done = cli("import", "nothing-here", "--embedded", "--out", "new", "--schema-url", url)
    assert done.code == 0, done.err
    assert (
        (cli.root / "new/organization.yaml")
        .read_text()
        .startswith(f"# yaml-language-server: $schema={url}\n")
    )
    assert not (cli.root / "new/schemas").exists()


def test_import_of_a_remote_control_plane_finds_its_organisation(cli: Cli, served: Served) -> None:
    """No config, a real socket: the organisation is the application's user's only one, the
    Organization names the URL, and airbyteUrl is a marked guess from it."""
    done = cli("import", "nothing-here", "--out", "new")
    assert done.code == 0, done.err
    org = (cli.root / "new/organization.yaml").read_text()
    assert f"organizationId: {ORG_ID}\n" in org
    assert f"airbyteUrl: CHANGE-ME:{served.root}\n" in org
    assert f"  url: {served.root}/api/public/v1\n" in org
    # In a second organisation too, the user must say which one.
    other = served.plane.add_organization("globex")
    served.plane.add_user("admin@flexctl.local", organization_id=other, role="organization_admin")
    several = cli("import", "nothing-here", "--out", "again")
    assert several.code == 1
    assert "belongs to 2 organisations" in several.err
    assert f"globex ({other})" in several.err and ORG_ID in several.err
    assert several.err.rstrip().endswith("name the one to import with --organization-id")
    chosen = cli("import", "nothing-here", "--out", "again", "--organization-id", ORG_ID)
    assert chosen.code == 0, chosen.err
