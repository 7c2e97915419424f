"""The residency audit through the CLI: a sensitive workspace's connection using ``email`` as its
cursor is reported in text, JSON and Markdown with workspace, connection, stream and field; with
``residency.enforce: true`` the plan exits 1."""

from __future__ import annotations

import asyncio
import json

from reconciler.controlplane import open_embedded

from ..controlplane.conftest import connect
from ..engine.harness import EXAMPLE_USERS, ORG_ID, edit
from ..engine.test_hashing import without_example_policy
from .conftest import Cli

FINDING = (
    "stream users, field email: PII field is the cursor: its values are stored in the control plane"
)


async def _connection(cli: Cli) -> str:
    plane, creds = open_embedded(cli.state, organization_id=ORG_ID)
    try:
        async with connect(plane, creds) as api:
            listed = (await api.get("workspaces")).json()["data"]
            ws = next(w["workspaceId"] for w in listed if w["name"] == "us-analytics")
            conf = {"sourceType": "postgres"}
            body = {"name": "crm", "workspaceId": ws, "configuration": conf}
            src = (await api.post("sources", json=body)).json()["sourceId"]
            body = {"name": "lake", "workspaceId": ws, "configuration": {"destinationType": "s3"}}
            dst = (await api.post("destinations", json=body)).json()["destinationId"]
            stream = {"name": "users", "syncMode": "incremental_append", "cursorField": ["email"]}
            made = await api.post(
                "connections",
                json={
                    "name": "crm-to-lake",
                    "sourceId": src,
                    "destinationId": dst,
                    "configurations": {"streams": [stream]},
                },
            )
            return str(made.json()["connectionId"])
    finally:
        plane.close()


def test_a_pii_cursor_is_reported_and_enforce_makes_plan_exit_1(cli: Cli) -> None:
    assert cli("plan", "config", "--embedded").code == 0
    with cli.plane() as plane:
        for email in EXAMPLE_USERS:
            plane.add_user(email)
    assert cli("apply", "config", "--embedded", "--yes").code == 0
    cid = asyncio.run(_connection(cli))
    ws_file = cli.config / "workspaces/analytics.yaml"
    without_example_policy(ws_file)
    edit(
        ws_file, "jurisdiction: US\n", "jurisdiction: US\npii: [{stream: users, fields: [email]}]\n"
    )
    where = f"workspace us-analytics, connection crm-to-lake ({cid}), {FINDING}"

    warned = cli("plan", "config", "--embedded")
    assert warned.code == 0, warned.err
    assert where in warned.out

    edit(
        cli.config / "organization.yaml",
        "  selfManagedRequiredFor: [sensitive]\n",
        "  selfManagedRequiredFor: [sensitive]\n  enforce: true\n",
    )
    refused = cli("plan", "config", "--embedded")
    assert refused.code == 1
    assert where in refused.out
    as_json = cli("plan", "config", "--embedded", "--output", "json")
    assert as_json.code == 1
    findings = json.loads(as_json.out)["residencyFindings"]
    assert [
        (f["connectionId"], f["stream"], f["field"], f["problem"], f["severity"]) for f in findings
    ] == [
        (cid, "users", "email", "cursorField", "error"),
        (cid, "users", "email", "unhashed", "error"),
    ]
    markdown = cli("plan", "config", "--embedded", "--output", "markdown")
    assert markdown.code == 1 and where in markdown.out
    assert cli("apply", "config", "--embedded", "--yes").code == 1
