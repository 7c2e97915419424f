"""The scheduled job reports objects, not counts: drift, a blocked delete and a fetch failure,
each seen in the status file, the metrics text file (parsed with prometheus_client's parser),
the webhook body (a real HTTP server on loopback) and ``--output json``.

Real engine, embedded control plane, real Git remote (the example organisation).
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from .example import EXAMPLE, flexctl, patch_through_api, sign_in_example_users
from .gitrepos import Remote
from .webhooks import Webhook

DRIFT = {"kind": "region", "key": "aws-us-east-1", "action": "update", "detail": "enabled"}
BLOCKED = {
    "kind": "workspace",
    "key": "marketing-eu",
    "action": "delete",
    "detail": "pruning of workspaces is off (organization prune policy); to delete, set "
    "prune.workspaces: true in the Organization",
}
#: The workspace's grants go with it, held back by the permissions policy.
BLOCKED_GRANTS = [
    {
        "kind": "permission",
        "key": f"workspace:marketing-eu/{user}@acme.example",
        "action": "delete",
        "detail": "pruning of permissions is off (organization prune policy); to delete, set "
        "prune.permissions: true in the Organization",
    }
    for user in ("analyst", "marketing-lead")
]


def samples(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(path.read_text()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def reconcile(url: str, mode: str, *extra: str) -> int:
    return flexctl(
        "reconcile", "--repo", url, "--once", "--mode", mode, "-o", "json",
        "--metrics-file", "metrics.prom", "--webhook-url-env", "HOOK", *extra,
    )  # fmt: skip


def status() -> dict[str, Any]:
    body: dict[str, Any] = json.loads(Path(".flexctl/reconcile/status.json").read_text())
    return body


@pytest.fixture
def healed(example_remote: Remote, webhook: Webhook, monkeypatch: pytest.MonkeyPatch) -> Remote:
    monkeypatch.setenv("HOOK", webhook.url)
    sign_in_example_users()  # else their grants are listed as blocked in every cycle
    assert reconcile(example_remote.url, "heal", "--webhook-format", "slack") == 0
    webhook.bodies.clear()
    webhook.content_types.clear()
    return example_remote


def test_drift_names_the_object_everywhere(
    healed: Remote, webhook: Webhook, capsys: pytest.CaptureFixture[str]
) -> None:
    patch_through_api("aws-us-east-1", {"enabled": False})
    capsys.readouterr()
    assert reconcile(healed.url, "report", "--webhook-format", "slack") == 2
    printed = json.loads(capsys.readouterr().out)
    expected = {
        "drifted": [DRIFT],
        "pending": [DRIFT],
        "blocked": [],
        "failed": [],
        "omitted": {"drifted": 0, "pending": 0, "blocked": 0, "failed": 0},
    }
    assert printed["objects"] == expected
    body = status()
    assert body["statusVersion"] == 2
    assert body["last"] == printed
    metrics = samples(Path("metrics.prom"))
    assert metrics[("flexctl_reconcile_cycles_total", (("result", "drift"),))] == 1
    assert metrics[("flexctl_reconcile_objects", (("state", "drifted"),))] == 1
    assert metrics[("flexctl_reconcile_objects", (("state", "blocked"),))] == 0
    assert metrics[("flexctl_reconcile_drift_objects", ())] == 1
    # Slack: a fallback text naming the object, and Block Kit blocks within Slack's limits.
    (sent,) = webhook.bodies
    assert "update region aws-us-east-1 (enabled)" in sent["text"]
    assert [b["type"] for b in sent["blocks"]] == [
        "header", "section", "section", "section", "context"
    ]  # fmt: skip
    assert sent["blocks"][0]["text"]["type"] == "plain_text"
    assert sent["blocks"][2]["text"] == {
        "type": "mrkdwn",
        "text": "*drifted*\n• `update region aws-us-east-1 (enabled)`",
    }
    assert all(len(b["text"]["text"]) <= 3000 for b in sent["blocks"] if "text" in b)
    assert webhook.content_types == ["application/json"]


def test_a_blocked_delete_is_listed_and_told_once(
    healed: Remote, webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    healed.commit({"workspaces/marketing-eu.yaml": None}, "drop marketing")
    healed.push("main")
    for _ in range(2):  # the second cycle says the same thing: no second message
        assert reconcile(healed.url, "heal", "--webhook-format", "teams") == 0
    last = status()["last"]
    # Not "in-sync": live still differs from the config, and the message says why.
    assert (last["result"], last["objects"]["blocked"]) == ("drift", [*BLOCKED_GRANTS, BLOCKED])
    assert "to delete, set prune.workspaces: true in the Organization" in last["message"]
    assert last["objects"]["pending"] == []
    metrics = samples(Path("metrics.prom"))
    assert metrics[("flexctl_reconcile_objects", (("state", "blocked"),))] == 3
    assert metrics[("flexctl_reconcile_cycles_total", (("result", "drift"),))] == 1
    # Teams: a message with one Adaptive Card attachment.
    (sent,) = webhook.bodies
    assert sent["type"] == "message"
    (attachment,) = sent["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert {b["type"] for b in card["body"]} == {"TextBlock", "FactSet"}
    (facts,) = [b["facts"] for b in card["body"] if b["type"] == "FactSet"]
    assert facts[-1] == {
        "title": "delete",
        "value": f"workspace marketing-eu ({BLOCKED['detail']})",
    }
    assert len(facts) == 3


def test_a_fetch_failure_fails_the_cycle(
    healed: Remote, webhook: Webhook, capsys: pytest.CaptureFixture[str]
) -> None:
    before = status()["lastSuccessAt"]
    shutil.rmtree(healed.bare_path)
    capsys.readouterr()
    assert reconcile(healed.url, "report") == 1
    printed = json.loads(capsys.readouterr().out)
    assert printed["result"] == "failed" and printed["fetchFailed"] is True
    assert printed["fetchWarning"].startswith("fetch failed, using last good")
    body = status()
    assert body["lastSuccessAt"] == before and body["last"] == printed
    metrics = samples(Path("metrics.prom"))
    assert metrics[("flexctl_reconcile_fetch_failures_total", ())] == 1
    assert metrics[("flexctl_reconcile_cycles_total", (("result", "failed"),))] == 1
    # Seeded from the status file: the last success stays the healing cycle's, not 0 or now.
    assert metrics[("flexctl_reconcile_last_success_timestamp_seconds", ())] == (
        datetime.fromisoformat(before).timestamp()
    )
    # Generic: today's outcome JSON, versioned, with a text line.
    (sent,) = webhook.bodies
    assert sent["formatVersion"] == 1 and sent["event"] == "failed" and sent["ref"] == "main"
    assert sent["fetchFailed"] is True
    assert sent["text"].startswith("flexctl reconcile failed on main at ")
    assert "T0KEN" not in Path(".flexctl/reconcile/status.json").read_text()


def test_objects_are_capped_with_a_count_of_the_rest(
    healed: Remote, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = (EXAMPLE / "workspaces" / "marketing-eu.yaml").read_text()
    extra = {
        f"workspaces/extra-{i:02}.yaml": workspace.replace("marketing-eu", f"extra-{i:02}")
        for i in range(30)
    }
    healed.commit(extra, "thirty workspaces")
    healed.push("main")
    capsys.readouterr()
    assert reconcile(healed.url, "report") == 2
    out = capsys.readouterr().out
    objects = json.loads(out)["objects"]
    assert [o["key"] for o in objects["pending"]] == [f"extra-{i:02}" for i in range(25)]
    assert objects["omitted"]["pending"] == 5 + 30 * 2  # the rest, and their 60 grants
    assert status()["last"]["objects"] == objects
