"""Issue 4 through the command line: plan, apply, the second plan, edits, drift, saved plans,
import, verify, rotation, the lock, and a duplicate access-list entry."""

from __future__ import annotations

import asyncio
import json
import os
import socket

from reconciler.engine.lock import apply_lock
from reconciler.statedir import StateDir

from ..engine.harness import CANARY_WEBHOOK, EXAMPLE_USERS, ORG_ID, edit
from .conftest import Cli

US_DP = "aws-us-east-1/us-east-1-primary"


def applied(cli: Cli) -> None:
    assert cli("plan", "config", "--embedded").code == 0  # bootstraps the embedded control plane
    cli.add_users(*EXAMPLE_USERS)
    result = cli("apply", "config", "--embedded", "--yes")
    assert result.code == 0, result.err
    assert result.body.splitlines()[-1] == "Apply complete: 19 applied, 2 adopted."


def test_plan_apply_and_the_second_plan_is_empty(cli: Cli) -> None:
    before = cli("plan", "config", "--embedded", "--detailed-exitcode")
    assert before.code == 2
    assert before.body.splitlines()[0] == "+ region aws-ap-southeast-2"
    assert before.body.splitlines()[-1] == (
        "Plan: 10 to create, 0 to update, 0 to delete, 0 to rotate. 0 blocked. 9 pending. "
        "0 unchanged. 6 API calls."
    )
    cli.add_users(*EXAMPLE_USERS)
    done = cli("apply", "config", "--embedded", "--yes")
    assert done.code == 0, done.err
    assert "Apply complete: 19 applied, 2 adopted." in done.out
    assert "Rendered 2 data-plane folder(s) into .flexctl/rendered" in done.out
    after = cli("plan", "config", "--embedded", "--detailed-exitcode")
    assert after.code == 0
    assert after.body.startswith("No changes. Live state matches the config. (19 unchanged, ")
    # An edit shows as a field-level update, exit 2, and apply converges it.
    edit(cli.config / "regions/aws-ap-southeast-2.yaml", "enabled: true", "enabled: false")
    changed = cli("plan", "config", "--embedded", "--detailed-exitcode")
    assert changed.code == 2
    assert changed.body.splitlines()[:3] == [
        "~ region aws-ap-southeast-2",
        "    enabled: true → false",
        "",
    ]
    assert cli("apply", "config", "--embedded", "--yes").code == 0
    assert cli("plan", "config", "--embedded", "--detailed-exitcode").code == 0


def test_drift_made_through_the_api_is_labelled_and_healed(cli: Cli) -> None:
    applied(cli)

    async def disable_region() -> None:
        async with cli.api() as client:
            regions = await client.list_regions(ORG_ID)
            rid = next(r["regionId"] for r in regions if r["name"] == "aws-us-east-1")
            await client.update_region(rid, enabled=False)

    asyncio.run(disable_region())
    text = cli("plan", "config", "--embedded", "--detailed-exitcode")
    assert text.code == 2
    assert text.body.splitlines()[:2] == [
        "~ region aws-us-east-1 (drift: changed outside Git)",
        "    enabled: false → true",
    ]
    as_json = json.loads(cli("plan", "config", "--embedded", "--output", "json").out)
    assert [(c["name"], c["drift"], c["fields"]) for c in as_json["changes"]] == [
        ("aws-us-east-1", True, [{"path": "enabled", "old": False, "new": True}])
    ]
    markdown = cli("plan", "config", "--embedded", "--output", "markdown").out
    assert "drift" in markdown.lower()
    assert cli("apply", "config", "--embedded", "--yes").code == 0
    assert cli("plan", "config", "--embedded", "--detailed-exitcode").code == 0


def test_a_saved_plan_applies(cli: Cli) -> None:
    cli("plan", "config", "--embedded")
    cli.add_users(*EXAMPLE_USERS)
    saved = cli("plan", "config", "--embedded", "--out", "plan.json")
    assert saved.code == 0
    plan = json.loads((cli.root / "plan.json").read_text())
    assert plan["summary"] == {"create": 17, "delete": 0, "rotate": 0, "update": 2}
    done = cli("apply", "plan.json", "--embedded")
    assert done.code == 0, done.err
    assert cli("plan", "config", "--embedded", "--detailed-exitcode").code == 0


def test_a_saved_plan_is_refused_when_the_config_changed(cli: Cli) -> None:
    applied(cli)
    edit(cli.config / "regions/aws-ap-southeast-2.yaml", "enabled: true", "enabled: false")
    assert cli("plan", "config", "--embedded", "--out", "plan.json").code == 0
    old_digest = json.loads((cli.root / "plan.json").read_text())["configDigest"]
    edit(
        cli.config / "regions/aws-us-east-1.yaml",
        "jurisdiction: US",
        "jurisdiction: US\nenabled: false",
    )
    new_digest = json.loads(cli("plan", "config", "--embedded", "--output", "json").out)[
        "configDigest"
    ]
    before = cli.dump()
    refused = cli("apply", "plan.json", "--embedded")
    assert refused.code == 1
    assert refused.err == (
        "error: refusing the saved plan: the config changed since the plan was made "
        f"(digest {old_digest[:12]} → {new_digest[:12]}). Make a new plan and review it.\n"
    )
    assert cli.dump() == before


def test_a_saved_plan_is_refused_when_the_live_state_moved(cli: Cli) -> None:
    applied(cli)
    edit(cli.config / "regions/aws-ap-southeast-2.yaml", "enabled: true", "enabled: false")
    assert cli("plan", "config", "--embedded", "--out", "plan.json").code == 0

    async def move_live() -> None:
        async with cli.api() as client:
            ws = next(w for w in await client.list_workspaces() if w["name"] == "marketing-eu")
            await client.update_workspace(
                ws["workspaceId"], notifications={"success": {"email": {"enabled": True}}}
            )

    asyncio.run(move_live())
    before = cli.dump()
    refused = cli("apply", "plan.json", "--embedded")
    assert refused.code == 1
    assert refused.err == (
        "error: refusing the saved plan: the live state changed since the plan was made. "
        "Make a new plan and review it.\n"
    )
    assert cli.dump() == before


def test_a_saved_plan_is_refused_when_apply_would_do_more_than_it_shows(cli: Cli) -> None:
    applied(cli)
    edit(cli.config / "organization.yaml", "  workspaces: false", "  workspaces: true")
    (cli.config / "workspaces/marketing-eu.yaml").unlink()
    # Reviewed without --prune: the delete is shown as blocked.
    assert cli("plan", "config", "--embedded", "--out", "plan.json").code == 0
    saved = json.loads((cli.root / "plan.json").read_text())
    assert [
        (c["action"], c["name"], c["blocked"]) for c in saved["changes"] if c["kind"] == "workspace"
    ] == [("delete", "marketing-eu", "run with --prune to delete")]
    assert saved["summary"]["delete"] == 0
    before = cli.dump()
    refused = cli("apply", "plan.json", "--embedded", "--prune")
    assert refused.code == 1
    assert refused.err == (
        "error: refusing the saved plan: --prune contradicts the plan, made without --prune. "
        "apply PLAN.json applies the plan as it was made: drop the flag, or make a new plan "
        "with it and review that one.\n"
    )
    assert cli.dump() == before


def test_import_writes_a_config_whose_plan_is_empty(cli: Cli) -> None:
    applied(cli)

    async def by_hand() -> None:
        async with cli.api() as api:
            await api.create_region(name="aws-eu-west-1", organization_id=ORG_ID, enabled=True)

    asyncio.run(by_hand())
    imported = cli("import", "config", "--embedded", "--out", "imported")
    assert imported.code == 0, imported.err
    # What the config declares keeps its documents' fields (cluster, jurisdiction, sink,
    # webhook references): only the region made by hand has something to fill in.
    assert imported.body.splitlines() == [
        "Imported 10 document(s) into imported.",
        "Left to do before `flexctl plan` shows no changes:",
        "  - fill in 1 CHANGE-ME placeholder(s): `flexctl validate imported` lists each at "
        "file:line:col (a `CHANGE-ME:` value is a guess: delete the prefix to keep it)",
    ]
    invalid = cli("plan", "imported", "--embedded")
    assert invalid.code == 1
    assert invalid.err.splitlines() == [
        "imported/regions/aws-eu-west-1.yaml:8:15: error: fill in jurisdiction: flexctl "
        "import could not read it from the API (the CHANGE-ME comment above it says what "
        "belongs here)",
        "1 error(s)",
    ]
    edit(cli.root / "imported/regions/aws-eu-west-1.yaml", ": CHANGE-ME\n", ": EU\n")
    empty = cli("plan", "imported", "--embedded", "--detailed-exitcode")
    assert empty.code == 0, empty.out + empty.err
    assert empty.body.startswith("No changes. Live state matches the config.")
    # The declared documents came back as the config has them.
    dp = (cli.root / "imported/dataplanes/aws-us-east-1--us-east-1-primary.yaml").read_text()
    assert "kubeContext: acme-prod-us-east-1\n" in dp and "CHANGE-ME" not in dp


def test_verify_rotation_and_the_lock(cli: Cli) -> None:
    applied(cli)
    ok = cli("verify", "config", "--embedded")
    assert ok.code == 0
    assert ok.body.splitlines()[-1] == "2 of 2 data plane(s) ok"
    creds = cli.state / "credentials/aws-us-east-1--us-east-1-primary.yaml"
    text = creds.read_text()
    creds.unlink()
    missing = cli("verify", "config", "--embedded")
    assert missing.code == 1
    assert [line.split()[:2] for line in missing.body.splitlines()[1:3]] == [
        ["aws-ap-southeast-2/ap-southeast-2-primary", "ok"],
        [US_DP, "missing"],
    ]
    assert "missing credentials" in missing.body.splitlines()[2]
    secret = next(
        line.split(":", 1)[1].strip().strip('"')
        for line in text.splitlines()
        if "DATAPLANE_CLIENT_SECRET" in line
    )
    creds.write_text(text.replace(secret, "not-the-secret"))
    os.chmod(creds, 0o600)
    rejected = cli("verify", "config", "--embedded")
    assert rejected.code == 1
    assert [line.split()[:2] for line in rejected.body.splitlines()[2:3]] == [[US_DP, "rejected"]]
    creds.unlink()
    blocked = cli("plan", "config", "--embedded", "--detailed-exitcode")
    # No stored credentials is drift even while the rotation waits for --rotate (issue 17).
    assert blocked.code == 2
    assert blocked.body.splitlines()[0] == (
        f"± dataplane {US_DP} (rotate) (drift: no stored credentials) "
        f"(blocked: run with --rotate {US_DP})"
    )
    # The lock: a second apply while one runs fails with owner and age.
    with apply_lock(StateDir(cli.state), command="apply config --yes"):
        busy = cli("apply", "config", "--embedded", "--yes", "--rotate", US_DP)
    assert busy.code == 1
    assert busy.err == (
        f"error: another apply holds .flexctl/apply.lock: pid {os.getpid()} on "
        f"{socket.gethostname()}, running `apply config --yes` for 0m00s\n"
    )
    rotated = cli("apply", "config", "--embedded", "--yes", "--rotate", US_DP)
    assert rotated.code == 0, rotated.err
    assert "Apply complete: 1 applied." in rotated.out
    verified = cli("verify", "config", "--embedded")
    assert verified.code == 0
    assert "rotation of dataplane aws-us-east-1/us-east-1-primary: the new credentials are " in (
        verified.out
    )
    # The rotation's second step: the old data plane is deleted by the next apply.
    assert cli("plan", "config", "--embedded", "--detailed-exitcode").code == 2
    assert cli("apply", "config", "--embedded", "--yes").code == 0
    assert cli("plan", "config", "--embedded", "--detailed-exitcode").code == 0


def test_a_duplicate_user_in_an_access_list_is_an_error_with_its_line(cli: Cli) -> None:
    edit(
        cli.config / "workspaces/marketing-eu.yaml",
        "  - user: analyst@acme.example\n    role: workspace_reader",
        "  - user: analyst@acme.example\n    role: workspace_reader\n"
        "  - user: analyst@acme.example\n    role: workspace_editor",
    )
    result = cli("plan", "config", "--embedded")
    assert result.code == 1
    assert result.err.splitlines()[0].startswith("config/workspaces/marketing-eu.yaml:25:")
    assert "user 'analyst@acme.example' is listed twice in this access list (first at line 23" in (
        result.err
    )
    assert result.out == ""


def test_file_references_are_relative_to_the_config_directory(cli: Cli) -> None:
    edit(
        cli.config / "workspaces/analytics.yaml",
        "url: {env: US_ANALYTICS_SLACK_WEBHOOK}",
        "url: {file: secrets/us-analytics-webhook}",
    )
    (cli.config / "secrets").mkdir()
    (cli.config / "secrets/us-analytics-webhook").write_text(CANARY_WEBHOOK + "\n")
    # The working directory is the config's parent: the reference must not resolve from it.
    assert not (cli.root / "secrets").exists()
    result = cli("plan", "config", "--embedded")
    assert result.code == 0, result.err
    assert "    notifications.failure.webhookUrl: (sensitive)" in result.out.splitlines()
    cli.add_users(*EXAMPLE_USERS)  # else their grants stay pending and apply exits 1
    assert cli("apply", "config", "--embedded", "--yes").code == 0
    assert cli("plan", "config", "--embedded", "--detailed-exitcode").code == 0


def test_a_protected_object_is_deleted_only_once_released_with_unprotect(cli: Cli) -> None:
    edit(cli.config / "workspaces/marketing-eu.yaml", "region: EU\n", "region: EU\nprotect: true\n")
    edit(cli.config / "organization.yaml", "  workspaces: false", "  workspaces: true")
    edit(cli.config / "organization.yaml", "  permissions: false", "  permissions: true")
    assert cli("plan", "config", "--embedded").code == 0  # bootstraps the embedded control plane
    cli.add_users(*EXAMPLE_USERS)
    assert cli("apply", "config", "--embedded", "--yes").code == 0
    (cli.config / "workspaces/marketing-eu.yaml").unlink()
    # The protected workspace is not deleted: apply says so and exits 1.
    blocked = cli("apply", "config", "--embedded", "--yes", "--prune")
    assert blocked.code == 1
    line = (
        "- workspace marketing-eu (blocked: protected (protect: true); release it with "
        "--unprotect workspace/marketing-eu)"
    )
    assert line in blocked.body.splitlines()  # its grants (not protected) were revoked
    assert "Not done:" in blocked.body.splitlines()
    # Protection outlives the document: still blocked on the next run.
    again = cli("plan", "config", "--embedded", "--prune", "--detailed-exitcode")
    assert again.code == 2  # blocked: live does not match the config
    assert again.body.splitlines()[0] == line
    released = cli(
        "plan", "config", "--embedded", "--prune", "--unprotect", "workspace/marketing-eu"
    )
    assert released.body.splitlines()[:4] == [
        "- workspace marketing-eu",
        released.body.splitlines()[1],
        "    # deletes 0 connections, 0 sources, 0 destinations",
        "    # protection released with --unprotect",
    ]
    done = cli(
        "apply", "config", "--embedded", "--yes", "--prune", "--unprotect", "workspace/marketing-eu"
    )
    assert done.code == 0, done.err
    assert cli("plan", "config", "--embedded", "--prune", "--detailed-exitcode").code == 0

    async def names() -> list[str]:
        async with cli.api() as client:
            return sorted(w["name"] for w in await client.list_workspaces())

    assert asyncio.run(names()) == ["au-analytics", "us-analytics"]
