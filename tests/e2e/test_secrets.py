"""Canary secrets: neither the webhook URL (a secret reference's value) nor the data-plane
client secrets the control plane returned appear in anything flexctl prints, saves or
logs: stdout, stderr, plan JSON, Markdown, audit log, inventory, journal, rendered folders,
imported documents, log records. Only the credential sink may hold the client secrets."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from reconciler.controlplane import FaultConfig
from reconciler.engine.store import Journal

from ..engine.harness import CANARY_WEBHOOK, EXAMPLE_USERS, World
from .conftest import Cli


def client_secrets(state: Path) -> list[str]:
    secrets = []
    for path in sorted((state / "credentials").glob("*.yaml")):
        doc = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
        secrets.append(str(doc["stringData"]["DATAPLANE_CLIENT_SECRET"]))
    assert len(secrets) == 2 and all(len(s) >= 16 for s in secrets)
    return secrets


def files_under(*roots: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for root in roots:
        paths = [root] if root.is_file() else sorted(root.rglob("*"))
        found |= {str(path): path.read_bytes() for path in paths if path.is_file()}
    return found


def log_text(records: list[logging.LogRecord]) -> str:
    return "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in records)


def leaks(secret: str, *, texts: dict[str, str], files: dict[str, bytes]) -> list[str]:
    found = [name for name, text in texts.items() if secret in text]
    found += [name for name, data in files.items() if secret.encode() in data]
    return found


def test_no_secret_reaches_any_output_of_the_cli(
    cli: Cli, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)
    assert cli("plan", "config", "--embedded").code == 0
    cli.add_users(*EXAMPLE_USERS)
    assert cli("plan", "config", "--embedded", "--output", "markdown").code == 0
    assert cli("plan", "config", "--embedded", "--output", "json").code == 0
    assert cli("plan", "config", "--embedded", "--out", "plan.json").code == 0
    assert cli("apply", "plan.json", "--embedded").code == 0
    # A change of the secret itself is shown, but only as a changed sensitive value.
    monkeypatch.setenv("US_ANALYTICS_SLACK_WEBHOOK", CANARY_WEBHOOK + "-rotated")
    changed = cli("plan", "config", "--embedded")
    assert "notifications.failure.webhookUrl: (sensitive value changed)" in changed.out
    markdown = cli("plan", "config", "--embedded", "--output", "markdown")
    assert cli("plan", "config", "--embedded", "--output", "json", "--out", "plan2.json").code == 0
    assert cli("apply", "config", "--embedded", "--yes").code == 0
    assert "sha256:" not in changed.out + markdown.out
    assert cli("verify", "config", "--embedded").code == 0
    assert cli("import", "config", "--embedded", "--out", "imported").code == 0
    texts = {f"printed[{i}]": text for i, text in enumerate(cli.printed)}
    texts["log records"] = log_text(caplog.records)
    files = files_under(cli.root / "plan.json", cli.root / "plan2.json", cli.root / "imported")
    files |= files_under(cli.state)
    for name in list(files):
        # The control plane's own database legitimately stores the webhook URL.
        if "/controlplane/" in name:
            del files[name]
    state_files = sorted(Path(n).name for n in files)
    assert {"audit.jsonl", "inventory.json", "values.yaml", "plan.json"} <= set(state_files)
    for canary in (CANARY_WEBHOOK, CANARY_WEBHOOK + "-rotated"):
        assert leaks(canary, texts=texts, files=files) == []
    secrets = client_secrets(cli.state)
    outside_sink = {n: d for n, d in files.items() if "/credentials/" not in n}
    db = files_under(cli.state / "controlplane")
    for secret in secrets:
        assert leaks(secret, texts=texts, files=outside_sink | db) == []


def test_no_secret_in_journal_audit_or_logs_when_apply_fails(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    world.add_users(*EXAMPLE_USERS)
    # Every answer to a write is lost: data-plane creates give up, the journal stays behind.
    world.plane.set_faults(FaultConfig(seed=7, lost_write_rate=1.0, lost_write_mode="500"))
    failed = asyncio.run(world.apply())
    assert not failed.ok
    assert {str(o.change.key) for o in failed.failed} >= {
        "dataplane aws-us-east-1/us-east-1-primary"
    }
    journal = world.state.path("journal.jsonl")
    assert [r.event for r in Journal(journal).records()].count("begin") >= 8
    before = files_under(world.state.root)
    world.plane.set_faults(None)
    asyncio.run(world.converge())
    texts = {"log records": log_text(caplog.records)}
    texts |= {o.error or "": o.error or "" for o in failed.outcomes}
    files = {
        n: d
        for n, d in (before | files_under(world.state.root)).items()
        if "/controlplane/" not in n and "/credentials/" not in n
    }
    assert any(n.endswith("journal.jsonl") for n in files)
    assert leaks(CANARY_WEBHOOK, texts=texts, files=files) == []
    for secret in client_secrets(world.state.root):
        assert leaks(secret, texts=texts, files=files) == []


@pytest.fixture
def world(tmp_path: Path) -> World:
    made = World.create(tmp_path)
    yield made  # type: ignore[misc]
    made.close()
